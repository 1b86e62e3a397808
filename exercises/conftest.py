"""Shared pytest setup for the public exercise tests.

You do not need to edit this file. It does three small things:

1. Chooses what the tests import. By default `pytest exercises/ex3` tests YOUR code
   in exercises/ex3/. With `CNN_GRADER_TARGET=solutions` (or `--target=solutions`)
   it tests the reference solutions in solutions/ instead, so you can check that the
   tests themselves are right. The first lines of the pytest output say which.
2. Turns "not implemented yet" into one clear line instead of a long traceback.
3. Uses short tracebacks for every other failure (pass --tb=long for the full story).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

EXERCISES_DIR = Path(__file__).resolve().parent
REPO_ROOT = EXERCISES_DIR.parent
SOLUTIONS_DIR = REPO_ROOT / "solutions"
TARGET_ENV = "CNN_GRADER_TARGET"
TARGETS = ("exercises", "solutions")

# Exercises may use the course lab (`import cnnlab`): make it importable however
# pytest was started (the `pytest` script does not put the current folder on sys.path).
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


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


def pytest_configure(config: pytest.Config) -> None:
    config._cnn_grader_target = _target(config)
    if config._cnn_grader_target == "solutions":
        if not _solution_modules():
            raise pytest.UsageError(
                f"target=solutions, but there are no reference solutions in {SOLUTIONS_DIR} "
                "(the student copy of the course doesn't include them)"
            )
        _preload_solutions()
    # Short tracebacks unless the student asked for another style with --tb.
    if getattr(config.option, "tbstyle", "auto") == "auto":
        config.option.tbstyle = "short"


def pytest_report_header(config: pytest.Config) -> str:
    if getattr(config, "_cnn_grader_target", "exercises") == "solutions":
        return "cnn-grader: testing the REFERENCE solutions in solutions/ (target=solutions)"
    if _solution_modules():  # staff checkout: say how to test the reference instead
        return "cnn-grader: testing YOUR code in exercises/ (CNN_GRADER_TARGET=solutions tests the reference)"
    return "cnn-grader: testing YOUR code in exercises/"


def _not_implemented_line(excinfo: pytest.ExceptionInfo) -> str | None:
    """One friendly line when the innermost frame is a stub's `raise NotImplementedError`."""
    if not excinfo.errisinstance(NotImplementedError):
        return None
    tb = excinfo.tb
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    path = Path(code.co_filename).resolve()
    for root in (EXERCISES_DIR, SOLUTIONS_DIR):
        try:
            rel = path.relative_to(root)
        except ValueError:
            continue
        # Only the module under test, e.g. exercises/ex3/cutout.py, never a test file.
        if len(rel.parts) == 2 and rel.parts[0].startswith("ex") and not rel.name.startswith("test_"):
            break
    else:
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
