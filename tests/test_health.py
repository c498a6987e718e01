"""The guide's training-health checks: stagnation, LR schedule, finished, duration, warn."""

from array import array
from pathlib import Path

import pytest

from pytest_mww.criteria import parse_criteria
from pytest_mww.judge import judge
from pytest_mww.layout import Layout
from pytest_mww.readers.terminal_log import LogReport
from pytest_mww.run import RunModel, load_run
from pytest_mww.series import Series, Source


def criterion(body: str):
    return parse_criteria(f"criteria:\n  c: {body}\n", "c.yaml").criteria[0]


def model(train_loss=None, lr=None, phases=None, log: LogReport | None = None) -> RunModel:
    run = RunModel("r", Path("/nonexistent"), Layout(Path("/nonexistent")), log=log)
    for metric, values in (("loss", train_loss), ("learning_rate", lr)):
        if values:
            run.series[("train", metric)] = Series(
                "train", metric, array("q", [s for s, _ in values]),
                array("d", [v for _, v in values]), array("q", range(len(values))),
                [Source("tb", "events", f"train/{metric}", f"tb:train/{metric}")])
    if phases is not None:
        run.log = log or LogReport("logs/terminal.log")
        run.log.phases = phases
    return run


STAGNATION = "{check: stagnation, window: 5, above: 0.3, min_change: 0.05}"


def test_stagnation_guides_example_fails():
    run = model(train_loss=[(1000, 0.45), (1200, 0.44), (1400, 0.43), (1600, 0.44),
                            (1800, 0.43)])
    v = judge(criterion(STAGNATION), run)
    assert v.outcome == "failed"
    assert v.headline.endswith("is stagnant: it stayed above 0.3 (lowest 0.4300) and "
                               "changed by only 0.0200 < 0.05")
    assert "raise the learning rate" in v.text


def test_converged_loss_is_not_stagnant():
    run = model(train_loss=[(s, 0.003) for s in range(200, 1200, 200)])
    assert judge(criterion(STAGNATION), run).outcome == "passed"


def test_falling_loss_above_band_is_not_stagnant():
    run = model(train_loss=[(1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6), (5, 0.5)])
    assert judge(criterion(STAGNATION), run).outcome == "passed"


def test_stagnation_missing_loss():
    v = judge(criterion(STAGNATION), model())
    assert v.outcome == "failed" and "not found" in v.headline


PHASES = [(1, 1500, 0.001, 45), (2, 750, 0.0002, 46), (3, 375, 0.00005, 47)]


def test_lr_schedule_with_cosine_decay_and_boundaries_passes():
    lr = [(750, 0.0005), (1500, 0.0002), (1600, 0.00019), (2250, 0.00005), (2600, 5e-7)]
    assert judge(criterion("{check: lr_schedule}"), model(lr=lr, phases=PHASES)).outcome \
        == "passed"


def test_lr_above_its_phase_fails():
    lr = [(750, 0.0005), (1800, 0.0009)]
    v = judge(criterion("{check: lr_schedule}"), model(lr=lr, phases=PHASES))
    assert v.outcome == "failed"
    assert v.headline == "learning rate 0.0009 at step 1800 exceeds its phase's LR 0.0002"
    assert "phase 2: steps 1501–2250 @ LR 0.0002" in v.text


def test_lr_schedule_without_header_is_not_judged():
    v = judge(criterion("{check: lr_schedule}"), model(lr=[(1, 0.001)], phases=[]))
    assert v.outcome == "failed" and "no header panel" in v.headline
    v = judge(criterion("{check: lr_schedule, on_missing: skip}"),
              model(lr=[(1, 0.001)], phases=[]))
    assert v.outcome == "skipped"


@pytest.mark.parametrize("cut, expected", [
    (None, "finished (🏁 Training Complete panel present)"),
    ("crash", "crashed: the log has its end marker but no completion panel"),
    ("kill", "was killed: the log has no 'Training Log Ended:' marker"),
])
def test_finished(make_run, cut, expected):
    folder = make_run()
    log = next(folder.glob("logs/terminal_*.log"))
    text = log.read_text(encoding="utf-8")
    head = text[: text.index("ℹ️  Final weights saved")]
    if cut == "crash":
        log.write_text(head + "❌ Error: out of memory\n"
                       "Training Log Ended: 2026-12-04T19:51:00\n", encoding="utf-8")
    elif cut == "kill":
        log.write_text(head, encoding="utf-8")
    v = judge(criterion("{check: finished}"), load_run(folder, "r"))
    assert v.headline == f"training {expected}"
    assert v.outcome == ("passed" if cut is None else "failed")
    if cut == "crash":
        assert "out of memory" in v.text


def test_finished_without_log(make_run):
    folder = make_run()
    next(folder.glob("logs/terminal_*.log")).unlink()
    v = judge(criterion("{check: finished}"), load_run(folder, "r"))
    assert v.outcome == "failed" and "no terminal log" in v.headline


def test_duration_budget(make_run):
    run = load_run(make_run(), "r")
    assert judge(criterion("{check: duration, max_hours: 1}"), run).outcome == "passed"
    v = judge(criterion("{check: duration, max_hours: 0.001}"), run)
    assert v.outcome == "failed"
    assert v.headline == "training took 0.02 h, over the budget of 0.001 h"


def test_warn_severity_reports_without_failing(make_run):
    run = load_run(make_run(), "r")
    v = judge(criterion("{metric: train_loss, min: 0.5, severity: warn}"), run)
    assert v.outcome == "warned" and "severity: warn" in v.text
    v = judge(criterion("{metric: missing_thing, min: 0.5, severity: warn}"), run)
    assert v.outcome == "failed"  # missing data still fails: nothing passes unjudged


def test_fa_per_hour_with_good_accuracy_is_diagnosed(make_run):
    run = load_run(make_run(kind="overfit"), "r")
    v = judge(criterion("{metric: ambient_fa_per_hour, at: min, max: 0.1}"), run)
    assert v.outcome == "failed"
    # at step 200 the overfit sample's validation recall is 0.86: no diagnosis
    assert "validation accuracy is high but FA/h is high" not in v.text
    good = load_run(make_run(), "g")
    v = judge(criterion("{metric: ambient_fa_per_hour, max: 0.1}"), good)
    assert "accuracy at the same point is 0.9800" in v.text
    assert "add background/ambient audio and hard negatives" in v.text


def test_warnings_are_visible_in_summary_pytest_warnings_and_junit(pytester, make_run):
    import xml.etree.ElementTree as ET

    run = make_run("good")
    crit = pytester.makefile(".yaml", c="criteria:\n  low_loss:\n    metric: train_loss\n"
                                        "    min: 0.5\n    severity: warn\n")
    xml = pytester.path / "g.xml"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--mww-run={run}",
                                f"--mww-criteria={crit}", f"--junitxml={xml}")
    assert result.ret == 0
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*c.yaml:2: MwwWarning: good::low_loss: loss (train, final*",
                                 "low_loss *WARNED"])
    props = {p.get("name"): p.get("value") for p in ET.parse(xml).getroot().iter("property")}
    assert props["verdict"] == "warned"


def test_lr_schedule_names_the_first_worst_excess_and_allows_either_rate_at_a_boundary():
    lr = [(1500, 0.001), (1600, 0.0003), (1700, 0.0006), (1800, 0.0006), (2300, 0.0001)]
    v = judge(criterion("{check: lr_schedule}"), model(lr=lr, phases=PHASES))
    assert v.headline == "learning rate 0.0006 at step 1700 exceeds its phase's LR 0.0002"


def test_lr_schedule_with_a_zero_rate_phase():
    phases = [(1, 100, 0.001, 45), (2, 100, 0.0, 46)]
    v = judge(criterion("{check: lr_schedule}"), model(lr=[(50, 0.001), (150, 1e-6)],
                                                         phases=phases))
    assert v.headline == "learning rate 1e-06 at step 150 exceeds its phase's LR 0"
