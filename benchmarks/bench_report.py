"""Benchmark: the class report (`cnn-grader report OUT`) for 1,000 graded submissions.

    .venv/bin/python benchmarks/bench_report.py [--count 1000] [--repeats 3]

Writes a synthetic class of result.json files (tests/synthetic_class.py: 7 exercises x 8
tests, realistic failure messages, timeouts, crashes, rejections), then times, in the same
run and each in a fresh process (imports included), the report and a baseline: reading the
result.json files alone, through `results.read_result` as the report does. Prints medians;
the target is at most 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.synthetic_class

from tests.synthetic_class import make_results, write_class  # noqa: E402

BASELINE = "import sys; from grader.report import read_results; read_results(sys.argv[1])"
REPORT = "import sys; from grader.report import write_report; write_report(sys.argv[1])"


def timed(code: str, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(out)], check=True)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = write_class(Path(tmp), make_results(args.count))
        runs, baselines = [], []
        for repeat in range(args.repeats):
            baselines.append(timed(BASELINE, out))
            runs.append(timed(REPORT, out))
            print(f"run {repeat + 1}: report {runs[-1]:.1f} s, baseline (reading the results) {baselines[-1]:.1f} s")
        print(f"report of {args.count} results: median {statistics.median(runs):.1f} s (target <= 10 s); "
              f"baseline, reading the result.json files alone: median {statistics.median(baselines):.1f} s")


if __name__ == "__main__":
    main()
