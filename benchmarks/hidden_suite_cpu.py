"""CPU time of the hidden suites, in-process on the reference (issue 2's budget: < 10 s for 70 points).

    .venv/bin/python benchmarks/hidden_suite_cpu.py [--repeats 3]

Each measurement runs in a fresh interpreter and counts the process CPU time (user + system)
of `grader.runner.run_suites` alone, after torch and pytest are imported: per exercise (each
paying its own warm-up, e.g. the first Adam step) and for the whole run in one process.
Prints medians over the repeats.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from grader.sandboxed.layout import EXERCISES

PROBE = """
import json, sys, time
from grader import runner
from grader.paths import SOLUTIONS_DIR
exercises = tuple(sys.argv[1].split(","))
submission = runner.open_submission(SOLUTIONS_DIR, "inprocess")
start = time.process_time()
results = runner.run_suites(submission, exercises)
print(json.dumps({"cpu_s": time.process_time() - start,
                  "score": sum(r.score for r in results.values())}))
"""


def measure(exercises) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, ",".join(exercises)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    rows = [(ex, (ex,)) for ex in EXERCISES] + [(f"all {len(EXERCISES)} in one process", EXERCISES)]
    print(f"{'suite':<22} {'CPU s (median)':>14}  {'score':>5}  runs")
    for label, exercises in rows:
        runs = [measure(exercises) for _ in range(args.repeats)]
        cpu = [r["cpu_s"] for r in runs]
        print(f"{label:<22} {statistics.median(cpu):>14.2f}  {runs[0]['score']:>5g}  "
              + ", ".join(f"{c:.2f}" for c in cpu))


if __name__ == "__main__":
    main()
