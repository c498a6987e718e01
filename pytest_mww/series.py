"""Metric series kept as compact arrays, with provenance rebuilt only for the points shown.

A run of 300,000 steps holds millions of points; a Python object per point would cost
hundreds of megabytes. A series is four parallel arrays (step, value, location, source)
and a short list of sources; ``point(i)`` builds the one point a verdict talks about.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

NO_STEP = -(1 << 63)  # a value without a step (the test split's single evaluation)
PRIORITY = {"tb": 0, "report": 1, "log": 2, "derived": 3}


@dataclass(frozen=True)
class Point:
    step: int | None
    value: float
    origin: str  # "tb" | "report" | "log"
    file: str
    place: str  # "tag val/f1_score, record 431" | "line 136, …" | "advanced_metrics.fah"

    def where(self) -> str:
        return f"{self.file} ({self.place})"


@dataclass(frozen=True)
class Source:
    """Where the points of a raw series come from."""

    origin: str  # tb | report | log
    file: str
    label: str  # TensorBoard tag, log table kind, or report key
    raw_name: str

    def place(self, step: int | None, loc: int) -> str:
        if self.origin == "tb":
            return f"tag {self.label}, record {loc}"
        if self.origin in ("report", "derived"):
            return self.label if step is None else f"{self.label} at step {step}"
        if self.label == "progress":
            return f"line {loc}"
        if self.label == "Validation Results" and step is not None:
            return f"Validation Results — Step {step} table at line {loc}"
        return f"line {loc}, {self.label}"


class Series:
    """One metric on one split: parallel arrays sorted by step, one value per step."""

    __slots__ = ("split", "metric", "steps", "values", "locs", "srcs", "sources", "raw_names",
                 "lower")

    def __init__(self, split: str, metric: str, steps: array, values: array, locs: array,
                 sources: list[Source], srcs: array | None = None,
                 lower: Sequence[Series] = ()) -> None:
        self.split, self.metric = split, metric
        self.steps, self.values, self.locs = steps, values, locs
        self.sources, self.srcs = sources, srcs
        self.lower = list(lower)  # raw series that lost to this one where steps coincide
        self.raw_names = {s.raw_name for s in sources} | {
            name for other in self.lower for name in other.raw_names}

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        return f"Series({self.split!r}, {self.metric!r}, {len(self)} points)"

    def source_of(self, index: int) -> Source:
        return self.sources[self.srcs[index] if self.srcs is not None else 0]

    def point(self, index: int) -> Point:
        if index < 0:
            index += len(self)
        step = self.steps[index]
        step_or_none = None if step == NO_STEP else step
        source = self.source_of(index)
        return Point(step_or_none, self.values[index], source.origin, source.file,
                     source.place(step_or_none, self.locs[index]))

    @property
    def points(self) -> list[Point]:
        """Every point as an object: for small series, tests and inspection only."""
        return [self.point(i) for i in range(len(self))]

    @property
    def origins(self) -> set[str]:
        return {s.origin for s in self.sources}

    def stepped(self) -> range:
        """Indices of the points that have a step (all but a test split's single value)."""
        start = bisect_left(self.steps, NO_STEP + 1)
        return range(start, len(self))

    def index_of_step(self, step: int) -> int | None:
        i = bisect_left(self.steps, step)
        return i if i < len(self) and self.steps[i] == step else None

    def tail(self, count: int) -> list[Point]:
        """The last ``count`` points that have a step."""
        indices = self.stepped()
        return [self.point(i) for i in indices[-count:]] if count else []

    def extreme(self, largest: bool) -> int:
        """Index of the smallest or largest value; NaN only if every value is NaN."""
        values = self.values
        candidates = [i for i in range(len(values)) if values[i] == values[i]] or range(
            len(values))
        pick = max if largest else min
        return pick(candidates, key=values.__getitem__)

    def shadowed_at(self, step: int | None) -> list[Point]:
        """Points of the losing sources at this step (the log's rounded copy, say)."""
        out = []
        for other in self.lower:
            if step is None or self.split == "test":
                if len(other):
                    out.append(other.point(-1))
                continue
            i = other.index_of_step(step)
            if i is not None:
                out.append(other.point(i))
        return out


def raw_series(split: str, metric: str, source: Source, steps, values, locs
               ) -> tuple[Series, list[tuple[int, list[float]]], int | None]:
    """A raw series sorted by step with one value per step (the last one written wins).

    Returns the series, the steps written more than once with different values, and the
    position where the steps first went backwards (None when they never did).
    """
    steps = _as_array("q", steps)
    values = _as_array("d", values)
    locs = _as_array("I", locs)
    if _strictly_increasing(steps):
        return Series(split, metric, steps, values, locs, [source]), [], None
    last: dict[int, int] = {}
    seen: dict[int, list[float]] = {}
    for i, step in enumerate(steps):
        if step in last:
            seen.setdefault(step, [values[last[step]]]).append(values[i])
        last[step] = i
    order = sorted(last)
    picked = [last[s] for s in order]
    differing = [(s, vals) for s, vals in seen.items()
                 if len({v for v in vals if not math.isnan(v)}) > 1]
    return (Series(split, metric, array("q", order), array("d", (values[i] for i in picked)),
                   array("I", (locs[i] for i in picked)), [source]), differing,
            out_of_order(steps))


def out_of_order(steps: array) -> int | None:
    """The first position where the steps go backwards, or None."""
    view = np.frombuffer(steps, np.int64)
    backwards = np.flatnonzero(view[1:] < view[:-1])
    return int(backwards[0]) + 1 if len(backwards) else None


def _as_array(typecode: str, values) -> array:
    """The values as an array, shared (not copied) when they already are one."""
    if isinstance(values, array) and values.typecode == typecode:
        return values
    return array(typecode, values)


def _strictly_increasing(steps: array) -> bool:
    view = np.frombuffer(steps, np.int64)  # shares the array's memory, compared in C
    return bool((view[1:] > view[:-1]).all())


def merge(split: str, metric: str, ranked: list[Series]) -> Series:
    """One series from raw ones in order of preference: at each step the best source wins."""
    if len(ranked) == 1:
        only = ranked[0]
        return Series(split, metric, only.steps, only.values, only.locs, only.sources,
                      only.srcs)
    best = ranked[0]
    if split == "test":  # one evaluation: the best source's value
        return Series(split, metric, best.steps[-1:], best.values[-1:], best.locs[-1:],
                      best.sources, None, lower=ranked[1:])
    if all(other.steps == best.steps for other in ranked[1:]):
        # the usual case (TensorBoard and the log at the same evaluations): the best
        # source holds every step, so it is the merged series as it is
        return Series(split, metric, best.steps, best.values, best.locs, best.sources,
                      best.srcs, lower=ranked[1:])
    sources = [s.sources[0] for s in ranked]
    winner: dict[int, tuple[int, int]] = {}
    for rank in range(len(ranked) - 1, -1, -1):  # better ranks overwrite worse ones
        for i, step in enumerate(ranked[rank].steps):
            winner[step] = (rank, i)
    order = sorted(winner)
    steps, values, locs, srcs = array("q"), array("d"), array("I"), array("H")
    for step in order:
        rank, i = winner[step]
        steps.append(step)
        values.append(ranked[rank].values[i])
        locs.append(ranked[rank].locs[i])
        srcs.append(rank)
    return Series(split, metric, steps, values, locs, sources, srcs, lower=ranked[1:])
