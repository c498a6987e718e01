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
