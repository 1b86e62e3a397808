"""The exercises and their module files: the one list every part of the grader uses, derived
from the exercise registry (grader/registry.py, grader/course/).

Standard library only, and no import of grader.*: this package is copied alone into the
sandboxed worker's kit. In the judge (imported as grader.sandboxed.layout) it asks the registry;
in the kit (imported as sandboxed.layout) it reads course.json, which sandbox.make_kit wrote
beside it from the registry.
"""

import importlib
import json
from pathlib import Path

COURSE_JSON = "course.json"


def _course() -> list[dict]:
    parent = (__package__ or "").rpartition(".")[0]
    if parent:  # the judge: by name at run time, so the kit's code holds no edge to grader.*
        return importlib.import_module(f"{parent}.registry").course_data()["exercises"]
    path = Path(__file__).resolve().parent / COURSE_JSON
    try:
        return json.loads(path.read_text(encoding="utf-8"))["exercises"]
    except (OSError, ValueError, KeyError) as exc:
        raise ImportError(f"{path}: the worker kit's exercise list is missing or invalid ({exc}); "
                          "kits are made by grader.sandbox.make_kit") from None


_EXERCISES = _course()
MODULES = {ex["id"]: ex["module"] for ex in _EXERCISES}
EXERCISES = tuple(MODULES)
POINTS = {ex["id"]: ex["points"] for ex in _EXERCISES}
MODULE_FILES = {exercise: f"{module}.py" for exercise, module in MODULES.items()}
# A text file the judge writes into an exercise's folder: why a helper was refused, or what
# was found instead of a missing module (grader/intake.py). The worker reports it as the
# exercise's import error; its name is no Python module's, so nothing can import it.
NOTE_FILE = "intake-note.txt"
