import pytest

from pytest_mww.readers.terminal_log import read_terminal_log
from pytest_mww.sample_run import SampleRun, _best_step, _test_report, render_log

# Lines as microwakeword_trainer v2.0.0 wrote them in a real run (run-format.md §2).
REAL_TAIL = """\
Training Log Started: 2026-12-04T19:50:01.146163
================================================================================

[TerminalLogger] Capturing output to: logs/terminal_20261204_195001.logℹ️  Reproducibility: random_seed=42
ℹ️  FAH calculation enabled with 1.00 hours of ambient audio
ℹ️  Validation FAH uses scaled duration: 0.10h (full=1.00h × val_split=0.1)
│   Total Steps               2,625                                                                    │
⠋ Phase 1 ━━━━━━━━━━   0% • 0:00:00 • --:--:-- •  ───── Phase 2/3 — LR: 0.000200 | Weights: pos=60.0 neg=1.0 ─────
╭──────────────────── 🏁 Training Complete ────────────────────╮
│ +----------------------------------------------------------+ │
│ |  Total Time    |  0h 3m 22s                              | │
│ |  Best FA/Hour  |  0.00                                   | │
╰──────────────────────────────────────────────────────────────╯
      Advanced Metrics      
+--------------------------+
| Metric          | Value  |
|-----------------+--------|
| AUC-ROC         | 0.9324 |
| FAH             | 1.4000 |
| False Positives | 14     |
+--------------------------+
📊 Validation Results — Step
         2625/2625          
+--------------------------+
| Metric          |  Value |
|-----------------+--------|
| F1 Score        | 0.7759 |
| Ambient FA/Hour |   1.40 |
+--------------------------+
              Confusion Matrix (threshold=0.97)              
+-----------------------------------------------------------+
|                 | Predicted Positive | Predicted Negative |
|-----------------+--------------------+--------------------|
| Actual Positive |                 45 |                 12 |
| Actual Negative |                 14 |                269 |
|-----------------+--------------------+--------------------|
| Total           |                    |                340 |
+-----------------------------------------------------------+
ℹ️  Training completed successfully!

================================================================================
Training Log Ended: 2026-12-04T19:53:26.515598
"""


def read(tmp_path, text, raw: bytes | None = None):
    path = tmp_path / "terminal_20261204_195001.log"
    if raw is None:
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(raw)
    return read_terminal_log(path, "logs/terminal.log")


def test_real_tty_log_tables_after_completion_are_test_data(tmp_path):
    log = read(tmp_path, REAL_TAIL)
    assert log.state == "finished"
    assert log.duration_seconds == 205.369435
    assert log.ambient_hours == (1.0, 5) and log.validation_hours == (0.1, 6)
    assert log.total_steps == (2625, 7)
    assert all(v.split == "test" for v in log.values)
    assert {(v.name, v.value, v.step) for v in log.values} >= {
        ("FAH", 1.4, None), ("F1 Score", 0.7759, 2625), ("Ambient FA/Hour", 1.4, 2625),
        ("False Positives", 14.0, None)}
    assert log.confusions[0].counts == {"tp": 45, "fn": 12, "fp": 14, "tn": 269}
    assert log.panel["Best FA/Hour"][0] == "0.00"
    assert log.validation_tables == 0
    assert any("captured from a terminal" in n for n in log.notes)
    assert log.problems == []


def test_non_tty_log_has_validation_tables_per_eval_and_best_model(tmp_path):
    spec = SampleRun(steps=1000, eval_every=200, checkpoint_every=500)
    best = _best_step(spec)
    log = read(tmp_path, render_log(spec, best, _test_report(spec)))
    val = [v for v in log.values if v.split == "validation"]
    assert log.validation_tables == 5
    assert sorted({v.step for v in val}) == [200, 400, 600, 800, 1000]
    f1 = [v for v in val if v.name == "F1 Score"]
    assert [v.step for v in f1] == [200, 400, 600, 800, 1000]
    assert log.best_models[-1].step == best
    assert log.best_models[-1].path == "./checkpoints/best_weights.weights.h5"
    assert "PR-AUC improved" in log.best_models[-1].reason


def test_guide_form_box_tables_progress_and_checkpoint_lines(tmp_path):
    spec = SampleRun(steps=1000, eval_every=500, checkpoint_every=500, guide_form=True)
    log = read(tmp_path, render_log(spec, 1000, _test_report(spec)))
    train = [v for v in log.values if v.split == "train"]
    assert {v.name for v in train} == {"loss", "accuracy", "learning_rate"}
    assert [v.step for v in train if v.name == "loss"] == [500, 1000]
    assert any(v.name == "F1 Score" and v.split == "validation" for v in log.values)
    assert log.best_models[-1].step == 1000  # from best_fah_step_1000.ckpt
    assert [text for _, text in log.checkpoints] == ["step_500.ckpt", "step_1000.ckpt"]


def test_ansi_codes_carriage_returns_and_bad_bytes(tmp_path):
    raw = (b"Training Log Started: 2026-12-04T19:50:01\n"
           b"\x1b[32mPhase 1 \xe2\x80\xa2 100/1000 \xe2\x80\xa2 1% \xe2\x80\xa2 0:00 \xe2\x80\xa2"
           b" 0:10 \xe2\x80\xa2 loss=0.5000 acc=0.8 lr=0.001\x1b[0m\r"
           b"Phase 1 \xe2\x80\xa2 200/1000 \xe2\x80\xa2 2% \xe2\x80\xa2 0:00 \xe2\x80\xa2 0:10 "
           b"\xe2\x80\xa2 loss=0.4000 acc=0.85 lr=0.001\n"
           b"junk \xff\xfe here\n")
    log = read(tmp_path, "", raw)
    losses = [(v.step, v.value) for v in log.values if v.name == "loss"]
    assert losses == [(100, 0.5), (200, 0.4)]
    assert any("not valid UTF-8" in p.message and p.place == "line 3" for p in log.problems)
    assert log.state == "killed"


def test_numbers_that_are_not_numbers_are_not_read(tmp_path):
    log = read(tmp_path, "ℹ️  FAH calculation enabled with .2.00 hours of ambient audio\n"
                         "│   Phase 1   30,000 steps @ LR 0.0.1 │\n│   Total Steps   , │\n"
                         "Confusion Matrix (threshold=0..97)\n")
    assert log.ambient_hours is None and log.phases == [] and log.total_steps is None
    assert log.confusions == []


def test_crash_keeps_end_marker_but_is_not_finished(tmp_path):
    log = read(tmp_path, "Training Log Started: 2026-12-04T19:50:01\n"
                         "❌ Error: something broke\n"
                         "Training Log Ended: 2026-12-04T19:51:01\n")
    assert log.state == "crashed"
    assert log.trouble and "something broke" in log.trouble[0][1]


def test_table_cut_mid_row_is_reported(tmp_path):
    log = read(tmp_path, "📊 Validation Results — Step 200/1000\n+----+\n| Metric | Value |\n"
                         "| Accuracy  |   0.9")
    assert any("cut off" in p.message for p in log.problems)
    assert not [v for v in log.values if v.name == "Accuracy"]


def test_nan_and_inf_cells(tmp_path):
    log = read(tmp_path, "📊 Validation Results — Step 200/1000\n"
                         "| F1 Score | nan |\n| Ambient FA/Hour | inf |\n")
    values = {v.name: v.value for v in log.values}
    assert values["F1 Score"] != values["F1 Score"]
    assert values["Ambient FA/Hour"] == float("inf")


def _varied_log() -> bytes:
    """Tables the bulk pattern takes, next to everything it must leave to the line parser."""
    spec = SampleRun(steps=3000, eval_every=10, checkpoint_every=1000)
    text = render_log(spec, 3000, _test_report(spec)).encode()
    head, _, rest = text.partition(b"      \xf0\x9f\x93\x8a Validation Results")
    tables = (b"      \xf0\x9f\x93\x8a Validation Results" + rest).split(b"\n      \xf0\x9f\x93\x8a")
    odd = {
        3: lambda t: t.replace(b"| Recall @ No FAPH | 0.", b"| Recall @ No FAPH | -0."),
        5: lambda t: t.replace(b"| Val Negatives    |   2520 |", b"| Val Negatives    |    nan |"),
        7: lambda t: t.replace(b"| Val Negatives    |   2520 |", b"| Val Negatives    |  2,520 |"),
        11: lambda t: t.replace(b"| F1 Score ", b"|\tF1 Score"),
        13: lambda t: t.replace(b" Step ", b" Step\n", 1),
        17: lambda t: t + b"\n| Extra row | 1 |",
        19: lambda t: t.replace(b"| Precision        |", b"| Precision        | 1 |"),
        23: lambda t: t.replace(b"| AUC-PR           | 0.", b"| AUC-PR           | \xff."),
        29: lambda t: t.replace(b"| Ambient FA/Hour  |   ", b"| Ambient FA/Hour  |  1"),
        31: lambda t: t.replace(b"| Val Positives    |    540 |\n", b""),
        37: lambda t: t + (b"\n              Confusion Matrix (threshold=0.97)\n+---+\n"
                           b"|                 | Predicted Positive | Predicted Negative |\n"
                           b"| Actual Positive |                  1 |                 89 |\n"
                           b"| Actual Negative |                  2 |                911 |\n+---+"),
        41: lambda t: t.replace(b"\xe2\x80\x94", b"--"),
    }
    for index, change in odd.items():
        for at in range(index, len(tables), 43):
            tables[at] = change(tables[at])
    return head + b"\n      \xf0\x9f\x93\x8a".join(tables)


@pytest.mark.parametrize("source", ["benchmark", "sample", "varied"])
def test_bulk_column_path_equals_the_per_table_path(tmp_path, monkeypatch, source):
    import importlib.util

    from pytest_mww.readers import log_tables, terminal_log

    from conftest import REPO, log_facts

    path = tmp_path / "terminal_20261204_195001.log"
    if source == "benchmark":
        spec = importlib.util.spec_from_file_location("make_run",
                                                      REPO / "bench" / "make_run.py")
        make_run = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(make_run)
        make_run.write_log(path, 3000, 1)
    elif source == "sample":  # BEST MODEL lines, a test section
        spec = SampleRun(steps=3000, eval_every=10, checkpoint_every=1000)
        path.write_text(render_log(spec, 3000, _test_report(spec)), encoding="utf-8")
    else:
        path.write_bytes(_varied_log())
    monkeypatch.setattr(terminal_log, "CHUNK_BYTES", 64 * 1024)  # many pieces
    bulk_tables = []
    split = log_tables.split_tables
    monkeypatch.setattr(log_tables, "split_tables",
                        lambda *a: bulk_tables.append(len(t := split(*a))) or t)
    facts = {}
    for bulk in (True, False):
        monkeypatch.setattr(terminal_log, "FAST_COLUMNS", bulk)
        facts[bulk] = log_facts(read_terminal_log(path, "log"))
    assert facts[True] == facts[False]
    evaluations = 3000 if source == "benchmark" else 300
    assert sum(len(v[0]) for v in facts[True][0].values()) >= evaluations * 6
    assert sum(bulk_tables) >= 0.8 * evaluations  # the bulk path did most of the work
    if source == "varied":  # the bad byte is placed exactly, though the bulk path found it
        data = path.read_bytes()
        bad = data.find(b"\xff")
        assert sum(1 for p in facts[True][11] if "not valid UTF-8" in p) == 1
        line = data.count(b"\n", 0, bad) + 1
        assert f"log:line {line}: is not valid UTF-8 (first bad " \
               f"byte at offset {bad})" in "".join(facts[True][11])


@pytest.mark.parametrize("text", [
    b"", b"\n", b"a", b"a\nb", b"a\nb\n", b"a\n\n", b"\n\nx\n",
    b"".join(b"line %d\n      Validation Results - Step %d/9\n| a | 1 |\n" % (i, i)
             for i in range(40)),
])
def test_pieces_hold_every_line_once_with_its_offset(monkeypatch, text):
    import io

    from pytest_mww.readers import terminal_log

    monkeypatch.setattr(terminal_log, "CHUNK_BYTES", 7)
    pieces = list(terminal_log._chunks(io.BytesIO(text)))
    lines = [line for piece, _ in pieces for line in piece[1:].split(b"\n")]
    expected = text.split(b"\n")
    if text.endswith(b"\n"):
        expected.pop()
    assert lines == (expected if text else [])
    for piece, offset in pieces:
        assert piece.startswith(b"\n") and text.startswith(piece[1:], offset)
        assert b"Validation Results" not in piece.rsplit(b"\n", 1)[-1]  # tables stay whole
