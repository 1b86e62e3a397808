"""Benchmark: how fast the judge grades, and what isolation costs.

    .venv/bin/python benchmarks/bench_grading.py [--copies 4] [--repeats 3] [--command-judges]

Grades N copies of the reference plus the demo class with `cnn-grader batch`, side by side in
one run, and prints medians and ratios (this machine is noisy: read ratios, not single runs):
- per-submission wall time of the sandboxed judge with one job;
- throughput with 1 and 2 jobs;
- isolation overhead: the same hidden suites on the same reference copies, sandboxed against
  in-process (the in-process run is the baseline; it is only safe because the code is ours);
- what most of that overhead is: the start-up of a fresh sandboxed worker (importing torch),
  timed on its own. Both configurations fork their judges from the same preloaded server;
  `--command-judges` starts every judge as a fresh `python -m grader judge` instead (the way
  batch worked before judges were forked), for comparison.
Targets (issue 3): <= 8 s per submission on one job, overhead <= 1.5x, 2 jobs >= 1.7x of 1.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from grader import api
from grader.paths import REPO_ROOT, SOLUTIONS_DIR

DEMO = REPO_ROOT / "examples" / "class"


def make_class(root: Path, copies: int, with_demo: bool) -> Path:
    root.mkdir(parents=True)
    for i in range(copies):
        shutil.copytree(SOLUTIONS_DIR, root / f"reference_{i:02d}", ignore=shutil.ignore_patterns("__pycache__"))
    if with_demo:
        for item in DEMO.iterdir():
            if item.is_dir():
                shutil.copytree(item, root / item.name)
            elif item.suffix == ".zip":
                shutil.copyfile(item, root / item.name)
    return root


def worker_startup(repeats: int) -> list[float]:
    """Seconds from starting a sandboxed worker to its hello (after it has imported torch)."""
    from grader.worker_link import WorkerTransport

    times = []
    for _ in range(repeats):
        worker = WorkerTransport(SOLUTIONS_DIR)
        try:
            started = time.perf_counter()
            worker.start()
            worker._wait_ready()
            times.append(time.perf_counter() - started)
        finally:
            worker.close()
    return times


def timed_batch(folder: Path, out: Path, *, jobs: int, isolation: str, judge_command=None) -> tuple[float, dict]:
    started = time.perf_counter()
    summary = api.batch(folder, out=out, jobs=jobs, isolation=isolation, progress=False, report=lambda text: None,
                        judge_command=judge_command)
    return time.perf_counter() - started, summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=4, help="copies of the reference (default 4)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of each measurement (default 3)")
    parser.add_argument("--command-judges", action="store_true",
                        help="start each judge as a fresh `python -m grader judge` instead of forking it")
    args = parser.parse_args(argv)
    judge = [sys.executable, "-m", "grader", "judge"] if args.command_judges else None
    run = functools.partial(timed_batch, judge_command=judge)

    with tempfile.TemporaryDirectory(prefix="cnn-grader-bench-") as tmp:
        tmp = Path(tmp)
        refs = make_class(tmp / "refs", args.copies, with_demo=False)
        everyone = make_class(tmp / "class", args.copies, with_demo=True)
        count = sum(1 for _ in everyone.iterdir())
        rows = {"sandbox, 1 job (refs)": [], "in-process, 1 job (refs)": [],
                "sandbox, 1 job (class)": [], "sandbox, 2 jobs (class)": [], "worker start-up": []}
        # Untimed: the first batch of a process starts the server that judges are forked from
        # (about 2 s, once per batch); every configuration below then finds it running.
        make_class(tmp / "warm-up", 1, with_demo=False)
        run(tmp / "warm-up", tmp / "o-warm-up", jobs=1, isolation="inprocess")
        for r in range(args.repeats):
            # Interleaved, so that a noisy moment hits every configuration alike.
            rows["sandbox, 1 job (refs)"].append(run(refs, tmp / f"o{r}a", jobs=1, isolation="sandbox")[0])
            rows["in-process, 1 job (refs)"].append(run(refs, tmp / f"o{r}b", jobs=1, isolation="inprocess")[0])
            rows["sandbox, 1 job (class)"].append(run(everyone, tmp / f"o{r}c", jobs=1, isolation="sandbox")[0])
            rows["sandbox, 2 jobs (class)"].append(run(everyone, tmp / f"o{r}d", jobs=2, isolation="sandbox")[0])
            rows["worker start-up"].extend(worker_startup(args.copies))
            print(f"repeat {r + 1}/{args.repeats} done", file=sys.stderr)

    med = {k: statistics.median(v) for k, v in rows.items()}
    per_ref_sandbox = med["sandbox, 1 job (refs)"] / args.copies
    per_ref_inproc = med["in-process, 1 job (refs)"] / args.copies
    thr1 = count / med["sandbox, 1 job (class)"] * 60
    thr2 = count / med["sandbox, 2 jobs (class)"] * 60
    print(f"\n{args.copies} reference copies; class of {count} = references + {count - args.copies} demo "
          f"submissions; {args.repeats} repeats, medians; judges "
          f"{'started as commands' if judge else 'forked from a preloaded server'}\n")
    print(f"{'configuration':<28} {'median s':>9}  all runs (s)")
    for key, values in rows.items():
        print(f"{key:<28} {med[key]:>9.2f}  {', '.join(f'{v:.2f}' for v in values)}")
    print()
    print(f"per-submission wall, sandbox, 1 job (reference): {per_ref_sandbox:6.2f} s   (target <= 8 s)")
    print(f"per-submission wall, in-process, 1 job:          {per_ref_inproc:6.2f} s")
    def each_repeat(numerator, denominator):
        return ", ".join(f"{n / d:.2f}" for n, d in zip(rows[numerator], rows[denominator]))

    print(f"isolation overhead (sandbox / in-process):       {per_ref_sandbox / per_ref_inproc:6.2f} x  "
          f"(target <= 1.5x; each repeat: {each_repeat('sandbox, 1 job (refs)', 'in-process, 1 job (refs)')})")
    print(f"  of which a fresh worker's start-up:            {med['worker start-up']:6.2f} s per submission")
    print(f"throughput, 1 job:  {thr1:6.1f} submissions/min")
    print(f"throughput, 2 jobs: {thr2:6.1f} submissions/min   ratio {thr2 / thr1:.2f} x  "
          f"(target >= 1.7x; each repeat: {each_repeat('sandbox, 1 job (class)', 'sandbox, 2 jobs (class)')})")


if __name__ == "__main__":
    main()
