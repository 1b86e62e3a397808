"""A judge for batch tests: the real `cnn-grader judge` code path, with grading replaced.

    python tests/fake_judge.py SUBMISSION --name NAME --out-dir DIR [judge options]

or, forked like the real judge, `batch.run_batch(..., judge_command=tests.fake_judge.main)`.
Archive checks, publishing, signal handling and the parent watch are the real ones; only
`runner.grade_directory` is swapped for a quick deterministic stand-in (no torch, no pytest),
whose behaviour depends on the submission's name (it starts in a fraction of a second):

    victim*   the judge kills itself with SIGKILL
    parricide* the judge kills its parent with SIGKILL (on a Dask cluster: the worker that runs it)
    sleeper*  the judge hangs (until the batch's time limit stops it)
    crasher*  the judge fails with an internal error (exit code 1)
    hog*      the judge asks for more memory than a judge may have (JUDGE_MEMORY_BYTES)
    unsure*   graded, but the grader failed on its ex1 test (status grader_error, needs_human)
    anything else: ex1 scores one point per module file found; FAKE_JUDGE_DELAY seconds of work;
                   its output is "$FAKE_JUDGE_GREETING from NAME" (default greeting: hello)
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import types  # noqa: E402

from grader import registry  # noqa: E402 - torch-free, like this whole file
from grader.results import Result  # noqa: E402

# A stand-in for grader.runner; `install` puts it in place of the real one.
runner = types.ModuleType("grader.runner")
runner.EXERCISES = registry.ids()


class NoWorker:
    """Stands in for grader.worker_link.WorkerTransport: the fake grading needs no worker."""

    def __init__(self, root):
        pass

    def start(self):
        pass

    def close(self):
        pass


def fake_grade_directory(path, *, name=None, isolation="sandbox", exercises=runner.EXERCISES, transport=None):
    if name.startswith("victim"):
        os.kill(os.getpid(), signal.SIGKILL)
    if name.startswith("parricide"):
        os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(3600)  # until the parent's death stops this judge too
    if name.startswith("sleeper"):
        time.sleep(3600)
    if name.startswith("crasher"):
        raise RuntimeError("a bug in the grader")
    if name.startswith("hog"):
        from grader.judge_process import JUDGE_MEMORY_BYTES

        bytes(JUDGE_MEMORY_BYTES)  # calloc: without the limit, it would succeed without using the memory
    time.sleep(float(os.environ.get("FAKE_JUDGE_DELAY", "0")))
    files = sorted(p.relative_to(path).as_posix() for p in Path(path).rglob("*.py"))
    per = {}
    for exercise in exercises:
        score = float(len(files)) if exercise == "ex1" else 0.0
        per[exercise] = {"score": score, "max_score": 10.0, "tests": [{
            "name": "test_files_found", "score": score, "max_score": 10.0,
            "status": "passed" if score else "failed", "message": ", ".join(files)}]}
    if name.startswith("unsure"):
        per["ex1"]["tests"][0].update(score=0.0, status="grader_error", grader_detail="a broken probe")
        per["ex1"]["score"] = 0.0
    return Result.from_dict({
        "needs_human": name.startswith("unsure"),
        "submission": name, "score": sum(e["score"] for e in per.values()),
        "max_score": 10.0 * len(per), "exercises": per, "grader_version": "fake",
        "duration_s": 0.0, "isolation": isolation,
        "output": f"{os.environ.get('FAKE_JUDGE_GREETING', 'hello')} from {name}\n"})


runner.grade_directory = fake_grade_directory


def install():
    """Swap in the fakes; as a script, before anything imports the real runner (and torch)."""
    sys.modules["grader.runner"] = runner
    import grader
    from grader import worker_link

    grader.runner = runner
    worker_link.WorkerTransport = NoWorker


def main(argv) -> int:
    """`cnn-grader judge ARGV...` with the fakes: a judge command for forked judges."""
    install()
    from grader.judge_command import main as judge_main

    return judge_main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
