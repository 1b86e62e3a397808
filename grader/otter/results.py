"""results.json pieces the otter bridge needs beyond the shared writer.

The judge's results are converted by :func:`grader.gradescope.to_gradescope`, the same function
``cnn-grader grade --gradescope`` and ``batch`` use, so every path agrees field for field. This
module only adds what is particular to a Gradescope run: a placeholder written before grading
starts, an error document for a run that could not grade, a marker telling the two apart from
final results, and an atomic writer. Standard library only (it runs inside otter's process).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Optional

from ..files import write_atomic
from ..inert import escape
from ..gradescope import EXTRA_KEY, to_gradescope

if TYPE_CHECKING:
    from ..results import Result

__all__ = [
    "EXTRA_KEY",
    "judge_results",
    "failure_results",
    "error_results",
    "pending_results",
    "is_final",
    "write_gradescope",
]

_TEXT_LIMIT = 20000


def _text(x: Any, limit: int = _TEXT_LIMIT) -> str:
    """`x` as inert text (no terminal control codes), cut to `limit` characters."""
    s = "" if x is None else escape(x)
    return s if len(s) <= limit else s[:limit] + f"\n[... {len(s) - limit} more characters cut]"


def judge_results(result: Result, *, visibility: str = "after_published") -> dict:
    """Gradescope results for a judge result (the shared writer), marked final."""
    document = to_gradescope(result, visibility=visibility)
    document.setdefault("extra_data", {}).setdefault(EXTRA_KEY, {})["final"] = True
    return document


def failure_results(message: str, *, detail: str = "", duration_s: float = 0.0) -> dict:
    """Gradescope results for a submission the judge could not grade: 0 points, the reason.

    Built like ``cnn-grader batch`` builds its error results (:func:`grader.results.error_result`
    through the shared writer), but visible at once, so the student can fix the upload and
    resubmit. ``detail`` is for instructors only (it goes to the autograder's hidden stdout).
    """
    try:
        from ..results import error_result

        result = error_result("submission", _text(message, 2000), detail=detail or None,
                              duration_s=max(0.0, float(duration_s)))
        document = judge_results(result, visibility="visible")
        document["extra_data"][EXTRA_KEY]["error"] = _text(message, 2000)
        return document
    except Exception:  # the shared pieces are broken: still a valid document
        return error_results(message, execution_time=duration_s)


def error_results(message: str, *, execution_time: Optional[float] = None) -> dict:
    """A minimal valid results.json (score 0) that needs nothing but the standard library."""
    document: dict[str, Any] = {
        "score": 0.0,
        "output": _text(message),
        "output_format": "text",
        "stdout_visibility": "hidden",
        "extra_data": {EXTRA_KEY: {"error": _text(message, 2000), "final": True}},
        "tests": [{"name": "Autograder error", "score": 0.0, "max_score": 0.0, "status": "failed",
                   "output": _text(message), "visibility": "visible"}],
    }
    if execution_time is not None:
        document["execution_time"] = round(max(0.0, float(execution_time)), 2)
    return document


def pending_results() -> dict:
    """Written before grading starts, so a run stopped half-way still leaves a results.json."""
    document = failure_results(
        "grading did not finish (the autograder was stopped or ran out of time); "
        "resubmit, or tell your TA if this happens again"
    )
    document["extra_data"][EXTRA_KEY]["final"] = False
    return document


def is_final(document: Any) -> bool:
    """Whether a results.json is the outcome of a grading run (not the placeholder, not otter's)."""
    if not isinstance(document, Mapping):
        return False
    info = (document.get("extra_data") or {}).get(EXTRA_KEY) if isinstance(
        document.get("extra_data"), Mapping) else None
    return isinstance(info, Mapping) and info.get("final") is True


def write_gradescope(document: Mapping[str, Any], path: "os.PathLike[str] | str") -> Path:
    """Write a results.json atomically: a reader never sees a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(path, json.dumps(document, indent=2, allow_nan=False) + "\n")
