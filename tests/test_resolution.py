"""FA/h verdicts that respect what the data can resolve; exact bounds on counts."""

from array import array
from pathlib import Path

import pytest

from pytest_mww.criteria import parse_criteria
from pytest_mww.judge import judge
from pytest_mww.layout import Layout
from pytest_mww.run import Hours, RunModel, load_run
from pytest_mww.series import Series, Source


def criterion(body: str):
    return parse_criteria(f"criteria:\n  c: {body}\n", "c.yaml").criteria[0]


def fah_run(values, hours: float | None, split="validation") -> RunModel:
    run = RunModel("r", Path("/x"), Layout(Path("/x")))
    steps = [100 * (i + 1) for i in range(len(values))]
    run.series[(split, "ambient_fa_per_hour")] = Series(
        split, "ambient_fa_per_hour", array("q", steps), array("d", values),
        array("I", range(len(values))),
        [Source("tb", "events", "val/ambient_false_positives_per_hour", "tb:val/fah")])
    if hours is not None:
        run.ambient_hours[split] = Hours(hours, "terminal.log:6 (scaled duration: "
                                                "ambient_duration_hours 1.00 × val_split 0.1)")
    return run


FAH = "{metric: ambient_fa_per_hour, lt: 0.5"


def test_unresolvable_threshold_fails_by_default():
    v = judge(criterion(FAH + "}"), fah_run([10.0, 0.0], 0.1))
    assert v.outcome == "failed"
    assert v.headline == ("ambient_fa_per_hour (validation, final, step 200) = 0.00 cannot be "
                          "judged against < 0.5: 1 false activation = 10.0 FA/h over 0.10 h of "
                          "ambient audio")
    assert "more ambient audio, or a larger validation split" in v.text
    assert v.properties["events"] == "0" and v.properties["hours"] == "0.1"
    assert v.properties["resolution"] == "10"


def test_on_unresolvable_skip_and_warn():
    run = fah_run([0.0], 0.1)
    assert judge(criterion(FAH + ", on_unresolvable: skip}"), run).outcome == "skipped"
    warned = judge(criterion(FAH + ", on_unresolvable: warn}"), run)
    assert warned.outcome == "warned" and "cannot be judged" in warned.headline
    # a value that misses the limit still fails under warn
    assert judge(criterion(FAH + ", on_unresolvable: warn}"), fah_run([10.0], 0.1)).outcome \
        == "failed"


def test_exact_boundary_is_judged():
    # 2 h: one false activation = 0.5 FA/h, exactly the limit: the data can resolve it
    run = fah_run([0.5], 2.0)
    assert judge(criterion("{metric: ambient_fa_per_hour, max: 0.5}"), run).outcome == "passed"
    v = judge(criterion(FAH + "}"), run)
    assert v.outcome == "failed" and v.headline.endswith("= 0.50 is not below 0.5")


def test_zero_events_and_a_bound_that_flips_a_pass():
    # 0 events over 10 h: the 95% upper bound is -ln(0.05)/10 = 0.30 FA/h
    ok = judge(criterion(FAH + ", confidence: 0.95}"), fah_run([0.0], 10.0))
    assert ok.outcome == "passed" and "upper 0.30" in ok.headline
    assert float(ok.properties["upper_bound"]) == pytest.approx(0.2996, abs=1e-4)
    # 1 event over 10 h passes as a point value, but its bound (0.47 FA/h) passes too;
    # 2 events over 10 h (0.20 FA/h) pass as a point and fail as a bound (0.63 FA/h)
    assert judge(criterion(FAH + "}"), fah_run([0.2], 10.0)).outcome == "passed"
    flipped = judge(criterion(FAH + ", confidence: 0.95}"), fah_run([0.2], 10.0))
    assert flipped.outcome == "failed"
    assert flipped.headline == ("ambient_fa_per_hour (validation, final, step 100) = 0.20, 95% "
                                "upper bound 0.63 (from 2 events over 10 h) is not below 0.5")
    assert flipped.properties["events"] == "2" and flipped.properties["confidence"] == "0.95"


def test_counts_inconsistent_with_hours_are_said():
    v = judge(criterion(FAH + "}"), fah_run([0.3], 4.2))  # 1.26 events
    assert "not a whole number of events" in v.text
    assert v.properties["events_whole"] == "false"


def test_hours_unknown():
    v = judge(criterion(FAH + "}"), fah_run([0.3], None))
    assert v.outcome == "passed" and "resolution is unknown" in v.text
    v = judge(criterion(FAH + ", confidence: 0.95}"), fah_run([0.3], None))
    assert v.outcome == "failed" and "needs the hours of ambient audio" in v.headline


def test_recall_with_counts_from_the_test_report(tmp_path):
    import json
    import shutil

    from conftest import REPO
    run_dir = tmp_path / "run-c"
    shutil.copytree(REPO / "tests" / "data" / "run-c", run_dir)
    run = load_run(run_dir, "run-c")
    body = "{metric: recall, split: test, gt: 0.7"
    assert judge(criterion(body + "}"), run).outcome == "passed"  # 45/57 = 0.79
    v = judge(criterion(body + ", confidence: 0.95}"), run)
    assert v.outcome == "failed"
    assert "95% lower bound 0.6813 (from 45 of 57) is not above 0.7" in v.headline
    assert "Clopper-Pearson" in v.text and "confusion_matrix: tp 45" in v.text
    report = json.loads((run_dir / "logs/test_report.json").read_text())
    assert report["confusion_matrix"]["tp"] == 45


def test_recall_with_positives_from_the_validation_table(make_run):
    run = load_run(make_run(), "r")  # Val Positives 540 in every table
    v = judge(criterion("{metric: recall, gt: 0.9, confidence: 0.95}"), run)
    assert "from 518 of 540" in v.headline  # recall 0.96 × 540
    v = judge(criterion("{metric: precision, gt: 0.9, confidence: 0.95}"), run)
    assert "predicted positives" in v.text


def test_confidence_without_counts(make_run):
    run = load_run(make_run(tty_log=True), "r")  # the tables (and positives) are lost
    v = judge(criterion("{metric: recall, gt: 0.9, confidence: 0.95}"), run)
    assert v.outcome == "failed" and "needs the counts" in v.headline
    v = judge(criterion("{metric: recall, gt: 0.9, confidence: 0.95, on_missing: skip}"), run)
    assert v.outcome == "skipped"


def test_confidence_must_be_a_level():
    from pytest_mww.criteria import CriteriaError
    with pytest.raises(CriteriaError, match="confidence is a level between 0 and 1"):
        criterion("{metric: f1, min: 0.5, confidence: 95}")
    with pytest.raises(CriteriaError, match="on_unresolvable must be fail, skip or warn"):
        criterion("{metric: f1, min: 0.5, on_unresolvable: maybe}")


OFFICIAL = """\
INFO:absl:Step #500: rate 0.001000, accuracy 98.12%, recall 91.30%, precision 88.00%, cross entropy 0.041200
INFO:absl:Step 500 (nonstreaming): Validation: recall at no faph = 52.100 with cutoff 0.93, accuracy = 97.50%, recall = 90.10%, precision = 85.00%, ambient false positives = 12, estimated false positives per hour = 0.85714, loss = 0.05123, auc = 0.99012, average viable recall = 0.412345678
Validation Batch #3: Accuracy = 0.987; Recall = 0.9; Precision = 0.8; Loss = 0.0123; Mini-Batch #4\rValidation Batch #4: Accuracy = 0.987; Recall = 0.9; Precision = 0.8; Loss = 0.0123; Mini-Batch #5
INFO:absl:Step 1000 (nonstreaming): Validation: recall at no faph = 60.000 with cutoff 0.95, accuracy = 98.00%, recall = 93.00%, precision = 90.00%, ambient false positives = 3, estimated false positives per hour = 0.21429, loss = 0.04000, auc = 0.99500, average viable recall = 0.5
"""


def test_official_console_counts_give_the_hours(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "terminal_20261204_000000.log").write_text(OFFICIAL)
    run = load_run(tmp_path, "official")
    assert run.ambient_hours["validation"].hours == pytest.approx(3 / 0.21429)
    assert "ambient false positives 3" in run.ambient_hours["validation"].source
    fah = run.get("validation", "ambient_fa_per_hour")
    assert list(fah.steps) == [500, 1000] and fah.values[-1] == 0.21429
    assert run.get("validation", "recall").values[-1] == pytest.approx(0.93)
    assert run.get("train", "accuracy").values[-1] == pytest.approx(0.9812)
    assert run.get("validation", "false_positives").values[-1] == 3
    v = judge(criterion("{metric: ambient_fa_per_hour, lt: 0.5, confidence: 0.95}"), run)
    assert "from 3 events over 14 h" in v.headline and v.outcome == "failed"
