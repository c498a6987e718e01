"""Find the files of one training run inside a folder, and pick the newest run.

The trainer cleans nothing between runs (run-format.md §1): one folder may hold several
``terminal_*.log`` files, several ``run_*`` event folders and stale checkpoints. The newest
by timestamp is judged unless a timestamp is asked for; the rest is reported, not read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from .problems import Problem

_TIMESTAMP = re.compile(r"(\d{8}_\d{6})")
_RUN_DIR = re.compile(r"^run_(\d{8}_\d{6})$")
_LOG_NAME = re.compile(r"^terminal_.*\.log$")
MAX_WALK_ENTRIES = 50_000
MAX_DEPTH = 8
CHECKPOINT_DIRS = ("checkpoints", "models/checkpoints")

LOOKED_FOR = (
    "logs/terminal_*.log, TensorBoard event files (events.out.tfevents.*), "
    "logs/test_report.json, checkpoints/ or models/checkpoints/ (microwakeword_trainer "
    "v2.0.0); training_config.yaml, logs/train/, logs/validation/, tflite_*/ (official "
    "microWakeWord train_dir)"
)


@dataclass
class Layout:
    root: Path
    log: Path | None = None
    event_files: list[Path] = field(default_factory=list)
    test_report: Path | None = None
    checkpoint_dir: Path | None = None
    training_config: Path | None = None  # official train_dir
    rocs: list[Path] = field(default_factory=list)  # tflite_*/tflite_streaming_roc.txt
    tflites: list[Path] = field(default_factory=list)
    manifests: list[Path] = field(default_factory=list)  # JSON beside a .tflite
    ignored: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def recognised(self) -> bool:
        return bool(self.log or self.event_files or self.test_report or self.checkpoint_dir
                    or self.training_config or self.tflites)

    @property
    def kind(self) -> str:
        if self.training_config is not None:
            return "official microWakeWord train_dir"
        if self.recognised:
            return "microwakeword_trainer v2.0.0 run folder"
        return "unrecognised folder"

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def find_layout(root: Path, timestamp: str | None = None,
                console: Path | None = None) -> Layout:
    layout = Layout(root)
    logs: list[Path] = []
    consoles: list[Path] = []
    event_dirs: dict[Path, list[Path]] = {}
    reports: list[Path] = []
    jsons: list[Path] = []
    for path in _walk(root, layout):
        name = path.name
        if _LOG_NAME.match(name) and path.parent in (root, root / "logs"):
            logs.append(path)
        elif name.endswith((".log", ".txt")) and path.parent == root and name != \
                "model_summary.txt":
            consoles.append(path)
        elif "tfevents" in name:
            event_dirs.setdefault(path.parent, []).append(path)
        elif name == "test_report.json":
            reports.append(path)
        elif name == "training_config.yaml" and path.parent == root:
            layout.training_config = path
        elif name == "tflite_streaming_roc.txt":
            layout.rocs.append(path)
        elif name.endswith(".tflite"):
            layout.tflites.append(path)
        elif name.endswith(".json"):
            jsons.append(path)
    layout.log = _pick(logs, timestamp, layout, "terminal log")
    if console is not None:
        layout.log = console
    elif layout.log is None and layout.training_config is not None and consoles:
        # the official trainer writes no log file: its console, saved in the folder
        layout.log = max(consoles, key=lambda p: p.stat().st_size)
    tflite_dirs = {p.parent for p in layout.tflites}
    layout.manifests = sorted(p for p in jsons if p.parent in tflite_dirs)
    layout.event_files = _pick_events(event_dirs, timestamp, layout)
    layout.test_report = _pick_report(reports, layout)
    for candidate in CHECKPOINT_DIRS:
        folder = root / candidate
        if folder.is_dir() and not folder.is_symlink():
            layout.checkpoint_dir = folder
            break
    return layout


def _walk(root: Path, layout: Layout):
    """Every regular file below ``root``; symbolic links are reported, never followed."""
    seen = 0
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        depth = len(here.relative_to(root).parts)
        for name in list(dirs):
            if (here / name).is_symlink():
                layout.problems.append(_link_problem(layout, here / name))
                dirs.remove(name)
            elif _looks_like_a_file(name):
                layout.problems.append(Problem(layout.rel(here / name), "", (
                    "is a folder where a file of that name is expected; not read"),
                    severity="warning"))
        if depth >= MAX_DEPTH:
            dirs[:] = []
        for name in sorted(files):
            path = here / name
            seen += 1
            if seen > MAX_WALK_ENTRIES:
                layout.problems.append(Problem(layout.rel(root), "", (
                    f"holds more than {MAX_WALK_ENTRIES} files; the rest was not searched"),
                    severity="warning"))
                return
            if path.is_symlink():
                layout.problems.append(_link_problem(layout, path))
                continue
            yield path


def _looks_like_a_file(name: str) -> bool:
    return bool(_LOG_NAME.match(name) or "tfevents" in name or name.endswith(
        (".json", ".prof", ".h5", ".ckpt")))


def _link_problem(layout: Layout, path: Path) -> Problem:
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    return Problem(layout.rel(path), "", f"is a symbolic link (to {target}); not followed",
                   severity="warning")


def _stamp(path: Path) -> str:
    match = _TIMESTAMP.search(path.name)
    return match.group(1) if match else ""


def _distance(stamp: str, wanted: str) -> float:
    digits = lambda s: int(s.replace("_", "")) if s else 0  # noqa: E731
    return abs(digits(stamp) - digits(wanted)) if stamp else float("inf")


def _pick(paths: list[Path], timestamp: str | None, layout: Layout, what: str) -> Path | None:
    if not paths:
        return None
    if timestamp:
        chosen = min(paths, key=lambda p: _distance(_stamp(p), timestamp))
    else:
        chosen = max(paths, key=lambda p: (_stamp(p), p.stat().st_mtime, p.name))
    for other in paths:
        if other != chosen:
            layout.ignored.append(f"{layout.rel(other)} (another run's {what})")
    return chosen


def _pick_events(groups: dict[Path, list[Path]], timestamp: str | None,
                 layout: Layout) -> list[Path]:
    runs = {folder: files for folder, files in groups.items() if _RUN_DIR.match(folder.name)}
    chosen: list[Path] = []
    if runs:
        by_stamp = list(runs)
        if timestamp:
            pick = min(by_stamp, key=lambda f: _distance(_stamp(f), timestamp))
        else:
            pick = max(by_stamp, key=lambda f: (_stamp(f), f.name))
        for folder in by_stamp:
            if folder != pick:
                layout.ignored.append(f"{layout.rel(folder)}/ (another run's TensorBoard folder)")
        chosen.extend(sorted(runs[pick]))
    for folder, files in sorted(groups.items()):
        if folder not in runs:
            chosen.extend(sorted(files))
    return chosen


def _pick_report(reports: list[Path], layout: Layout) -> Path | None:
    if not reports:
        return None
    preferred = [layout.root / "logs" / "test_report.json", layout.root / "test_report.json"]
    for event in layout.event_files[:1]:
        preferred.insert(0, event.parent.parent / "test_report.json")
    for candidate in preferred:
        if candidate in reports:
            chosen = candidate
            break
    else:
        chosen = sorted(reports)[0]
    for other in reports:
        if other != chosen:
            layout.ignored.append(f"{layout.rel(other)} (another test report)")
    return chosen
