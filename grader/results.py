"""The result.json document as types: one model, one writer (`Result.to_json`), one reader.

Every part that makes or reads a result (the runner, the judge, batch and its CSV, the otter
bridge, feedback.md and Gradescope's results.json) goes through `Result`, so a field is named,
typed and defaulted in one place, and a document written by an older grader (no
`format_version`, fewer fields) still loads: `--resume` works across an upgrade.

Below every application (batch, the otter bridge, the CLI), so that each builds its error
results and trusts a judge's file the same way, without importing another application.
Standard library only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import __version__, inert
from .sandboxed.layout import EXERCISES, POINTS

TA = "this is not your fault: please tell your TA"

# 1: the first versioned document. Documents without the key are version 0 (same fields, some
# optional ones missing); a reader refuses a version newer than it knows.
FORMAT_VERSION = 1


class ResultFormatError(ValueError):
    """A document that is not a result.json this grader can read."""


def submission_name(path) -> str:
    """The name a submission is graded under: its folder's name, or its file's less `.zip`.

    The one place the suffix goes (batch, `grade`, a rejected upload), so a submission has the
    same name whether it was graded or rejected.
    """
    path = Path(path)
    zipped = path.name.lower().endswith(".zip") and len(path.name) > 4 and not path.is_dir()
    return path.name[:-4] if zipped else path.name


@dataclass
class TestResult:
    """One hidden test's outcome, as the student sees it (`grader_detail` is for the TA only)."""

    __test__ = False  # not a pytest class

    name: str
    score: float
    max_score: float
    status: str  # passed, failed, error, timeout or grader_error
    message: str = ""
    visibility: str | None = None  # "visible" for a test that repeats a public check; older documents: None
    grader_detail: str | None = None


@dataclass
class ExerciseResult:
    score: float
    max_score: float
    tests: list[TestResult] = field(default_factory=list)


@dataclass
class Result:
    """One submission's result.json. Optional fields are left out of the file when unset."""

    submission: str
    score: float
    max_score: float
    exercises: dict[str, ExerciseResult]
    grader_version: str = "?"
    duration_s: float = 0.0
    isolation: str = ""
    output: str = ""
    error: str | None = None  # why it could not be graded (student-facing)
    grader_error: str | None = None  # for the instructor; the student-facing views skip it
    note: str | None = None  # why the batch renamed the submission
    needs_human: bool = False  # a grader error scores 0 until a TA regrades it
    files_sha256: str | None = None  # of the graded files (grader.digests): --resume regrades on a change
    suites_sha256: str | None = None  # of the hidden suites that graded it: regrade --changed-suites
    review: list[str] = field(default_factory=list)  # tamper-scan findings for a TA (never the student)
    missing: dict[str, str] = field(default_factory=dict)  # exercise -> why its module was not graded
    format_version: int = FORMAT_VERSION

    @property
    def status(self) -> str:
        """What a TA must do, the first that applies: "grader-error" (the grader failed: regrade),
        "rejected" (nothing could be graded: `error` says why), "needs-review" (read the `review`
        lines; the score stands), "incomplete" (modules missing or unreadable: `missing` says
        which and why), or "graded" (an untouched stub too). The one place statuses are decided."""
        if self.needs_human or (self.error and self.grader_error):
            return "grader-error"
        if self.error:
            return "rejected"
        if self.review:
            return "needs-review"
        if self.missing:
            return "incomplete"
        return "graded"

    # ------------------------------------------------------------------ writing

    def to_dict(self) -> dict:
        """The JSON document, keys in the order the grader has always written them."""
        document = {"format_version": self.format_version, "submission": self.submission,
                    "status": self.status, "needs_human": self.needs_human, "score": self.score, "max_score": self.max_score,
                    "exercises": {ex: {"score": e.score, "max_score": e.max_score,
                                       "tests": [_test_dict(t) for t in e.tests]}
                                  for ex, e in self.exercises.items()},
                    "grader_version": self.grader_version, "duration_s": self.duration_s,
                    "isolation": self.isolation, "output": self.output}
        for key in ("error", "note", "grader_error", "review", "missing", "files_sha256", "suites_sha256"):
            if getattr(self, key):
                document[key] = getattr(self, key)
        return document

    def to_json(self) -> str:
        """The one writer of result.json text (publish, `grade --json`, the otter bridge's judge)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def inert(self) -> Result:
        """A copy with every string made inert (`inert.document`): it may quote the student."""
        return Result.from_dict(inert.document(self.to_dict()))

    def with_digests(self, files_sha256: str | None, suites_sha256: str | None) -> Result:
        return replace(self, files_sha256=files_sha256, suites_sha256=suites_sha256)

    def with_note(self, note: str) -> Result:
        return replace(self, note=inert.escape(note) if note else None)

    # ------------------------------------------------------------------ reading

    @classmethod
    def from_dict(cls, document) -> Result:
        """A `Result` from a result.json document of any version; ResultFormatError if it is not one."""
        if not isinstance(document, dict):
            raise ResultFormatError("a result.json document is a JSON object")
        version = document.get("format_version", 0)
        if not _is_int(version) or not 0 <= version <= FORMAT_VERSION:
            raise ResultFormatError(f"unknown result.json format_version {version!r}")
        exercises = document.get("exercises")
        if not isinstance(exercises, dict):
            raise ResultFormatError("exercises must be an object")
        return cls(
            submission=_str(document, "submission", required=True),
            score=_number(document, "score"),
            max_score=_number(document, "max_score", 0.0),
            exercises={str(ex): _exercise(entry, ex) for ex, entry in exercises.items()},
            grader_version=_str(document, "grader_version", "?"),
            duration_s=_number(document, "duration_s", 0.0),
            isolation=_str(document, "isolation"),
            output=_str(document, "output"),
            error=_str(document, "error", None),
            grader_error=_str(document, "grader_error", None),
            note=_str(document, "note", None),
            needs_human=_bool(document, "needs_human"),
            review=_str_list(document, "review"),  # `status` is derived, never read
            missing=_str_dict(document, "missing"),
            files_sha256=_str(document, "files_sha256", None),
            suites_sha256=_str(document, "suites_sha256", None),
            format_version=FORMAT_VERSION,  # upgraded on reading: written back as the current version
        )

    @classmethod
    def from_json(cls, text: str) -> Result:
        try:
            return cls.from_dict(json.loads(text))
        except ValueError as exc:
            raise ResultFormatError(str(exc)) from None


def _test_dict(test: TestResult) -> dict:
    document = {"name": test.name, "score": test.score, "max_score": test.max_score, "status": test.status,
                "message": test.message}
    if test.visibility is not None:
        document["visibility"] = test.visibility
    if test.grader_detail is not None:
        document["grader_detail"] = test.grader_detail
    return document


def _exercise(entry, where) -> ExerciseResult:
    if not isinstance(entry, dict) or not isinstance(entry.get("tests", []), list):
        raise ResultFormatError(f"exercises.{where} must be an object with a list of tests")
    tests = []
    for i, test in enumerate(entry.get("tests", [])):
        if not isinstance(test, dict):
            raise ResultFormatError(f"exercises.{where}.tests[{i}] must be an object")
        tests.append(TestResult(name=_str(test, "name", "?"), score=_number(test, "score", 0.0),
                                max_score=_number(test, "max_score", 0.0), status=_str(test, "status", "error"),
                                message=_str(test, "message"), visibility=_str(test, "visibility", None),
                                grader_detail=_str(test, "grader_detail", None)))
    return ExerciseResult(score=_number(entry, "score", 0.0), max_score=_number(entry, "max_score", 0.0),
                          tests=tests)


_MISSING = object()


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(document, key, default=_MISSING) -> float:
    value = document.get(key, default)
    if value is _MISSING:
        raise ResultFormatError(f"{key} is missing")
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
        raise ResultFormatError(f"{key} must be a number, got {value!r}")
    return float(value)


def _str(document, key, default="", *, required=False):
    if key not in document or (document[key] is None and not required):
        if required:
            raise ResultFormatError(f"{key} is missing")
        return default
    value = document[key]
    if not isinstance(value, str):
        raise ResultFormatError(f"{key} must be a string, got {value!r}")
    return value


def _str_dict(document, key) -> dict[str, str]:
    value = document.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ResultFormatError(f"{key} must be an object of strings, got {value!r}")
    return {str(k): v for k, v in value.items()}


def _str_list(document, key) -> list[str]:
    value = document.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ResultFormatError(f"{key} must be a list of strings, got {value!r}")
    return list(value)


def _bool(document, key) -> bool:
    value = document.get(key, False)
    if not isinstance(value, bool):
        raise ResultFormatError(f"{key} must be true or false, got {value!r}")
    return value


def merged(previous: Result, new: Result) -> Result:
    """`new`'s exercises over `previous`'s: regrading some exercises keeps the others' results.

    The suites' hash is kept only if both were graded by the same suites; otherwise it is unset,
    so that `regrade --changed-suites` picks the result up. An error result replaces everything."""
    if new.error or previous.error:
        return new
    exercises = {ex: new.exercises[ex] if ex in new.exercises else previous.exercises[ex]
                 for ex in EXERCISES if ex in new.exercises or ex in previous.exercises}
    kept = [e for ex, e in exercises.items() if ex not in new.exercises]
    return replace(new, exercises=exercises, score=sum(e.score for e in exercises.values()),
                   max_score=sum(e.max_score for e in exercises.values()),
                   needs_human=new.needs_human or any(t.status == "grader_error" for e in kept for t in e.tests),
                   missing={ex: why for ex, why in {**previous.missing, **new.missing}.items()
                            if ex in new.missing or ex not in new.exercises},
                   suites_sha256=new.suites_sha256 if not kept or new.suites_sha256 == previous.suites_sha256 else None)


def error_result(name, message, *, exercises=EXERCISES, detail=None, duration_s=0.0,
                 isolation="not run", note="", needs_human=False) -> Result:
    """The result of a submission that could not be graded: 0 points, one error test each.

    With `needs_human` the failure is the grader's, not the student's (status grader_error):
    it scores 0 until a TA regrades it. Inert, like `grading.grade`'s: the message may quote
    the student's files.
    """
    status = "grader_error" if needs_human else "error"
    per = {ex: ExerciseResult(0.0, float(POINTS[ex]), [TestResult("grading", 0.0, float(POINTS[ex]), status, message)])
           for ex in exercises}
    return Result(submission=name, score=0.0, max_score=float(sum(POINTS[ex] for ex in per)), exercises=per,
                  grader_version=__version__, duration_s=round(duration_s, 3), isolation=isolation, output="",
                  error=message, note=note or None, grader_error=detail or None, needs_human=needs_human).inert()


def read_result(path) -> Result | None:
    """The result.json at `path` if it is there and valid (any version), else None.

    Made inert again: it may come from another process or an older version of the grader.
    """
    try:
        return Result.from_json(Path(path).read_text(encoding="utf-8")).inert()
    except (OSError, ValueError):
        return None


def write_result(path, result: Result) -> Path:
    """Write `result` to `path` atomically (see `files.write_atomic`)."""
    from .files import write_atomic

    return write_atomic(Path(path), result.to_json())
