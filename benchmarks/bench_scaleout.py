"""Throughput of `cnn-grader batch` locally and on a Dask cluster, on the demo class.

    .venv/bin/python benchmarks/bench_scaleout.py [--runs 3] [--exercises ex1,ex2] [--class examples/class]

Four set-ups, in the same run on the same host: a local batch with --jobs 1 and --jobs 2, and
--scheduler with a `dask scheduler` and 1 or 2 `dask worker --nthreads 1` processes (started
once per set-up and kept warm: their start is not counted). Prints submissions per minute, the
median of the runs. Real, sandboxed grading; needs the dask extra.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grader import api  # noqa: E402
from grader.batch import discover  # noqa: E402

DASK = str(Path(sys.executable).with_name("dask"))


def start_cluster(root: Path, workers: int):
    """A scheduler and `workers` one-thread workers; returns (address, processes)."""
    file = root / "scheduler.json"
    log = open(root / "cluster.log", "ab")
    scheduler = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(file)], stdout=log, stderr=log, start_new_session=True)
    while not file.exists() or not file.read_text().strip():
        time.sleep(0.1)
    time.sleep(0.1)
    address = json.loads(file.read_text())["address"]
    env = {**os.environ, "CNN_GRADER_SLOT_DIR": str(root / "slots")}
    processes = [scheduler] + [
        subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--no-dashboard",
                          "--local-directory", str(root / "dask")], stdout=log, stderr=log, env=env,
                         start_new_session=True)
        for _ in range(workers)]
    from distributed import Client

    with Client(address, timeout=30) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, processes


def stop(processes):
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def timed_batch(klass, root: Path, exercises, **options) -> float:
    out = Path(tempfile.mkdtemp(dir=root, prefix="out-"))
    started = time.monotonic()
    with contextlib.redirect_stderr(io.StringIO()):  # the batch's line per submission
        summary = api.batch(klass, out=out, exercises=exercises, progress=False, report=lambda text: None, **options)
    seconds = time.monotonic() - started
    assert summary["graded"] == len(discover(klass)), summary
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--exercises", default="ex1,ex2", help="comma-separated (default ex1,ex2; 'all' for all)")
    parser.add_argument("--class", dest="klass", default=str(REPO / "examples" / "class"))
    args = parser.parse_args(argv)
    exercises = api.EXERCISES if args.exercises == "all" else tuple(args.exercises.split(","))
    count = len(discover(args.klass))
    print(f"{count} submissions of {args.klass}, exercises {','.join(exercises)}, {args.runs} run(s) each, "
          f"{os.cpu_count()} CPU(s)")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-scaleout-") as tmp:
        root = Path(tmp)
        for label, setup in (("local --jobs 1", dict(jobs=1)), ("local --jobs 2", dict(jobs=2)),
                             ("dask, 1 worker", 1), ("dask, 2 workers", 2)):
            processes = []
            if isinstance(setup, int):
                (root / label.replace(" ", "_").replace(",", "")).mkdir()
                address, processes = start_cluster(root / label.replace(" ", "_").replace(",", ""), setup)
                setup = dict(scheduler=address)
            try:
                times = [timed_batch(args.klass, root, exercises, **setup) for _ in range(args.runs)]
            finally:
                stop(processes)
            median = statistics.median(times)
            rows.append((label, median, count / median * 60))
            print(f"{label:16}  {count / median * 60:6.1f} submissions/min  (median {median:.1f} s; "
                  f"runs {', '.join(f'{t:.1f}' for t in times)} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
