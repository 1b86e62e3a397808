"""Gradescope's results.json, from a judge result (`results.Result`, read from result.json).

Follows Gradescope's autograder specification ("Output format",
https://gradescope-autograders.readthedocs.io/en/latest/specs/): top-level `score`,
`execution_time`, `output`, `output_format`, `visibility`, `stdout_visibility`, `extra_data` and
`tests`; each test with `score`, `max_score`, `status` ("passed"/"failed"), `name`, `number`,
`output`, `tags` and `visibility`. No other key is written (`validate` checks that).

One Gradescope test per hidden test, named after its exercise ("ex3 · cutout matches
reference") and numbered "3.1", "3.2", ... The top-level `score` is the judge's total, so the
two always agree.

A test whose judge record says `"visibility": "visible"` (a hidden test marked `public`: it
repeats a check of the exercise's public tests, so its result tells the student nothing the
public tests don't) is "visible" at once; every other test, and the submission as a whole
(its total), follow the configured `visibility`. In results without that key (written before
it existed) every test follows the configured `visibility`, as it always did.

Only the standard library is used, so anything (otter's process included) can import this
cheaply; the otter bridge writes its results.json through `to_gradescope`.
"""

from __future__ import annotations

from .feedback import EXERCISE_TITLES, display_name, points
from .results import Result

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
FORMATS = ("text", "simple_format", "html", "md", "ansi")
TOP_LEVEL_KEYS = frozenset({"score", "execution_time", "output", "output_format", "test_output_format",
                            "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
                            "leaderboard"})
TEST_KEYS = frozenset({"score", "max_score", "status", "name", "name_format", "number", "output",
                       "output_format", "tags", "visibility", "extra_data"})
EXTRA_KEY = "cnn_grader"
OUTPUT_LIMIT = 2000
WHEN = {"hidden": "once your instructor shares them", "after_due_date": "after the due date",
        "after_published": "when your instructor publishes the grades", "visible": "below"}
STATUS_PREFIX = {"error": "Error: ", "timeout": "Timed out: ", "grader_error": "Grader error: "}


def to_gradescope(result: Result, *, visibility: str = "after_published",
                  stdout_visibility: str = "hidden") -> dict:
    """Gradescope's results.json for one judge result.

    `visibility` applies to the submission as a whole (Gradescope hides the total while tests
    are hidden) and to every test but the public ones (`"visibility": "visible"` in the judge's
    record), which are visible at once; `stdout_visibility` to the autograder's own stdout.
    """
    for label, value in (("visibility", visibility), ("stdout_visibility", stdout_visibility)):
        if value not in VISIBILITIES:
            raise ValueError(f"{label} must be one of {', '.join(VISIBILITIES)}, got {value!r}")
    tests = []
    exercises = result.exercises
    for exercise, entry in exercises.items():
        number = exercise.removeprefix("ex")
        for i, test in enumerate(entry.tests, start=1):
            status = test.status
            message = test.message.strip()
            output = "Passed." if status == "passed" else STATUS_PREFIX.get(status, "") + (message or status)
            tests.append({
                "name": f"{exercise} · {display_name(test.name)}",
                "number": f"{number}.{i}",
                "score": test.score,
                "max_score": test.max_score,
                "status": "passed" if status == "passed" else "failed",
                "output": output,
                "tags": [exercise, status],
                "visibility": "visible" if test.visibility == "visible" else visibility,
            })
    return {
        "score": result.score,
        "execution_time": round(result.duration_s, 2),
        "output": _summary(result, len(tests), visibility,
                           sum(t["visibility"] == "visible" for t in tests)),
        "output_format": "text",
        "visibility": visibility,
        "stdout_visibility": stdout_visibility,
        "extra_data": {EXTRA_KEY: {
            "submission": result.submission,
            "grader_version": result.grader_version,
            "isolation": result.isolation,
            "exercises": {ex: {"score": e.score, "max_score": e.max_score}
                          for ex, e in exercises.items()},
        }},
        "tests": tests,
    }


def _summary(result: Result, n_tests: int, visibility: str, n_visible: int = 0) -> str:
    """The top-level text, shown to the student at once: no score unless tests are visible."""
    lines = []
    if result.error:
        lines += [f"Your submission could not be graded: {result.error}", ""]
    if visibility == "visible":
        lines.append(f"Score: {points(result.score)} / {points(result.max_score)}")
        for exercise, entry in result.exercises.items():
            title = EXERCISE_TITLES.get(exercise, "")
            lines.append(f"  {exercise} {title}: {points(entry.score)} / {points(entry.max_score)}")
        output = result.output
        if output.strip():
            if len(output) > OUTPUT_LIMIT:
                output = "[... earlier output cut ...]\n" + output[-OUTPUT_LIMIT:]
            lines += ["", "The end of what your code printed:", output.rstrip()]
    else:
        lines.append(f"Your submission was graded: {n_tests} tests over {len(result.exercises)} "
                     f"exercises. Your results will be shown {WHEN[visibility]}.")
        if n_visible:
            which = "test that repeats a check" if n_visible == 1 else f"{n_visible} tests that repeat checks"
            lines.append(f"The {which} of your public tests {'is' if n_visible == 1 else 'are'} shown below "
                         "now; the other tests, and your total, stay hidden until then.")
    return "\n".join(lines)


def validate(document: dict) -> list[str]:
    """Problems with a results.json document under Gradescope's specification ([] if none)."""
    problems = []
    if not isinstance(document, dict):
        return ["the document is not a JSON object"]
    problems += [f"unknown top-level key {k!r}" for k in sorted(set(document) - TOP_LEVEL_KEYS)]
    if "score" not in document and not all("score" in t for t in document.get("tests") or []):
        problems.append("a score is required at the top level or on every test")
    for key in ("score", "execution_time"):
        if key in document and not _number(document[key]):
            problems.append(f"{key} must be a number")
    for key in ("visibility", "stdout_visibility"):
        if key in document and document[key] not in VISIBILITIES:
            problems.append(f"{key} must be one of {VISIBILITIES}")
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in document and document[key] not in FORMATS:
            problems.append(f"{key} must be one of {FORMATS}")
    if "output" in document and not isinstance(document["output"], str):
        problems.append("output must be a string")
    tests = document.get("tests", [])
    if not isinstance(tests, list):
        return problems + ["tests must be a list"]
    for i, test in enumerate(tests):
        where = f"tests[{i}]"
        if not isinstance(test, dict):
            problems.append(f"{where} is not an object")
            continue
        problems += [f"{where}: unknown key {k!r}" for k in sorted(set(test) - TEST_KEYS)]
        for key in ("score", "max_score"):
            if key in test and not _number(test[key]):
                problems.append(f"{where}.{key} must be a number")
        if "status" in test and test["status"] not in ("passed", "failed"):
            problems.append(f"{where}.status must be 'passed' or 'failed'")
        if "visibility" in test and test["visibility"] not in VISIBILITIES:
            problems.append(f"{where}.visibility must be one of {VISIBILITIES}")
        for key in ("name", "output", "number"):
            if key in test and not isinstance(test[key], str):
                problems.append(f"{where}.{key} must be a string")
        if "tags" in test and not (isinstance(test["tags"], list) and all(isinstance(t, str) for t in test["tags"])):
            problems.append(f"{where}.tags must be a list of strings")
    return problems


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
