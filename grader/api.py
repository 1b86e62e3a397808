"""The Python API; it mirrors the CLI one function per command."""

from __future__ import annotations

import json
from pathlib import Path

from .grading import grade
from .sandboxed.layout import EXERCISES

__all__ = ["grade", "write_json", "judge", "batch", "release", "otter"]


def write_json(document, path):
    """Write atomically: a reader never sees half a file, a crash never leaves one."""
    from .files import write_atomic

    write_atomic(Path(path), json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def judge(submission, *, name, out_dir, isolation="sandbox", exercises=EXERCISES,
          visibility="after_published", handle_signals=False, note=""):
    """Grade one submission into `out_dir` (result.json, feedback.md, results.json), atomically.

    The building block of `batch`, run there in a process of its own; a submission the
    archive checks refuse gets an error result (score 0) with the reason, not an exception.
    """
    from .judge_command import judge as _judge

    return _judge(submission, name=name, out_dir=out_dir, isolation=isolation, exercises=exercises,
                  visibility=visibility, handle_signals=handle_signals, note=note)


def batch(directory, *, out, jobs=None, resume=False, isolation="sandbox", exercises=EXERCISES,
          timeout=None, visibility="after_published", progress=True, judge_command=None, report=None,
          roster=None, match="auto", canvas=None, scheduler=None) -> dict:
    """Grade every subfolder and .zip of `directory` into `out` (see grader.batch).

    With `scheduler` (a Dask address, or "local:N"), the judges run on that Dask cluster
    (grader.scaleout, imported only then) and `jobs` caps the submissions in flight."""
    from . import batch as _batch

    judges = _batch.local_judges
    if scheduler is not None:
        from . import scaleout

        judges = scaleout.dask_judges(scheduler)
    return _batch.run_batch(directory, out, jobs=jobs, resume=resume, isolation=isolation,
                            exercises=tuple(exercises), timeout=timeout or _batch.JUDGE_TIMEOUT_S,
                            visibility=visibility, progress=progress, judge_command=judge_command,
                            report=report, roster=roster, match=match, canvas=canvas, judges=judges)


def regrade(directory, *, out, only=None, exercises=EXERCISES, changed_suites=False, jobs=1,
            isolation="sandbox", timeout=None, visibility="after_published", progress=True,
            judge_command=None, report=None) -> dict:
    """Grade chosen submissions of a batch again, in place, with history (see grader.regrade)."""
    from . import batch as _batch
    from .regrade import regrade as _regrade

    return _regrade(directory, out, only=only, exercises=tuple(exercises), changed_suites=changed_suites,
                    jobs=jobs, isolation=isolation, timeout=timeout or _batch.JUDGE_TIMEOUT_S,
                    visibility=visibility, progress=progress, judge_command=judge_command, report=report)


def release(out, *, force=False) -> Path:
    """Write the student bundle (stubs, public tests, lab, README, pack script) to `out`."""
    from .release import build_release

    return build_release(out, force=force)


def otter(out="autograder.zip", *, visibility="after_published", judge_timeout=None, python_version=None) -> Path:
    """Build the otter-grader autograder zip for Gradescope (see docs/otter.md)."""
    from .otter import build_autograder
    from .otter.plugin import DEFAULTS

    return build_autograder(out, visibility=visibility, python_version=python_version,
                            judge_timeout=judge_timeout or DEFAULTS["judge_timeout"])
