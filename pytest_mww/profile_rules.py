"""Profile budgets: limits on a profiled function's figures, with the guide's diagnosis.

Plain Python (no pytest): a budget and the run's profile files in, a verdict out.
"""

from __future__ import annotations

import statistics
from pathlib import Path

from .criteria import ProfileBudget
from .judge import Unjudged, Verdict, about_run, apply
from .readers.profiles import FunctionStats, Profile
from .run import RunModel

_FIGURES = {"max_cumtime": "cumtime", "max_tottime": "tottime", "max_ncalls": "ncalls",
            "max_percall": "cumtime per call", "max_share": "share of total time",
            "max_total": "profile total time"}
MANY_CALLS = 10_000


def profile_files(budget: ProfileBudget, root: Path) -> list[Path]:
    """The run folder's files that the budget's globs match; symbolic links are never
    read."""
    found: set[Path] = set()
    for pattern in budget.files:
        for path in root.glob(pattern):
            if path.is_file() and not path.is_symlink() and root in path.parents:
                found.add(path)
    return sorted(found, key=lambda p: (_step_of(p), p.name))


def _step_of(path: Path) -> int:
    digits = [part for part in path.stem.split("_") if part.isdigit()]
    return int(digits[0]) if digits else -1


def figures(profile: Profile, function: FunctionStats | None) -> dict[str, float]:
    out = {"max_total": profile.total_time}
    if function is not None:
        total = profile.wall_time or 1.0
        out.update(max_cumtime=function.cumtime, max_tottime=function.tottime,
                   max_ncalls=float(function.calls), max_percall=function.percall,
                   max_share=function.cumtime / total)
    return out


def judge_profile(budget: ProfileBudget, run: RunModel, files: list[Path]) -> Verdict:
    verdict = apply(lambda: _judge(budget, run, files), budget.on_missing, budget.severity)
    verdict.properties.setdefault("threshold", budget.threshold_text)
    verdict.details.append(f"budget: {budget.file}:{budget.line} (profiles.{budget.name})")
    about_run(verdict, run)
    return verdict


def _judge(budget: ProfileBudget, run: RunModel, files: list[Path]) -> Verdict:
    if not files:
        raise Unjudged(f"profile budget {budget.name}: no profile file matches "
                       f"{', '.join(budget.files)} in run {run.name}",
                       ["profiles are written only when the trainer's enable_profiling is on; "
                        "microwakeword_trainer v2.0.0 names them full_step_<N>_<ns>.prof"],
                       skippable=True)
    measured = []
    for path in files:
        profile = run.profile(path)
        if profile.problem is not None:
            raise Unjudged(f"profile budget {budget.name} not judged: {profile.problem}", [],
                           skippable=False)
        function = _function(budget, profile)
        measured.append((profile, function, figures(profile, function)))
    return _verdict(budget, measured)


def _function(budget: ProfileBudget, profile: Profile) -> FunctionStats | None:
    if budget.function is None:
        return None
    matches = profile.matching(budget.function)
    if not matches:
        names = ", ".join(f.label for f in profile.top(5))
        raise Unjudged(f"profile budget {budget.name}: no function matching "
                       f"{budget.function!r} in {profile.path}",
                       [f"the slowest functions there: {names}"], skippable=True)
    return max(matches, key=lambda f: f.cumtime)


def _verdict(budget: ProfileBudget, measured: list) -> Verdict:
    worst_breach = None
    combined: dict[str, float] = {}
    for key, limit in budget.limits:
        values = [m[2][key] for m in measured]
        value = statistics.median(values) if budget.combine == "median" else max(values)
        combined[key] = value
        if value > limit and (worst_breach is None or value / limit > worst_breach[2]):
            worst_breach = (key, value, value / limit if limit else float("inf"), limit)
    # the file to show: the one with the worst figure for the breached (or first) limit
    key0 = worst_breach[0] if worst_breach else budget.limits[0][0]
    profile, function, _ = max(measured, key=lambda m: m[2][key0])
    what = function.label if function else "the whole profile"
    how = {"worst": "worst of", "median": "median of", "each": "in"}[budget.combine]
    scope = (f"{how} {len(measured)} profiles" if len(measured) > 1 or budget.combine != "each"
             else profile.path)
    if worst_breach:
        key, value, _, limit = worst_breach
        verdict = Verdict("failed", f"{_FIGURES[key]} of {_short(what)} = {_fmt(key, value)} > "
                                    f"{_fmt(key, limit)} ({scope}, {profile.path})")
    else:
        verdict = Verdict("passed", f"{_short(what)} within budget: " + ", ".join(
            f"{_FIGURES[k]} {_fmt(k, v)}" for k, v in combined.items()) + f" ({scope})")
    verdict.details.append(f"function: {what}")
    verdict.details.append(f"profile: {profile.path}, total {profile.total_time:.4f} s over "
                           f"{len(profile.functions)} functions")
    verdict.details.append("top 5 by cumulative time:")
    verdict.details += [f"  {f.calls:>8} calls  tottime {f.tottime:.4f}  cumtime "
                        f"{f.cumtime:.4f}  {f.label}" for f in profile.top(5)]
    if function is not None and verdict.outcome == "failed":
        verdict.details.append("diagnosis: " + diagnose(profile, function))
    if budget.remedy and verdict.outcome == "failed":
        verdict.details.append(f"what usually fixes it: {budget.remedy}")
    verdict.properties.update(
        metric=f"profile {what}", observed=repr(combined[key0]), display=_fmt(
            key0, combined[key0]), source=profile.path, files=str(len(measured)))
    return verdict


def diagnose(profile: Profile, function: FunctionStats) -> str:
    """The guide's bottleneck rules."""
    total = profile.wall_time or 1.0
    if function.calls >= MANY_CALLS:
        return (f"ncalls is very high ({function.calls}): it is called inside a needless "
                "loop; vectorise it or hoist it out of the loop")
    if function.tottime >= 0.5 * function.cumtime or function.tottime >= 0.5 * total:
        return (f"tottime is high ({function.tottime:.4f} s of {function.cumtime:.4f} s "
                "cumulative): the function itself is slow; optimise or vectorise it")
    callees = profile.callees(function)[:3]
    names = ", ".join(f"{c.label} ({c.cumtime:.4f} s)" for c in callees) or "its callees"
    return (f"cumtime is high but tottime low ({function.tottime:.4f} s of "
            f"{function.cumtime:.4f} s): the time goes to the functions it calls; optimise "
            f"those: {names}")


def _fmt(key: str, value: float) -> str:
    if key == "max_ncalls":
        return f"{value:.0f}"
    if key == "max_share":
        return f"{100 * value:.1f}%"
    return f"{value:.4f} s"


def _short(label: str) -> str:
    if "(" not in label or "/" not in label:
        return label
    path, rest = label.split(":", 1)
    return f"{Path(path).name}:{rest}"
