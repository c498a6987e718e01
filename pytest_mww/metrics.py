"""Canonical metric names, and how every source's raw names map onto them."""

from __future__ import annotations

import re
from dataclasses import dataclass

SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class MetricInfo:
    higher_is_better: bool | None
    decimals: int
    label: str


METRICS: dict[str, MetricInfo] = {
    "ambient_fa_per_hour": MetricInfo(False, 2, "ambient false activations per hour"),
    "f1": MetricInfo(True, 4, "F1 score"),
    "recall": MetricInfo(True, 4, "recall"),
    "precision": MetricInfo(True, 4, "precision"),
    "accuracy": MetricInfo(True, 4, "accuracy"),
    "auc_roc": MetricInfo(True, 4, "ROC AUC"),
    "auc_pr": MetricInfo(True, 4, "PR AUC"),
    "recall_at_no_faph": MetricInfo(True, 4, "recall at no false activations"),
    "average_viable_recall": MetricInfo(True, 4, "average viable recall"),
    "loss": MetricInfo(False, 4, "loss"),
    "learning_rate": MetricInfo(None, 6, "learning rate"),
    "false_positives": MetricInfo(False, 0, "false activations"),
}

# Split-qualified shorthands that users (and the guide) write.
SHORTHANDS: dict[str, tuple[str, str]] = {
    "train_loss": ("train", "loss"),
    "val_loss": ("validation", "loss"),
    "validation_loss": ("validation", "loss"),
    "train_accuracy": ("train", "accuracy"),
    "val_accuracy": ("validation", "accuracy"),
    "learning_rate": ("train", "learning_rate"),
}

# normalised raw name → canonical metric
_ALIASES: dict[str, str] = {
    "f1_score": "f1",
    "f1": "f1",
    "ambient_fa_hour": "ambient_fa_per_hour",
    "ambient_fa_per_hour": "ambient_fa_per_hour",
    "ambient_false_positives_per_hour": "ambient_fa_per_hour",
    "fah": "ambient_fa_per_hour",
    "faph": "ambient_fa_per_hour",
    "estimated_false_positives_per_hour": "ambient_fa_per_hour",
    "auc": "auc_roc",
    "auc_roc": "auc_roc",
    "auc_pr": "auc_pr",
    "recall_no_faph": "recall_at_no_faph",
    "recall_at_no_faph": "recall_at_no_faph",
    "threshold_for_no_faph": "threshold_for_no_faph",
    "avg_viable_recall": "average_viable_recall",
    "average_viable_recall": "average_viable_recall",
    "recall_target_fah": "recall_at_target_fah",
    "fah_target_recall": "fah_at_target_recall",
    "false_positives": "false_positives",
    "val_positives": "positives",
    "val_negatives": "negatives",
    "val_total": "samples",
    "lr": "learning_rate",
    "learning_rate": "learning_rate",
    "acc": "accuracy",
    "cross_entropy": "loss",
}

# Unprefixed TensorBoard tags of the guide and Keras' TensorBoard callback.
_GUIDE_TAGS: dict[str, tuple[str, str]] = {
    "epoch_loss": ("train", "loss"),
    "epoch_accuracy": ("train", "accuracy"),
    "epoch_learning_rate": ("train", "learning_rate"),
    "learning_rate": ("train", "learning_rate"),
    "val_loss": ("validation", "loss"),
    "val_accuracy": ("validation", "accuracy"),
}

_PREFIX_SPLIT = {"train": "train", "val": "validation", "validation": "validation",
                 "test": "test", "eval": "validation"}


def normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def canonical(raw: str) -> str:
    """The canonical name of a metric as printed by any source (unknown names kept)."""
    key = normalise(raw)
    return _ALIASES.get(key, key)


def tag_to_metric(tag: str, directory_split: str | None) -> tuple[str, str] | None:
    """Map a TensorBoard tag to (split, metric); None when it is not a metric of a split.

    ``directory_split`` is the split implied by the event file's folder (Keras and the
    official trainer write ``train/`` and ``validation/`` folders with unprefixed tags).
    """
    if "/" in tag:
        prefix, _, rest = tag.partition("/")
        split = _PREFIX_SPLIT.get(prefix.lower())
        if split is None or "/" in rest:
            return None
        return split, canonical(rest)
    if directory_split is not None:
        name = tag[len("epoch_"):] if tag.startswith("epoch_") else tag
        return directory_split, canonical(name)
    return _GUIDE_TAGS.get(tag)


def directory_split(folder_name: str) -> str | None:
    return {"train": "train", "validation": "validation", "eval": "validation",
            "val": "validation"}.get(folder_name.lower())


def resolve(name: str, default_split: str) -> tuple[str, str]:
    """A criterion's metric name → (split, canonical metric)."""
    if name in SHORTHANDS:
        return SHORTHANDS[name]
    return default_split, canonical(name)


def decimals(metric: str) -> int:
    info = METRICS.get(metric)
    return info.decimals if info else 4


def higher_is_better(metric: str) -> bool | None:
    info = METRICS.get(metric)
    return info.higher_is_better if info else None


def fmt(metric: str, value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    places = decimals(metric)
    if places == 0:
        return f"{value:.0f}"
    if abs(value) and abs(value) < 10 ** -places:
        return f"{value:.3g}"
    return f"{value:.{places}f}"
