"""The run model: one object per training run, with named metric series per split.

Built from every reader. Where TensorBoard and the log both hold a value for the same
(split, metric, step), TensorBoard's exact float wins; for the test split
``test_report.json`` wins over the log's rounded tables. Nothing is sampled.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import metrics
from .layout import Layout, find_layout
from .problems import Problem
from .readers.checkpoints import Checkpoint, read_checkpoint
from .readers.events import EventFile, read_event_file
from .readers.jsonfiles import JsonFile, read_json
from .readers.official import RocCurve, TrainingConfig, read_streaming_roc, read_training_config
from .readers.profiles import Profile, read_profile
from .readers.terminal_log import LogReport, read_terminal_log
from .series import NO_STEP, PRIORITY, Series, Source, merge, raw_series

_CHECKPOINT_AT = re.compile(r"Checkpoint at step (\d+)")
_REASON = re.compile(r"Reason:\s*(.*)")


@dataclass
class Hours:
    hours: float
    source: str


@dataclass
class RunModel:
    name: str
    root: Path
    layout: Layout
    series: dict[tuple[str, str], Series] = field(default_factory=dict)
    raw: dict[str, Series] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    best_step: tuple[int, str] | None = None
    best_step_sources: list[tuple[int, str]] = field(default_factory=list)
    ambient_hours: dict[str, Hours] = field(default_factory=dict)
    log: LogReport | None = None
    events: list[EventFile] = field(default_factory=list)
    test_report: JsonFile | None = None
    run_metadata: JsonFile | None = None
    best_sidecar: JsonFile | None = None
    training_config: TrainingConfig | None = None
    rocs: dict[str, RocCurve] = field(default_factory=dict)  # variant → streaming ROC
    _profiles: dict[Path, Profile] = field(default_factory=dict, repr=False)
    _checkpoints: dict[Path, Checkpoint] = field(default_factory=dict, repr=False)

    @property
    def recognised(self) -> bool:
        return self.layout.recognised

    @property
    def tensorboard_damage(self) -> list[Problem]:
        return [p for e in self.events for p in e.problems if p.severity == "error"]

    def get(self, split: str, metric: str) -> Series | None:
        return self.series.get((split, metric))

    def lookup(self, name: str, default_split: str) -> Series | None:
        """A series by canonical name (with split), shorthand, or raw ``tb:``/``log:`` name."""
        if name in self.raw:
            return self.raw[name]
        split, metric = metrics.resolve(name, default_split)
        return self.get(split, metric)

    def available(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for split, metric in sorted(self.series):
            out.setdefault(split, []).append(metric)
        return out

    def all_names(self) -> list[str]:
        names = {metric for _, metric in self.series} | set(self.raw)
        return sorted(names | set(metrics.SHORTHANDS))

    def warnings(self) -> list[str]:
        return [str(p) for p in self.problems] + self.notes

    def profile(self, path: Path) -> Profile:
        """A profile file of this run, read once, on first use."""
        if path not in self._profiles:
            self._profiles[path] = read_profile(path, self.layout.rel(path))
        return self._profiles[path]

    def checkpoint(self, path: Path) -> Checkpoint:
        if path not in self._checkpoints:
            self._checkpoints[path] = read_checkpoint(path, self.layout.rel(path))
        return self._checkpoints[path]


def load_run(root: Path, name: str, timestamp: str | None = None,
             console: Path | None = None, layout: Layout | None = None) -> RunModel:
    """Read a run; ``layout`` is the folder's layout when the caller has found it already."""
    layout = layout or find_layout(root, timestamp, console)
    run = RunModel(name=name, root=root, layout=layout)
    run.problems.extend(layout.problems)
    if layout.recognised:
        run.notes.append(f"layout: {layout.kind}")
    if layout.ignored:
        run.notes.append("ignored (another run in the same folder): " + "; ".join(layout.ignored))
    if not layout.recognised:
        return run
    if layout.log is not None:
        run.log = read_terminal_log(layout.log, layout.rel(layout.log))
        run.problems.extend(run.log.problems)
        run.notes.extend(f"{run.log.path}: {note}" for note in run.log.notes)
        run.notes.extend(_state_notes(run.log))
    for path in layout.event_files:
        event_file = read_event_file(path, layout.rel(path))
        run.events.append(event_file)
        run.problems.extend(event_file.problems)
    if layout.test_report is not None:
        run.test_report = _json(run, layout.test_report)
        _check_report_belongs(run)
    if layout.checkpoint_dir is not None:
        run.run_metadata = _json(run, layout.checkpoint_dir / "run_metadata.json")
        run.best_sidecar = _json(run, layout.checkpoint_dir / "best_weights.weights.metadata.json")
    if layout.training_config is not None:
        run.training_config = read_training_config(layout.training_config,
                                                   layout.rel(layout.training_config))
        if run.training_config.problem:
            run.problems.append(run.training_config.problem)
    for path in layout.rocs:
        variant = path.parent.name.removeprefix("tflite_")
        curve = read_streaming_roc(path, layout.rel(path), variant)
        run.rocs[variant] = curve
        run.problems.extend(curve.problems)
    builder = _SeriesBuilder(run)
    builder.add_events()
    builder.add_report()
    builder.add_operating_points()
    builder.add_log()
    builder.finish()
    _find_best_step(run)
    _find_hours(run)
    return run


def _state_notes(log: LogReport) -> list[str]:
    """Whether training finished (run-format.md §0.3), and the errors it printed."""
    notes = []
    if log.state == "crashed":
        notes.append(f"{log.path}: training did not finish: the log ends (line "
                     f"{log.ended[1]}) without the '🏁 Training Complete' panel, so the run "
                     "crashed; the traceback is not in the log")
    for line, text in log.trouble[:3]:
        notes.append(f"{log.path}:{line}: {text}")
    return notes


def _json(run: RunModel, path: Path) -> JsonFile | None:
    if not path.is_file() or path.is_symlink():
        return None
    result = read_json(path, run.layout.rel(path))
    if result.problem:
        run.problems.append(result.problem)
    return result


def _check_report_belongs(run: RunModel) -> None:
    """test_report.json is overwritten by each run: use it only if its time fits the log."""
    report, log = run.test_report, run.log
    if report is None or report.data is None or log is None or log.started is None:
        return
    stamp = _dig(report.data, "metadata", "timestamp")
    try:
        when = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
    except ValueError:
        when = None
    if when is None:
        return
    end = log.ended[0] if log.ended else None
    if when < log.started[0] or (end is not None and when > end):
        run.problems.append(Problem(report.path, "metadata.timestamp", (
            f"was written at {stamp}, outside the judged run's log ({log.path}, "
            f"{log.started[0].isoformat()} to {end.isoformat() if end else '?'}); "
            "it belongs to another run and is not used"), severity="warning", source="json"))
        run.test_report = None


def _dig(data, *keys):
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


class _SeriesBuilder:
    """Raw series per source, then one merged series per (split, metric)."""

    def __init__(self, run: RunModel) -> None:
        self.run = run
        self.ranked: dict[tuple[str, str], list[tuple[int, Series]]] = {}

    def keep(self, key: tuple[str, str] | None, series: Series, name: str) -> None:
        self.run.raw[name] = series
        if key is not None:
            origin = series.sources[0].origin
            self.ranked.setdefault(key, []).append((PRIORITY[origin], series))

    def add_events(self) -> None:
        # the same tag in several files (a resumed run): concatenated in file order
        parts: dict[tuple[str, str], list] = {}
        for event_file in self.run.events:
            folder = Path(event_file.path).parent.name
            folder_split = metrics.directory_split(folder)
            for tag, tag_series in event_file.series.items():
                # unprefixed tags in train/ and validation/ folders are different series
                name = f"{folder}/{tag}" if folder_split and "/" not in tag else tag
                parts.setdefault((name, tag), []).append((event_file.path, folder_split,
                                                          tag_series))
        for (name, tag), pieces in parts.items():
            file, folder_split = pieces[-1][0], pieces[-1][1]
            mapped = metrics.tag_to_metric(tag, folder_split)
            split, metric = mapped if mapped else ("train" if tag.startswith("train")
                                                   else "validation", f"tb:{name}")
            for (first, _, a), (second, _, b) in zip(pieces, pieces[1:], strict=False):
                if len(a) and len(b) and min(b.steps) <= max(a.steps):
                    self.run.notes.append(
                        f"{second} repeats steps {max(min(b.steps), min(a.steps))}–"
                        f"{min(max(a.steps), max(b.steps))} of tag {tag} from {first} (a resumed "
                        "run?); at each repeated step the later file's value is judged")
            if len(pieces) == 1:
                steps, values, records = pieces[0][2].steps, pieces[0][2].values, \
                    pieces[0][2].records
            else:
                steps, values, records = array("q"), array("d"), array("I")
                for _, _, piece in pieces:
                    steps.extend(piece.steps)
                    values.extend(piece.values)
                    records.extend(piece.records)
            series, differing, back = raw_series(
                split, metric, Source("tb", file, tag, f"tb:{name}"), steps, values, records)
            if back is not None and len(pieces) == 1:
                self.run.problems.append(Problem(file, f"tag {tag}, record {records[back]}", (
                    f"steps go backwards (step {steps[back]} after {steps[back - 1]}); the "
                    "points are judged in step order"), severity="warning",
                    source="tensorboard"))
            for step, written in differing[:5]:
                self.run.problems.append(Problem(file, f"tag {tag} @ step {step}", (
                    f"written {len(written)} times with different values "
                    f"({', '.join(repr(v) for v in written)}); the last is used"),
                    severity="warning", source="tensorboard"))
            if len(differing) > 5:
                self.run.problems.append(Problem(file, f"tag {tag}", (
                    f"{len(differing)} steps were written more than once with different "
                    "values; the last value is used at each"), severity="warning",
                    source="tensorboard"))
            self.keep(mapped, series, f"tb:{name}")

    def add_report(self) -> None:
        report = self.run.test_report
        if report is None or not isinstance(report.data, dict):
            return
        for section in ("basic_metrics", "advanced_metrics"):
            values = report.data.get(section)
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                number = _as_number(value)
                if number is None:
                    continue
                name = f"report:{section}.{key}"
                source = Source("report", report.path, f"{section}.{key}", name)
                series, _, _ = raw_series("test", metrics.canonical(key), source,
                                          [NO_STEP], [number], [0])
                self.keep(("test", metrics.canonical(key)), series, name)

    def add_operating_points(self) -> None:
        """test_report.json's operating points as test-split metrics, e.g.
        ``recall_at_fah_0.5`` and ``threshold_at_fah_0.5``."""
        report = self.run.test_report
        points = report.data.get("operating_points") if report and isinstance(
            report.data, dict) else None
        if not isinstance(points, list):
            return
        for index, point in enumerate(points):
            if not isinstance(point, dict) or _as_number(point.get("target_fah")) is None:
                continue
            target = f"{point['target_fah']:g}"
            for key in ("recall", "threshold", "achieved_fah"):
                number = _as_number(point.get(key))
                if number is None:
                    continue
                metric = f"{key}_at_fah_{target}"
                name = f"report:operating_points[{index}].{key}"
                source = Source("report", report.path, f"operating_points[{index}].{key}",
                                name)
                series, _, _ = raw_series("test", metric, source, [NO_STEP], [number], [0])
                self.keep(("test", metric), series, name)

    def add_log(self) -> None:
        log = self.run.log
        if log is None:
            return
        for (split, name, kind), values in log.series.items():
            metric = metrics.canonical(name)
            raw = f"log:test:{name}" if split == "test" else f"log:{name}"
            source = Source("log", log.path, kind, raw)
            series, _, _ = raw_series(split, metric, source, values.steps, values.values,
                                      values.lines)
            self.keep((split, metric), series, raw)

    def finish(self) -> None:
        for key, ranked in self.ranked.items():
            ordered = [series for _, series in sorted(ranked, key=lambda item: item[0])]
            self.run.series[key] = merge(key[0], key[1], ordered)
        for split in ("train", "validation"):
            self._derive_f1(split)

    def _derive_f1(self, split: str) -> None:
        """F1 from recall and precision where a trainer (the official one) logs no F1."""
        series = self.run.series
        recall, precision = series.get((split, "recall")), series.get((split, "precision"))
        if (split, "f1") in series or recall is None or precision is None:
            return
        at = {step: i for i, step in enumerate(precision.steps)}
        steps, values, locs = [], [], []
        for i, step in enumerate(recall.steps):
            j = at.get(step)
            if j is None:
                continue
            r, p = recall.values[i], precision.values[j]
            steps.append(step)
            values.append(2 * p * r / (p + r) if p + r > 0 else 0.0)
            locs.append(0)
        if not steps:
            return
        where = recall.source_of(len(recall) - 1).file
        source = Source("derived", where, "2·precision·recall / (precision + recall)",
                        "derived:f1")
        derived, _, _ = raw_series(split, "f1", source, steps, values, locs)
        series[(split, "f1")] = derived
        self.run.raw["derived:f1" if split == "validation" else f"derived:{split}:f1"] = derived


def _as_number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _find_best_step(run: RunModel) -> None:
    """The step of the checkpoint the trainer saved as best (run-format.md §4)."""
    candidates: list[tuple[int, str]] = []
    for event_file in run.events:
        best = None
        for text in event_file.texts:
            if text.tag != "checkpoints/summary":
                continue
            at, reason = _CHECKPOINT_AT.search(text.text), _REASON.search(text.text)
            if at and reason and "improved" in reason.group(1) and "No " not in reason.group(1):
                best = (int(at.group(1)), f"{text.file} (text checkpoints/summary, record "
                                          f"{text.record}: {reason.group(1).strip()})")
        if best:
            candidates.append(best)
    if run.log is not None:
        with_step = [b for b in run.log.best_models if b.step is not None]
        if with_step:
            last = with_step[-1]
            candidates.append((last.step, f"{run.log.path} (line {last.line}: BEST MODEL "
                                          f"{last.reason})"))
    sidecar = run.best_sidecar.data if run.best_sidecar else None
    step = _dig(sidecar, "probability_cutoff_step")
    if isinstance(step, int) and not isinstance(step, bool):
        candidates.append((step, f"{run.best_sidecar.path} (probability_cutoff_step)"))
    run.best_step_sources = candidates
    if not candidates:
        return
    run.best_step = candidates[0]
    steps = {c[0] for c in candidates}
    if len(steps) > 1:
        run.notes.append("sources disagree on the best checkpoint's step: " + "; ".join(
            f"{s} from {where}" for s, where in candidates) + f"; using {candidates[0][0]}")


def _hours_from_counts(run: RunModel, log: LogReport) -> None:
    """The official trainer prints the count K and the rate F: the hours are K / F."""
    estimates = [(count / rate, line) for count, rate, line in log.absl_counts
                 if count > 0 and rate > 0]
    if not estimates:
        run.notes.append(f"{log.path}: every validation line has 0 ambient false positives, "
                         "so the hours of ambient audio (and the FA/h resolution) are unknown")
        return
    hours, line = estimates[-1]
    spread = max(h for h, _ in estimates) - min(h for h, _ in estimates)
    if spread > 0.01 * hours:
        run.notes.append(f"{log.path}: the ambient hours implied by the validation lines "
                         f"vary ({min(h for h, _ in estimates):.3f}–"
                         f"{max(h for h, _ in estimates):.3f} h); the last is used")
    count, rate, _ = next(c for c in reversed(log.absl_counts) if c[2] == line)
    run.ambient_hours["validation"] = Hours(hours, f"{log.path}:{line} (ambient false "
                                                   f"positives {count} / estimated false "
                                                   f"positives per hour {rate:g})")


def _find_hours(run: RunModel) -> None:
    """Hours of ambient audio behind each split's FA/h (run-format.md §6, §0.7)."""
    log = run.log
    if log is not None and log.validation_hours is not None:
        hours, line = log.validation_hours
        formula = f": {log.validation_formula}" if log.validation_formula else ""
        run.ambient_hours["validation"] = Hours(hours, f"{log.path}:{line} (scaled duration"
                                                       f"{formula})")
    elif log is not None and log.absl_counts:
        _hours_from_counts(run, log)
    report = run.test_report.data if run.test_report else None
    total, split = _dig(report, "metadata", "ambient_duration_hours"), _dig(
        report, "metadata", "test_split")
    if _as_number(total) and _as_number(split):
        run.ambient_hours["test"] = Hours(
            total / split, f"{run.test_report.path} (metadata: ambient_duration_hours {total} "
                           f"/ test_split {split})")

