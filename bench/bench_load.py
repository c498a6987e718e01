"""Benchmark: how fast pytest-mww reads a run, next to the floor and tensorboard's reader.

    python bench/make_run.py /tmp/bench/run-3k --steps 3000
    python bench/make_run.py /tmp/bench/run-30k --steps 30000
    python bench/bench_load.py /tmp/bench/run-3k /tmp/bench/run-30k [--repeat 5]

Every measurement runs in a fresh process (the page cache is warm after the first) and is
repeated; the table shows medians and each process's peak RSS. It also checks that the
plugin's series equal tensorboard's EventAccumulator (keep-all) point for point.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TASKS = ("read", "frame", "frame_crc", "ea_keepall", "ea_default", "events", "log", "load",
         "gate", "startup")


def event_files(run: Path) -> list[Path]:
    return sorted(p for p in run.rglob("*tfevents*") if p.is_file())


def event_dirs(run: Path) -> list[Path]:
    return sorted({p.parent for p in event_files(run)})


# --- the tasks, each run in a child process ---------------------------------------------


def task(name: str, run: Path) -> dict:
    extra: dict = {}
    if name == "read":
        extra["bytes"] = sum(len(p.read_bytes()) for p in event_files(run))
    elif name in ("frame", "frame_crc"):
        import google_crc32c
        records = 0
        for path in event_files(run):
            data = path.read_bytes()
            pos, size, unpack, crc = 0, len(data), struct.unpack_from, google_crc32c.value
            while pos + 12 <= size:
                (length,) = unpack("<Q", data, pos)
                if name == "frame_crc":
                    crc(data[pos:pos + 8])
                    crc(data[pos + 12:pos + 12 + length])
                else:
                    data[pos + 12:pos + 12 + length]  # noqa: B018 - slicing is the work
                pos += 16 + length
                records += 1
        extra["records"] = records
    elif name.startswith("ea_"):
        from tensorboard.backend.event_processing import event_accumulator as ea
        guidance = None if name == "ea_default" else {
            ea.SCALARS: 0, ea.TENSORS: 0, ea.HISTOGRAMS: 0, ea.COMPRESSED_HISTOGRAMS: 0,
            ea.IMAGES: 0, ea.AUDIO: 0}
        kept = 0
        for folder in event_dirs(run):
            acc = ea.EventAccumulator(str(folder), size_guidance=guidance)
            acc.Reload()
            kept += sum(len(acc.Tensors(t)) for t in acc.Tags()["tensors"])
            kept += sum(len(acc.Scalars(t)) for t in acc.Tags()["scalars"])
        extra["points_kept"] = kept
    elif name == "events":
        from pytest_mww.readers.events import read_event_file
        files = [read_event_file(p, p.name) for p in event_files(run)]
        extra["points"] = sum(len(s) for f in files for s in f.series.values())
    elif name == "log":
        from pytest_mww.readers.terminal_log import read_terminal_log
        log = next(run.glob("logs/terminal_*.log"))
        report = read_terminal_log(log, log.name)
        extra["bytes"] = log.stat().st_size
        extra["values"] = sum(len(s) for s in report.series.values())
    elif name == "load":
        from pytest_mww.run import load_run
        model = load_run(run, run.name)
        extra["points"] = sum(len(s) for s in model.series.values())
    return extra


def child_main(name: str, run: Path) -> None:
    import resource

    # imports are start-up, not reading: load them before the clock starts
    import google_crc32c  # noqa: F401
    from tensorboard.backend.event_processing import event_accumulator  # noqa: F401

    import pytest_mww.run  # noqa: F401
    started = time.perf_counter()
    extra = task(name, run)
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss, **extra}))


def measure(name: str, run: Path, repeat: int) -> dict:
    samples, rss, extra = [], [], {}
    for _ in range(repeat):
        if name in ("gate", "startup"):
            target = REPO / "examples" / "run-good" if name == "startup" else run
            with tempfile.TemporaryDirectory() as empty:
                command = [sys.executable, "-m", "pytest", f"--mww-run={target}", "-q",
                           "-p", "no:cacheprovider", f"--mww-criteria={REPO}/example_criteria.yaml",
                           empty]
                started = time.perf_counter()
                process = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=empty)
                _, _, usage = os.wait4(process.pid, 0)
                samples.append(time.perf_counter() - started)
                rss.append(usage.ru_maxrss / 1024)
            continue
        done = subprocess.run([sys.executable, __file__, "--child", name, str(run)],
                              capture_output=True, text=True, check=True, cwd=REPO)
        result = json.loads(done.stdout)
        samples.append(result.pop("seconds"))
        rss.append(result.pop("rss_mb"))
        extra = result
    return {"median": statistics.median(samples), "rss": max(rss), **extra}


def compare_with_accumulator(run: Path) -> str:
    """Do the plugin's series equal EventAccumulator keep-all's, point for point?"""
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.util import tensor_util

    from pytest_mww.readers.events import read_event_file

    compared = 0
    for folder in event_dirs(run):
        acc = ea.EventAccumulator(str(folder), size_guidance={ea.SCALARS: 0, ea.TENSORS: 0})
        acc.Reload()
        ours: dict[str, list] = {}
        for path in sorted(folder.glob("*tfevents*")):
            for tag, series in read_event_file(path, path.name).series.items():
                ours.setdefault(tag, []).extend(zip(series.steps, series.values, strict=True))
        theirs: dict[str, list] = {}
        for tag in acc.Tags()["tensors"]:
            events = [e for e in acc.Tensors(tag) if e.tensor_proto.dtype in (1, 2)
                      and not e.tensor_proto.tensor_shape.dim]
            if events:
                theirs[tag] = [(e.step, float(tensor_util.make_ndarray(e.tensor_proto)))
                               for e in events]
        for tag in acc.Tags()["scalars"]:
            theirs[tag] = [(e.step, e.value) for e in acc.Scalars(tag)]
        if set(ours) != set(theirs):
            return f"DIFFERENT tags: {sorted(set(ours) ^ set(theirs))}"
        for tag in theirs:
            if ours[tag] != theirs[tag]:
                return f"DIFFERENT values for {tag}"
            compared += len(ours[tag])
    return f"identical: {compared:,} points, every tag, point for point"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip", action="append", default=[], choices=TASKS,
                        help="leave a task out (e.g. ea_default on a huge run)")
    parser.add_argument("--child", nargs=2, metavar=("TASK", "RUN"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main(args.child[0], Path(args.child[1]))
        return
    results = {}
    for run in args.runs:
        size = sum(p.stat().st_size for p in event_files(run)) / 1e6
        log = next(run.glob("logs/terminal_*.log"), None)
        log_mb = log.stat().st_size / 1e6 if log else 0
        print(f"\n## {run.name}: {size:.1f} MB of events, {log_mb:.1f} MB of log, "
              f"medians of {args.repeat} fresh processes")
        rows = {}
        for name in TASKS:
            if name in args.skip or (name == "log" and not log):
                continue
            rows[name] = measure(name, run, args.repeat)
        results[run.name] = rows
        floor = rows.get("frame_crc", {}).get("median")
        ea_all = rows.get("ea_keepall", {}).get("median")
        print(f"{'task':<12} {'median s':>9} {'peak RSS MB':>12}  notes")
        for name, row in rows.items():
            notes = []
            if name == "events" and ea_all:
                notes.append(f"{ea_all / row['median']:.1f}× faster than EventAccumulator "
                             "keep-all")
            if name == "events" and floor:
                notes.append(f"{row['median'] / floor:.1f}× the framing+CRC floor")
            if name == "ea_default" and "ea_keepall" in rows:
                kept, total = row["points_kept"], rows["ea_keepall"]["points_kept"]
                notes.append(f"keeps {kept:,} of {total:,} points: drops {total - kept:,}")
            if name == "log":
                notes.append(f"{row['bytes'] / row['median'] / 1e6:.0f} MB/s, "
                             f"{row['values']:,} values")
            if name == "gate" and "load" in rows and "startup" in rows:
                budget = rows["load"]["median"] + rows["startup"]["median"]
                notes.append(f"load + start-up = {budget:.2f} s")
            for key in ("points", "records"):
                if key in row:
                    notes.append(f"{row[key]:,} {key}")
            print(f"{name:<12} {row['median']:>9.3f} {row['rss']:>12.0f}  {'; '.join(notes)}")
        print("EventAccumulator check:", compare_with_accumulator(run))
    names = list(results)
    if len(names) >= 2 and all("load" in results[n] for n in names):
        first, last = results[names[0]]["load"], results[names[-1]]["load"]
        print(f"\nscaling: load {names[-1]} / {names[0]} = "
              f"{last['median'] / first['median']:.1f}× (points "
              f"{last['points'] / first['points']:.1f}×)")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
