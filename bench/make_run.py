"""Write a big, realistic microwakeword_trainer v2.0.0 run for benchmarks.

    python bench/make_run.py /tmp/bench/run-30k --steps 30000
    python bench/make_run.py /tmp/bench/run-300k --steps 300000
    python bench/make_run.py /tmp/bench/run-3k --steps 3000 --legacy

One evaluation per step (the stress case): the ``train/*`` and ``val/*`` tags as TF2 tensor
scalars (``--legacy`` for ``simple_value``), score histograms and the
``checkpoints/summary`` text at checkpoint steps, through tensorboard's own
``EventFileWriter``; a terminal log in the v2.0.0 form as the trainer captures it (no
carriage returns or colour codes; BEST MODEL lines, warnings and a test section; ``--inflate
N`` repeats its validation tables N times per eval for a log stress test); cProfile profiles.
"""

from __future__ import annotations

import argparse
import cProfile
import math
import struct
import sys
import time
from pathlib import Path

from tensorboard.compat.proto import (
    event_pb2,
    summary_pb2,
    tensor_pb2,
    tensor_shape_pb2,
    types_pb2,
)
from tensorboard.summary.writer.event_file_writer import EventFileWriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pytest_mww.sample_run import _text, ascii_table, train_step  # noqa: E402

TRAIN_TAGS = ("train/loss", "train/learning_rate")
VAL_TAGS = ("val/f1_score", "val/recall", "val/precision", "val/ambient_false_positives_per_hour")
AMBIENT_HOURS, VAL_SPLIT = 42.0, 0.1


def values_at(step: int, steps: int) -> dict[str, float]:
    t = step / steps
    wobble = 0.01 * math.sin(step / 37)
    return {"train/loss": 0.05 + 0.35 * (1 - t) + wobble,
            "train/learning_rate": 0.001 * (1 - 0.9 * t),
            "val/f1_score": 0.8 + 0.15 * t + wobble, "val/recall": 0.82 + 0.14 * t,
            "val/precision": 0.85 + 0.12 * t + wobble,
            "val/ambient_false_positives_per_hour": round(20 * (1 - t)) / (AMBIENT_HOURS
                                                                           * VAL_SPLIT)}


def scalar(tag: str, value: float, legacy: bool) -> summary_pb2.Summary.Value:
    if legacy:
        return summary_pb2.Summary.Value(tag=tag, simple_value=value)
    return summary_pb2.Summary.Value(
        tag=tag, tensor=tensor_pb2.TensorProto(
            dtype=types_pb2.DT_FLOAT, tensor_shape=tensor_shape_pb2.TensorShapeProto(),
            tensor_content=struct.pack("<f", value)),
        metadata=summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")))


def histogram(tag: str, step: int) -> summary_pb2.Summary.Value:
    dims = [tensor_shape_pb2.TensorShapeProto.Dim(size=30),
            tensor_shape_pb2.TensorShapeProto.Dim(size=3)]
    cells = []
    for i in range(30):
        cells += [i / 30, (i + 1) / 30, float((i * step) % 7)]
    return summary_pb2.Summary.Value(
        tag=tag, tensor=tensor_pb2.TensorProto(
            dtype=types_pb2.DT_DOUBLE, tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=dims),
            tensor_content=struct.pack("<90d", *cells)),
        metadata=summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="histograms")))


def write_events(folder: Path, steps: int, legacy: bool, checkpoint_every: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    writer = EventFileWriter(str(folder), max_queue_size=1000, flush_secs=3600)
    for step in range(1, steps + 1):
        wall = 1796413802.0 + step / 10
        for tag, value in values_at(step, steps).items():
            # the trainer makes one tf.summary call per value: one event each
            writer.add_event(event_pb2.Event(step=step, wall_time=wall, summary=summary_pb2.
                                             Summary(value=[scalar(tag, value, legacy)])))
        if step % checkpoint_every == 0:
            writer.add_event(event_pb2.Event(step=step, wall_time=wall, summary=summary_pb2.
                                             Summary(value=[histogram("scores/positive", step)])))
            writer.add_event(event_pb2.Event(step=step, wall_time=wall, summary=summary_pb2.
                                             Summary(value=[_text("checkpoints/summary", (
                                                 f"Checkpoint at step {step}\nReason: "
                                                 "[Warm-up] PR-AUC improved: 0.9 > 0.8"))])))
    writer.close()


def table_rows(step: int, steps: int) -> list[tuple[str, str]]:
    """The rows of one validation table, in the trainer's order and formats (run-format.md
    §2); the gain row is absent at the first evaluation."""
    v = values_at(step, steps)
    t = step / steps
    rows = [("Accuracy", f"{0.9 + 0.05 * t:.4f}"), ("Precision", f"{v['val/precision']:.4f}"),
            ("Recall", f"{v['val/recall']:.4f}"), ("F1 Score", f"{v['val/f1_score']:.4f}"),
            ("AUC-ROC", f"{0.95 + 0.04 * t:.4f}"), ("AUC-PR", f"{0.9 + 0.08 * t:.4f}"),
            ("Ambient FA/Hour", f"{v['val/ambient_false_positives_per_hour']:.2f}"),
            ("Recall @ No FAPH", f"{0.5 + 0.3 * t:.4f}"),
            ("Quality Slope", f"{0.01 * math.cos(step / 53):.6f}"),
            ("F1 Gain / 1k steps", f"{0.02 * math.sin(step / 91):.4f}"),
            ("Val Positives", "540"), ("Val Negatives", "2520")]
    return [row for row in rows if step > 1 or "Gain" not in row[0]]


def write_log(path: Path, steps: int, inflate: int) -> None:
    """A v2.0.0 console as the trainer captures it: tables every eval, throughput lines, a
    BEST MODEL line with its reason wrapped at 80 columns, a RichHandler warning with its
    continuation line, and the test section (its table's title wraps)."""
    with open(path, "w", encoding="utf-8") as out:
        out.write("Training Log Started: 2026-12-04T19:50:01.146163\n" + "=" * 80 + "\n\n")
        out.write("[TerminalLogger] Capturing output to: logs/terminal_20261204_195001.log"
                  f"ℹ️  FAH calculation enabled with {AMBIENT_HOURS:.2f} hours of ambient audio\n")
        out.write(f"ℹ️  Validation FAH uses scaled duration: {AMBIENT_HOURS * VAL_SPLIT:.2f}h "
                  f"(full={AMBIENT_HOURS:.2f}h × val_split={VAL_SPLIT})\n")
        out.write(f"│   Phase 1                   {steps:,} steps @ LR 0.001000      │\n")
        out.write(f"│   Total Steps               {steps:,}                            │\n")
        for step in range(1, steps + 1):
            table = "\n".join(ascii_table(table_rows(step, steps))) + "\n"
            title = f"      📊 Validation Results — Step {step}/{steps}       \n"
            out.write((title + table) * inflate)
            if step % 500 == 0:
                f1 = values_at(step, steps)["val/f1_score"]
                out.write(f"✅ BEST MODEL [Operational] Constrained recall improved: {f1:.4f} > "
                          f"{f1 - 0.001:.4f}\n(FAH=0.24 ≤ budget 2.20)\n"
                          "   → ./checkpoints/best_weights.weights.h5\n")
            if step % 50 == 0:
                out.write(f"ℹ️  Throughput: 5.35 steps/s, 171.2 samples/s over last 50 steps"
                          f" | ETA: 0:00:{step % 60:02d}\n")
            if step % 5000 == 0:
                out.write("[12/04/26 19:40:16] WARNING  Hard negative pool is smaller than "
                          "the batch     trainer.py:812\n" + " " * 29
                          + "share; sampling with replacement\n")
        out.write("ℹ️  Final weights saved to ./checkpoints/final_weights.weights.h5\n")
        out.write("╭──────────── 🏁 Training Complete ────────────╮\n╰" + "─" * 46 + "╯\n")
        out.write("\nRunning Comprehensive Test Evaluation...\n\n      Basic Metrics      \n")
        out.write("\n".join(ascii_table([("accuracy", "0.9600"), ("f1_score", "0.9500")]))
                  + "\n📊 Validation Results — Step\n" + f"{steps}/{steps}".center(26) + "\n")
        out.write("\n".join(ascii_table(table_rows(steps, steps)[:7])) + "\n")
        out.write("ℹ️  Training completed successfully!\n\n" + "=" * 80 + "\n")
        out.write("Training Log Ended: 2026-12-04T23:50:01.146163\n")


def write_profiles(folder: Path, steps: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for step in (steps // 3, 2 * steps // 3, steps):
        profiler = cProfile.Profile()
        profiler.runcall(train_step)
        profiler.dump_stats(str(folder / f"full_step_{step}_{1796413860783604917 + step}.prof"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--steps", type=int, default=30_000)
    parser.add_argument("--legacy", action="store_true", help="simple_value scalars")
    parser.add_argument("--inflate", type=int, default=1, help="log tables per eval")
    parser.add_argument("--no-log", action="store_true")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    run = args.folder
    (run / "logs").mkdir(parents=True, exist_ok=True)
    write_events(run / "logs" / "run_20261204_195002", args.steps, args.legacy,
                 max(1, args.steps // 10))
    if not args.no_log:
        write_log(run / "logs" / "terminal_20261204_195001.log", args.steps, args.inflate)
    write_profiles(run / "profiles", args.steps)
    print(f"wrote {run} in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
