"""Grade one submission: unpack it, start its sandboxed worker, run the hidden suites.

The one place a submission becomes a result.json document; `api.grade` and the judge of one
submission (`judge_command`) both call it, so neither application imports the other.
"""

from __future__ import annotations

from pathlib import Path

from .archive import unpacked
from .digests import graded_files_digest, suites_digest
from .results import Result, submission_name
from .sandboxed.layout import EXERCISES


def grade(submission, *, isolation="sandbox", name=None, exercises=EXERCISES) -> Result:
    """Grade one submission (a folder or a .zip), named after it (`results.submission_name`).

    The result is inert (`Result.inert`): the student's printed output, exception messages
    and name reach terminals and viewers from here, through every writer, so they are escaped
    once, where the result is made (`results.error_result` does the same for results it makes).
    """
    path = Path(submission)
    with unpacked(path) as root:
        worker = None
        if isolation == "sandbox":  # start it first: it imports torch while this process does too
            # (a judge forked by `batch` has torch already, and waits for the worker instead)
            from .worker_link import WorkerTransport

            worker = WorkerTransport(root)
            worker.start()
        try:
            from . import runner  # imports torch and pytest: only the commands that grade pay for it
        except BaseException:
            if worker is not None:
                worker.close()
            raise
        result = runner.grade_directory(root, name=name or submission_name(path), isolation=isolation,
                                        exercises=exercises, transport=worker)
        return result.with_digests(graded_files_digest(root), suites_digest()).inert()
