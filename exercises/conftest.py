"""Shared pytest setup for the public exercise tests.

You do not need to edit this file. It gives the tests the grader's limits and short messages:

1. A function you have not written yet fails as one clear line, not a long traceback.
2. A module that cannot be imported (a syntax error, a missing import) is one line for its
   exercise, and `pytest exercises` still runs the other exercises.
3. Each test stops after 10 s, like a call in the grader (an endless loop fails, not hangs).
4. Short tracebacks for every other failure (pass --tb=long for the full story).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

EXERCISES_DIR = Path(__file__).resolve().parent
REPO_ROOT = EXERCISES_DIR.parent
PUBLIC_TEST_TIMEOUT_S = 10  # the grader's limit on one call (tests/test_public_tests.py checks it)

# Exercises may use the course lab (`import cnnlab`): make it importable however
# pytest was started (the `pytest` script does not put the current folder on sys.path).
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
try:  # the same checks as pack_submission.py: intake.py beside it (in the repo: grader/intake.py)
    import intake
except ImportError:
    from grader import intake


def pytest_configure(config: pytest.Config) -> None:
    _configure_target(config)
    # One exercise that cannot be imported must not stop the others (see pytest_make_collect_report).
    config.option.continue_on_collection_errors = True
    # Short tracebacks unless the student asked for another style with --tb.
    if getattr(config.option, "tbstyle", "auto") == "auto":
        config.option.tbstyle = "short"


def _configure_target(config: pytest.Config) -> None:
    """The tests import your modules (the course staff's copy can choose another target)."""


def pytest_report_header(config: pytest.Config) -> str:
    return "cnn-grader: testing YOUR code in exercises/"


def pytest_collection_modifyitems(items) -> None:
    """The grader's time limit, unless a test sets its own."""
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(PUBLIC_TEST_TIMEOUT_S))


def _exercise_of(path) -> str | None:
    try:
        rel = Path(path).resolve().relative_to(EXERCISES_DIR)
    except ValueError:
        return None
    return rel.parts[0] if len(rel.parts) == 2 and rel.parts[0].startswith("ex") else None


def _forget_other_exercises(exercise: str) -> None:
    """Each exercise imports its own helpers: ex3/helpers.py must not stand in for ex4/helpers.py."""
    for name, module in list(sys.modules.items()):
        other = _exercise_of(getattr(module, "__file__", None) or "/")
        if other and other != exercise:
            del sys.modules[name]


def _import_problem(folder: Path) -> str | None:
    """Why the exercise's own files cannot be imported, as pack_submission.py says it."""
    files = [p for p in sorted(folder.glob("*.py")) if not p.name.startswith("test_") and p.name != "conftest.py"]
    local = {p.stem for p in files}
    for path in files:
        blocking = [f for f in intake.check_module(folder.name, f"{folder.name}/{path.name}", path.read_bytes(), local)
                    if f.blocking]
        if blocking:
            return blocking[0].message
    return None


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    exercise = _exercise_of(getattr(collector, "path", "/")) if isinstance(collector, pytest.Module) else None
    if exercise:
        _forget_other_exercises(exercise)
    report = yield
    if exercise and report.failed:
        text = str(report.longrepr)
        last = [line[1:].strip() for line in text.splitlines() if line.startswith("E ")]
        why = _import_problem(EXERCISES_DIR / exercise) or (last[-1] if last else text.strip().splitlines()[-1])
        report.longrepr = f"{exercise} cannot be imported: {why}"
    return report


# BEGIN STAFF: `cnn-grader release` leaves this block out of the students' copy.
# `CNN_GRADER_TARGET=solutions pytest exercises` (or --target=solutions) runs the public tests
# against the reference solutions in solutions/, to check the tests themselves.
SOLUTIONS_DIR = REPO_ROOT / "solutions"
TARGET_ENV = "CNN_GRADER_TARGET"
TARGETS = ("exercises", "solutions")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--target",
        choices=TARGETS,
        default=None,
        help=f"what the exercise tests import: your code in exercises/ (default) or "
        f"the reference in solutions/ (same as {TARGET_ENV}=solutions)",
    )


def _target(config: pytest.Config) -> str:
    chosen = config.getoption("--target", default=None) or os.environ.get(TARGET_ENV, "")
    chosen = chosen.strip().lower() or "exercises"
    if chosen not in TARGETS:
        raise pytest.UsageError(
            f"{TARGET_ENV}={chosen!r} is not understood: use 'exercises' or 'solutions'"
        )
    return chosen


def _solution_modules() -> list[Path]:
    """Every solutions/exN/<module>.py (test files and private helpers excluded)."""
    found = []
    for folder in sorted(SOLUTIONS_DIR.glob("ex*")):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith(("test_", "_")) or path.name == "conftest.py":
                continue
            found.append(path)
    return found


class _SolutionFinder:
    """Import hook: `import cutout` loads solutions/ex3/cutout.py (target=solutions)."""

    def __init__(self, paths: dict[str, Path]):
        self.paths = paths

    def find_spec(self, name, path=None, target=None):
        if name in self.paths:
            return importlib.util.spec_from_file_location(name, self.paths[name])
        return None


def _preload_solutions() -> None:
    """Put each reference module into sys.modules under its plain name, so that the
    public tests' `from cutout import cutout` finds the reference, not the exercise.

    A reference module that fails to load is not fatal here: the import hook tries
    again when that exercise's tests import it, so the error shows up there only."""
    paths = {path.stem: path for path in _solution_modules()}
    if not any(isinstance(f, _SolutionFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _SolutionFinder(paths))
    for name, path in paths.items():
        if getattr(sys.modules.get(name), "__file__", None) == str(path):
            continue  # already loaded (pytest_configure can run twice in-process)
        sys.modules.pop(name, None)
        try:
            importlib.import_module(name)
        except Exception:
            sys.modules.pop(name, None)


def _configure_target(config: pytest.Config) -> None:  # noqa: F811 - the staff version
    config._cnn_grader_target = _target(config)
    if config._cnn_grader_target == "solutions":
        if not _solution_modules():
            raise pytest.UsageError(
                f"target=solutions, but there are no reference solutions in {SOLUTIONS_DIR} "
                "(the student copy of the course doesn't include them)"
            )
        _preload_solutions()


def pytest_report_header(config: pytest.Config) -> str:  # noqa: F811 - the staff version
    if getattr(config, "_cnn_grader_target", "exercises") == "solutions":
        return "cnn-grader: testing the REFERENCE solutions in solutions/ (target=solutions)"
    if _solution_modules():  # staff checkout: say how to test the reference instead
        return "cnn-grader: testing YOUR code in exercises/ (CNN_GRADER_TARGET=solutions tests the reference)"
    return "cnn-grader: testing YOUR code in exercises/"


# END STAFF


def _not_implemented_line(excinfo: pytest.ExceptionInfo) -> str | None:
    """One friendly line when the innermost frame is a stub's `raise NotImplementedError`."""
    if not excinfo.errisinstance(NotImplementedError):
        return None
    tb = excinfo.tb
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    path = Path(code.co_filename).resolve()
    # Only the module under test, e.g. exercises/ex3/cutout.py, never a test file.
    if _exercise_of(path) is None or path.name.startswith("test_"):
        return None
    name = getattr(code, "co_qualname", code.co_name)
    shown = path.relative_to(REPO_ROOT).as_posix()
    return (
        f"{name}() is not implemented yet: open {shown} "
        f"and replace the raise NotImplementedError"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.failed and call.excinfo is not None:
        line = _not_implemented_line(call.excinfo)
        if line is not None:
            report.longrepr = line
    return report
