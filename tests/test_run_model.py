import json
import math
import shutil

from pytest_mww.run import load_run
from pytest_mww.sample_run import SampleRun, curves, write_run

from conftest import event_file


def test_tensorboard_float_wins_over_the_rounded_log(make_run):
    run = load_run(make_run(), "r")
    f1 = run.get("validation", "f1")
    assert f1.points[-1].origin == "tb"
    assert f1.points[-1].value == _f32(curves(SampleRun(), 2000)["f1"])
    assert [(p.origin, p.step) for p in f1.shadowed_at(2000)] == [("log", 2000)]
    assert {"tb:val/f1_score", "log:F1 Score"} <= f1.raw_names
    assert run.lookup("log:F1 Score", "validation").points[-1].value == 0.95


def test_test_split_from_report_never_mixed_with_validation(make_run):
    run = load_run(make_run(), "r")
    test_fah = run.get("test", "ambient_fa_per_hour")
    assert test_fah.points[-1].origin == "report" and len(test_fah.points) == 1
    val_fah = run.get("validation", "ambient_fa_per_hour")
    assert all(p.origin in ("tb", "log") for p in val_fah.points)
    assert len(val_fah.points) == 10
    assert run.ambient_hours["validation"].hours == 4.2
    assert run.ambient_hours["test"].hours == 420.0


def test_best_step_from_checkpoint_summary(make_run):
    run = load_run(make_run(), "r")
    assert run.best_step[0] == 2000
    assert "checkpoints/summary" in run.best_step[1]


def test_tty_log_uses_tensorboard_and_says_so(make_run):
    run = load_run(make_run(tty_log=True), "r")
    assert len(run.get("validation", "f1").points) == 10
    assert any("captured from a terminal" in n for n in run.notes)
    assert "validation" not in {s for s, m in run.series if m == "accuracy"}


def test_guide_vocabulary_legacy_scalars(make_run):
    run = load_run(make_run(guide_form=True, legacy_scalars=True), "r")
    assert run.get("validation", "loss").points[-1].origin == "tb"
    assert run.get("train", "loss") and run.get("train", "learning_rate")
    assert run.lookup("val_loss", "test") is run.get("validation", "loss")
    assert run.get("validation", "accuracy").raw_names >= {"tb:val_accuracy"}


def test_newest_run_is_judged_others_reported(make_run, tmp_path):
    old = make_run("a", kind="overfit", timestamp="20261201_100000")
    new = make_run("b", kind="good", timestamp="20261204_195001")
    shutil.copytree(new / "logs", old / "logs", dirs_exist_ok=True)
    run = load_run(old, "r")
    assert run.layout.log.name == "terminal_20261204_195001.log"
    assert all("run_20261204_195002" in str(p) for p in run.layout.event_files)
    assert any("terminal_20261201_100000.log" in n for n in run.notes)
    picked = load_run(old, "r", timestamp="20261201_100000")
    assert picked.layout.log.name == "terminal_20261201_100000.log"


def test_test_report_of_another_run_is_not_used(make_run):
    folder = make_run()
    report = folder / "logs" / "test_report.json"
    data = json.loads(report.read_text())
    data["metadata"]["timestamp"] = "2020-01-01T00:00:00"
    report.write_text(json.dumps(data))
    run = load_run(folder, "r")
    assert run.test_report is None
    assert any("belongs to another run" in p.message for p in run.problems)


def test_nan_in_json_is_a_number(make_run):
    folder = make_run()
    report = folder / "logs" / "test_report.json"
    report.write_text(report.read_text().replace('"auc_pr": 0.95', '"auc_pr": NaN'))
    run = load_run(folder, "r")
    assert math.isnan(run.get("test", "auc_pr").points[0].value)


def test_models_checkpoints_layout(tmp_path):
    folder = write_run(tmp_path / "r", SampleRun())
    (folder / "models").mkdir()
    shutil.move(folder / "checkpoints", folder / "models" / "checkpoints")
    run = load_run(folder, "r")
    assert run.layout.checkpoint_dir == folder / "models" / "checkpoints"


def test_damaged_tensorboard_is_recorded(make_run):
    folder = make_run()
    path = event_file(folder)
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF
    path.write_bytes(bytes(data))
    run = load_run(folder, "r")
    assert run.tensorboard_damage


def test_empty_folder_is_not_a_run(tmp_path):
    assert not load_run(tmp_path, "r").recognised


def _f32(x: float) -> float:
    import struct
    return struct.unpack("<f", struct.pack("<f", x))[0]


def test_crashed_run_is_said(make_run):
    folder = make_run()
    log = next(folder.glob("logs/terminal_*.log"))
    text = log.read_text(encoding="utf-8")
    cut = text.index("╭──────────────────── 🏁 Training Complete")
    log.write_text(text[:cut] + "❌ Error: object of type 'NoneType' has no len()\n"
                   + "Training Log Ended: 2026-12-04T19:51:00\n", encoding="utf-8")
    run = load_run(folder, "r")
    assert run.log.state == "crashed"
    notes = " ".join(run.notes)
    assert "training did not finish" in notes and "NoneType" in notes


def test_raw_series_sorts_steps_and_says_where_they_went_back():
    from pytest_mww.series import Source, raw_series

    source = Source("tb", "e", "val/f1", "tb:val/f1")
    series, differing, back = raw_series("validation", "f1", source, [1, 2, 3], [.1, .2, .3],
                                         [0, 1, 2])
    assert list(series.steps) == [1, 2, 3] and back is None and differing == []
    series, differing, back = raw_series("validation", "f1", source, [1, 3, 2, 3, 4],
                                         [.1, .3, .2, .35, .4], [0, 1, 2, 3, 4])
    assert list(series.steps) == [1, 2, 3, 4] and list(series.values) == [.1, .2, .35, .4]
    assert back == 2 and differing == [(3, [.3, .35])]
    _, _, back = raw_series("validation", "f1", source, [5, 5], [1.0, 1.0], [0, 1])
    assert back is None  # a repeat is not a step back
