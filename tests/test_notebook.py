"""The bundle's notebook runs headless, top to bottom, as a student's kernel would run it."""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest

from grader import release
from grader.paths import SOLUTIONS_DIR

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")


def _text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append(output.get("text", ""))
        data = output.get("data", {})
        parts.append(data.get("text/html", "") + data.get("text/plain", ""))
    return "".join(parts if all(isinstance(p, str) for p in parts) else map(str, parts))


def test_the_notebook_checks_and_packs_a_fresh_bundle(tmp_path):
    bundle = release.build_release(tmp_path / "bundle")
    shutil.copyfile(SOLUTIONS_DIR / "ex1" / "shapes.py", bundle / "exercises" / "ex1" / "shapes.py")
    notebook = nbformat.read(bundle / "exercises.ipynb", as_version=4)
    # The venv's torch is the student's existing one: the PyTorch index can't be reached here.
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(bundle)}}).execute()
    cells = [c for c in notebook.cells if c.cell_type == "code"]
    assert not [c for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    setup = cells[0]
    assert "pip" not in _text(setup), "an installed torch (and the rest) is kept, nothing is installed"

    by_source = {c.source.strip(): _text(c) for c in cells}
    assert "✅ ex1" in by_source['check("ex1")'], by_source['check("ex1")']
    ex3 = by_source['check("ex3")']
    assert "❌ ex3" in ex3 and "preview" in ex3
    assert "exercises/ex3/cutout.py" in by_source['edit("ex3")']
    assert (bundle / "submission.zip").is_file(), by_source["pack()"]
    with zipfile.ZipFile(bundle / "submission.zip") as zf:
        assert zf.read("exercises/ex1/shapes.py") == (SOLUTIONS_DIR / "ex1" / "shapes.py").read_bytes()
    sections = [c.source for c in notebook.cells if c.cell_type == "markdown" and c.source.startswith("## ex")]
    assert len(sections) == len(json.loads((bundle / "rubric.json").read_text())["exercises"])
