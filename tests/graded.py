"""Helpers for tests that grade submissions: build submission folders, grade them, cache scores."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader import runner
from grader.paths import EXERCISES_DIR, SOLUTIONS_DIR
from grader.sandboxed.layout import MODULES


def module_path(root: Path, exercise: str) -> Path:
    return Path(root) / exercise / f"{MODULES[exercise]}.py"


def make_submission(dest: Path, base: str = "reference", replace: dict | None = None) -> Path:
    """A submission folder: every module from `base` ("reference" or "stubs"), then `replace`d."""
    source = SOLUTIONS_DIR if base == "reference" else EXERCISES_DIR
    for exercise in MODULES:
        target = module_path(dest, exercise)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(module_path(source, exercise), target)
    for exercise, text in (replace or {}).items():
        module_path(dest, exercise).write_text(text)
    return dest


def scores(result: dict) -> dict:
    return {ex: r["score"] for ex, r in result["exercises"].items()}


def grade(path, exercises=runner.EXERCISES, isolation="sandbox") -> dict:
    """The result.json document (a dict): the tests that use this read it as students' files do."""
    return runner.grade_directory(path, isolation=isolation, exercises=exercises).to_dict()
