"""Load: one pytest session judging many runs × 15 criteria, serially and under -n 2.

    python bench/bench_many.py /tmp/bench/many --runs 200

Writes the runs with the real writers (half healthy, half overfitting), runs the gate
once serially and once with pytest-xdist, checks every verdict against the run's kind,
and prints wall time and peak memory of each session.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pytest_mww.sample_run import SampleRun, write_run  # noqa: E402

CRITERIA = """\
criteria:
  fa_per_hour: {metric: ambient_fa_per_hour, lt: 0.5}
  fa_per_hour_best: {metric: ambient_fa_per_hour, at: best, lt: 0.5}
  f1: {metric: f1, gt: 0.9}
  recall: {metric: recall, gt: 0.9}
  precision: {metric: precision, gt: 0.9}
  accuracy: {metric: accuracy, gt: 0.95}
  test_fa_per_hour: {metric: ambient_fa_per_hour, split: test, lt: 0.5}
  test_f1: {metric: f1, split: test, gt: 0.9}
  test_recall: {metric: recall, split: test, gt: 0.9}
  test_precision: {metric: precision, split: test, gt: 0.9}
  gap: {check: gap, metric: [loss, auc_roc], lt: 0.1}
  stability: {check: trend, metric: [val_loss, auc_pr], window: 5, max_worsening: 0.05}
  loss_band: {metric: train_loss, max: 0.5}
  lr_schedule: {check: lr_schedule}
  finished: {check: finished}
"""
# what an overfitting sample run fails (the rest passes); a healthy one passes all
OVERFIT_FAILS = {"fa_per_hour", "fa_per_hour_best", "f1", "recall", "precision", "accuracy",
                 "test_fa_per_hour", "test_f1", "test_recall", "test_precision", "gap",
                 "stability"}


def session(runs: list[Path], criteria: Path, extra: list[str], folder: Path) -> dict:
    xml = folder / f"gate{'-xdist' if extra else ''}.xml"
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            f"--mww-criteria={criteria}", f"--junitxml={xml}", *extra,
            *[f"--mww-run={r}" for r in runs], str(folder / "empty")]
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, cwd=folder / "empty")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    verdicts = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        run = case.get("classname").removeprefix("mww.")
        verdicts[(run, case.get("name"))] = "failed" if case.find("failure") is not None \
            else "passed"
    return {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024, "verdicts": verdicts,
            "exit": os.waitstatus_to_exitcode(status)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    folder = args.folder
    (folder / "empty").mkdir(parents=True, exist_ok=True)
    runs = []
    for i in range(args.runs):
        kind = "good" if i % 2 == 0 else "overfit"
        run = folder / f"run{i:03d}-{kind}"
        if not run.exists():
            write_run(run, SampleRun(kind=kind, steps=1000, eval_every=100,
                                     checkpoint_every=500, profiles=False))
        runs.append(run)
    criteria = folder / "criteria.yaml"
    criteria.write_text(CRITERIA)
    names = [line.split(":")[0].strip() for line in CRITERIA.splitlines()[1:]]
    expected = {(r.name, n): "failed" if r.name.endswith("overfit") and n in OVERFIT_FAILS
                else "passed" for r in runs for n in names}
    for label, extra in (("serial", []), ("xdist -n 2", ["-n", "2"])):
        result = session(runs, criteria, extra, folder)
        wrong = [k for k, v in expected.items() if result["verdicts"].get(k) != v]
        print(f"{label:<11} {len(runs)} runs × {len(names)} criteria = "
              f"{len(result['verdicts'])} tests in {result['seconds']:.1f} s, peak RSS "
              f"{result['rss_mb']:.0f} MB (controller), exit {result['exit']}; "
              f"{'all verdicts correct' if not wrong else f'{len(wrong)} WRONG: {wrong[:3]}'}")


if __name__ == "__main__":
    main()
