"""Criteria applied to a run model: each gives a verdict with an expert's explanation.

A verdict's headline is one complete sentence (it becomes the JUnit message and the CI
annotation); the details say where the value came from, what it rests on, and what
usually fixes it.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field

from . import metrics
from .criteria import Aggregation, Criterion
from .remedies import GAP_REMEDY, TREND_REMEDY, remedy_for
from .run import Point, RunModel, Series


@dataclass
class Verdict:
    outcome: str  # passed | failed | skipped
    headline: str
    details: list[str] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join([self.headline, *self.details])


class _Unjudged(Exception):
    """The criterion cannot be judged; ``skippable`` when on_missing may turn it into a skip."""

    def __init__(self, headline: str, details: list[str], skippable: bool) -> None:
        super().__init__(headline)
        self.headline, self.details, self.skippable = headline, details, skippable


def judge(criterion: Criterion, run: RunModel) -> Verdict:
    try:
        if criterion.check == "gap":
            verdict = _judge_gap(criterion, run)
        elif criterion.check == "trend":
            verdict = _judge_trend(criterion, run)
        else:
            verdict = _judge_threshold(criterion, run)
    except _Unjudged as exc:
        outcome = "skipped" if exc.skippable and criterion.on_missing == "skip" else "failed"
        verdict = Verdict(outcome, exc.headline, exc.details)
    verdict.properties.setdefault("threshold", criterion.threshold_text)
    verdict.details.append(f"criterion: {criterion.file}:{criterion.line} ({criterion.name})")
    if run.notes or run.problems:
        verdict.details.append("about this run:")
        verdict.details.extend(f"  - {w}" for w in run.warnings())
    return verdict


# --- finding series ---------------------------------------------------------------


def _find(criterion: Criterion, run: RunModel, split: str | None = None,
          min_points: int = 1) -> tuple[str, Series]:
    split = split or criterion.split
    _refuse_damaged(criterion, run, split)
    for name in criterion.metrics:
        series = run.lookup(name, split)
        if series is not None and len(series.points) >= min_points:
            return name, series
    raise _missing(criterion, run, split)


def _refuse_damaged(criterion: Criterion, run: RunModel, split: str) -> None:
    damage = run.tensorboard_damage
    if not damage or split == "test":
        return
    raise _Unjudged(
        f"{criterion.name} not judged: TensorBoard data of {run.name} is damaged "
        f"({damage[0]})",
        ["the values of the train and validation splits come from TensorBoard, and a damaged "
         "event file may be missing their latest points; fix or regenerate the event file",
         *[f"  - {p}" for p in damage]],
        skippable=False)


def _missing(criterion: Criterion, run: RunModel, split: str) -> _Unjudged:
    wanted = " or ".join(repr(m) for m in criterion.metrics)
    details = []
    if not run.series and not run.raw:
        details.append("the run holds no metrics at all")
    for have_split, names in run.available().items():
        details.append(f"{have_split}: {', '.join(names)}")
    guesses = []
    for name in criterion.metrics:
        guesses += difflib.get_close_matches(name, run.all_names(), n=2, cutoff=0.6)
    hint = f"; did you mean {' or '.join(repr(g) for g in dict.fromkeys(guesses))}?" \
        if guesses and not any(m in guesses for m in criterion.metrics) else ""
    return _Unjudged(f"metric {wanted} ({split}) not found in run {run.name}{hint}",
                     ["the run contains:", *[f"  {d}" for d in details]], skippable=True)


# --- aggregation ------------------------------------------------------------------


@dataclass
class _Value:
    value: float
    points: list[Point]
    label: str  # "final, step 2600"


def _aggregate(at: Aggregation, points: list[Point], run: RunModel, what: str) -> _Value:
    if not points:
        raise _Unjudged(f"{what} has no points", [], skippable=True)
    if at.kind == "final":
        p = points[-1]
        return _Value(p.value, [p], _step_label("final", p))
    if at.kind in ("min", "max"):
        finite = [p for p in points if not math.isnan(p.value)] or points
        p = (min if at.kind == "min" else max)(finite, key=lambda q: q.value)
        return _Value(p.value, [p], _step_label(at.kind, p))
    if at.kind == "step" or at.kind == "best":
        if at.kind == "best":
            if run.best_step is None:
                raise _Unjudged(
                    f"{what} at the best checkpoint cannot be judged: the run does not say "
                    "which step was saved as best",
                    ["looked for: TensorBoard text checkpoints/summary, 'BEST MODEL' lines in "
                     "the terminal log, checkpoints/best_weights.weights.metadata.json"],
                    skippable=True)
            step, source = run.best_step
        else:
            step, source = at.n, "the criterion"
        for p in points:
            if p.step == step:
                return _Value(p.value, [p], _step_label(str(at.kind), p))
        steps = ", ".join(str(p.step) for p in points[-8:])
        which = "best checkpoint, " if at.kind == "best" else ""
        raise _Unjudged(f"{what} has no value at step {step} ({which}from {source})",
                        [f"steps present (last 8): {steps}"], skippable=True)
    last = points[-at.n:]
    value = sum(p.value for p in last) / len(last)
    short = f" (only {len(last)} points)" if len(last) < at.n else ""
    return _Value(value, last, f"mean of last {len(last)}{short}, steps "
                               f"{last[0].step}–{last[-1].step}")


def _step_label(kind: str, point: Point) -> str:
    return kind if point.step is None else f"{kind}, step {point.step}"


# --- threshold --------------------------------------------------------------------


def _judge_threshold(criterion: Criterion, run: RunModel) -> Verdict:
    name, series = _find(criterion, run)
    split, metric = series.split, series.metric
    at = criterion.at
    if split == "test" and at.kind != "final":
        at = Aggregation("final")  # the test split is one evaluation
    got = _aggregate(at, series.points, run, f"{metric} ({split})")
    subject = f"{metric} ({split}, {got.label})"
    shown = metrics.fmt(metric, got.value)
    verdict = _bounded(criterion, subject, shown, got.value)
    verdict.details += _provenance(series, got)
    verdict.details += _resting_on(run, series, got, criterion, verdict)
    if len(criterion.metrics) > 1:
        verdict.details.append(f"judged {name!r}, the first of {list(criterion.metrics)} "
                               "that the run holds")
    _remedy(verdict, criterion, remedy_for(metric))
    verdict.properties.update(metric=f"{metric} ({split})", observed=repr(got.value),
                              source="; ".join(p.where() for p in got.points[-3:]),
                              step=_steps(got.points), points=str(len(series.points)))
    return verdict


def _bounded(criterion: Criterion, subject: str, shown: str, value: float) -> Verdict:
    if math.isnan(value):
        return Verdict("failed", f"{subject} = nan is not a number; NaN never passes")
    broken = [b for b in criterion.bounds if not b.holds(value)]
    if broken:
        return Verdict("failed", f"{subject} = {shown} {broken[0].violation()}")
    return Verdict("passed", f"{subject} = {shown} satisfies {criterion.threshold_text}")


def _provenance(series: Series, got: _Value) -> list[str]:
    lines = [f"value from {p.where()}" + (f" at step {p.step}" if p.step is not None else "")
             for p in got.points[-3:]]
    if len(got.points) > 3:
        lines.insert(0, f"mean of {len(got.points)} points; the last three:")
    steps = [p.step for p in series.points if p.step is not None]
    span = f", steps {steps[0]}–{steps[-1]}" if steps else ""
    lines.append(f"read {len(series.points)} point(s) of {series.metric} ({series.split})"
                 f"{span} from {', '.join(sorted(series.raw_names))}")
    for p in got.points:
        for other in series.shadowed:
            if other.step == p.step or series.split == "test":
                lines.append(f"also in {other.where()} as {other.value!r}; the "
                             f"{'TensorBoard' if p.origin == 'tb' else 'exact report'} "
                             "value is used")
                break
    return lines


def _resting_on(run: RunModel, series: Series, got: _Value, criterion: Criterion,
                verdict: Verdict) -> list[str]:
    """Say what an FA/h value rests on: whole events over hours of ambient audio."""
    if series.metric != "ambient_fa_per_hour":
        return []
    hours = run.ambient_hours.get(series.split)
    if hours is None:
        return [f"the hours of ambient audio behind this {series.split} FA/h are not "
                "recorded in the run, so its resolution is unknown"]
    per_event = 1.0 / hours.hours if hours.hours > 0 else math.inf
    events = got.value * hours.hours if math.isfinite(got.value) else got.value
    verdict.properties.update(hours=f"{hours.hours:g}", events=f"{events:.1f}",
                              resolution=f"{per_event:g}")
    lines = [f"rests on {hours.hours:g} h of ambient audio ({hours.source}): 1 false "
             f"activation = {per_event:.2f} FA/h, so this value is {events:.1f} events"]
    coarse = [b for b in criterion.bounds if per_event > b.limit > 0]
    if coarse:
        lines.append(f"caution: one false activation ({per_event:.2f} FA/h) is more than the "
                     f"limit {coarse[0].limit:g}, so this split cannot tell a model that meets "
                     "the limit from one that misses it")
    return lines


def _remedy(verdict: Verdict, criterion: Criterion, default: str) -> None:
    text = criterion.remedy or default
    if text and verdict.outcome == "failed":
        verdict.details.append(f"what usually fixes it: {text}")


def _steps(points: list[Point]) -> str:
    steps = [str(p.step) for p in points if p.step is not None]
    return ",".join(steps) if steps else ""


# --- gap --------------------------------------------------------------------------


def _judge_gap(criterion: Criterion, run: RunModel) -> Verdict:
    _refuse_damaged(criterion, run, "validation")
    for name in criterion.metrics:
        metric = metrics.canonical(name)
        train, val = run.get("train", metric), run.get("validation", metric)
        if train is None or val is None:
            continue
        train_at = {p.step: p for p in train.points}
        pairs = [(train_at[p.step], p) for p in val.points if p.step in train_at]
        if pairs:
            return _gap_verdict(criterion, run, name, metric, pairs)
    raise _Unjudged(
        f"train/validation gap of {criterion.name} not judged: the run has no "
        f"{' or '.join(repr(m) for m in criterion.metrics)} on both splits at a common step",
        ["the run contains:", *[f"  {s}: {', '.join(m)}" for s, m in run.available().items()]],
        skippable=True)


def _gap_verdict(criterion: Criterion, run: RunModel, name: str, metric: str,
                 pairs: list[tuple[Point, Point]]) -> Verdict:
    worse_is_higher = metrics.higher_is_better(metric) is False
    gaps = [Point(v.step, (v.value - t.value) if worse_is_higher else (t.value - v.value),
                  "tb", v.file, v.place) for t, v in pairs]
    got = _aggregate(criterion.at, gaps, run, f"gap on {metric}")
    steps = {p.step for p in got.points}
    used = [(t, v) for t, v in pairs if t.step in steps]
    formula = ("validation − train" if worse_is_higher else "train − validation")
    subject = f"train/validation gap on {metric} ({got.label})"
    verdict = _bounded(criterion, subject, f"{got.value:.4f}", got.value)
    t, v = used[-1]
    verdict.details += [
        f"gap = {formula} {metric}: train {t.value:.6g} from {t.where()}, validation "
        f"{v.value:.6g} from {v.where()} at step {v.step}",
        f"{len(pairs)} step(s) where both splits have {metric}"]
    if len(criterion.metrics) > 1:
        verdict.details.append(f"judged on {name!r}, the first of {list(criterion.metrics)} "
                               "that both splits hold")
    _remedy(verdict, criterion, GAP_REMEDY)
    verdict.properties.update(metric=f"gap {metric} ({formula})", observed=repr(got.value),
                              source=f"{t.where()}; {v.where()}", step=_steps(got.points),
                              points=str(len(pairs)))
    return verdict


# --- trend ------------------------------------------------------------------------


def _judge_trend(criterion: Criterion, run: RunModel) -> Verdict:
    name, series = _find(criterion, run, min_points=2)
    points = [p for p in series.points if p.step is not None][-criterion.window:]
    if len(points) < 2:
        raise _Unjudged(f"{series.metric} ({series.split}) has fewer than 2 evaluations with a "
                        "step; no trend can be judged", [], skippable=True)
    metric = series.metric
    slope = _slope([(p.step, p.value) for p in points])
    change = slope * (points[-1].step - points[0].step)
    worse_is_higher = metrics.higher_is_better(metric) is False
    worsening = change if worse_is_higher else -change
    spread = max(p.value for p in points) - min(p.value for p in points)
    subject = (f"{metric} ({series.split}) over the last {len(points)} evaluations "
               f"(steps {points[0].step}–{points[-1].step})")
    values = [p.value for p in points]
    if any(math.isnan(x) for x in values):
        verdict = Verdict("failed", f"{subject} holds NaN; NaN never passes")
    elif criterion.max_worsening is not None and worsening > criterion.max_worsening:
        verdict = Verdict("failed", f"{subject} worsened by {worsening:.4f} > max_worsening "
                                    f"{criterion.max_worsening:g}")
    elif criterion.max_spread is not None and spread > criterion.max_spread:
        verdict = Verdict("failed", f"{subject} spread {spread:.4f} > max_spread "
                                    f"{criterion.max_spread:g} (the curve oscillates)")
    else:
        verdict = Verdict("passed", f"{subject} is stable: worsening {worsening:.4f}, spread "
                                    f"{spread:.4f}")
    verdict.details += [
        "values: " + ", ".join(f"{p.step}: {metrics.fmt(metric, p.value)}" for p in points),
        f"worsening = least-squares slope × steps, in the direction that is worse for "
        f"{metric} ({'rising' if worse_is_higher else 'falling'})",
        f"from {', '.join(sorted(series.raw_names))} in {points[-1].file}"]
    if len(points) < criterion.window:
        verdict.details.append(f"only {len(points)} evaluations exist; window is "
                               f"{criterion.window}")
    if len(criterion.metrics) > 1:
        verdict.details.append(f"judged {name!r}, the first of {list(criterion.metrics)} "
                               "that the run holds")
    _remedy(verdict, criterion, TREND_REMEDY)
    verdict.properties.update(metric=f"{metric} ({series.split}) trend",
                              observed=repr(worsening), source=points[-1].where(),
                              step=_steps(points), points=str(len(points)),
                              spread=repr(spread), display=f"{worsening:+.4f}")
    return verdict


def _slope(xy: list[tuple[float, float]]) -> float:
    n = len(xy)
    mean_x = sum(x for x, _ in xy) / n
    mean_y = sum(y for _, y in xy) / n
    var = sum((x - mean_x) ** 2 for x, _ in xy)
    if var == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in xy) / var
