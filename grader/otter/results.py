"""Gradescope ``results.json`` writer: the one place that turns a judge result into Gradescope's format.

Both paths use it: ``cnn-grader grade --gradescope FILE`` (and batch) and the otter autograder
built by ``cnn-grader otter``, so the two agree field for field.

The input is the judge's result dict (``cnn-grader grade --json``)::

    {"submission", "score", "max_score", "grader_version", "duration_s",
     "exercises": {"ex1": {"score", "max_score",
                           "tests": [{"name", "score", "max_score", "status", "message"}, ...]}, ...}}

A test is *public* (shown to students at once) when it says so with one of these optional keys,
checked in this order: ``"visibility"`` (``"public"``/``"visible"`` vs ``"hidden"``/
``"after_published"``/``"after_due_date"``), ``"hidden"`` (bool), ``"public"`` (bool). A test that
says nothing is treated as hidden: a missing flag must never leak a hidden test.

Only the standard library is used here, so the module imports cheaply inside otter's process.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

__all__ = [
    "GRADESCOPE_TOP_LEVEL_FIELDS",
    "GRADESCOPE_TEST_FIELDS",
    "GRADESCOPE_LEADERBOARD_FIELDS",
    "VISIBILITIES",
    "OUTPUT_FORMATS",
    "is_public",
    "to_gradescope",
    "error_results",
    "pending_results",
    "validate_gradescope",
    "write_gradescope",
]

# Field list of Gradescope's autograder results specification ("Output format" of the
# autograder specs). Anything else in results.json is not part of the format.
GRADESCOPE_TOP_LEVEL_FIELDS = frozenset(
    {
        "score",
        "execution_time",
        "output",
        "output_format",
        "test_output_format",
        "test_name_format",
        "visibility",
        "stdout_visibility",
        "extra_data",
        "tests",
        "leaderboard",
    }
)
GRADESCOPE_TEST_FIELDS = frozenset(
    {
        "score",
        "max_score",
        "status",
        "name",
        "name_format",
        "number",
        "output",
        "output_format",
        "tags",
        "visibility",
        "extra_data",
    }
)
GRADESCOPE_LEADERBOARD_FIELDS = frozenset({"name", "value", "order"})
VISIBILITIES = frozenset({"hidden", "after_due_date", "after_published", "visible"})
OUTPUT_FORMATS = frozenset({"text", "html", "simple_format", "md", "ansi"})
TEST_STATUSES = frozenset({"passed", "failed"})

#: marker stored in ``extra_data`` so a results.json can be recognised as ours
EXTRA_KEY = "cnn_grader"

_PUBLIC_WORDS = {"public", "visible"}
_HIDDEN_WORDS = {"hidden", "after_published", "after_due_date", "private", "secret"}

_STATUS_NOTE = {
    "failed": "Failed.",
    "error": "Error: the test could not run to completion.",
    "timeout": "Timed out: the test took longer than its time limit.",
}


def is_public(test: Mapping[str, Any]) -> bool:
    """Whether a judge test result may be shown to students before grades are published."""
    vis = test.get("visibility")
    if isinstance(vis, str):
        v = vis.strip().lower()
        if v in _PUBLIC_WORDS:
            return True
        if v in _HIDDEN_WORDS:
            return False
    hidden = test.get("hidden")
    if isinstance(hidden, bool):
        return not hidden
    public = test.get("public")
    if isinstance(public, bool):
        return public
    return False


def _num(x: Any) -> float | int:
    """A JSON number for a score; NaN/inf/garbage become 0."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return 0
    if isinstance(x, float):
        if not math.isfinite(x):
            return 0
        r = round(x, 5)
        return int(r) if r.is_integer() else r
    return x


def _text(x: Any, limit: int = 20000) -> str:
    s = "" if x is None else str(x)
    if len(s) > limit:
        s = s[:limit] + f"\n... [{len(s) - limit} more characters cut]"
    return s


def _test_output(test: Mapping[str, Any]) -> str:
    status = str(test.get("status", "failed"))
    message = _text(test.get("message")).strip()
    if status == "passed":
        return message or "Passed."
    note = _STATUS_NOTE.get(status, f"Status: {status}.")
    return f"{note}\n{message}" if message else note


def _exercise_items(result: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    exercises = result.get("exercises") or {}
    if not isinstance(exercises, Mapping):
        return []

    def key(name: str):
        digits = "".join(ch for ch in name if ch.isdigit())
        return (int(digits) if digits else 1 << 30, name)

    return [(k, exercises[k]) for k in sorted(exercises, key=key)]


def _summary_output(result: Mapping[str, Any], n_hidden: int, hidden_visibility: str) -> str:
    version = result.get("grader_version")
    lines = [f"Graded by the cnn-grader judge{f' {version}' if version else ''}."]
    if n_hidden and hidden_visibility != "visible":
        when = {
            "after_published": "when grades are published",
            "after_due_date": "after the due date",
            "hidden": "only to instructors",
        }.get(hidden_visibility, "later")
        lines.append(
            f"Public test results are shown below; {n_hidden} hidden test result(s) are shown {when}."
        )
    return "\n".join(lines)


def to_gradescope(
    result: Mapping[str, Any],
    visibility: str = "after_published",
    *,
    public_visibility: str = "visible",
    per: str = "test",
    stdout_visibility: str = "hidden",
    execution_time: Optional[float] = None,
    output: Optional[str] = None,
) -> dict[str, Any]:
    """Convert a judge result into a Gradescope ``results.json`` dict.

    Args:
        result: the judge's result dict (``cnn-grader grade --json``).
        visibility: Gradescope visibility of hidden tests (default ``"after_published"``).
        public_visibility: Gradescope visibility of public tests (default ``"visible"``).
        per: ``"test"`` for one Gradescope entry per judge test, ``"exercise"`` for one entry per
            exercise (split into a public and a hidden entry when an exercise has both kinds).
        stdout_visibility: visibility of the autograder's stdout (default ``"hidden"``).
        execution_time: seconds; defaults to the judge's ``duration_s``.
        output: top-level text; defaults to a short summary that reveals no hidden score.

    The top-level ``score`` is the judge's total, so Gradescope's score equals the judge's exactly.
    """
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {sorted(VISIBILITIES)}, not {visibility!r}")
    if public_visibility not in VISIBILITIES:
        raise ValueError(f"public_visibility must be one of {sorted(VISIBILITIES)}")
    if stdout_visibility not in VISIBILITIES:
        raise ValueError(f"stdout_visibility must be one of {sorted(VISIBILITIES)}")
    if per not in ("test", "exercise"):
        raise ValueError("per must be 'test' or 'exercise'")

    tests: list[dict[str, Any]] = []
    per_exercise: dict[str, dict[str, Any]] = {}
    n_hidden = 0
    for ex_index, (ex, ex_result) in enumerate(_exercise_items(result), start=1):
        ex_tests = [t for t in (ex_result.get("tests") or []) if isinstance(t, Mapping)]
        per_exercise[ex] = {
            "score": _num(ex_result.get("score")),
            "max_score": _num(ex_result.get("max_score")),
        }
        if per == "test":
            for t_index, t in enumerate(ex_tests, start=1):
                public = is_public(t)
                n_hidden += not public
                status = str(t.get("status", "failed"))
                tests.append(
                    {
                        "name": f"{ex}: {_text(t.get('name'), 500)}",
                        "number": f"{ex_index}.{t_index}",
                        "score": _num(t.get("score")),
                        "max_score": _num(t.get("max_score")),
                        "status": "passed" if status == "passed" else "failed",
                        "output": _test_output(t),
                        "visibility": public_visibility if public else visibility,
                        "tags": [ex, "public" if public else "hidden"],
                        "extra_data": {"exercise": ex, "judge_status": status},
                    }
                )
        else:
            groups = [(True, [t for t in ex_tests if is_public(t)]),
                      (False, [t for t in ex_tests if not is_public(t)])]
            groups = [(p, ts) for p, ts in groups if ts]
            if not groups:  # an exercise with no tests still gets its entry
                groups = [(False, [])]
            for g_index, (public, ts) in enumerate(groups, start=1):
                n_hidden += 0 if public else len(ts)
                if len(groups) == 1 and not ts:
                    score, max_score = per_exercise[ex]["score"], per_exercise[ex]["max_score"]
                else:
                    score = _num(sum(_num(t.get("score")) for t in ts))
                    max_score = _num(sum(_num(t.get("max_score")) for t in ts))
                lines = []
                for t in ts:
                    st = str(t.get("status", "failed"))
                    lines.append(
                        f"[{st}] {_text(t.get('name'), 500)} "
                        f"({_num(t.get('score'))}/{_num(t.get('max_score'))})"
                    )
                    body = _text(t.get("message"), 4000).strip()
                    if body and st != "passed":
                        lines.append("    " + body.replace("\n", "\n    "))
                label = "public tests" if public else "hidden tests"
                tests.append(
                    {
                        "name": f"{ex} ({label})" if len(groups) > 1 or ts else ex,
                        "number": f"{ex_index}.{g_index}" if len(groups) > 1 else str(ex_index),
                        "score": score,
                        "max_score": max_score,
                        "status": "passed"
                        if ts and all(t.get("status") == "passed" for t in ts)
                        else "failed",
                        "output": "\n".join(lines) or "No tests ran for this exercise.",
                        "visibility": public_visibility if public else visibility,
                        "tags": [ex, "public" if public else "hidden"],
                        "extra_data": {"exercise": ex},
                    }
                )

    duration = result.get("duration_s") if execution_time is None else execution_time
    out: dict[str, Any] = {
        "score": _num(result.get("score")),
        "output": output if output is not None else _summary_output(result, n_hidden, visibility),
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "stdout_visibility": stdout_visibility,
        "tests": tests,
        "extra_data": {
            EXTRA_KEY: {
                "grader_version": result.get("grader_version"),
                "submission": result.get("submission"),
                "max_score": _num(result.get("max_score")),
                "exercises": per_exercise,
            }
        },
    }
    if isinstance(duration, (int, float)) and not isinstance(duration, bool) and math.isfinite(duration):
        out["execution_time"] = max(0, int(round(duration)))
    return out


def error_results(
    message: str,
    *,
    detail: str = "",
    execution_time: Optional[float] = None,
    max_score: Optional[float] = None,
) -> dict[str, Any]:
    """A valid results.json for a run that could not grade the submission (score 0).

    ``message`` is shown to the student; ``detail`` (e.g. a traceback) only to instructors.
    """
    tests = [
        {
            "name": "Autograder error",
            "score": 0,
            "max_score": _num(max_score) if max_score is not None else 0,
            "status": "failed",
            "output": _text(message),
            "visibility": "visible",
        }
    ]
    if detail:
        tests.append(
            {
                "name": "Autograder error (details for instructors)",
                "status": "failed",
                "output": _text(detail),
                "visibility": "hidden",
            }
        )
    out: dict[str, Any] = {
        "score": 0,
        "output": _text(message),
        "output_format": "text",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {EXTRA_KEY: {"error": _text(message, 2000)}},
    }
    if execution_time is not None:
        out["execution_time"] = max(0, int(round(execution_time)))
    return out


def pending_results() -> dict[str, Any]:
    """Placeholder written before grading starts, so an interrupted run still leaves a results.json."""
    out = error_results(
        "Grading did not finish (the autograder was stopped or ran out of time). "
        "Please resubmit or contact your instructor."
    )
    out["extra_data"][EXTRA_KEY]["pending"] = True
    return out


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def validate_gradescope(data: Any) -> list[str]:
    """Check a results.json dict against Gradescope's field list. Returns a list of problems."""
    errs: list[str] = []
    if not isinstance(data, Mapping):
        return ["results.json must be a JSON object"]
    for key in data:
        if key not in GRADESCOPE_TOP_LEVEL_FIELDS:
            errs.append(f"unknown top-level field {key!r}")
    tests = data.get("tests")
    if "score" not in data and not (
        isinstance(tests, list) and tests and all(isinstance(t, Mapping) and "score" in t for t in tests)
    ):
        errs.append("'score' is required at top level unless every test has a score")
    if "score" in data and not _is_number(data["score"]):
        errs.append("'score' must be a number")
    if "execution_time" in data and not _is_number(data["execution_time"]):
        errs.append("'execution_time' must be a number of seconds")
    for key in ("output",):
        if key in data and not isinstance(data[key], str):
            errs.append(f"{key!r} must be a string")
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in data and data[key] not in OUTPUT_FORMATS:
            errs.append(f"{key!r} must be one of {sorted(OUTPUT_FORMATS)}")
    for key in ("visibility", "stdout_visibility"):
        if key in data and data[key] not in VISIBILITIES:
            errs.append(f"{key!r} must be one of {sorted(VISIBILITIES)}")
    if "extra_data" in data and not isinstance(data["extra_data"], Mapping):
        errs.append("'extra_data' must be an object")
    if tests is not None:
        if not isinstance(tests, list):
            errs.append("'tests' must be a list")
            tests = []
        for i, t in enumerate(tests):
            where = f"tests[{i}]"
            if not isinstance(t, Mapping):
                errs.append(f"{where} must be an object")
                continue
            for key in t:
                if key not in GRADESCOPE_TEST_FIELDS:
                    errs.append(f"{where}: unknown field {key!r}")
            for key in ("score", "max_score"):
                if key in t and not _is_number(t[key]):
                    errs.append(f"{where}.{key} must be a number")
            if "status" in t and t["status"] not in TEST_STATUSES:
                errs.append(f"{where}.status must be 'passed' or 'failed'")
            for key in ("name", "number", "output"):
                if key in t and not isinstance(t[key], str):
                    errs.append(f"{where}.{key} must be a string")
            for key in ("name_format", "output_format"):
                if key in t and t[key] not in OUTPUT_FORMATS:
                    errs.append(f"{where}.{key} must be one of {sorted(OUTPUT_FORMATS)}")
            if "visibility" in t and t["visibility"] not in VISIBILITIES:
                errs.append(f"{where}.visibility must be one of {sorted(VISIBILITIES)}")
            if "tags" in t and not (
                isinstance(t["tags"], list) and all(isinstance(x, str) for x in t["tags"])
            ):
                errs.append(f"{where}.tags must be a list of strings")
            if "extra_data" in t and not isinstance(t["extra_data"], Mapping):
                errs.append(f"{where}.extra_data must be an object")
    board = data.get("leaderboard")
    if board is not None:
        if not isinstance(board, list):
            errs.append("'leaderboard' must be a list")
        else:
            for i, e in enumerate(board):
                if not isinstance(e, Mapping) or "name" not in e or "value" not in e:
                    errs.append(f"leaderboard[{i}] needs 'name' and 'value'")
                    continue
                for key in e:
                    if key not in GRADESCOPE_LEADERBOARD_FIELDS:
                        errs.append(f"leaderboard[{i}]: unknown field {key!r}")
                if "order" in e and e["order"] not in ("asc", "desc"):
                    errs.append(f"leaderboard[{i}].order must be 'asc' or 'desc'")
    try:
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as e:
        errs.append(f"not strict JSON: {e}")
    return errs


def write_gradescope(data: Mapping[str, Any], path: "os.PathLike[str] | str") -> Path:
    """Write a results.json atomically (a reader never sees a half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".results.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, allow_nan=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def iter_exercise_scores(gradescope: Mapping[str, Any]) -> Iterable[tuple[str, Any, Any]]:
    """(exercise, score, max_score) as recorded in a results.json written by :func:`to_gradescope`."""
    ex = ((gradescope.get("extra_data") or {}).get(EXTRA_KEY) or {}).get("exercises") or {}
    for name, v in ex.items():
        yield name, v.get("score"), v.get("max_score")
