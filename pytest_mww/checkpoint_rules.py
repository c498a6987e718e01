"""Checkpoint checks: the best checkpoint is there, sound and agreed on; weights are healthy.

Plain Python (no pytest). Paths printed by the trainer are resolved inside the run folder
only: a path that points outside it is reported and never opened.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from .criteria import NamedCheck
from .judge import Unjudged, Verdict, about_run, apply
from .run import RunModel

_GUIDE_BEST = re.compile(r"best_fah_step_(\d+)\.ckpt")
_SUMMARY_PATH = re.compile(r"Best weights path:\s*(\S+)")


def judge_checkpoint(check: NamedCheck, run: RunModel) -> Verdict:
    rules = {"best_finite": _best_finite, "best_path": _best_path, "best_step": _best_step,
             "final_exists": _final_exists, "weight_health": _weight_health}
    verdict = apply(lambda: rules[check.name](check, run), check.on_missing, check.severity)
    if check.remedy and verdict.outcome == "failed":
        verdict.details.append(f"what usually fixes it: {check.remedy}")
    verdict.properties.setdefault("threshold", _EXPECTED[check.name](check))
    verdict.details.append(f"check: {check.file}:{check.line} (checkpoints.{check.name})")
    about_run(verdict, run)
    return verdict


_EXPECTED = {
    "best_finite": lambda c: "opens, all finite",
    "best_path": lambda c: "inside the run folder",
    "best_step": lambda c: "sources agree",
    "final_exists": lambda c: "present",
    "weight_health": lambda c: (f"{c.options['vanishing_below']:g} <= max|w| <= "
                                f"{c.options['exploding_above']:g}"),
}


def checkpoint_dirs(run: RunModel) -> list[Path]:
    dirs = [run.layout.checkpoint_dir] if run.layout.checkpoint_dir else []
    return dirs + [run.root]


def best_checkpoint(run: RunModel) -> Path | None:
    for folder in checkpoint_dirs(run):
        candidate = folder / "best_weights.weights.h5"
        if candidate.is_file() and not candidate.is_symlink():
            return candidate
        guide = sorted((p for p in folder.glob("best_fah_step_*.ckpt*") if not p.is_symlink()),
                       key=lambda p: int(_GUIDE_BEST.search(p.name).group(1))
                       if _GUIDE_BEST.search(p.name) else -1)
        if guide:
            return guide[-1]
    return None


def _missing_best(run: RunModel) -> Unjudged:
    where = ", ".join(run.layout.rel(d) or "." for d in checkpoint_dirs(run))
    for folder in checkpoint_dirs(run):
        odd = folder / "best_weights.weights.h5"
        if odd.is_dir():
            return Unjudged(f"{run.layout.rel(odd)} is a folder, not a checkpoint file", [],
                            skippable=False)
    return Unjudged(f"no best checkpoint in run {run.name}",
                    [f"looked for best_weights.weights.h5 and best_fah_step_*.ckpt in {where}"],
                    skippable=True)


def _read(run: RunModel, path: Path):
    ckpt = run.checkpoint(path)
    if ckpt.skipped:
        raise Unjudged(f"{ckpt.path} not read: {ckpt.skipped}", [], skippable=True,
                       always_skip=True)
    if ckpt.problem is not None:
        raise Unjudged(f"checkpoint not judged: {ckpt.problem}", [], skippable=False)
    return ckpt


def _best_finite(check: NamedCheck, run: RunModel) -> Verdict:
    path = best_checkpoint(run)
    if path is None:
        raise _missing_best(run)
    ckpt = _read(run, path)
    bad = ckpt.first_non_finite()
    if bad is not None:
        verdict = Verdict("failed", f"best checkpoint {ckpt.path} holds non-finite weights: "
                                    f"{bad.name} {bad.shape} has {bad.first_bad}")
        count = sum(not t.finite for t in ckpt.tensors)
        verdict.details.append(f"{count} of {len(ckpt.tensors)} tensors are not finite")
        verdict.details.append("what usually fixes it: training diverged; lower the learning "
                               "rate, check the data for NaN, use the last finite checkpoint")
    else:
        verdict = Verdict("passed", f"best checkpoint {ckpt.path} opens and its "
                                    f"{len(ckpt.tensors)} tensors are all finite")
    verdict.properties.update(metric="checkpoint finite", source=ckpt.path,
                              observed=bad.name if bad else "finite",
                              display="NaN/Inf" if bad else "finite")
    return verdict


def recorded_best_path(run: RunModel) -> tuple[str, str] | None:
    """The best weights' path as the trainer printed it, with where it was printed."""
    log = run.log
    if log is not None:
        with_path = [b for b in log.best_models if b.path]
        if with_path:
            return with_path[-1].path, f"{log.path}:{with_path[-1].line} (BEST MODEL)"
        if "Best Weights" in log.panel:
            text, line = log.panel["Best Weights"]
            return text, f"{log.path}:{line} (completion panel)"
    for event_file in reversed(run.events):
        for text in reversed(event_file.texts):
            match = _SUMMARY_PATH.search(text.text)
            if match:
                return match.group(1), f"{text.file} (checkpoints/summary, record {text.record})"
    return None


def resolve_inside(run: RunModel, printed: str) -> tuple[Path | None, str]:
    """Map a printed path into the run folder; (None, reason) when it cannot be."""
    pure = PurePosixPath(printed.replace("\\", "/"))
    if pure.is_absolute():
        tail = PurePosixPath(*pure.parts[-2:])
        candidate = run.root / tail
        return (candidate, f"absolute path; judged as {tail} inside the run folder")
    normal = PurePosixPath(os.path.normpath(str(pure)))
    if normal.parts and normal.parts[0] == "..":
        return None, "points outside the run folder; not opened"
    return run.root / normal, ""


def _best_path(check: NamedCheck, run: RunModel) -> Verdict:
    recorded = recorded_best_path(run)
    if recorded is None:
        raise Unjudged("the run records no best-weights path", [
            "looked for the '→ path' line after '✅ BEST MODEL', the completion panel's "
            "'Best Weights' row and the checkpoints/summary text"], skippable=True)
    printed, where = recorded
    path, note = resolve_inside(run, printed)
    if path is None:
        verdict = Verdict("failed", f"best-weights path {printed!r} {note}")
    elif path.is_symlink():
        verdict = Verdict("failed", f"best-weights path {printed!r} is a symbolic link; "
                                    "not followed")
    elif path.is_file():
        verdict = Verdict("passed", f"best-weights path {printed!r} exists in the run folder")
    else:
        verdict = Verdict("failed", f"best-weights path {printed!r} does not exist in the run "
                                    "folder")
        verdict.details.append("the trainer saved it somewhere the artifact does not hold: "
                               "upload the whole checkpoint folder with the logs")
    verdict.details.append(f"printed at {where}" + (f"; {note}" if note and path else ""))
    verdict.properties.update(metric="best checkpoint path", observed=printed, source=where,
                              display="exists" if verdict.outcome == "passed" else "missing")
    return verdict


def _best_step(check: NamedCheck, run: RunModel) -> Verdict:
    sources = run.best_step_sources
    if not sources:
        raise Unjudged("the run records no best-checkpoint step", [
            "looked for TensorBoard checkpoints/summary text, BEST MODEL lines and "
            "best_weights.weights.metadata.json's probability_cutoff_step"], skippable=True)
    steps = sorted({s for s, _ in sources})
    lines = [f"step {s} from {where}" for s, where in sources]
    if len(steps) > 1:
        verdict = Verdict("failed", f"sources disagree on the best checkpoint's step: "
                                    f"{', '.join(map(str, steps))}")
        verdict.details += lines
        verdict.details.append("the sidecar is merged, not replaced, across runs (a stale "
                               "probability_cutoff_step survives); retrain into a clean folder")
    else:
        verdict = Verdict("passed", f"best checkpoint at step {steps[0]}, agreed by "
                                    f"{len(sources)} source(s)")
        verdict.details += lines
    verdict.properties.update(metric="best checkpoint step", observed=",".join(map(str, steps)),
                              display=",".join(map(str, steps)),
                              source="; ".join(w for _, w in sources))
    return verdict


def _final_exists(check: NamedCheck, run: RunModel) -> Verdict:
    for folder in checkpoint_dirs(run):
        for name in ("final_weights.weights.h5", "last_weights.weights.h5"):
            path = folder / name
            if path.is_file() and not path.is_symlink():
                ckpt = _read(run, path)
                verdict = Verdict("passed", f"final checkpoint {ckpt.path} exists and opens "
                                            f"({len(ckpt.tensors)} tensors)")
                verdict.properties.update(metric="final checkpoint", observed=ckpt.path,
                                          source=ckpt.path, display="exists")
                return verdict
    where = ", ".join(run.layout.rel(d) or "." for d in checkpoint_dirs(run))
    verdict = Verdict("failed", f"run {run.name} has no final checkpoint: training did not "
                                "finish")
    verdict.details.append(f"looked for final_weights.weights.h5 in {where}; the trainer "
                           "writes it after the last step, always")
    verdict.properties.update(metric="final checkpoint", observed="missing", display="missing")
    return verdict


def _weight_health(check: NamedCheck, run: RunModel) -> Verdict:
    low, high = check.options["vanishing_below"], check.options["exploding_above"]
    findings: list[str] = []
    judged = 0
    source = ""
    path = best_checkpoint(run)
    if path is not None:
        ckpt = _read(run, path)
        source = ckpt.path
        for tensor in ckpt.model_tensors:
            judged += 1
            findings += _tensor_findings(tensor.name, tensor.max_abs, tensor.identical,
                                         low, high, check.options["identical"], ckpt.path)
    latest: dict[str, object] = {}
    for event_file in run.events:
        for h in event_file.histograms:
            if not h.tag.startswith(("scores/", "distributions/")):
                latest[h.tag] = h
    for tag, h in sorted(latest.items()):
        judged += 1
        findings += _tensor_findings(f"histogram {tag}@{h.step}", max(abs(h.low), abs(h.high)),
                                     h.low == h.high and h.count > 1, low, high,
                                     check.options["identical"], h.file)
    if not judged:
        if path is None:
            raise _missing_best(run)
        raise Unjudged(f"no model weights to judge in {source}", [], skippable=True)
    if findings:
        verdict = Verdict("failed", f"{len(findings)} of {judged} weight tensors look unhealthy: "
                                    f"{findings[0]}")
        verdict.details += findings[:20]
        verdict.details.append("very small weights → vanishing gradients; very large → "
                               "exploding gradients; all weights identical → an "
                               "initialisation problem (the guide)")
    else:
        verdict = Verdict("passed", f"{judged} weight tensors healthy: max |w| between "
                                    f"{low:g} and {high:g}, none constant")
    verdict.details.append("optimizer state and one-element tensors are not judged")
    verdict.properties.update(metric="weight health", observed=str(len(findings)),
                              display=f"{len(findings)} bad", source=source or "histograms")
    return verdict


def _tensor_findings(name: str, max_abs: float, identical: bool, low: float, high: float,
                     check_identical: bool, where: str) -> list[str]:
    out = []
    if max_abs < low:
        out.append(f"{name} vanishing: max |w| {max_abs:.3g} < {low:g} ({where})")
    if max_abs > high:
        out.append(f"{name} exploding: max |w| {max_abs:.3g} > {high:g} ({where})")
    if identical and check_identical and max_abs >= low:
        out.append(f"{name} has all weights identical ({where})")
    return out
