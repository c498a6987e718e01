from __future__ import annotations

from pathlib import Path

import pytest

from pytest_mww.sample_run import SampleRun, write_run

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def make_run(tmp_path_factory):
    """Write a sample run with the real writers; keyword arguments go to SampleRun."""

    def make(name: str = "run", **options) -> Path:
        folder = tmp_path_factory.mktemp("runs") / name
        return write_run(folder, SampleRun(**options))

    return make


def event_file(run: Path) -> Path:
    return next(run.glob("logs/run_*/*tfevents*"))


def log_facts(report) -> tuple:
    """Everything a log report says, comparable with == (values as their bytes: NaN too)."""
    return ({k: (list(v.steps), v.values.tobytes(), list(v.lines)) for k, v in
             report.series.items()}, report.lines, report.validation_tables, report.trouble,
            report.state, report.started, report.ended, report.total_steps, report.phases,
            report.validation_hours, [(b.line, b.step, b.reason, b.path)
                                      for b in report.best_models],
            [str(p) for p in report.problems], report.notes, report.panel)
