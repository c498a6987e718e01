import pytest

from pytest_mww.criteria import parse_criteria
from pytest_mww.judge import judge
from pytest_mww.run import load_run

from conftest import event_file


def criterion(body: str):
    return parse_criteria(f"criteria:\n  c: {body}\n", "c.yaml").criteria[0]


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    from pytest_mww.sample_run import SampleRun, write_run
    return load_run(write_run(tmp_path_factory.mktemp("g") / "good", SampleRun()), "good")


@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    from pytest_mww.sample_run import SampleRun, write_run
    return load_run(write_run(tmp_path_factory.mktemp("b") / "bad", SampleRun(kind="overfit")),
                    "bad")


def test_fa_per_hour_fail_headline_and_what_it_rests_on(bad):
    v = judge(criterion("{metric: ambient_fa_per_hour, max: 0.5}"), bad)
    assert v.outcome == "failed"
    assert v.headline == ("ambient_fa_per_hour (validation, final, step 2000) = 4.29 "
                          "> max 0.5")
    assert "rests on 4.2 h of ambient audio" in v.text and "18 event(s)" in v.text
    assert "hard negatives" in v.text
    assert float(v.properties["observed"]) == pytest.approx(18 / 4.2, rel=1e-6)
    assert v.properties["step"] == "2000" and "val/ambient_false" in v.properties["source"]


def test_inclusive_and_strict_bounds(good):
    final = good.get("validation", "recall").points[-1].value
    assert judge(criterion(f"{{metric: recall, min: {final!r}}}"), good).outcome == "passed"
    assert judge(criterion(f"{{metric: recall, gt: {final!r}}}"), good).outcome == "failed"
    assert judge(criterion(f"{{metric: recall, max: {final!r}}}"), good).outcome == "passed"
    assert judge(criterion(f"{{metric: recall, lt: {final!r}}}"), good).outcome == "failed"


@pytest.mark.parametrize("at, expected_step", [("final", 2000), ("min", 200), ("max", 2000),
                                                ("step:600", 600), ("best", 2000)])
def test_aggregations(good, at, expected_step):
    v = judge(criterion(f"{{metric: f1, at: '{at}', min: 0}}"), good)
    assert v.outcome == "passed" and v.properties["step"] == str(expected_step)


def test_last_n_is_a_mean(good):
    v = judge(criterion("{metric: f1, at: 'last:3', min: 0}"), good)
    values = [p.value for p in good.get("validation", "f1").points[-3:]]
    assert float(v.properties["observed"]) == pytest.approx(sum(values) / 3)


def test_missing_metric_fails_with_did_you_mean_or_skips(good):
    v = judge(criterion("{metric: f1_scor, min: 0.9}"), good)
    assert v.outcome == "failed"
    assert "not found in run good; did you mean" in v.headline and "validation:" in v.text
    v = judge(criterion("{metric: nonsense, min: 0.9, on_missing: skip}"), good)
    assert v.outcome == "skipped"


def test_nan_never_passes(tmp_path):
    from pytest_mww.sample_run import SampleRun, write_run
    folder = write_run(tmp_path / "n", SampleRun())
    report = folder / "logs" / "test_report.json"
    report.write_text(report.read_text().replace('"auc_pr": 0.95', '"auc_pr": NaN'))
    run = load_run(folder, "n")
    for bound in ("min: 0", "max: 1", "gt: -1", "lt: 2"):
        v = judge(criterion(f"{{metric: auc_pr, split: test, {bound}}}"), run)
        assert v.outcome == "failed" and "NaN never passes" in v.headline


def test_gap_falls_back_to_auc_and_says_so(good, bad):
    body = "{check: gap, metric: [loss, auc_roc], lt: 0.1}"
    v = judge(criterion(body), good)
    assert v.outcome == "passed" and "judged on 'auc_roc'" in v.text
    v = judge(criterion(body), bad)
    assert v.outcome == "failed"
    assert v.headline.startswith("train/validation gap on auc_roc (final, step 2000) = 0.1600")


def test_gap_on_loss_when_both_splits_have_it(tmp_path):
    from pytest_mww.sample_run import SampleRun, write_run
    run = load_run(write_run(tmp_path / "g", SampleRun(kind="overfit", guide_form=True)), "g")
    v = judge(criterion("{check: gap, metric: [loss, auc_roc], lt: 0.1}"), run)
    assert "gap on loss" in v.headline and v.outcome == "failed"
    assert "validation − train loss" in v.text


def test_trend_detects_worsening(good, bad):
    body = "{check: trend, metric: [val_loss, auc_pr], window: 5, max_worsening: 0.05}"
    assert judge(criterion(body), good).outcome == "passed"
    v = judge(criterion(body), bad)
    assert v.outcome == "failed" and "worsened by" in v.headline
    assert "steps 1200–2000" in v.headline


def test_damaged_tensorboard_means_not_judged_but_test_split_goes_on(tmp_path):
    from pytest_mww.sample_run import SampleRun, write_run
    folder = write_run(tmp_path / "d", SampleRun())
    path = event_file(folder)
    data = bytearray(path.read_bytes())
    data[300] ^= 0xFF
    path.write_bytes(bytes(data))
    run = load_run(folder, "d")
    v = judge(criterion("{metric: f1, min: 0.5, on_missing: skip}"), run)
    assert v.outcome == "failed" and "not judged" in v.headline and "offset" in v.headline
    assert judge(criterion("{metric: f1, split: test, min: 0.5}"), run).outcome == "passed"


def test_best_step_unknown(tmp_path):
    from pytest_mww.sample_run import SampleRun, write_run
    folder = write_run(tmp_path / "x", SampleRun(checkpoint_every=10_000, checkpoints=False))
    run = load_run(folder, "x")
    assert run.best_step is None
    v = judge(criterion("{metric: f1, at: best, min: 0}"), run)
    assert v.outcome == "failed" and "does not say which step" in v.headline
