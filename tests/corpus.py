"""A corpus of damaged and hostile run folders, each with its expected outcome.

Built from a healthy sample run (written with the real writers) and then damaged the way
crashed trainings, other trainer versions and hostile pull requests damage them. Every
case names the criteria that must not pass and a substring of what the gate must say.
Run ``python tests/corpus.py DIR`` to write the corpus for a look.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pytest_mww.sample_run import SampleRun, _scalar, write_run  # noqa: E402

CRITERIA = """\
criteria:
  val_fah: {metric: ambient_fa_per_hour, lt: 0.5}
  val_f1: {metric: f1, gt: 0.5}
  test_fah: {metric: ambient_fa_per_hour, split: test, lt: 0.5}
  gap: {check: gap, metric: [loss, auc_roc], lt: 0.1}
  finished: {check: finished}
profiles:
  step: {function: "*(train_step)", max_cumtime: 10}
checkpoints:
  best_finite: true
  best_path: true
"""
ITEMS = ("val_fah", "val_f1", "test_fah", "gap", "finished", "profile::step",
         "checkpoint::best_finite", "checkpoint::best_path")
TB_ITEMS = {"val_fah", "val_f1", "gap"}


@dataclass
class Case:
    name: str
    damage: Callable[[Path], None]
    fail: set[str] = field(default_factory=set)  # items that must fail; the rest pass
    message: str = ""  # must appear in the session's output for this case
    only_item: str | None = None  # the case yields this single item instead of ITEMS


def sample(folder: Path, **options) -> Path:
    return write_run(folder, SampleRun(steps=400, eval_every=100, checkpoint_every=200,
                                       **options))


def events(run: Path) -> Path:
    return next(run.glob("logs/run_*/*tfevents*"))


def log(run: Path) -> Path:
    return next(run.glob("logs/terminal_*.log"))


def edit_log(run: Path, edit: Callable[[str], str]) -> None:
    path = log(run)
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")


def flip_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def rewrite_events(run: Path, values: dict[str, float], steps=None) -> None:
    """Replace the event file by one written with the real writer, with chosen values."""
    folder = events(run).parent
    events(run).unlink()
    writer = EventFileWriter(str(folder))
    for step in steps or (100, 200, 300, 400):
        for tag, value in values.items():
            writer.add_event(event_pb2.Event(step=step, wall_time=1.0, summary=summary_pb2.
                                             Summary(value=[_scalar(tag, value, False)])))
    writer.close()


GOOD_TB = {"val/ambient_false_positives_per_hour": 0.2, "val/f1_score": 0.9,
           "train/loss": 0.1, "train/auc": 0.97, "val/auc_roc": 0.95}


def final_value(tag: str, value: float):
    def damage(run: Path) -> None:
        folder = events(run).parent
        events(run).unlink()
        writer = EventFileWriter(str(folder))
        for step in (100, 200, 300, 400):
            for name, good in GOOD_TB.items():
                v = value if (name == tag and step == 400) else good
                writer.add_event(event_pb2.Event(step=step, wall_time=1.0, summary=summary_pb2.
                                                 Summary(value=[_scalar(name, v, False)])))
        writer.close()
    return damage


def resumed(run: Path) -> None:
    folder = events(run).parent
    writer = EventFileWriter(str(folder), filename_suffix=".resumed")
    for step in (300, 400):
        writer.add_event(event_pb2.Event(step=step, wall_time=2.0, summary=summary_pb2.Summary(
            value=[_scalar("val/f1_score", 0.93, False)])))
    writer.close()
    newer = next(p for p in folder.iterdir() if p.name.endswith(".resumed"))
    newer.rename(folder / ("events.out.tfevents.9999999999.host.2.0" ))


def implausible_length(run: Path) -> None:
    from pytest_mww.readers.records import masked_crc32c
    path = events(run)
    data = path.read_bytes()
    header = struct.pack("<Q", 2**40)
    path.write_bytes(data[:100] + header + struct.pack("<I", masked_crc32c(header)) + data[100:])


def ansi(text: str) -> str:
    return "\n".join(f"\x1b[32m{line}\x1b[0m" if line.startswith("ℹ") else line
                     for line in text.split("\n"))


def cr_progress(text: str) -> str:
    bar = "".join(f"\r⠋ Phase 1 ━━━ {i}% • 0:00:0{i % 10}" for i in range(50))
    return text.replace("ℹ️  Throughput", bar + "\nℹ️  Throughput", 1)


def glued(text: str) -> str:
    return text.replace("\n✅ BEST MODEL", "✅ BEST MODEL", 1)


def wrapped_titles(text: str) -> str:
    return text.replace("Validation Results — Step 100/400",
                        "Validation Results — Step\n         100/400          ")


def non_utf8(run: Path) -> None:
    path = log(run)
    data = path.read_bytes()
    path.write_bytes(data.replace(b"Building", b"Bui\xff\xfeding", 1) + b"\xc3\x28 junk\n")


def huge_line(run: Path) -> None:
    path = log(run)
    lines = path.read_bytes().split(b"\n")
    lines.insert(5, b"x" * (10 * 1024 * 1024))
    path.write_bytes(b"\n".join(lines))


def repeated_starts(run: Path) -> None:
    """Long lines made of what starts a progress line, a table title or an absl line, again
    and again: each must cost a bounded search, not one to the end of the line per start."""
    path = log(run)
    lines = path.read_bytes().split(b"\n")
    for phrase in ("Phase 1 • 1/2 • ", "Validation Results — Step ", "INFO:absl:Step #1: ",
                   "Step 1 (nonstreaming): Validation: recall at no faph = 1 with cutoff 1, "):
        lines.insert(5, phrase.encode() * (512 * 1024 // len(phrase.encode())))
    path.write_bytes(b"\n".join(lines))


def no_end(text: str) -> str:
    return text[: text.index("ℹ️  Final weights saved")]


def cut_mid_row(text: str) -> str:
    marker = "| F1 Score"
    last = text.rindex(marker, 0, text.index("🏁 Training Complete"))
    return text[: last + 14]


def best_path_outside(text: str) -> str:
    return text.replace("   → ./checkpoints/best_weights.weights.h5", "   → ../../etc/passwd")


def nan_log_only(run: Path) -> None:
    shutil.rmtree(events(run).parent)

    def last_f1_is_nan(text: str) -> str:
        start = text.rindex("| F1 Score", 0, text.index("🏁 Training Complete"))
        end = text.index("\n", start)
        return text[:start] + "| F1 Score | nan |" + text[end:]
    edit_log(run, last_f1_is_nan)


def garbage(path: Path) -> Callable[[Path], None]:
    return lambda run: (run / path).write_bytes(os.urandom(2048))


def write_text(relative: str, text: str) -> Callable[[Path], None]:
    return lambda run: (run / relative).write_text(text)


def report_key(key: str, value: str) -> Callable[[Path], None]:
    def damage(run: Path) -> None:
        path = run / "logs" / "test_report.json"
        data = json.loads(path.read_text())
        data["advanced_metrics"][key] = "__X__"
        path.write_text(json.dumps(data).replace('"__X__"', value))
    return damage


def profile(data: bytes) -> Callable[[Path], None]:
    def damage(run: Path) -> None:
        for path in run.glob("profiles/*.prof"):
            path.write_bytes(data(path) if callable(data) else data)
    return damage


def checkpoint_nan(run: Path) -> None:
    path = run / "checkpoints" / "best_weights.weights.h5"
    path.unlink()
    weights = np.ones((8, 4), "f4")
    weights[3, 1] = np.nan
    with h5py.File(path, "w") as handle:
        handle.create_dataset("layers/dense/vars/0", data=weights)


def symlink_outside(run: Path) -> None:
    path = run / "checkpoints" / "best_weights.weights.h5"
    path.unlink()
    path.symlink_to("/etc/hostname")


def folder_for_file(run: Path) -> None:
    path = run / "logs" / "test_report.json"
    path.unlink()
    path.mkdir()


def empty(run: Path) -> None:
    shutil.rmtree(run)
    run.mkdir()


def remove(pattern: str) -> Callable[[Path], None]:
    def damage(run: Path) -> None:
        for path in run.glob(pattern):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    return damage


def tty(run: Path) -> None:
    shutil.rmtree(run)
    sample(run, tty_log=True)


import marshal  # noqa: E402

CASES = [
    Case("ev_truncated_tail", lambda r: events(r).write_bytes(events(r).read_bytes()[:-7]),
         message="last record is cut off"),
    Case("ev_crc_middle", lambda r: flip_middle(events(r)), fail=TB_ITEMS,
         message="corrupt record"),
    Case("ev_zero_bytes", lambda r: events(r).write_bytes(b""), fail={"gap"},
         message="event file is empty"),
    Case("ev_garbage", lambda r: events(r).write_bytes(os.urandom(4096)), fail=TB_ITEMS,
         message="not a TensorBoard event file"),
    Case("ev_resumed_overlap", resumed, message="repeats steps 300–400"),
    Case("ev_out_of_order", lambda r: rewrite_events(r, GOOD_TB, steps=(400, 300, 200, 100)),
         message="steps go backwards"),
    Case("ev_nan", final_value("val/ambient_false_positives_per_hour", float("nan")),
         fail={"val_fah"}, message="NaN never passes"),
    Case("ev_inf", final_value("val/ambient_false_positives_per_hour", float("inf")),
         fail={"val_fah"}, message="= inf is not below 0.5"),
    Case("ev_minus_inf", final_value("val/f1_score", float("-inf")), fail={"val_f1"},
         message="= -inf is not above 0.5"),
    Case("ev_implausible_length", implausible_length, fail=TB_ITEMS, message="implausible"),
    Case("log_nan_without_tb", nan_log_only, fail={"val_f1", "gap"},
         message="= nan is not a number"),
    Case("log_ansi", lambda r: edit_log(r, ansi)),
    Case("log_carriage_returns", lambda r: edit_log(r, cr_progress)),
    Case("log_glued_lines", lambda r: edit_log(r, glued)),
    Case("log_wrapped_titles", lambda r: edit_log(r, wrapped_titles)),
    Case("log_non_utf8", non_utf8, message="not valid UTF-8"),
    Case("log_10mb_line", huge_line, message="characters long (limit"),
    Case("log_repeated_line_starts", repeated_starts),
    Case("log_no_end_marker", lambda r: edit_log(r, no_end), fail={"finished"},
         message="was killed"),
    Case("log_cut_mid_row", lambda r: edit_log(r, cut_mid_row), fail={"finished"},
         message="table row is cut off"),
    Case("log_from_terminal", tty, message="captured from a terminal"),
    Case("log_best_path_outside", lambda r: edit_log(r, best_path_outside),
         fail={"checkpoint::best_path"}, message="points outside the run folder; not opened"),
    Case("log_missing", remove("logs/terminal_*.log"), fail={"finished"},
         message="no terminal log"),
    Case("log_only", remove("logs/run_*"), fail={"gap"}, message="not judged"),
    Case("prof_not_marshal", profile(b"definitely not marshal"), fail={"profile::step"},
         message="is not a cProfile/pstats file"),
    Case("prof_wrong_shape", profile(marshal.dumps({"a": 1})), fail={"profile::step"},
         message="entry 0 is not"),
    Case("prof_truncated", profile(lambda p: p.read_bytes()[:-20]), fail={"profile::step"},
         message="file ends inside a value"),
    Case("prof_missing", remove("profiles"), fail={"profile::step"},
         message="no profile file matches"),
    Case("ckpt_truncated", lambda r: (r / "checkpoints/best_weights.weights.h5").write_bytes(
        (r / "checkpoints/best_weights.weights.h5").read_bytes()[:1000]),
        fail={"checkpoint::best_finite"}, message="checkpoint not judged"),
    Case("ckpt_not_hdf5", garbage(Path("checkpoints/best_weights.weights.h5")),
         fail={"checkpoint::best_finite"}, message="is not an HDF5 file"),
    Case("ckpt_nan", checkpoint_nan, fail={"checkpoint::best_finite"},
         message="has index (3, 1) = nan"),
    Case("ckpt_symlink_outside", symlink_outside,
         fail={"checkpoint::best_finite", "checkpoint::best_path"},
         message="is a symbolic link"),
    Case("report_folder_for_file", folder_for_file, message="is a folder where a file"),
    Case("report_invalid_json", write_text("logs/test_report.json", '{"basic_metrics": [1,'),
         message="invalid JSON"),
    Case("report_nan", report_key("fah", "NaN"), fail={"test_fah"},
         message="(test, final) = nan is not a number"),
    Case("metadata_garbage", garbage(Path("checkpoints/run_metadata.json")),
         message="run_metadata.json"),
    Case("sidecar_wrong_types", write_text("checkpoints/best_weights.weights.metadata.json",
                                           '{"probability_cutoff_step": "abc"}')),
    Case("tb_and_log_missing", remove("logs"),
         fail=TB_ITEMS | {"finished", "test_fah", "checkpoint::best_path"},
         message="not found in run"),
    Case("empty_folder", empty, only_item="run", message="no microWakeWord run found"),
    Case("symlink_folder", lambda r: (r / "elsewhere").symlink_to("/etc"),
         message="is a symbolic link (to /etc); not followed"),
]
assert len({c.name for c in CASES}) == len(CASES)

YAML_CASES = [
    ("yaml_malformed", "criteria: [\n", "is not valid YAML"),
    ("yaml_unknown_key", "criteria:\n  f1: {metric: f1, mni: 0.5}\n", "unknown key"),
    ("yaml_duplicate_key", "criteria:\n  f1: {metric: f1, min: 0.5}\n  f1: {metric: f1}\n",
     "duplicate key 'f1'"),
    ("yaml_wrong_type", "criteria:\n  f1: {metric: f1, min: [0.5]}\n", "must be a number"),
    ("yaml_alias_bomb", "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(10)) + "criteria:\n  f1: {metric: f1, min: 1}\n",
     "unknown top-level key 'a'"),
    ("yaml_huge", "criteria:\n" + "  # padding\n" * 200_000, "is larger than"),
]


def build(folder: Path) -> dict[str, Path]:
    """Write every case's run folder under ``folder``; returns case name → run folder."""
    healthy = sample(folder / "_healthy")
    runs = {}
    for case in CASES:
        run = folder / case.name
        shutil.copytree(healthy, run, symlinks=True)
        case.damage(run)
        runs[case.name] = run
    shutil.rmtree(healthy)
    return runs


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    target.mkdir(parents=True, exist_ok=True)
    print("\n".join(str(p) for p in build(target).values()))
