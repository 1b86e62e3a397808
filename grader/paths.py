"""Where the judge finds its trusted files. The worker never sees any of these."""

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
HIDDEN_DIR = PACKAGE_DIR / "hidden"
SOLUTIONS_DIR = Path(os.environ.get("CNN_GRADER_SOLUTIONS", REPO_ROOT / "solutions"))
EXERCISES_DIR = REPO_ROOT / "exercises"
