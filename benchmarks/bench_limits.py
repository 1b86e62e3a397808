"""Benchmark: what the Security I limits cost in grading time.

    .venv/bin/python benchmarks/bench_limits.py [--copies 3] [--repeats 3]

Grades N copies of the reference with `cnn-grader batch` (sandbox, one job), alternately with
every limit on (cgroups, seccomp: the default) and with both turned off
(CNN_GRADER_NO_CGROUPS, CNN_GRADER_NO_SECCOMP: the baseline), in the same run, and prints
medians and the per-repeat ratios. The uid switch and read-only mounts are not switchable:
they cost a few system calls per worker start. Needs a root judge for the cgroups.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from grader import api, sandbox
from grader.paths import SOLUTIONS_DIR

SWITCHES = ("CNN_GRADER_NO_CGROUPS", "CNN_GRADER_NO_SECCOMP")


def timed_batch(folder: Path, out: Path, *, limits: bool) -> float:
    for name in SWITCHES:
        if limits:
            os.environ.pop(name, None)
        else:
            os.environ[name] = "1"
    started = time.perf_counter()
    summary = api.batch(folder, out=out, jobs=1, progress=False, report=lambda text: None)
    seconds = time.perf_counter() - started
    assert all(r.score == r.max_score for r in summary["results"]), "the reference must keep full marks"
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=3, help="copies of the reference (default 3)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of each configuration (default 3)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cnn-grader-bench-limits-") as tmp:
        tmp = Path(tmp)
        refs = tmp / "refs"
        for i in range(args.copies):
            shutil.copytree(SOLUTIONS_DIR, refs / f"reference_{i:02d}", ignore=shutil.ignore_patterns("__pycache__"))
        timed_batch(refs, tmp / "warm-up", limits=False)  # starts the judges' fork server once
        rows = {"limits on": [], "baseline (off)": []}
        for r in range(args.repeats):  # interleaved: a noisy moment hits both alike
            rows["limits on"].append(timed_batch(refs, tmp / f"on{r}", limits=True) / args.copies)
            rows["baseline (off)"].append(timed_batch(refs, tmp / f"off{r}", limits=False) / args.copies)
            print(f"repeat {r + 1}/{args.repeats} done", file=sys.stderr)
        for name in SWITCHES:
            os.environ.pop(name, None)
        print(f"\nisolation with limits: {sandbox.describe()}")
        print(f"{args.copies} reference copies, 1 job, {args.repeats} repeats\n")
        print(f"{'configuration':<16} {'median s/submission':>20}  all repeats")
        for key, values in rows.items():
            print(f"{key:<16} {statistics.median(values):>20.2f}  {', '.join(f'{v:.2f}' for v in values)}")
        ratios = [on / off for on, off in zip(rows["limits on"], rows["baseline (off)"])]
        print(f"\ncost of the limits (on / off): median {statistics.median(ratios):.3f}x; "
              f"each repeat: {', '.join(f'{x:.3f}' for x in ratios)}")


if __name__ == "__main__":
    main()
