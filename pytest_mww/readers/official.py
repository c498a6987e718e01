"""Files of an official microWakeWord ``train_dir`` (run-format.md §7).

``training_config.yaml`` is a config dump with ``!!python/tuple`` tags: it is read with a
safe loader that turns those tags into lists (nothing is constructed or executed).
``tflite_*/tflite_streaming_roc.txt`` holds an ``AUC x`` line and ``Cutoff c: frr=…;
faph=…`` rows, the streaming model's operating points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..problems import Problem
from .terminal_log import REAL

MAX_TEXT_BYTES = 16 * 1024 * 1024
_AUC = re.compile(rf"^\s*AUC\s*[:=]?\s*({REAL})\s*$", re.I)
_CUTOFF = re.compile(rf"^\s*Cutoff\s+({REAL})\s*:\s*frr\s*=\s*({REAL})\s*;"
                     rf"\s*faph\s*=\s*({REAL})\s*;?\s*$", re.I)


class _TupleSafeLoader(yaml.SafeLoader):
    """SafeLoader that reads ``!!python/tuple`` as a plain list."""


_TupleSafeLoader.add_constructor(
    "tag:yaml.org,2002:python/tuple",
    lambda loader, node: loader.construct_sequence(node))


@dataclass
class TrainingConfig:
    path: str
    data: dict = field(default_factory=dict)
    problem: Problem | None = None


def read_training_config(path: Path, display: str) -> TrainingConfig:
    result = TrainingConfig(display)
    try:
        if path.stat().st_size > MAX_TEXT_BYTES:
            raise ValueError(f"is larger than {MAX_TEXT_BYTES} bytes")
        loader = _TupleSafeLoader(path.read_bytes().decode("utf-8"))
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except (OSError, ValueError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        place = f"line {mark.line + 1}" if mark else ""
        message = getattr(exc, "problem", None) or str(exc)
        result.problem = Problem(display, place, f"cannot be read as YAML: {message}",
                                 severity="warning", source="config")
        return result
    if isinstance(data, dict):
        result.data = data
    else:
        result.problem = Problem(display, "", "is not a mapping", severity="warning",
                                 source="config")
    return result


@dataclass
class RocCurve:
    """A streaming model's operating points: (cutoff, false-rejection rate, FA/h)."""

    path: str
    variant: str
    auc: float | None = None
    rows: list[tuple[float, float, float, int]] = field(default_factory=list)  # + line
    problems: list[Problem] = field(default_factory=list)

    def best_frr_within(self, budget: float) -> tuple[float, float, float, int] | None:
        """The lowest FRR among cutoffs whose FA/h is within the budget."""
        within = [r for r in self.rows if r[2] <= budget]
        return min(within, key=lambda r: (r[1], -r[0])) if within else None

    def at_cutoff(self, cutoff: float) -> tuple[float, float, float, int] | None:
        exact = [r for r in self.rows if abs(r[0] - cutoff) < 1e-9]
        return exact[0] if exact else None


def read_streaming_roc(path: Path, display: str, variant: str) -> RocCurve:
    curve = RocCurve(display, variant)
    try:
        if path.stat().st_size > MAX_TEXT_BYTES:
            raise ValueError(f"is larger than {MAX_TEXT_BYTES} bytes")
        text = path.read_bytes().decode("utf-8", errors="replace")
    except (OSError, ValueError) as exc:
        curve.problems.append(Problem(display, "", f"cannot be read: {exc}", source="roc"))
        return curve
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _CUTOFF.match(line)
        if match:
            curve.rows.append((float(match.group(1)), float(match.group(2)),
                               float(match.group(3)), number))
            continue
        match = _AUC.match(line)
        if match:
            curve.auc = float(match.group(1))
            continue
        curve.problems.append(Problem(display, f"line {number}", (
            f"is not an 'AUC x' or 'Cutoff c: frr=…; faph=…' line: {line.strip()[:80]!r}"),
            source="roc"))
    if not curve.rows and not curve.problems:
        curve.problems.append(Problem(display, "", "holds no 'Cutoff c: frr=…; faph=…' rows",
                                      source="roc"))
    return curve
