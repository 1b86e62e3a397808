"""The result.json documents the grader makes itself, and the one check of one it reads.

Below every application (batch, the otter bridge, the CLI), so that each builds its error
results and trusts a judge's file the same way, without importing another application.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import __version__, inert
from .sandboxed.layout import EXERCISES, POINTS_PER_EXERCISE

TA = "this is not your fault: please tell your TA"


def error_result(name, message, *, exercises=EXERCISES, detail=None, duration_s=0.0,
                 isolation="not run", note="") -> dict:
    """A result.json for a submission that could not be graded: 0 points, one error test each.

    Inert (`inert.document`), like `grading.grade`'s: the message may quote the student's files.
    """
    per = {ex: {"score": 0.0, "max_score": float(POINTS_PER_EXERCISE),
                "tests": [{"name": "grading", "score": 0.0, "max_score": float(POINTS_PER_EXERCISE),
                           "status": "error", "message": message}]}
           for ex in exercises}
    result = {
        "submission": name,
        "score": 0.0,
        "max_score": float(POINTS_PER_EXERCISE * len(per)),
        "exercises": per,
        "grader_version": __version__,
        "duration_s": round(duration_s, 3),
        "isolation": isolation,
        "output": "",
        "error": message,
    }
    if note:
        result["note"] = note
    if detail:
        result["grader_error"] = detail  # for the instructor; the student-facing views skip it
    return inert.document(result)


def read_result(path) -> dict | None:
    """The result.json at `path` if it is there and valid, else None.

    Made inert again: it may come from another process or an older version of the grader.
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(document, dict) and isinstance(document.get("exercises"), dict) and "score" in document:
        return inert.document(document)
    return None
