"""`cnn-grader new` makes an exercise that every part of the grader picks up with nothing else
done: in a scratch copy of the repository, `new ex8 --module extra`, then audit, grade, batch,
release and otter all see ex8."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import authoring
from grader.paths import REPO_ROOT


def _cli(scratch: Path, *args, check=True) -> subprocess.CompletedProcess:
    """`python -m grader ARGS` run from the scratch copy, with its grader first on the path."""
    env = {**os.environ, "PYTHONPATH": str(scratch)}
    env.pop("CNN_GRADER_SOLUTIONS", None)
    run = subprocess.run([sys.executable, "-m", "grader", *args], cwd=scratch, env=env,
                         capture_output=True, text=True, timeout=900)
    assert not check or run.returncode == 0, f"{args}: exit {run.returncode}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """The tracked files of this repository (as the working tree has them), then `new ex8`."""
    root = tmp_path_factory.mktemp("repo")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO_ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        source = REPO_ROOT / rel
        if source.is_file():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / rel)
    _cli(root, "new", "ex8", "--module", "extra", "--title", "an extra exercise")
    return root


def test_new_writes_every_part(scratch):
    for rel in ("exercises/ex8/extra.py", "exercises/ex8/test_extra.py", "exercises/ex8/README.md",
                "solutions/ex8/extra.py", "grader/course/ex8/manifest.toml", "grader/course/ex8/test_ex8.py",
                "grader/course/ex8/probes.py", "grader/course/ex8/bugzoo.py", "grader/course/ex8/__init__.py"):
        assert (scratch / rel).is_file(), rel
    assert (scratch / "grader/course/registry.txt").read_text().splitlines()[-1] == "ex8"


def test_new_refuses_an_existing_id_or_module(scratch):
    again = _cli(scratch, "new", "ex8", "--module", "other", check=False)
    assert again.returncode == 2 and "ex8 already exists" in again.stderr
    shared = _cli(scratch, "new", "ex9", "--module", "shapes", check=False)
    assert shared.returncode == 2 and "already the module of ex1" in shared.stderr
    with pytest.raises(authoring.AuthoringError, match="can't be a module"):
        authoring.new_exercise("ex9", "course", root=scratch)


def test_audit_passes_on_the_new_exercise(scratch):
    run = _cli(scratch, "audit", "ex8")
    assert "ex8" in run.stdout and "every check passed" in run.stdout, run.stdout


def test_grade_batch_release_and_otter_see_it(scratch, tmp_path):
    graded = _cli(scratch, "grade", "solutions", "--isolation", "inprocess", "--json", str(tmp_path / "r.json"))
    import json

    result = json.loads((tmp_path / "r.json").read_text())
    assert (result["score"], result["max_score"]) == (80, 80), graded.stdout
    assert result["exercises"]["ex8"]["score"] == 10

    klass = tmp_path / "class"
    shutil.copytree(scratch / "solutions", klass / "ref")
    _cli(scratch, "batch", str(klass), "--out", str(tmp_path / "out"), "--isolation", "inprocess", "--no-progress")
    with open(tmp_path / "out" / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert "ex8" in rows[0] and float(rows[0]["ex8"]) == 10

    _cli(scratch, "release", "--out", str(tmp_path / "bundle"))
    assert '"ex8"' in (tmp_path / "bundle" / "pack_submission.py").read_text()
    assert (tmp_path / "bundle" / "exercises" / "ex8" / "extra.py").is_file()

    _cli(scratch, "otter", "--out", str(tmp_path / "ag.zip"))
    with zipfile.ZipFile(tmp_path / "ag.zip") as zf:
        names = zf.namelist()
    assert any(n.endswith("grader/course/ex8/test_ex8.py") for n in names), names[:50]
