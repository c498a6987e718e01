"""Write a big, realistic microwakeword_trainer v2.0.0 run for benchmarks.

    python bench/make_run.py /tmp/bench/run-30k --steps 30000
    python bench/make_run.py /tmp/bench/run-300k --steps 300000
    python bench/make_run.py /tmp/bench/run-3k --steps 3000 --legacy

One evaluation per step (the stress case): the ``train/*`` and ``val/*`` tags as TF2 tensor
scalars (``--legacy`` for ``simple_value``), score histograms and the
``checkpoints/summary`` text at checkpoint steps, through tensorboard's own
``EventFileWriter``; a terminal log in the v2.0.0 form as the trainer captures it (no
carriage returns or colour codes; ``--inflate N`` repeats its validation tables N times per
eval for a log stress test); cProfile profiles.
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


def write_log(path: Path, steps: int, inflate: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write("Training Log Started: 2026-12-04T19:50:01.146163\n" + "=" * 80 + "\n\n")
        out.write("[TerminalLogger] Capturing output to: logs/terminal_20261204_195001.log"
                  f"ℹ️  FAH calculation enabled with {AMBIENT_HOURS:.2f} hours of ambient audio\n")
        out.write(f"ℹ️  Validation FAH uses scaled duration: {AMBIENT_HOURS * VAL_SPLIT:.2f}h "
                  f"(full={AMBIENT_HOURS:.2f}h × val_split={VAL_SPLIT})\n")
        out.write(f"│   Phase 1                   {steps:,} steps @ LR 0.001000      │\n")
        out.write(f"│   Total Steps               {steps:,}                            │\n")
        for step in range(1, steps + 1):
            v = values_at(step, steps)
            rows = [("Accuracy", f"{0.9 + 0.05 * step / steps:.4f}"),
                    ("Precision", f"{v['val/precision']:.4f}"),
                    ("Recall", f"{v['val/recall']:.4f}"),
                    ("F1 Score", f"{v['val/f1_score']:.4f}"),
                    ("Ambient FA/Hour", f"{v['val/ambient_false_positives_per_hour']:.2f}"),
                    ("Val Positives", "540")]
            table = "\n".join(ascii_table(rows)) + "\n"
            title = f"      📊 Validation Results — Step {step}/{steps}       \n"
            out.write((title + table) * inflate)
            if step % 50 == 0:
                out.write(f"ℹ️  Throughput: 5.35 steps/s, 171.2 samples/s over last 50 steps"
                          f" | ETA: 0:00:{step % 60:02d}\n")
            if len(title) > 200:  # wrap like rich does at 80 columns (never true here)
                out.write("\n")
        out.write("ℹ️  Final weights saved to ./checkpoints/final_weights.weights.h5\n")
        out.write("╭──────────── 🏁 Training Complete ────────────╮\n╰" + "─" * 46 + "╯\n")
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
