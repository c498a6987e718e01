"""Regenerate the sample runs checked in beside this script.

    python examples/make_sample_runs.py

run-good passes example_criteria.yaml; run-overfit fails FA/h, the overfitting gap and
validation stability; run-official is an official microWakeWord train_dir (config dump,
logs/train and logs/validation, the console in train.log, streaming TFLite models with
their ROC files and an ESPHome manifest). They use the real writers (tensorboard's
EventFileWriter, h5py, cProfile; the TFLite flatbuffer is built field by field with the
flatbuffers library); see pytest_mww/sample_run.py.
"""

import shutil
from pathlib import Path

from pytest_mww.sample_run import SampleRun, write_official_run, write_run

HERE = Path(__file__).resolve().parent

for name, spec in (("run-good", SampleRun(kind="good")),
                   ("run-overfit", SampleRun(kind="overfit"))):
    target = HERE / name
    shutil.rmtree(target, ignore_errors=True)
    write_run(target, spec)
    print(f"wrote {target}")

target = HERE / "run-official"
shutil.rmtree(target, ignore_errors=True)
write_official_run(target)
print(f"wrote {target}")
