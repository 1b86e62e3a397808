"""The student bundle: complete, usable on its own, and free of anything secret."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from grader import api, release
from grader.paths import EXERCISES_DIR, HIDDEN_DIR, SOLUTIONS_DIR
from grader.sandboxed.worker import MODULES


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return api.release(tmp_path_factory.mktemp("release") / "bundle")


def _normalised(data: bytes) -> str:
    return "\n".join(line.rstrip() for line in data.decode("utf-8", "replace").strip().splitlines())


def test_bundle_has_what_students_need(bundle):
    for rel in ("README.md", "requirements.txt", "pyproject.toml", "pack_submission.py",
                "exercises/conftest.py", "cnnlab/__init__.py"):
        assert (bundle / rel).is_file(), rel
    for exercise, module in MODULES.items():
        assert (bundle / "exercises" / exercise / f"{module}.py").read_bytes() == \
            (EXERCISES_DIR / exercise / f"{module}.py").read_bytes()
        assert list((bundle / "exercises" / exercise).glob("test_*.py")), f"public tests of {exercise}"
    requirements = (bundle / "requirements.txt").read_text()
    for package in ("torch==", "numpy==", "pytest==", "pytest-timeout=="):
        assert f"\n{package}" in requirements
    readme = (bundle / "README.md").read_text()
    for step in ("pip install -r requirements.txt", "pytest exercises/ex3", "python pack_submission.py"):
        assert step in readme
    assert not list(bundle.rglob("__pycache__"))


def test_bundle_contains_no_solution_no_hidden_suite_no_grader(bundle):
    secrets = {_normalised(p.read_bytes()): p for root in (SOLUTIONS_DIR, HIDDEN_DIR)
               for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert any(p.is_relative_to(SOLUTIONS_DIR) for p in secrets.values())
    for path in bundle.rglob("*"):
        rel = path.relative_to(bundle)
        assert not path.is_symlink(), rel
        assert not {"solutions", "hidden", "grader"} & set(rel.parts), rel
        if path.is_file():
            assert _normalised(path.read_bytes()) not in secrets, f"{rel} equals {secrets.get(_normalised(path.read_bytes()))}"
    assert release.leaks(bundle) == []


def test_a_leaking_bundle_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "exercises"
    shutil.copytree(EXERCISES_DIR, fake, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(SOLUTIONS_DIR / "ex3" / "cutout.py", fake / "ex3" / "cutout.py")
    monkeypatch.setattr(release, "EXERCISES_DIR", fake)
    with pytest.raises(release.ReleaseError, match="ex3/cutout.py has the same text as solutions/ex3/cutout.py"):
        release.build_release(tmp_path / "out")
    assert not (tmp_path / "out").exists(), "nothing is left behind"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_release_refuses_a_non_empty_folder_unless_forced(tmp_path):
    out = tmp_path / "bundle"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(ValueError, match="not empty"):
        api.release(out)
    api.release(out, force=True)
    assert not (out / "old.txt").exists() and (out / "README.md").is_file()


def _fresh_venv(where: Path) -> Path:
    """A venv without the project: it reuses this venv's packages, not its editable install."""
    base = Path(getattr(sys, "_base_executable", sys.executable))
    subprocess.run([str(base), "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # a plain path entry: the .pth files there (our editable install among them) are not processed
    Path(purelib, "reuse_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_public_tests_run_in_the_bundle_with_a_fresh_venv(bundle, tmp_path):
    python = _fresh_venv(tmp_path / "venv")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "CNN_GRADER_TARGET")}
    probe = subprocess.run(
        [str(python), "-c", "import cnnlab, importlib.util; print(cnnlab.__file__); "
                            "print(importlib.util.find_spec('grader'))"],
        cwd=bundle, env=env, capture_output=True, text=True, check=True)
    lab_file, grader_spec = probe.stdout.split()
    assert Path(lab_file).resolve().is_relative_to(bundle.resolve()), "the lab comes from the bundle"
    assert grader_spec == "None", "the grader is not importable from the bundle"

    run = subprocess.run([str(python), "-m", "pytest", "exercises/ex3", "-p", "no:cacheprovider"],
                         cwd=bundle, env=env, capture_output=True, text=True, timeout=300)
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    assert "cutout_mask() is not implemented yet: open exercises/ex3/cutout.py" in out, out
    assert "cutout() is not implemented yet" in out, out
    assert not re.search(r"^E\s+NotImplementedError", out, flags=re.M), "no long tracebacks for stubs"


def test_pack_submission_makes_a_zip_that_grade_accepts(bundle, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(bundle, work)
    (work / "exercises" / "ex3" / "cutout.py").write_text("def cutout(:\n")  # a syntax error
    run = subprocess.run([sys.executable, "pack_submission.py"], cwd=work, capture_output=True, text=True,
                         check=True, env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert "ex3/cutout.py: syntax error on line 1" in run.stdout
    assert "ex1/shapes.py: still has 3 `raise NotImplementedError`" in run.stdout
    with zipfile.ZipFile(work / "submission.zip") as zf:
        assert sorted(zf.namelist()) == sorted(f"exercises/{ex}/{m}.py" for ex, m in MODULES.items())
    result = api.grade(work / "submission.zip", isolation="inprocess", exercises=("ex1",))
    assert result["submission"] == "submission"
    assert result["exercises"]["ex1"]["score"] == 0
    assert all("not implemented yet" in t["message"] for t in result["exercises"]["ex1"]["tests"])
