"""Criteria applied to a run model: each gives a verdict with an expert's explanation.

A verdict's headline is one complete sentence (it becomes the JUnit message and the CI
annotation); the details say where the value came from, what it rests on, and what
usually fixes it.
"""

from __future__ import annotations

import difflib
import math
from array import array
from dataclasses import dataclass, field

import numpy as np

from . import metrics
from .criteria import Aggregation, Criterion
from .remedies import (
    FA_WITH_GOOD_ACCURACY,
    GAP_REMEDY,
    STAGNATION_REMEDY,
    TREND_REMEDY,
    remedy_for,
)
from .resolution import FahBasis, binomial_counts, fah_basis
from .run import RunModel
from .series import Point, Series


@dataclass
class Verdict:
    outcome: str  # passed | failed | skipped | warned
    headline: str
    details: list[str] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    # Loud warnings that do not change the outcome (shown as pytest warnings).
    alerts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join([self.headline, *self.details])


class Unjudged(Exception):
    """The criterion cannot be judged; ``skippable`` when on_missing may turn it into a skip."""

    def __init__(self, headline: str, details: list[str], skippable: bool,
                 always_skip: bool = False) -> None:
        super().__init__(headline)
        self.headline, self.details, self.skippable = headline, details, skippable
        self.always_skip = always_skip  # a check this installation cannot make at all

    def verdict(self, on_missing: str) -> Verdict:
        outcome = "skipped" if self.always_skip or (
            self.skippable and on_missing == "skip") else "failed"
        return Verdict(outcome, self.headline, list(self.details))


def judge(criterion: Criterion, run: RunModel) -> Verdict:
    judges = {"streaming": _judge_streaming,
              "gap": _judge_gap, "trend": _judge_trend, "stagnation": _judge_stagnation,
              "lr_schedule": _judge_lr_schedule, "finished": _judge_finished,
              "duration": _judge_finished, "threshold": _judge_threshold}
    verdict = apply(lambda: judges[criterion.check](criterion, run), criterion.on_missing,
                    criterion.severity)
    verdict.properties.setdefault("threshold", criterion.threshold_text)
    verdict.details.append(f"criterion: {criterion.file}:{criterion.line} ({criterion.name})")
    about_run(verdict, run)
    return verdict


def apply(rule, on_missing: str, severity: str) -> Verdict:
    """Run a rule: what it cannot judge fails (or skips where on_missing says so), and a
    finding of a ``severity: warn`` rule is a warning."""
    try:
        verdict = rule()
    except Unjudged as exc:
        return exc.verdict(on_missing)
    soften(verdict, severity)
    return verdict


def soften(verdict: Verdict, severity: str) -> None:
    """A judged failure of a ``severity: warn`` check is reported, not failed."""
    if verdict.outcome == "failed" and severity == "warn":
        verdict.outcome = "warned"
        verdict.details.insert(0, "(severity: warn — reported, does not fail the build)")


def about_run(verdict: Verdict, run: RunModel) -> None:
    if run.notes or run.problems:
        verdict.details.append("about this run:")
        verdict.details.extend(f"  - {w}" for w in run.warnings())


# --- finding series ---------------------------------------------------------------


def _find(criterion: Criterion, run: RunModel, split: str | None = None,
          min_points: int = 1) -> tuple[str, Series]:
    split = split or criterion.split
    _refuse_damaged(criterion, run, split)
    for name in criterion.metrics:
        series = run.lookup(name, split)
        if series is not None and len(series) >= min_points:
            return name, series
    raise _missing(criterion, run, split)


def _refuse_damaged(criterion: Criterion, run: RunModel, split: str) -> None:
    damage = run.tensorboard_damage
    if not damage or split == "test":
        return
    raise Unjudged(
        f"{criterion.name} not judged: TensorBoard data of {run.name} is damaged "
        f"({damage[0]})",
        ["the values of the train and validation splits come from TensorBoard, and a damaged "
         "event file may be missing their latest points; fix or regenerate the event file",
         *[f"  - {p}" for p in damage]],
        skippable=False)


def _missing(criterion: Criterion, run: RunModel, split: str) -> Unjudged:
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
    return Unjudged(f"metric {wanted} ({split}) not found in run {run.name}{hint}",
                     ["the run contains:", *[f"  {d}" for d in details]], skippable=True)


# --- aggregation ------------------------------------------------------------------


@dataclass
class _Value:
    value: float
    points: list[Point]
    label: str  # "final, step 2600"


def _aggregate(at: Aggregation, series: Series, run: RunModel, what: str) -> _Value:
    """The value a criterion judges; only the points it rests on become objects."""
    if not len(series):
        raise Unjudged(f"{what} has no points", [], skippable=True)
    if at.kind == "final":
        p = series.point(-1)
        return _Value(p.value, [p], _step_label("final", p))
    if at.kind in ("min", "max"):
        p = series.point(series.extreme(largest=at.kind == "max"))
        return _Value(p.value, [p], _step_label(at.kind, p))
    if at.kind == "step" or at.kind == "best":
        if at.kind == "best":
            if run.best_step is None:
                raise Unjudged(
                    f"{what} at the best checkpoint cannot be judged: the run does not say "
                    "which step was saved as best",
                    ["looked for: TensorBoard text checkpoints/summary, 'BEST MODEL' lines in "
                     "the terminal log, checkpoints/best_weights.weights.metadata.json"],
                    skippable=True)
            step, source = run.best_step
        else:
            step, source = at.n, "the criterion"
        index = series.index_of_step(step)
        if index is not None:
            p = series.point(index)
            return _Value(p.value, [p], _step_label(str(at.kind), p))
        steps = ", ".join(str(p.step) for p in series.tail(8))
        which = "best checkpoint, " if at.kind == "best" else ""
        raise Unjudged(f"{what} has no value at step {step} ({which}from {source})",
                       [f"steps present (last 8): {steps}"], skippable=True)
    indices = series.stepped()[-at.n:] or range(len(series))[-at.n:]
    last = [series.point(i) for i in indices]
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
    got = _aggregate(at, series, run, f"{metric} ({split})")
    subject = f"{metric} ({split}, {got.label})"
    shown = metrics.fmt(metric, got.value)
    basis = fah_basis(run, split, got.value) if metric == "ambient_fa_per_hour" else None
    if criterion.confidence is not None:
        verdict = _judge_bound(criterion, run, series, got, subject, shown, basis)
    elif basis is not None and _unresolvable(criterion, basis):
        verdict = _unresolvable_verdict(criterion, subject, shown, got.value, basis)
    else:
        verdict = _bounded(criterion, subject, shown, got.value)
    verdict.details += _provenance(series, got)
    verdict.details += _resting_on(run, series, got, criterion, verdict)
    _diagnose_saturation(verdict, run, series, got)
    if len(criterion.metrics) > 1:
        verdict.details.append(f"judged {name!r}, the first of {list(criterion.metrics)} "
                               "that the run holds")
    _diagnose_fah(verdict, run, series, got)
    _remedy(verdict, criterion, remedy_for(metric))
    verdict.properties.update(metric=f"{metric} ({split})", observed=repr(got.value),
                              source="; ".join(p.where() for p in got.points[-3:]),
                              step=_steps(got.points), points=str(len(series)))
    return verdict


def _unresolvable(criterion: Criterion, basis: FahBasis) -> bool:
    """One false activation is more than an upper limit: the data cannot tell a model that
    meets the limit from one that misses it."""
    return any(b.op in ("max", "lt") and basis.resolution > b.limit for b in criterion.bounds)


def _unresolvable_verdict(criterion: Criterion, subject: str, shown: str, value: float,
                          basis: FahBasis) -> Verdict:
    limit = next(b for b in criterion.bounds if b.op in ("max", "lt")
                 and basis.resolution > b.limit)
    headline = (f"{subject} = {shown} cannot be judged against {limit}: 1 false activation = "
                f"{basis.resolution:.1f} FA/h over {basis.hours:.2f} h of ambient audio")
    details = [f"remedy: judge FA/h on at least {math.ceil(1 / limit.limit):g} h of ambient "
               "audio (more ambient audio, or a larger validation split), or judge the test "
               "split, which the trainer evaluates on far more hours",
               "on_unresolvable: fail (default) | skip | warn selects what happens here"]
    if criterion.on_unresolvable == "skip":
        return Verdict("skipped", headline, details)
    if criterion.on_unresolvable == "warn":
        verdict = _bounded(criterion, subject, shown, value)
        verdict.details.insert(0, f"warning: {headline}")
        if verdict.outcome == "passed":
            verdict.outcome = "warned"
            verdict.headline = headline
        return verdict
    return Verdict("failed", headline, details)


def _judge_bound(criterion: Criterion, run: RunModel, series: Series, got: _Value,
                 subject: str, shown: str, basis: FahBasis | None) -> Verdict:
    """``confidence:`` judges the exact one-sided bound: the upper bound against max/lt,
    the lower bound against min/gt."""
    level = criterion.confidence
    step = got.points[-1].step
    counts = None if basis else binomial_counts(run, series.split, series.metric, got.value,
                                                step)
    if basis is None and counts is None:
        what = ("the hours of ambient audio" if series.metric == "ambient_fa_per_hour" else
                "the counts (positives, confusion matrix)")
        raise Unjudged(f"{subject}: a {level:.0%} bound needs {what}, which the run does not "
                       "record", ["confidence: works for FA/h with known ambient hours and "
                                  "for recall/precision with known counts"], skippable=True)
    if math.isnan(got.value):
        return Verdict("failed", f"{subject} = nan is not a number; NaN never passes")
    rests = (f"{basis.events} events over {basis.hours:.4g} h" if basis else
             f"{counts.successes} of {counts.trials}")
    verdict = None
    properties: dict[str, str] = {}
    for bound in criterion.bounds:
        upper = bound.op in ("max", "lt")
        value = basis.bound(upper, level) if basis else counts.bound(upper, level)
        side = "upper" if upper else "lower"
        properties[f"{side}_bound"] = repr(value)
        if not bound.holds(value) and verdict is None:
            verdict = Verdict("failed", f"{subject} = {shown}, {level:.0%} {side} bound "
                                        f"{metrics.fmt(series.metric, value)} (from {rests}) "
                                        f"{bound.violation()}")
    if verdict is None:
        bounds = ", ".join(f"{k.split('_')[0]} {metrics.fmt(series.metric, float(v))}"
                           for k, v in properties.items())
        verdict = Verdict("passed", f"{subject} = {shown}, {level:.0%} bound(s) {bounds} "
                                    f"(from {rests}) satisfy {criterion.threshold_text}")
    method = "exact Poisson" if basis else "Clopper-Pearson"
    verdict.details.append(f"{method} one-sided {level:.0%} bound from {rests}"
                           + (f" ({counts.source})" if counts else ""))
    verdict.properties.update(properties, confidence=f"{level:g}")
    if counts:
        verdict.properties.update(successes=str(counts.successes), trials=str(counts.trials))
    return verdict


def _diagnose_saturation(verdict: Verdict, run: RunModel, series: Series, got: _Value) -> None:
    """A recall/precision/F1 of 0 with the target-FA/h threshold at 1.0 comes from the
    threshold: nothing can be predicted positive (run-format.md, the adaptive threshold)."""
    if series.metric not in ("recall", "precision", "f1") or got.value != 0:
        return
    threshold = run.get(series.split, "threshold_for_target_fah")
    step = got.points[-1].step
    index = threshold.index_of_step(step) if threshold is not None and step is not None \
        else None
    if index is None or threshold.values[index] < 0.999:
        return
    hours = run.ambient_hours.get(series.split)
    why = (f" ({hours.hours:g} h: one false activation = {1 / hours.hours:.1f} FA/h)"
           if hours and hours.hours > 0 else "")
    verdict.details.insert(0, (
        f"the trainer's threshold for target FA/h was {threshold.values[index]:.2f} at step "
        f"{step}: nothing can be predicted positive, so this 0 comes from the threshold, not "
        f"from the model. The threshold saturates when the split has too few ambient hours"
        f"{why} to reach the target FA/h with any cutoff below 1"))
    verdict.properties["saturated_threshold"] = f"{threshold.values[index]:g}"


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
    stepped = series.stepped()
    span = (f", steps {series.steps[stepped[0]]}–{series.steps[stepped[-1]]}" if stepped
            else "")
    lines.append(f"read {len(series)} point(s) of {series.metric} ({series.split})"
                 f"{span} from {', '.join(sorted(series.raw_names))}")
    for p in got.points[-1:]:
        for other in series.shadowed_at(p.step)[:1]:
            lines.append(f"also in {other.where()} as {other.value!r}; the "
                         f"{'TensorBoard' if p.origin == 'tb' else 'exact report'} "
                         "value is used")
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
    basis = fah_basis(run, series.split, got.value)
    if basis is None:
        return [f"rests on {hours.hours:g} h of ambient audio ({hours.source}); the value is "
                "not finite, so no event count follows"]
    verdict.properties.update(hours=f"{basis.hours:.6g}", events=str(basis.events),
                              resolution=f"{basis.resolution:g}")
    lines = [f"rests on {basis.hours:.4g} h of ambient audio ({hours.source}): 1 false "
             f"activation = {basis.resolution:.2f} FA/h, so this value is {basis.events} "
             f"event(s); a 95% upper bound is "
             f"{basis.bound(True, 0.95):.2f} FA/h"]
    if not basis.whole:
        lines.append(f"warning: {got.value:g} FA/h × {basis.hours:g} h = "
                     f"{basis.exact_events:.3f}, not a whole number of events: the hours may "
                     "not be the ones the trainer divided by")
        verdict.properties["events_whole"] = "false"
    return lines


def _diagnose_fah(verdict: Verdict, run: RunModel, series: Series, got: _Value) -> None:
    """The guide's "validation looks good but FA/h is bad" case."""
    if series.metric != "ambient_fa_per_hour" or verdict.outcome != "failed":
        return
    step = got.points[-1].step
    for metric in ("accuracy", "recall"):
        other = run.get(series.split, metric)
        index = other.index_of_step(step) if other and step is not None else None
        if other is not None and step is None and series.split == "test" and len(other):
            index = len(other) - 1
        if index is not None and other.values[index] >= 0.95:
            verdict.details.append(f"{metric} at the same point is {other.values[index]:.4f}: "
                                   + FA_WITH_GOOD_ACCURACY)
            return


def _remedy(verdict: Verdict, criterion: Criterion, default: str) -> None:
    text = criterion.remedy or default
    if text and verdict.outcome == "failed":
        verdict.details.append(f"what usually fixes it: {text}")


def _steps(points: list[Point]) -> str:
    steps = [str(p.step) for p in points if p.step is not None]
    return ",".join(steps) if steps else ""


# --- gap --------------------------------------------------------------------------


def _judge_gap(criterion: Criterion, run: RunModel) -> Verdict:
    return _gap_verdict(criterion, run, *_gap_pairs(criterion, run))


def _gap_pairs(criterion: Criterion, run: RunModel):
    """(alternative judged, canonical metric, [(train point, validation point)])."""
    _refuse_damaged(criterion, run, "validation")
    for name in criterion.metrics:
        metric = metrics.canonical(name)
        train, val = run.get("train", metric), run.get("validation", metric)
        if train is None or val is None:
            continue
        train_at = {step: i for i, step in enumerate(train.steps)}
        pairs = [(train_at[step], j) for j, step in enumerate(val.steps) if step in train_at]
        if pairs:
            return name, metric, (train, val, pairs)
    raise Unjudged(
        f"train/validation gap of {criterion.name} not judged: the run has no "
        f"{' or '.join(repr(m) for m in criterion.metrics)} on both splits at a common step",
        ["the run contains:", *[f"  {s}: {', '.join(m)}" for s, m in run.available().items()]],
        skippable=True)


def _gap_points(metric: str, paired) -> Series:
    """How much worse validation is than train at each common step, as a series whose
    points carry the validation value's provenance."""
    train, val, pairs = paired
    worse_is_higher = metrics.higher_is_better(metric) is False
    sign = 1.0 if worse_is_higher else -1.0
    tv, vv = train.values, val.values
    values = array("d", (sign * (vv[j] - tv[i]) for i, j in pairs))
    steps = array("q", (val.steps[j] for _, j in pairs))
    locs = array("I", (val.locs[j] for _, j in pairs))
    srcs = array("H", (val.srcs[j] for _, j in pairs)) if val.srcs is not None else None
    return Series("validation", f"gap:{metric}", steps, values, locs, val.sources, srcs)


def _pair_at(paired, step: int) -> tuple[Point, Point]:
    train, val, _ = paired
    return train.point(train.index_of_step(step)), val.point(val.index_of_step(step))


def _gap_verdict(criterion: Criterion, run: RunModel, name: str, metric: str,
                 paired) -> Verdict:
    worse_is_higher = metrics.higher_is_better(metric) is False
    pairs = paired[2]
    gaps = _gap_points(metric, paired)
    got = _aggregate(criterion.at, gaps, run, f"gap on {metric}")
    used = [_pair_at(paired, p.step) for p in got.points]
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
    points = series.tail(criterion.window)
    if len(points) < 2:
        raise Unjudged(f"{series.metric} ({series.split}) has fewer than 2 evaluations with a "
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


# --- training health (the guide's common problems) -------------------------------


def _judge_stagnation(criterion: Criterion, run: RunModel) -> Verdict:
    """Loss stuck above the guide's normal band and barely moving (guide: 0.45→0.43→0.44)."""
    _, series = _find(criterion, run, split="train", min_points=2)
    points = series.tail(criterion.window)
    above, min_change = criterion.options["above"], criterion.options["min_change"]
    values = [p.value for p in points]
    change = max(values) - min(values)
    subject = (f"{series.metric} ({series.split}) over the last {len(points)} evaluations "
               f"(steps {points[0].step}–{points[-1].step})")
    if any(math.isnan(v) for v in values):
        verdict = Verdict("failed", f"{subject} holds NaN; NaN never passes")
    elif min(values) > above and change < min_change:
        verdict = Verdict("failed", f"{subject} is stagnant: it stayed above {above:g} "
                                    f"(lowest {min(values):.4f}) and changed by only "
                                    f"{change:.4f} < {min_change:g}")
    else:
        state = "below the band" if min(values) <= above else f"moving ({change:.4f})"
        verdict = Verdict("passed", f"{subject} is not stagnant: {state}")
    verdict.details.append("values: " + ", ".join(f"{p.step}: {p.value:.4f}" for p in points))
    verdict.details.append(f"from {', '.join(sorted(series.raw_names))} in {points[-1].file}")
    _remedy(verdict, criterion, STAGNATION_REMEDY)
    verdict.properties.update(metric=f"{series.metric} ({series.split}) stagnation",
                              observed=repr(change), display=f"{change:.4f}",
                              source=points[-1].where(), step=_steps(points))
    return verdict


def _judge_lr_schedule(criterion: Criterion, run: RunModel) -> Verdict:
    """Each phase's learning rate stays at or below the header's LR for that phase."""
    _, series = _find(criterion, run, split="train")
    phases = run.log.phases if run.log else []
    if not phases:
        raise Unjudged("learning-rate schedule not judged: the terminal log has no header "
                       "panel with the phases' steps and learning rates", [
                           "looked for header rows like 'Phase 1   20,000 steps @ LR 0.001000'"],
                       skippable=True)
    first_of_each: dict[int, tuple[int, float, int]] = {}
    for number, steps, rate, line in phases:
        first_of_each.setdefault(number, (steps, rate, line))
    bounds, start = [], 0
    for number, (steps, rate, line) in sorted(first_of_each.items()):
        bounds.append((number, start, start + steps, rate, line))
        start += steps
    tolerance = criterion.options["tolerance"]
    stepped = series.stepped()
    steps = np.frombuffer(series.steps, np.int64)[stepped.start:]
    values = np.frombuffer(series.values, np.float64)[stepped.start:]
    limits = np.full(len(steps), np.nan)  # a boundary step may show either phase's rate
    for _, first, last, rate, _ in bounds:
        inside = (steps >= first) & (steps <= last)
        limits[inside] = np.fmax(limits[inside], rate)
    with np.errstate(invalid="ignore", divide="ignore"):
        over = np.flatnonzero(values > limits * (1 + tolerance))  # NaN limits compare False
        ratios = values[over] / limits[over]
    worst = None
    if len(over):
        at = over[int(np.argmax(ratios))]  # the first of the largest ratios
        worst = (series.point(stepped.start + int(at)), float(limits[at]))
    table = "; ".join(f"phase {n}: steps {a + 1}–{b} @ LR {r:g}" for n, a, b, r, _ in bounds)
    if worst is None:
        verdict = Verdict("passed", f"learning rate stays within each phase's LR over "
                                    f"{len(series)} points ({len(bounds)} phases)")
    else:
        point, limit = worst
        verdict = Verdict("failed", f"learning rate {point.value:.6g} at step {point.step} "
                                    f"exceeds its phase's LR {limit:g}")
        verdict.details.append(f"from {point.where()}")
    verdict.details.append(f"phases from the log header: {table}")
    verdict.details.append("cosine decay inside a phase and plateau cuts lower the LR; "
                           "they are normal")
    _remedy(verdict, criterion, "the learning rate must step down phase by phase; check the "
                                "phase settings and any schedule override in the config")
    verdict.properties.update(metric="learning_rate schedule", source=series.point(-1).where(),
                              observed=repr(worst[0].value) if worst else "within",
                              display=f"{worst[0].value:.6g}" if worst else "ok")
    return verdict


def _official_finished(criterion: Criterion, run: RunModel) -> Verdict:
    """An official train_dir finished when its last logged step is the configured total."""
    if criterion.check == "duration":
        raise Unjudged("training duration not judged: the official trainer logs no start "
                       "or end time", [], skippable=True)
    steps = run.training_config.data.get("training_steps")
    total = sum(steps) if isinstance(steps, list) and all(
        isinstance(x, int) for x in steps) else None
    logged = [s for key, s in run.series.items() if key[0] == "validation" and len(s)]
    last = max((s.steps[-1] for s in logged), default=None)
    if total is None or last is None:
        raise Unjudged("training state not judged: the training_config.yaml steps or the "
                       "logged steps are missing", [], skippable=True)
    outcome = "passed" if last >= total else "failed"
    verdict = Verdict(outcome, f"training {'finished' if outcome == 'passed' else 'stopped'}"
                               f" at step {last} of {total} (training_steps in "
                               f"{run.training_config.path})")
    verdict.properties.update(observed=str(last), display=f"{last}/{total}")
    return verdict


def _judge_finished(criterion: Criterion, run: RunModel) -> Verdict:
    """The run finished (completion panel) and, for ``duration``, within its time budget."""
    log = run.log
    if run.training_config is not None:
        return _official_finished(criterion, run)
    if log is None:
        raise Unjudged("training state not judged: the run has no terminal log",
                       ["looked for logs/terminal_*.log"], skippable=True)
    state_text = {"finished": "finished (🏁 Training Complete panel present)",
                  "crashed": "crashed: the log has its end marker but no completion panel",
                  "killed": "was killed: the log has no 'Training Log Ended:' marker"}
    if log.state != "finished":
        verdict = Verdict("failed", f"training {state_text[log.state]}")
        verdict.details += [f"  line {line}: {text}" for line, text in log.trouble[:5]]
        _remedy(verdict, criterion, "look at the end of the console output for the traceback "
                                    "(it is printed after the log file is closed)")
    elif criterion.check == "duration":
        limit = criterion.options["max_hours"]
        seconds = log.duration_seconds
        if seconds is None:
            raise Unjudged("training duration not judged: the log lacks a start or end marker",
                           [], skippable=True)
        hours = seconds / 3600
        outcome = "passed" if hours <= limit else "failed"
        verb = "within" if outcome == "passed" else "over"
        verdict = Verdict(outcome, f"training took {hours:.2f} h, {verb} the budget of "
                                   f"{limit:g} h")
        verdict.details.append(f"from {log.path}: started line {log.started[1]}, ended line "
                               f"{log.ended[1]}")
        _remedy(verdict, criterion, "look at the profiles: slow data loading → more workers; "
                                    "GPU unused; CuPy missing")
        verdict.properties.update(observed=repr(hours), display=f"{hours:.2f} h")
        return verdict
    else:
        verdict = Verdict("passed", f"training {state_text['finished']}")
    verdict.details.append(f"from {log.path} (line {log.completion_line or log.lines})")
    verdict.properties.update(observed=log.state, display=log.state)
    return verdict


# --- measurement for baselines ------------------------------------------------------


@dataclass
class Measurement:
    """One judged value, with what a comparison needs to say where it came from."""

    value: float
    subject: str  # "ambient_fa_per_hour (validation, final, step 2600)"
    metric: str  # canonical metric, or "gap:<metric>"
    split: str
    source: str
    step: str
    lower_is_better: bool
    hours: float | None = None
    hours_source: str = ""

    @property
    def events(self) -> float | None:
        if self.hours is None or not math.isfinite(self.value):
            return None
        return self.value * self.hours


def measure(criterion: Criterion, run: RunModel) -> Measurement:
    """The value a threshold, gap or streaming criterion would judge (raises Unjudged)."""
    if criterion.check == "streaming":
        value, subject, source, _ = _streaming_value(criterion, run)
        metric = f"streaming:{criterion.options['measure']}"
        return Measurement(value, subject, metric, "test", source, "",
                           lower_is_better=criterion.options["measure"] != "auc")
    if criterion.check == "gap":
        _, metric, paired = _gap_pairs(criterion, run)
        got = _aggregate(criterion.at, _gap_points(metric, paired), run, f"gap on {metric}")
        t, v = _pair_at(paired, got.points[-1].step)
        return Measurement(got.value, f"train/validation gap on {metric} ({got.label})",
                           f"gap:{metric}", "validation", f"{t.where()}; {v.where()}",
                           _steps(got.points), lower_is_better=True)
    _, series = _find(criterion, run)
    at = criterion.at if series.split != "test" else Aggregation("final")
    got = _aggregate(at, series, run, f"{series.metric} ({series.split})")
    hours = run.ambient_hours.get(series.split) if series.metric == "ambient_fa_per_hour" \
        else None
    return Measurement(got.value, f"{series.metric} ({series.split}, {got.label})",
                       series.metric, series.split,
                       "; ".join(p.where() for p in got.points[-3:]), _steps(got.points),
                       lower_is_better=metrics.higher_is_better(series.metric) is False,
                       hours=hours.hours if hours else None,
                       hours_source=hours.source if hours else "")


# --- streaming operating points (official tflite_*/tflite_streaming_roc.txt) -------------


def _pick_curve(run: RunModel, variant: str):
    """The ROC of a model variant: an exact name, else the only name containing it;
    ``float`` means the variant without 'quant'."""
    curves = run.rocs
    if variant in curves:
        return curves[variant]
    if variant == "float":
        matches = [c for name, c in curves.items() if "quant" not in name]
    else:
        matches = [c for name, c in curves.items() if variant in name]
    if len(matches) == 1:
        return matches[0]
    where = ", ".join(sorted(curves)) or "none"
    raise Unjudged(f"no single streaming ROC for model variant {variant!r} in run {run.name}",
                   [f"variants with tflite_*/tflite_streaming_roc.txt: {where}"],
                   skippable=True)


def _streaming_value(criterion: Criterion, run: RunModel) -> tuple[float, str, str, list[str]]:
    """(value, subject, source, details) of a streaming criterion."""
    options = criterion.options
    measure = options["measure"]
    variant = options.get("variant", "quant")
    curve = _pick_curve(run, variant)
    damaged = [p for p in curve.problems]
    if damaged:
        raise Unjudged(f"streaming ROC not judged: {damaged[0]}", [], skippable=False)
    if measure == "auc":
        if curve.auc is None:
            raise Unjudged(f"{curve.path} has no AUC line", [], skippable=True)
        return curve.auc, f"streaming AUC of {curve.variant}", curve.path, []
    if measure == "faph_at_cutoff":
        cutoff = float(options["cutoff"])
        row = curve.at_cutoff(cutoff)
        if row is None:
            cutoffs = ", ".join(f"{r[0]:g}" for r in curve.rows[:10])
            raise Unjudged(f"{curve.path} has no row for cutoff {cutoff:g}",
                           [f"cutoffs present (first 10): {cutoffs}"], skippable=True)
        return (row[2], f"streaming FA/h of {curve.variant} at cutoff {cutoff:g}",
                f"{curve.path}:{row[3]}", [])
    budget = float(options["faph"])
    if measure == "frr_at_faph":
        return _frr_at(curve, budget)
    quantized = _frr_at(_pick_curve(run, variant), budget)
    floating = _frr_at(_pick_curve(run, "float"), budget)
    loss = quantized[0] - floating[0]
    return (loss, f"quantization loss (FRR quantized − float) at {budget:g} FA/h",
            f"{quantized[2]}; {floating[2]}",
            [f"quantized: {quantized[1]} = {quantized[0]:.4f}",
             f"float: {floating[1]} = {floating[0]:.4f}"])


def _frr_at(curve, budget: float) -> tuple[float, str, str, list[str]]:
    row = curve.best_frr_within(budget)
    if row is None:
        lowest = min((r[2] for r in curve.rows), default=math.nan)
        raise Unjudged(f"no cutoff of {curve.variant} reaches {budget:g} FA/h (lowest "
                       f"{lowest:g}) in {curve.path}", [], skippable=False)
    return (row[1], f"streaming FRR of {curve.variant} at {budget:g} FA/h (cutoff "
                    f"{row[0]:g}, FA/h {row[2]:g})", f"{curve.path}:{row[3]}", [])


def _judge_streaming(criterion: Criterion, run: RunModel) -> Verdict:
    value, subject, source, details = _streaming_value(criterion, run)
    verdict = _bounded(criterion, subject, f"{value:.4f}", value)
    verdict.details += details + [f"from {source}"]
    if verdict.outcome == "failed":
        _remedy(verdict, criterion, "a model that misses the wake word at its FA/h budget "
                                    "needs more and more varied positive samples; a large "
                                    "quantization loss needs real-data calibration at export")
    verdict.properties.update(metric=subject, observed=repr(value), source=source,
                              display=f"{value:.4f}")
    return verdict
