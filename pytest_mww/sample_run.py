"""Write realistic microwakeword_trainer v2.0.0 run folders with the real writers.

Used for the sample runs in ``examples/`` and by the test suite. Event files come from
tensorboard's own ``EventFileWriter`` (TF2 tensor scalars as the trainer writes them, or
legacy ``simple_value``), checkpoints from h5py, profiles from cProfile; the terminal log
follows run-format.md §2 (ASCII tables, wrapped titles, glued lines, panels).
"""

from __future__ import annotations

import cProfile
import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path

from tensorboard.compat.proto import (
    event_pb2,
    summary_pb2,
    tensor_pb2,
    tensor_shape_pb2,
    types_pb2,
)
from tensorboard.summary.writer.event_file_writer import EventFileWriter

WALL_TIME_BASE = 1796413802.0


@dataclass
class SampleRun:
    """What to write. ``kind`` picks the curves: "good" passes the example criteria,
    "overfit" fails FA/h, the overfitting gap and validation stability."""

    kind: str = "good"
    steps: int = 2000
    eval_every: int = 200
    checkpoint_every: int = 1000
    timestamp: str = "20261204_195001"
    ambient_hours: float = 42.0
    val_split: float = 0.1
    test_split: float = 0.1
    tty_log: bool = False  # a log captured from a terminal: no validation tables
    legacy_scalars: bool = False  # simple_value instead of TF2 tensors
    guide_form: bool = False  # the guide's tags (epoch_loss, val_loss, …) and log forms
    profiles: bool = True
    checkpoints: bool = True

    @property
    def val_hours(self) -> float:
        return self.ambient_hours * self.val_split

    @property
    def test_hours(self) -> float:
        return self.ambient_hours / self.test_split

    @property
    def eval_steps(self) -> list[int]:
        return list(range(self.eval_every, self.steps + 1, self.eval_every))


def curves(spec: SampleRun, step: int) -> dict[str, float]:
    """Metric values at an evaluation step, smooth and deterministic."""
    t = step / spec.steps
    if spec.kind == "good":
        events = max(1, round(20 * (1 - t)))
        values = {"f1": 0.80 + 0.15 * t, "recall": 0.82 + 0.14 * t,
                  "precision": 0.85 + 0.12 * t, "accuracy": 0.90 + 0.08 * t,
                  "auc_roc": 0.95 + 0.045 * t, "auc_pr": 0.85 + 0.10 * t,
                  "train_loss": 0.05 + 0.35 * (1 - t), "val_loss": 0.09 + 0.35 * (1 - t),
                  "train_auc": 0.955 + 0.043 * t}
    else:
        events = 10 + round(8 * t)
        values = {"f1": 0.85 - 0.05 * t, "recall": 0.86 - 0.04 * t,
                  "precision": 0.84 - 0.06 * t, "accuracy": 0.93 - 0.02 * t,
                  "auc_roc": 0.90 - 0.06 * t, "auc_pr": 0.80 - 0.15 * t * t,
                  "train_loss": 0.30 * (1 - t) + 0.005, "val_loss": 0.20 + 0.30 * t,
                  "train_auc": 0.97 + 0.03 * t}
    values["fa_events"] = events
    values["fah"] = events / spec.val_hours
    values["lr"] = 0.001 * (1 - 0.9 * t)
    return values


def write_run(folder: Path, spec: SampleRun | None = None) -> Path:
    spec = spec or SampleRun()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "logs").mkdir(exist_ok=True)
    best_step = _best_step(spec)
    _write_events(folder / "logs" / f"run_{_next_second(spec.timestamp)}", spec, best_step)
    report = _test_report(spec)
    (folder / "logs" / "test_report.json").write_text(json.dumps(report, indent=2))
    log = folder / "logs" / f"terminal_{spec.timestamp}.log"
    log.write_text(render_log(spec, best_step, report), encoding="utf-8")
    if spec.checkpoints:
        _write_checkpoints(folder / "checkpoints", spec, best_step)
    if spec.profiles:
        _write_profiles(folder / "profiles", spec)
    return folder


def _next_second(stamp: str) -> str:
    date, time = stamp.split("_")
    return f"{date}_{int(time) + 1:06d}"


def _best_step(spec: SampleRun) -> int:
    checkpoint_evals = [s for s in spec.eval_steps if s % spec.checkpoint_every == 0]
    if not checkpoint_evals:
        return spec.eval_steps[-1]
    return max(checkpoint_evals, key=lambda s: curves(spec, s)["auc_pr"])


# --- TensorBoard ------------------------------------------------------------------


def _scalar(tag: str, value: float, legacy: bool) -> summary_pb2.Summary.Value:
    if legacy:
        return summary_pb2.Summary.Value(tag=tag, simple_value=value)
    return summary_pb2.Summary.Value(
        tag=tag,
        tensor=tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT,
                                      tensor_shape=tensor_shape_pb2.TensorShapeProto(),
                                      tensor_content=struct.pack("<f", value)),
        metadata=summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars")))


def _text(tag: str, text: str) -> summary_pb2.Summary.Value:
    return summary_pb2.Summary.Value(
        tag=tag,
        tensor=tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING,
                                      tensor_shape=tensor_shape_pb2.TensorShapeProto(),
                                      string_val=[text.encode()]),
        metadata=summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="text")))


def event_tags(spec: SampleRun, step: int) -> dict[str, float]:
    """The scalar tags written at one evaluation step."""
    c = curves(spec, step)
    if spec.guide_form:
        return {"epoch_loss": c["train_loss"], "val_loss": c["val_loss"],
                "epoch_accuracy": c["accuracy"] + 0.01, "val_accuracy": c["accuracy"],
                "learning_rate": c["lr"], "val/f1_score": c["f1"], "val/recall": c["recall"],
                "val/precision": c["precision"],
                "val/ambient_false_positives_per_hour": c["fah"]}
    return {"train/loss": c["train_loss"], "train/auc": c["train_auc"],
            "train/learning_rate": c["lr"], "val/precision": c["precision"],
            "val/recall": c["recall"], "val/f1_score": c["f1"], "val/auc_roc": c["auc_roc"],
            "val/auc_pr": c["auc_pr"], "val/ambient_false_positives_per_hour": c["fah"],
            "val/recall_at_no_faph": c["recall"] * 0.6}


def _write_events(folder: Path, spec: SampleRun, best_step: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    writer = EventFileWriter(str(folder), flush_secs=3600)
    for step in spec.eval_steps:
        values = [_scalar(tag, value, spec.legacy_scalars)
                  for tag, value in event_tags(spec, step).items()]
        if step % spec.checkpoint_every == 0:
            improved = step == best_step
            reason = ("[Warm-up] PR-AUC improved: " if improved else "[Warm-up] No PR-AUC "
                      "improvement: ") + f"{curves(spec, step)['auc_pr']:.4f}"
            values.append(_text("checkpoints/summary", (
                f"Checkpoint at step {step}\nBest FAH: {curves(spec, best_step)['fah']:.4f}\n"
                f"Best weights path: ./checkpoints/best_weights.weights.h5\nReason: {reason}")))
        writer.add_event(event_pb2.Event(step=step, wall_time=WALL_TIME_BASE + step / 10,
                                         summary=summary_pb2.Summary(value=values)))
    writer.close()


# --- test report ------------------------------------------------------------------


def _test_report(spec: SampleRun) -> dict:
    final = curves(spec, spec.steps)
    fp = round(final["fah"] * 0.3 * spec.test_hours)
    recall, precision = final["recall"] - 0.01, final["precision"] - 0.01
    return {
        "basic_metrics": {"accuracy": final["accuracy"], "precision": precision,
                          "recall": recall, "f1_score": 2 * precision * recall /
                          (precision + recall), "specificity": 0.99},
        "advanced_metrics": {"auc_roc": final["auc_roc"], "auc_pr": final["auc_pr"],
                             "eer": 0.05, "eer_threshold": 0.4,
                             "fah": fp / spec.test_hours, "false_positives": fp},
        "operating_points": [{"target_fah": 0.1, "achieved_fah": float("inf"),
                              "threshold": 0.97, "recall": 0.0}],
        "confusion_matrix": {"tp": 540, "fp": fp, "tn": 2500, "fn": 20},
        "per_category": {"available": True, "positive": {"count": 560},
                         "negative": {"count": 2500}},
        "metadata": {"test_samples": 3060,
                     "timestamp": f"{_iso(spec.timestamp)}.500000",
                     "test_split": spec.test_split,
                     "ambient_duration_hours": spec.ambient_hours},
    }


def _iso(stamp: str, add_seconds: int = 30) -> str:
    d, t = stamp.split("_")
    seconds = int(t[:2]) * 3600 + int(t[2:4]) * 60 + int(t[4:]) + add_seconds
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{d[:4]}-{d[4:6]}-{d[6:]}T{h:02d}:{m:02d}:{s:02d}"


# --- terminal log -----------------------------------------------------------------


def ascii_table(rows: list[tuple[str, str]], header=("Metric", "Value")) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(2)]
    line = "+" + "-" * (widths[0] + widths[1] + 5) + "+"
    out = [line, f"| {header[0]:<{widths[0]}} | {header[1]:>{widths[1]}} |",
           f"|{'-' * (widths[0] + 2)}+{'-' * (widths[1] + 2)}|"]
    out += [f"| {k:<{widths[0]}} | {v:>{widths[1]}} |" for k, v in rows]
    return out + [line]


def box_table(rows: list[tuple[str, str]]) -> list[str]:
    """The guide's form: ┌─┬─┐ box-drawing tables without a header row."""
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    top = f"┌{'─' * (widths[0] + 2)}┬{'─' * (widths[1] + 2)}┐"
    bottom = f"└{'─' * (widths[0] + 2)}┴{'─' * (widths[1] + 2)}┘"
    return [top, *[f"│ {k:<{widths[0]}} │ {v:<{widths[1]}} │" for k, v in rows], bottom]


def _validation_rows(spec: SampleRun, step: int) -> list[tuple[str, str]]:
    c = curves(spec, step)
    return [("Accuracy", f"{c['accuracy']:.4f}"), ("Precision", f"{c['precision']:.4f}"),
            ("Recall", f"{c['recall']:.4f}"), ("F1 Score", f"{c['f1']:.4f}"),
            ("AUC-ROC", f"{c['auc_roc']:.4f}"), ("AUC-PR", f"{c['auc_pr']:.4f}"),
            ("Ambient FA/Hour", f"{c['fah']:.2f}"),
            ("Recall @ No FAPH", f"{c['recall'] * 0.6:.4f}"),
            ("Val Positives", "540"), ("Val Negatives", "2520")]


def render_log(spec: SampleRun, best_step: int, report: dict) -> str:
    lines = [f"Training Log Started: {_iso(spec.timestamp, 0)}.146163", "=" * 80, "",
             f"[TerminalLogger] Capturing output to: logs/terminal_{spec.timestamp}.log"
             "ℹ️  Reproducibility: random_seed=42 applied",
             f"ℹ️  FAH calculation enabled with {spec.ambient_hours:.2f} hours of ambient audio",
             f"ℹ️  Validation FAH uses scaled duration: {spec.val_hours:.2f}h "
             f"(full={spec.ambient_hours:.2f}h × val_split={spec.val_split})",
             "ℹ️  Run metadata written to ./checkpoints/run_metadata.json",
             "╭" + "─" * 30 + " 🎯 Wake Word Training " + "─" * 30 + "╮",
             f"│   Phase 1                   {spec.steps:,} steps @ LR 0.001000" + " " * 20 + "│",
             f"│   Total Steps               {spec.steps:,}" + " " * 40 + "│",
             "╰" + "─" * 83 + "╯"]
    if spec.tty_log:
        lines.append("⠋ Phase 1 ━━━━━━━━━━━━━━━━━━━━   0% • 0:00:00 • --:--:-- •  ")
    for step in [] if spec.tty_log else spec.eval_steps:
        c = curves(spec, step)
        if spec.guide_form:
            lines.append(f"Phase 1 • {step}/{spec.steps} • {100 * step / spec.steps:.1f}% • "
                         f"0:02:14 • 2:10:45 • loss={c['train_loss']:.4f} "
                         f"acc={c['accuracy'] + 0.01:.4f} lr={c['lr']:.6f}")
            lines.append(f"📊 Validation Results — Step {step}/{spec.steps}")
            lines += box_table(_validation_rows(spec, step))
        else:
            title = f"📊 Validation Results — Step {step}/{spec.steps}"
            lines += [title.center(48).rstrip()] + ascii_table(_validation_rows(spec, step))
        if step % spec.checkpoint_every == 0 and step == best_step:
            if spec.guide_form:
                lines += [f"✅ BEST MODEL FAH improved: 3.45 → {c['fah']:.2f}",
                          f"   → checkpoints/best_fah_step_{step}.ckpt"]
            else:
                lines += [f"✅ BEST MODEL [Warm-up] PR-AUC improved: {c['auc_pr']:.4f} > -inf "
                          f"(FAH={c['fah']:.2f}, FAH budget not yet met — target=2.00)",
                          "   → ./checkpoints/best_weights.weights.h5"]
        if spec.guide_form and step % spec.checkpoint_every == 0:
            lines.append(f"💾 Checkpoint: step_{step}.ckpt")
        lines.append(f"ℹ️  Throughput: 5.35 steps/s, 171.2 samples/s over last "
                     f"{spec.eval_every} steps | ETA: 0:00:11")
    best = curves(spec, best_step)
    lines += ["ℹ️  Final weights saved to ./checkpoints/final_weights.weights.h5",
              "╭──────────────────── 🏁 Training Complete ────────────────────╮",
              "│ +----------------------------------------------------------+ │",
              "│ |  Total Time    |  0h 3m 22s                              | │",
              f"│ |  Best FA/Hour  |  {best['fah']:.2f}" + " " * 34 + "| │",
              f"│ |  Best Recall   |  {best['recall']:.4f}" + " " * 32 + "| │",
              "│ |  Best Weights  |  ./checkpoints/best_weights.weights.h5  | │",
              "│ +----------------------------------------------------------+ │",
              "╰──────────────────────────────────────────────────────────────╯", "",
              "Running Comprehensive Test Evaluation...", ""]
    basic, advanced = report["basic_metrics"], report["advanced_metrics"]
    lines += ["      Basic Metrics      "] + ascii_table(
        [(k, f"{v:.4f}") for k, v in basic.items()])
    lines += ["      Advanced Metrics      "] + ascii_table(
        [("AUC-ROC", f"{advanced['auc_roc']:.4f}"), ("FAH", f"{advanced['fah']:.4f}"),
         ("False Positives", str(advanced["false_positives"]))])
    lines += ["", "ℹ️  Running held-out test evaluation...", "📊 Validation Results — Step",
              f"         {spec.steps}/{spec.steps}          "]
    lines += ascii_table([("Accuracy", f"{basic['accuracy']:.4f}"),
                          ("F1 Score", f"{basic['f1_score']:.4f}"),
                          ("Ambient FA/Hour", f"{advanced['fah']:.2f}")])
    lines += ["ℹ️  Training completed successfully!", "", "=" * 80,
              f"Training Log Ended: {_iso(spec.timestamp, 60)}.515598"]
    return "\n".join(lines) + "\n"


# --- checkpoints and profiles -----------------------------------------------------


def _write_checkpoints(folder: Path, spec: SampleRun, best_step: int) -> None:
    import h5py
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(42)
    names = ["best_weights.weights.h5", "final_weights.weights.h5"] + [
        f"checkpoint_step_{s}.weights.h5" for s in spec.eval_steps
        if s % spec.checkpoint_every == 0]
    for name in names:
        with h5py.File(folder / name, "w") as f:
            f.create_dataset("layers/dense/vars/0", data=rng.normal(size=(64, 1)).astype("f4"))
            f.create_dataset("layers/dense/vars/1", data=np.zeros(1, "f4"))
            f.create_dataset("initial_conv/vars/0", data=rng.normal(size=(5, 8)).astype("f4"))
            # Keras 3 also saves the optimizer: an iteration counter and Adam slots
            f.create_dataset("optimizer/vars/0", data=np.array(spec.steps, "i8"))
            f.create_dataset("optimizer/vars/1", data=np.zeros((64, 1), "f4"))
    (folder / "run_metadata.json").write_text(json.dumps({
        "run_timestamp": _iso(_next_second(spec.timestamp), 0), "git_commit": "unknown",
        "config_hash": "47d8c60ddd4b", "random_seed": 42, "total_steps": spec.steps,
        "batch_size": 128}, indent=2))
    (folder / "best_weights.weights.metadata.json").write_text(json.dumps({
        "probability_cutoff": 0.97, "probability_cutoff_source": "threshold_for_target_fah",
        "probability_cutoff_step": best_step, "export_estimated_fah": float("nan")}, indent=2))


def _load_batch(size: int = 64) -> list[list[float]]:
    """Data loading: decode a JSON batch of audio frames, as a loader would from disk."""
    raw = json.dumps([[math.sin(i * 0.01 + j) for j in range(40)] for i in range(size)])
    return json.loads(raw)


def _features(batch: list[list[float]]) -> list[list[float]]:
    """Feature extraction: log energies of each frame."""
    return [[math.log1p(abs(x) * 10) for x in frame] for frame in batch]


def _forward(features: list[list[float]], weights: list[float]) -> list[float]:
    """A dense layer and a sigmoid, in plain Python."""
    return [1 / (1 + math.exp(-sum(f * w for f, w in zip(frame, weights, strict=True))))
            for frame in features]


def train_step() -> float:
    """One profiled training step: load, featurise, forward."""
    weights = [0.01 * (i % 7) for i in range(40)]
    scores = _forward(_features(_load_batch()), weights)
    return sum(scores) / len(scores)


def _write_profiles(folder: Path, spec: SampleRun) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for step in spec.eval_steps:
        if step % spec.checkpoint_every:
            continue
        profiler = cProfile.Profile()
        profiler.runcall(train_step)
        profiler.dump_stats(str(folder / f"full_step_{step}_{1796413860783604917 + step}.prof"))


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--kind", default="good", choices=("good", "overfit"))
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args(argv)
    write_run(args.folder, SampleRun(kind=args.kind, steps=args.steps))
    print(f"wrote {args.folder}")


if __name__ == "__main__":
    main()


# --- deployable model and official microWakeWord runs ---------------------------------

STREAMING_OPS = ("CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "RESHAPE",
                 "STRIDED_SLICE", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
                 "FULLY_CONNECTED", "LOGISTIC", "QUANTIZE")


def write_tflite(path: Path, operators=STREAMING_OPS, input_type: int = 9,
                 input_shape=(1, 3, 40), padding: int = 0) -> Path:
    """A small TFLite flatbuffer (schema v3) with the given operators, built with the
    flatbuffers library field by field: what the gate reads of a real model (operators,
    input and output tensors, size), without TensorFlow to convert one."""
    import flatbuffers
    import tflite

    b = flatbuffers.Builder(1024)

    def vector(values, prepend, size=4):
        b.StartVector(size, len(values), size)
        for value in reversed(values):
            prepend(value)
        return b.EndVector()

    def offsets(items):
        b.StartVector(4, len(items), 4)
        for item in reversed(items):
            b.PrependUOffsetTRelative(item)
        return b.EndVector()

    codes = []
    for name in operators:
        number = getattr(tflite.BuiltinOperator, name)
        b.StartObject(4)
        b.PrependInt8Slot(0, min(number, 127), 0)
        b.PrependInt32Slot(2, 1, 1)
        b.PrependInt32Slot(3, number, 0)
        codes.append(b.EndObject())
    tensors = []
    for tensor_name, shape, dtype in (("serving_default_inputs:0", input_shape, input_type),
                                      ("Identity:0", (1, 1), 3)):
        name = b.CreateString(tensor_name)
        dims = vector(list(shape), b.PrependInt32)
        b.StartObject(4)
        b.PrependUOffsetTRelativeSlot(0, dims, 0)
        b.PrependInt8Slot(1, dtype, 0)
        b.PrependUint32Slot(2, 0, 0)
        b.PrependUOffsetTRelativeSlot(3, name, 0)
        tensors.append(b.EndObject())
    ops = []
    for index in range(len(operators)):
        ins, outs = vector([0], b.PrependInt32), vector([1], b.PrependInt32)
        b.StartObject(3)
        b.PrependUint32Slot(0, index, 0)
        b.PrependUOffsetTRelativeSlot(1, ins, 0)
        b.PrependUOffsetTRelativeSlot(2, outs, 0)
        ops.append(b.EndObject())
    tensor_vec, op_vec = offsets(tensors), offsets(ops)
    inputs, outputs = vector([0], b.PrependInt32), vector([1], b.PrependInt32)
    graph_name = b.CreateString("main")
    b.StartObject(5)
    b.PrependUOffsetTRelativeSlot(0, tensor_vec, 0)
    b.PrependUOffsetTRelativeSlot(1, inputs, 0)
    b.PrependUOffsetTRelativeSlot(2, outputs, 0)
    b.PrependUOffsetTRelativeSlot(3, op_vec, 0)
    b.PrependUOffsetTRelativeSlot(4, graph_name, 0)
    graph = b.EndObject()
    blob = vector([7] * padding, b.PrependUint8, size=1)  # weights, to set the file size
    b.StartObject(1)
    b.PrependUOffsetTRelativeSlot(0, blob, 0)
    buffer = b.EndObject()
    code_vec, graph_vec, buffer_vec = offsets(codes), offsets([graph]), offsets([buffer])
    description = b.CreateString("pytest-mww sample model")
    b.StartObject(5)
    b.PrependUint32Slot(0, 3, 0)
    b.PrependUOffsetTRelativeSlot(1, code_vec, 0)
    b.PrependUOffsetTRelativeSlot(2, graph_vec, 0)
    b.PrependUOffsetTRelativeSlot(3, description, 0)
    b.PrependUOffsetTRelativeSlot(4, buffer_vec, 0)
    b.Finish(b.EndObject(), file_identifier=b"TFL3")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(b.Output()))
    return path


def write_manifest(path: Path, model: str, cutoff: float = 0.97) -> Path:
    """An ESPHome micro_wake_word manifest, version 2."""
    path.write_text(json.dumps({
        "type": "micro", "wake_word": "Hey Sample", "author": "pytest-mww",
        "website": "https://example.invalid", "model": model, "trained_languages": ["en"],
        "version": 2, "micro": {"probability_cutoff": cutoff, "sliding_window_size": 5,
                                "feature_step_size": 10, "tensor_arena_size": 30000,
                                "minimum_esphome_version": "2024.7.0"}}, indent=2))
    return path


OFFICIAL_CONFIG = """\
window_step_ms: 10
train_dir: trained_models/wakeword
features:
- features_dir: generated_augmented_features
  sampling_weights: 2.0
  penalty_weight: 1.0
  truth: true
  truncation_strategy: truncate_start
  type: mmap
training_steps: !!python/tuple
- {steps}
learning_rates: !!python/tuple
- 0.001
batch_size: 128
time_mask_max_size: !!python/tuple
- 0
eval_step_interval: {every}
target_minimization: 0.9
minimization_metric: ambient_false_positives_per_hour
maximization_metric: average_viable_recall
"""


def official_roc_rows(quantized: bool) -> list[tuple[float, float, float]]:
    """(cutoff, FRR, FA/h): FRR rises and FA/h falls as the cutoff rises."""
    loss = 0.01 if quantized else 0.0
    return [(c / 100, min(1.0, 0.02 + (c / 100) ** 6 * 0.1 + loss),
             max(0.0, 20.0 * (1 - c / 100) ** 2 - 0.05)) for c in range(50, 100)]


def write_official_run(folder: Path, steps: int = 1000, every: int = 250) -> Path:
    """An official microWakeWord ``train_dir``: config dump, logs/train and
    logs/validation event folders, the console captured to train.log, weights, and the
    streaming TFLite model with its ROC file (run-format.md §7)."""
    import h5py
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "training_config.yaml").write_text(OFFICIAL_CONFIG.format(steps=steps,
                                                                        every=every))
    (folder / "model_summary.txt").write_text("Model: mixednet\n")
    console = []
    for split, tags in (("train", ("loss", "accuracy", "recall", "precision", "auc")),
                        ("validation", ("loss", "accuracy", "recall", "precision",
                                        "recall_at_no_faph", "auc", "average_viable_recall"))):
        writer = EventFileWriter(str(folder / "logs" / split), flush_secs=3600)
        for step in list(range(every, steps + 1, every)):
            t = step / steps
            values = {"loss": 0.3 * (1 - t) + 0.03, "accuracy": 0.9 + 0.08 * t,
                      "recall": 0.85 + 0.1 * t, "precision": 0.88 + 0.1 * t,
                      "auc": 0.95 + 0.04 * t, "recall_at_no_faph": 0.5 + 0.2 * t,
                      "average_viable_recall": 0.4 + 0.3 * t}
            writer.add_event(event_pb2.Event(step=step, wall_time=WALL_TIME_BASE + step,
                                             summary=summary_pb2.Summary(value=[
                                                 _scalar(tag, values[tag], False)
                                                 for tag in tags])))
            if split == "validation":
                false_positives = max(1, round(12 * (1 - t)))
                console.append(
                    f"INFO:absl:Step {step} (nonstreaming): Validation: recall at no faph = "
                    f"{100 * values['recall_at_no_faph']:.3f} with cutoff 0.93, accuracy = "
                    f"{100 * values['accuracy']:.2f}%, recall = {100 * values['recall']:.2f}%, "
                    f"precision = {100 * values['precision']:.2f}%, ambient false positives = "
                    f"{false_positives}, estimated false positives per hour = "
                    f"{false_positives / 14.0:.5f}, loss = {values['loss']:.5f}, auc = "
                    f"{values['auc']:.5f}, average viable recall = "
                    f"{values['average_viable_recall']:.9f}")
            else:
                console.append(
                    f"INFO:absl:Step #{step}: rate 0.001000, accuracy "
                    f"{100 * values['accuracy']:.2f}%, recall {100 * values['recall']:.2f}%, "
                    f"precision {100 * values['precision']:.2f}%, cross entropy "
                    f"{values['loss']:.6f}")
        writer.close()
    (folder / "train.log").write_text("\n".join(console) + "\n")
    rng = np.random.default_rng(7)
    for name in ("best_weights.weights.h5", "last_weights.weights.h5"):
        with h5py.File(folder / name, "w") as f:
            f.create_dataset("layers/dense/vars/0", data=rng.normal(size=(32, 1)).astype("f4"))
    for variant, quantized in (("stream_state_internal", False),
                               ("stream_state_internal_quant", True)):
        model_dir = folder / f"tflite_{variant}"
        write_tflite(model_dir / f"{variant}.tflite", padding=2000)
        rows = official_roc_rows(quantized)
        auc = 0.985 if not quantized else 0.981
        (model_dir / "tflite_streaming_roc.txt").write_text(
            f"AUC {auc}\n" + "".join(f"Cutoff {c:.2f}: frr={frr:.4f}; faph={faph:.4f}\n"
                                     for c, frr, faph in rows if faph <= 2.0))
    write_manifest(folder / "tflite_stream_state_internal_quant" / "wakeword.json",
                   "stream_state_internal_quant.tflite")
    return folder
