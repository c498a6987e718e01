"""Baselines: save a run's judged values, and judge a candidate as "not worse than that".

Plain Python (no pytest). A baseline is a JSON file written earlier (stable key order,
human-diffable) or another run folder measured with the same regression entries.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import metrics
from .criteria import CriteriaFile, Regression
from .judge import Measurement, Unjudged, Verdict, about_run, apply, measure
from .readers.jsonfiles import read_json
from .run import RunModel, load_run
from .stats import binomial_cdf, poisson_upper

FORMAT = "pytest-mww-baseline/1"
# How much worse a metric may get when the YAML gives no allowance.
DEFAULT_ALLOWED = {"ambient_fa_per_hour": 0.0, "f1": 0.01, "recall": 0.01, "precision": 0.01,
                   "accuracy": 0.01, "auc_roc": 0.01, "auc_pr": 0.01}
DEFAULT_GAP_ALLOWED = 0.02
_EVENT_SLACK = 1e-6


class BaselineError(Exception):
    """A baseline that cannot be used at all (a usage error)."""


@dataclass
class Baseline:
    origin: str
    provenance: dict
    values: dict[str, dict]
    unmeasured: dict[str, str] = field(default_factory=dict)


def provenance(run: RunModel, criteria: CriteriaFile) -> dict:
    meta = run.run_metadata.data if run.run_metadata and isinstance(
        run.run_metadata.data, dict) else {}
    report = run.test_report.data if run.test_report and isinstance(
        run.test_report.data, dict) else {}
    total_steps = meta.get("total_steps") or (run.log.total_steps[0]
                                              if run.log and run.log.total_steps else None)
    return {
        "run": run.root.name,
        "trainer": "microwakeword_trainer v2.0.0 layout" if run.log else "unknown",
        "config_hash": meta.get("config_hash"),
        "git_commit": meta.get("git_commit"),
        "steps": total_steps,
        "ambient_hours": {split: h.hours for split, h in sorted(run.ambient_hours.items())},
        "test_samples": (report.get("metadata") or {}).get("test_samples"),
        "test_per_category": {name: entry.get("count") for name, entry in sorted(
            (report.get("per_category") or {}).items()) if isinstance(entry, dict)},
        "criteria_file": criteria.path,
        "criteria_sha256": criteria.sha256,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def snapshot(run: RunModel, criteria: CriteriaFile) -> dict:
    values, unmeasured = {}, {}
    for regression in criteria.regressions:
        try:
            m = measure(regression.criterion, run)
        except Unjudged as exc:
            unmeasured[regression.name] = exc.headline
            continue
        values[regression.name] = {
            "value": m.value, "subject": m.subject, "metric": m.metric, "split": m.split,
            "source": m.source, "step": m.step, "hours": m.hours,
            "events": None if m.events is None else round(m.events, 3)}
    return {"format": FORMAT, "provenance": provenance(run, criteria), "values": values,
            "unmeasured": unmeasured}


def write_snapshot(path: Path, data: dict, *, exclusive: bool) -> None:
    """Write JSON with a stable key order; ``exclusive`` refuses to replace a file."""
    text = json.dumps(data, indent=2, sort_keys=True) + "\n"
    if exclusive:
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def load_baseline_file(path: Path) -> Baseline:
    result = read_json(path, str(path))
    if result.problem is not None:
        raise BaselineError(f"--mww-baseline {path}: {result.problem.message}"
                            f"{' at ' + result.problem.place if result.problem.place else ''}")
    data = result.data
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(
            data.get("values"), dict):
        raise BaselineError(f"--mww-baseline {path}: not a pytest-mww baseline file "
                            f"(expected a JSON object with format {FORMAT!r}); "
                            "give a baseline file written by --mww-save-baseline or a run "
                            "folder")
    return Baseline(str(path), data.get("provenance") or {}, data["values"],
                    data.get("unmeasured") or {})


def baseline_from_run(folder: Path, criteria: CriteriaFile) -> Baseline:
    run = load_run(folder, folder.name)
    if not run.recognised:
        raise BaselineError(f"--mww-baseline {folder}: no microWakeWord run found there")
    data = snapshot(run, criteria)
    return Baseline(f"{folder} (run folder)", data["provenance"], data["values"],
                    data["unmeasured"])


# --- comparison -----------------------------------------------------------------------


def compare(regression: Regression, run: RunModel, baseline: Baseline,
            criteria: CriteriaFile) -> Verdict:
    verdict = apply(lambda: _compare(regression, run, baseline, criteria),
                    regression.criterion.on_missing, regression.criterion.severity)
    verdict.details.append(f"regression: {regression.file}:{regression.line} "
                           f"(regressions.{regression.name})")
    about_run(verdict, run)
    return verdict


def _compare(reg: Regression, run: RunModel, baseline: Baseline,
             criteria: CriteriaFile) -> Verdict:
    entry = baseline.values.get(reg.name)
    if entry is None:
        why = baseline.unmeasured.get(reg.name, "it was not in the regressions when the "
                                                "baseline was saved")
        raise Unjudged(f"baseline {baseline.origin} has no value for {reg.name}: {why}",
                       ["update the baseline deliberately with --mww-update-baseline"],
                       skippable=True)
    candidate = measure(reg.criterion, run)
    if entry.get("metric") != candidate.metric or entry.get("split") != candidate.split:
        raise Unjudged(f"{reg.name} not comparable: the baseline measured "
                       f"{entry.get('metric')} ({entry.get('split')}), the candidate "
                       f"{candidate.metric} ({candidate.split})", [], skippable=False)
    base = _number(entry.get("value"))
    lower_is_better = (reg.direction == "lower") if reg.direction else candidate.lower_is_better
    return _judge_change(reg, candidate, base, entry, lower_is_better, baseline, criteria)


def _number(value) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return math.nan


def relative_change(candidate: float, baseline: float) -> float:
    """(candidate − baseline) / |baseline|; 0 when equal, ±inf from a zero baseline."""
    delta = candidate - baseline
    if baseline == 0:
        return 0.0 if delta == 0 else math.copysign(math.inf, delta)
    return delta / abs(baseline)


def _judge_change(reg: Regression, cand: Measurement, base: float, entry: dict,
                  lower_is_better: bool, baseline: Baseline, criteria: CriteriaFile) -> Verdict:
    metric = cand.metric.split(":", 1)[-1]
    label = f"gap on {metric}" if cand.metric.startswith("gap:") else metric
    show = (lambda v: metrics.fmt(metric, v)) if not cand.metric.startswith("gap:") else (
        lambda v: f"{v:.4f}")
    delta = cand.value - base
    rel = relative_change(cand.value, base)
    worsening = delta if lower_is_better else -delta
    change = f"{show(base)} → {show(cand.value)} ({delta:+.{_places(metric)}f}, {_pct(rel)})"
    abs_allowed, pct_allowed = _allowances(reg, cand)
    allowed_text = " / ".join(x for x in (
        f"{abs_allowed:+g}" if abs_allowed is not None else "",
        f"{pct_allowed:+g}%" if pct_allowed is not None else "") if x)
    details = [f"candidate: {cand.subject} from {cand.source}",
               f"baseline:  {entry.get('subject', reg.name)} from {entry.get('source', '?')}",
               f"baseline provenance: {_provenance_text(baseline)}"]
    alerts = _comparability(cand, entry, baseline, criteria)
    within, note = _tolerated(worsening, base, abs_allowed, pct_allowed, cand, entry, reg)
    if math.isnan(cand.value) or math.isnan(base):
        verdict = Verdict("failed", f"{label} cannot be compared: {change}; NaN never passes")
    elif worsening <= 0:
        verdict = Verdict("passed", f"{label} not worse than the baseline: {change}")
    elif within:
        verdict = Verdict("passed", f"{label} changed within tolerance: {change}, allowed "
                                    f"{allowed_text}{note}")
    else:
        verdict = Verdict("failed", f"{label} regressed: {change}, allowed {allowed_text}")
    verdict.details = details + _resolution_lines(cand, entry) + verdict.details
    if verdict.outcome == "failed" and reg.criterion.remedy:
        verdict.details.append(f"what usually fixes it: {reg.criterion.remedy}")
    verdict.alerts = alerts
    verdict.details += [f"warning: {a}" for a in alerts]
    verdict.properties.update(
        metric=cand.subject, baseline=repr(base), observed=repr(cand.value),
        delta=repr(delta), delta_pct=_pct(rel), allowed=allowed_text, source=cand.source,
        step=cand.step, display=f"{show(base)} → {show(cand.value)}",
        threshold=f"allowed {allowed_text}")
    return verdict


def _allowances(reg: Regression, cand: Measurement) -> tuple[float | None, float | None]:
    if reg.allowed is None and reg.allowed_pct is None:
        default = DEFAULT_GAP_ALLOWED if cand.metric.startswith("gap:") else \
            DEFAULT_ALLOWED.get(cand.metric, 0.0)
        return default, None
    return reg.allowed, reg.allowed_pct


def _tolerated(worsening: float, base: float, abs_allowed, pct_allowed, cand: Measurement,
               entry: dict, reg: Regression) -> tuple[bool, str]:
    if abs_allowed is not None and worsening <= abs_allowed:
        return True, ""
    if pct_allowed is not None and base != 0 and worsening <= pct_allowed / 100 * abs(base):
        return True, ""
    events = _event_change(cand, entry)
    if events is not None and abs(events) <= 1 + _EVENT_SLACK:
        return True, (f"; a change of {events:+.0f} false activation(s) is within the data's "
                      "resolution")
    if reg.significance is not None and cand.events is not None and entry.get("events") \
            is not None:
        p = poisson_rate_p_value(round(entry["events"]), entry["hours"], round(cand.events),
                                 cand.hours)
        if p >= reg.significance:
            return True, (f"; not significant: p = {p:.3g} >= {reg.significance:g} (exact "
                          "test on the two event counts)")
    return False, ""


def _event_change(cand: Measurement, entry: dict) -> float | None:
    if cand.metric != "ambient_fa_per_hour" or cand.hours is None:
        return None
    return (cand.value - _number(entry.get("value"))) * cand.hours


def poisson_rate_p_value(base_events: int, base_hours: float, cand_events: int,
                         cand_hours: float) -> float:
    """One-sided exact test that the candidate's rate is higher: conditional on the total,
    the candidate's count is binomial with p = its share of the hours."""
    total = base_events + cand_events
    if total == 0:
        return 1.0
    share = cand_hours / (cand_hours + base_hours)
    return 1.0 - binomial_cdf(cand_events - 1, total, share) if cand_events else 1.0


def _resolution_lines(cand: Measurement, entry: dict) -> list[str]:
    if cand.metric != "ambient_fa_per_hour" or cand.hours is None:
        return []
    per_event = 1 / cand.hours if cand.hours else math.inf
    events = round(cand.events)
    upper = poisson_upper(events, 0.95) / cand.hours
    lines = [f"1 false activation = {per_event:.2f} FA/h here ({cand.hours:g} h of ambient "
             f"audio, {cand.hours_source}); the candidate's {events} events give a Poisson 95% "
             f"upper bound of {upper:.2f} FA/h"]
    if entry.get("events") is not None:
        lines.append(f"baseline: {entry['events']:.1f} events over {entry.get('hours'):g} h")
    return lines


def _comparability(cand: Measurement, entry: dict, baseline: Baseline,
                   criteria: CriteriaFile) -> list[str]:
    alerts = []
    base_hours = entry.get("hours")
    if cand.hours and base_hours and abs(cand.hours - base_hours) > 0.01 * base_hours:
        alerts.append(f"ambient hours differ: baseline {base_hours:g} h, candidate "
                      f"{cand.hours:g} h; the FA/h resolutions differ")
    return alerts


def run_alerts(run: RunModel, baseline: Baseline, criteria: CriteriaFile) -> list[str]:
    """Differences that make a whole comparison doubtful: said loudly, once per run."""
    alerts = []
    prov = baseline.provenance
    mine = provenance(run, criteria)
    if prov.get("test_samples") and mine["test_samples"] and prov["test_samples"] != mine[
            "test_samples"]:
        alerts.append(f"test-set sizes differ: baseline {prov['test_samples']} samples, "
                      f"candidate {mine['test_samples']}")
    theirs, ours = prov.get("test_per_category") or {}, mine["test_per_category"]
    if theirs and ours and theirs != ours:
        alerts.append(f"test-set categories differ: baseline {theirs}, candidate {ours}")
    if prov.get("criteria_sha256") and prov["criteria_sha256"] != criteria.sha256:
        alerts.append("the criteria file changed since the baseline was saved "
                      f"({prov.get('criteria_file')})")
    for split in ("validation", "test"):
        theirs = (prov.get("ambient_hours") or {}).get(split)
        ours = mine["ambient_hours"].get(split)
        if theirs and ours and abs(theirs - ours) > 0.01 * theirs:
            alerts.append(f"{split} ambient hours differ: baseline {theirs:g} h, candidate "
                          f"{ours:g} h (a different split or ambient set)")
    unused = sorted(set(baseline.values) - {r.name for r in criteria.regressions})
    if unused:
        alerts.append(f"the baseline holds values no regression uses any more: "
                      f"{', '.join(unused)}")
    return alerts


def _provenance_text(baseline: Baseline) -> str:
    p = baseline.provenance
    keys = ("run", "steps", "config_hash", "git_commit", "created")
    return f"{baseline.origin}: " + ", ".join(f"{k} {p.get(k)}" for k in keys
                                               if p.get(k) is not None)


def _places(metric: str) -> int:
    return max(2, metrics.decimals(metric))


def _pct(rel: float) -> str:
    if math.isinf(rel):
        return "n/a: the baseline is 0"
    if math.isnan(rel):
        return "nan"
    return f"{100 * rel:+.1f}%"
