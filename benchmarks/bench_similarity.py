"""Benchmark: `cnn-grader similarity` on a class of 300 synthetic submissions.

    .venv/bin/python benchmarks/bench_similarity.py [--count 300] [--repeats 3]

Each submission takes each exercise from one of the five independent solutions of
tests/similar_class.py (chosen by its number, so they combine differently), with every name
renamed its own way and its functions in a random order (seeded), so that few files are
the same after copydetect's normalisation (identical files are fingerprinted once). Each run is a fresh `python -m grader similarity` process (imports
included), beside a baseline in the same run: reading the same code alone (what any
similarity check must do). Prints medians; the target is at most 60 s on two cores.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.similar_class

from grader.sandboxed.layout import EXERCISES  # noqa: E402
from tests.similar_class import INDEPENDENT, disguise, modules, write_submission  # noqa: E402

BASELINE = ("import sys; from grader.batch import discover; from grader.similarity import submission_code; "
            "[submission_code(path) for _, path, _ in discover(sys.argv[1])]")


def make_class(folder: Path, count: int) -> Path:
    bases = [modules(path) for path in INDEPENDENT.values()]
    rng = random.Random(0)
    for n in range(count):
        code = {ex: disguise(bases[(n // 5 ** i) % 5][ex], prefix=f"s{n}_", rng=rng) for i, ex in enumerate(EXERCISES)}
        write_submission(folder / f"student_{n:03d}", code)
    return folder


def timed(argv) -> tuple[float, float]:
    """Wall-clock and CPU seconds (the process and its pool) of running `argv`."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - started, after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        klass = make_class(Path(tmp) / "class", args.count)
        runs, cpus, baselines = [], [], []
        for repeat in range(args.repeats):
            baselines.append(timed([sys.executable, "-c", BASELINE, str(klass)])[0])
            wall, cpu = timed([sys.executable, "-m", "grader", "similarity", str(klass), "--out", f"{tmp}/out{repeat}"])
            runs.append(wall)
            cpus.append(cpu)
            print(f"run {repeat + 1}: similarity {wall:.1f} s ({cpu:.1f} s CPU), baseline (reading the code) "
                  f"{baselines[-1]:.1f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        pairs = args.count * (args.count - 1) // 2
        print(f"similarity of {args.count} submissions ({pairs} pairs x {len(EXERCISES)} exercises): "
              f"median {statistics.median(runs):.1f} s, {statistics.median(cpus):.1f} s CPU (target <= 60 s); "
              f"baseline, reading the code alone: median {statistics.median(baselines):.1f} s")


if __name__ == "__main__":
    main()
