"""exercises.ipynb, the bundle's notebook: one section per exercise, made from the registry and
each exercise's README by `cnn-grader release` (so it never drifts from them). Stdlib only."""

from __future__ import annotations

import json
import re

SETUP = '''# Run this first (Colab or Jupyter). It keeps the torch you already have (Colab's, CPU or
# CUDA) and installs only what is missing.
import importlib.util, os, subprocess, sys
if os.path.isdir("cnn-exercises"):
    os.chdir("cnn-exercises")  # Colab: the folder you uploaded or cloned
missing = [m for m in ("torch", "numpy", "pytest", "pytest_timeout") if importlib.util.find_spec(m) is None]
if missing:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", "requirements.txt"], check=True)
from notebook_tools import edit, check, pack'''


def _cell(kind, text):
    cell = {"cell_type": kind, "metadata": {}, "source": text.splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _summary(readme: str) -> str:
    """The README's first paragraph after its title: what the exercise asks."""
    body = re.sub(r"^#.*\n", "", readme.strip(), count=1).strip()
    return body.split("\n\n", 1)[0] if body else ""


def build(exercises: dict) -> str:
    """The notebook's JSON; `exercises` maps an id to {"module", "title", "readme"}."""
    cells = [_cell("markdown", "# CNN exercises\n\nEach section opens one exercise's module, where you "
                               "write your code, and checks it with its public tests in a fresh Python. "
                               "At the end, `pack()` writes `submission.zip`, the file you upload.\n\n"
                               "The points in the check's table are a preview: the grader's hidden tests use "
                               "other inputs. Hand in the `.py` modules (with `pack()`), not this notebook."),
             _cell("code", SETUP)]
    for exercise, info in exercises.items():
        cells.append(_cell("markdown", f"## {exercise}: {info['title']}\n\n{_summary(info['readme'])}\n\n"
                                       f"Details: [exercises/{exercise}/README.md](exercises/{exercise}/README.md). "
                                       f"Your file: `exercises/{exercise}/{info['module']}.py`."))
        cells.append(_cell("code", f'edit("{exercise}")'))
        cells.append(_cell("code", f'check("{exercise}")'))
    cells += [_cell("markdown", "## Hand in\n\n`pack()` runs the same pre-flight as the grader and writes "
                                "`submission.zip`; upload that file. `check()` checks every exercise at once."),
              _cell("code", "check()"), _cell("code", "pack()")]
    notebook = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                            "name": "python3"},
                                             "language_info": {"name": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    for i, cell in enumerate(notebook["cells"]):
        cell["id"] = f"cell-{i}"
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"
