"""Where the judge finds its trusted files. The worker never sees any of these."""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
# Staff-only parts of every exercise, one folder each (grader/course/<id>/: manifest, hidden
# suite, probes, bug zoo). HIDDEN_DIR is its old name, for the callers that scan for secrets.
COURSE_DIR = PACKAGE_DIR / "course"
HIDDEN_DIR = COURSE_DIR
SOLUTIONS_DIR = Path(os.environ.get("CNN_GRADER_SOLUTIONS", REPO_ROOT / "solutions"))
EXERCISES_DIR = REPO_ROOT / "exercises"


def hidden_suite(exercise_id: str, course_dir: Path = COURSE_DIR) -> Path:
    """The hidden suite of an exercise: grader/course/<id>/test_<id>.py (pytest's own naming)."""
    return Path(course_dir) / exercise_id / f"test_{exercise_id}.py"
