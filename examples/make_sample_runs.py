"""Regenerate the sample runs checked in beside this script.

    python examples/make_sample_runs.py

run-good passes example_criteria.yaml; run-overfit fails FA/h, the overfitting gap and
validation stability. Both use the real writers (tensorboard's EventFileWriter, h5py,
cProfile) in the microwakeword_trainer v2.0.0 layout; see pytest_mww/sample_run.py.
"""

import shutil
from pathlib import Path

from pytest_mww.sample_run import SampleRun, write_run

HERE = Path(__file__).resolve().parent

for name, spec in (("run-good", SampleRun(kind="good")),
                   ("run-overfit", SampleRun(kind="overfit"))):
    target = HERE / name
    shutil.rmtree(target, ignore_errors=True)
    write_run(target, spec)
    print(f"wrote {target}")
