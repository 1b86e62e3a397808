"""Grade one submission: run the hidden suites in this (trusted) process against `sub`.

pytest drives the suites; a small plugin hands it the submission proxy and turns each test's
outcome into a scored, student-facing record. Student code runs only behind the proxy.
"""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path

import pytest
import torch

from . import __version__, source_checks
from .failures import GraderError
from .paths import COURSE_DIR, EXERCISES_DIR, hidden_suite
from .sandboxed.layout import EXERCISES, MODULES, NOTE_FILE
from .results import ExerciseResult, Result, TestResult
from .seam import InProcessTransport, Submission, failure_status

from .limits import DEFAULT as _LIMITS  # noqa: E402 - docs/limits.md
SUBMISSION_BUDGET_S = _LIMITS.submission_budget_s


class _Collector:
    """pytest plugin: gives the suites their `sub`, and records each test's score and message."""

    def __init__(self, submission):
        self.submission = submission
        self.records: dict[str, dict] = {}
        self.errors: list[str] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config):
        config.cnn_submission = self.submission

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when == "call" or report.failed or report.skipped:
            self._record(item, report, call)

    def _record(self, item, report, call):
        exercise = Path(item.fspath).stem.removeprefix("test_")
        marker = item.get_closest_marker("points")
        points = float(marker.args[0]) if marker else 0.0
        status, message = "passed", ""
        if report.failed:
            status, message = _classify(call.excinfo)
        elif report.skipped:
            status, message = "failed", "skipped"
        record = self.records[item.nodeid] = {
            "exercise": exercise,
            "name": item.name,
            "score": points if status == "passed" else 0.0,
            "max_score": points,
            "status": status,
            "message": message,
            # Tests marked `public` repeat a check of the public tests: students may see them at once.
            "visibility": "visible" if item.get_closest_marker("public") else "hidden",
        }
        if status == "grader_error":  # for the TA who regrades it; the student sees `message`
            record["grader_detail"] = str(call.excinfo.value)[:2000]

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append(f"{report.nodeid}: {report.longreprtext[-2000:]}")


def _classify(excinfo) -> tuple[str, str]:
    if excinfo is None:
        return "error", "the test could not run"
    exc = excinfo.value
    if isinstance(exc, GraderError):
        return exc.status, exc.student_message
    status = failure_status(exc)
    if status is not None:
        if getattr(exc, "_from_student", False):
            return status, f"{exc.student_where} raised {exc.student_type}: {exc}"[:1000]
        return status, str(exc)[:1000]
    text = str(exc)
    if "Timeout" in type(exc).__name__ or text.startswith("Timeout"):
        return "timeout", "the test ran out of time"
    if isinstance(exc, AssertionError):
        return "failed", _first_lines(text)
    return "error", f"internal grader error ({type(exc).__name__}: {_first_lines(text)}); please tell your TA"


def _first_lines(text, lines=4, chars=800):
    text = text.split("\nassert ")[0].strip()
    return "\n".join(text.splitlines()[:lines])[:chars]


def run_suites(submission: Submission, exercises=EXERCISES) -> dict:
    """Run the hidden suites of `exercises` against `submission`; returns per-exercise results."""
    collector = _Collector(submission)
    files = [str(hidden_suite(ex)) for ex in exercises]  # registry ids -> grader/course/<id>/
    args = [*files, "-q", "-p", "no:cacheprovider", "--rootdir", str(COURSE_DIR),
            "-c", str(COURSE_DIR / "pytest.ini"), "-W", "ignore"]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models run fastest on one thread; scale with --jobs instead
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = pytest.main(args, plugins=[collector])
    finally:
        torch.set_num_threads(threads)
    if collector.errors or code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the hidden suites did not run (pytest exit {code}): {collector.errors}")
    results = {}
    for exercise in exercises:
        tests = [TestResult(**{k: v for k, v in r.items() if k != "exercise"})
                 for r in collector.records.values() if r["exercise"] == exercise]
        results[exercise] = ExerciseResult(score=round(sum(t.score for t in tests), 6),
                                           max_score=round(sum(t.max_score for t in tests), 6), tests=tests)
    return results


def open_submission(path, isolation="sandbox", budget_s=SUBMISSION_BUDGET_S, transport=None):
    """A `Submission` over a directory: sandboxed worker, or in-process for trusted code.

    `transport` is a worker already started for `path` (see `grader.grading.grade`).
    """
    if transport is None and isolation == "inprocess":
        transport = InProcessTransport(path)
    elif transport is None:
        from .worker_link import WorkerTransport

        transport = WorkerTransport(path)
        transport.start()
    return Submission(transport, total_budget_s=budget_s)


def review_lines(path) -> list[str]:
    """The tamper scan of every .py file under `path` (the judge's copy), one line per finding;
    unchanged copies of the handed-out public tests are the course's code, and not scanned."""
    sources = source_checks.without_handouts(source_checks.read_sources(path), EXERCISES_DIR)
    return [str(finding) for finding in source_checks.tamper_findings(sources)]


def grade_directory(path, *, name=None, isolation="sandbox", exercises=EXERCISES, transport=None) -> Result:
    """The full result of one unpacked submission directory (not yet inert: see `grading.grade`).

    Read before any student code runs: the tamper scan, which flags the result for review."""
    started = time.monotonic()
    review = review_lines(path)
    submission = open_submission(path, isolation, transport=transport)
    try:
        per_exercise = run_suites(submission, exercises)
        output = getattr(submission._transport, "output_tail", lambda: "")()
    finally:
        submission.close()
    return Result(
        submission=name or Path(path).name,
        score=round(sum(e.score for e in per_exercise.values()), 6),
        max_score=round(sum(e.max_score for e in per_exercise.values()), 6),
        exercises=per_exercise,
        grader_version=__version__,
        duration_s=round(time.monotonic() - started, 3),
        isolation=submission.description,
        output=output,
        # A grader error scores 0 until a human regrades it.
        needs_human=any(t.status == "grader_error" for e in per_exercise.values() for t in e.tests),
        review=review,  # costs no points: a TA reads the lines (grades.csv, the batch's summary)
        missing=missing_modules(path, exercises),
    )


def missing_modules(path, exercises) -> dict[str, str]:
    """{exercise: why} of the graded exercises whose module is not in the unpacked submission;
    the why is intake's note (a near-miss name, a notebook, two candidates), or that it is not there."""
    missing = {}
    for exercise in exercises:
        folder = Path(path) / exercise
        if not (folder / f"{MODULES[exercise]}.py").is_file():
            note = folder / NOTE_FILE
            missing[exercise] = (note.read_text(encoding="utf-8", errors="replace")[:500] if note.is_file()
                                 else f"{exercise}/{MODULES[exercise]}.py is not in the submission")
    return missing
