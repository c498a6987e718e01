"""What a rate rests on: whole events over hours, or successes out of trials.

FA/h is a count of whole false activations divided by hours of ambient audio; recall and
precision are counts of samples. A value is only as fine as one event (one sample), and an
exact one-sided bound says how far the true rate may be from what was seen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .run import RunModel
from .stats import clopper_pearson_lower, clopper_pearson_upper, poisson_lower, poisson_upper

WHOLE_TOLERANCE = 0.02  # events: printed values are rounded, floats are float32


@dataclass
class FahBasis:
    hours: float
    source: str
    exact_events: float  # value × hours, before rounding
    events: int

    @property
    def resolution(self) -> float:
        return 1.0 / self.hours if self.hours > 0 else math.inf

    @property
    def whole(self) -> bool:
        slack = max(WHOLE_TOLERANCE, 0.005 * self.hours)  # two-decimal values in the log
        return abs(self.exact_events - self.events) <= slack

    def bound(self, upper: bool, confidence: float) -> float:
        count = poisson_upper if upper else poisson_lower
        return count(self.events, confidence) / self.hours


def fah_basis(run: RunModel, split: str, value: float) -> FahBasis | None:
    hours = run.ambient_hours.get(split)
    if hours is None or hours.hours <= 0 or not math.isfinite(value):
        return None
    exact = value * hours.hours
    return FahBasis(hours.hours, hours.source, exact, max(0, round(exact)))


@dataclass
class Counts:
    successes: int
    trials: int
    source: str

    def bound(self, upper: bool, confidence: float) -> float:
        pick = clopper_pearson_upper if upper else clopper_pearson_lower
        return pick(self.successes, self.trials, confidence)


def binomial_counts(run: RunModel, split: str, metric: str, value: float,
                    step: int | None) -> Counts | None:
    """Successes and trials behind a recall or precision, where the run records them."""
    if metric not in ("recall", "precision") or not math.isfinite(value):
        return None
    if split == "test":
        report = run.test_report.data if run.test_report else None
        matrix = report.get("confusion_matrix") if isinstance(report, dict) else None
        if isinstance(matrix, dict) and all(isinstance(matrix.get(k), int) for k in
                                            ("tp", "fp", "fn")):
            tp, fp, fn = matrix["tp"], matrix["fp"], matrix["fn"]
            trials = tp + fn if metric == "recall" else tp + fp
            if trials and abs(tp / trials - value) < 0.005:
                return Counts(tp, trials, f"{run.test_report.path} (confusion_matrix: tp "
                                          f"{tp}, fp {fp}, fn {fn})")
        return None
    positives = run.get(split, "positives")
    index = positives.index_of_step(step) if positives is not None and step is not None \
        else None
    if index is None:
        return None
    total = positives.values[index]
    recall = run_value(run, split, "recall", step, value if metric == "recall" else None)
    if not math.isfinite(recall) or not math.isfinite(total) or total <= 0:
        return None
    hits = round(recall * total)
    where = f"{positives.source_of(index).file} (Val Positives {total:.0f} at step {step})"
    if metric == "recall":
        return Counts(hits, int(total), where)
    if value <= 0:
        return None
    predicted = round(hits / value)
    return Counts(hits, predicted, where + f"; predicted positives = {hits} / precision")


def run_value(run: RunModel, split: str, metric: str, step: int | None,
              known: float | None) -> float:
    if known is not None:
        return known
    series = run.get(split, metric)
    index = series.index_of_step(step) if series is not None and step is not None else None
    return series.values[index] if index is not None else math.nan
