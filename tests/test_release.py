"""The student bundle: complete, usable on its own, and free of anything secret."""

from __future__ import annotations

import ast
import os
import re
import runpy
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from grader import api, release
from grader.paths import EXERCISES_DIR, HIDDEN_DIR, SOLUTIONS_DIR
from grader.sandboxed import layout
from grader.sandboxed.worker import MODULES


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return api.release(tmp_path_factory.mktemp("release") / "bundle")


def _normalised(data: bytes) -> str:
    return "\n".join(line.rstrip() for line in data.decode("utf-8", "replace").strip().splitlines())


def test_bundle_has_what_students_need(bundle):
    for rel in ("README.md", "requirements.txt", "pyproject.toml", "pack_submission.py", "check.py", "intake.py",
                "rubric.json", "exercises/conftest.py", "cnnlab/__init__.py"):
        assert (bundle / rel).is_file(), rel
    for exercise, module in MODULES.items():
        assert (bundle / "exercises" / exercise / f"{module}.py").read_bytes() == \
            (EXERCISES_DIR / exercise / f"{module}.py").read_bytes()
        assert list((bundle / "exercises" / exercise).glob("test_*.py")), f"public tests of {exercise}"
    requirements = (bundle / "requirements.txt").read_text()
    for package in ("torch>=", "numpy>=", "pytest>=", "pytest-timeout>="):
        assert f"\n{package}" in requirements
    readme = (bundle / "README.md").read_text()
    for step in ("pip install -r requirements.txt", "pytest exercises/ex3", "python check.py", "python pack_submission.py"):
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
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    refused = subprocess.run([sys.executable, "pack_submission.py"], cwd=work, capture_output=True, text=True, env=env)
    assert refused.returncode == 1 and "error: ex3/cutout.py: syntax error on line 1" in refused.stdout
    run = subprocess.run([sys.executable, "pack_submission.py", "--force"], cwd=work, capture_output=True,
                         text=True, check=True, env=env)
    assert "ex3/cutout.py: syntax error on line 1" in run.stdout
    assert "ex1/shapes.py: still has 3 `raise NotImplementedError`" in run.stdout
    with zipfile.ZipFile(work / "submission.zip") as zf:
        assert sorted(zf.namelist()) == sorted(f"exercises/{ex}/{m}.py" for ex, m in MODULES.items())
    result = api.grade(work / "submission.zip", isolation="inprocess", exercises=("ex1",))
    assert result.submission == "submission"
    assert result.exercises["ex1"].score == 0
    assert all("not implemented yet" in t.message for t in result.exercises["ex1"].tests)


def _run_pack(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the folder's pack_submission.py as a student would, with the standard library alone.

    -S: no site-packages (so no torch, no editable grader); -I: no PYTHONPATH, no user site.
    """
    return subprocess.run([sys.executable, "-I", "-S", "pack_submission.py", *args], cwd=folder,
                          capture_output=True, text=True, check=True, timeout=60)


def test_the_template_is_real_python_that_takes_its_list_from_layout():
    """In the repo the template imports layout's list; the release swaps that for a literal."""
    names = runpy.run_path(str(release.PACK_TEMPLATE), run_name="pack_template")
    assert names["MODULES"] == layout.MODULES
    assert callable(names["main"])
    for script, allowed in ((release.pack_script(), {"intake"}), (release.check_script(), {"intake"}),
                            (release.INTAKE_MODULE.read_text(), set())):
        imported = {alias.name.split(".")[0] for node in ast.walk(ast.parse(script))
                    if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(ast.parse(script))
                     if isinstance(node, ast.ImportFrom)}
        assert imported <= set(sys.stdlib_module_names) | allowed, imported - set(sys.stdlib_module_names)
    assert "# BEGIN MODULES" in release.pack_script() and "# END MODULES" in release.pack_script()


def test_released_pack_script_packs_every_module_of_layout_and_keeps_its_refusals(bundle, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy2(bundle / "pack_submission.py", work / "pack_submission.py")
    shutil.copy2(bundle / "intake.py", work / "intake.py")
    for exercise, module in layout.MODULES.items():
        (work / "exercises" / exercise).mkdir(parents=True)
        (work / "exercises" / exercise / f"{module}.py").write_text(f"ANSWER = {exercise!r}\n")
        (work / "exercises" / exercise / f"test_{module}.py").write_text("def test(): pass\n")
    (work / "exercises" / "ex1" / "notes.ipynb").write_text("{}")
    run = _run_pack(work)
    count = len(layout.MODULES)
    assert f"with {count} of {count} exercise files" in run.stdout, run.stdout
    assert run.stdout.count("note:") == 1 and "note: found ex1/notes.ipynb: notebooks are not graded" in run.stdout
    with zipfile.ZipFile(work / "submission.zip") as zf:
        assert zf.namelist() == [f"exercises/{ex}/{m}.py" for ex, m in layout.MODULES.items()]
        assert zf.read("exercises/ex2/mixup.py") == b"ANSWER = 'ex2'\n"
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}

    # the cases it warns about: a missing file, a symlink, bytes that are not UTF-8, a syntax error
    (work / "exercises" / "ex1" / "shapes.py").unlink()
    (work / "exercises" / "ex2" / "mixup.py").unlink()
    (work / "exercises" / "ex2" / "mixup.py").symlink_to(work / "exercises" / "ex3" / "cutout.py")
    (work / "exercises" / "ex3" / "cutout.py").write_bytes(b"\xff\xfe = 1\n")
    (work / "exercises" / "ex4" / "soft_ce.py").write_text("def f(:\n")
    (work / "exercises" / "ex5" / "metrics.py").write_text("def f():\n    raise NotImplementedError\n")
    run = _run_pack(work, "-o", str(tmp_path / "mine.zip"), "--force")
    assert f"with {count - 2} of {count} exercise files" in run.stdout, run.stdout
    for note in ("ex1/shapes.py: not found, so ex1 counts as not started",
                 "ex2/mixup.py: not found, so ex2 counts as not started",
                 "ex5/metrics.py: still has 1 `raise NotImplementedError` (not finished yet?)"):
        assert f"  note: {note}" in run.stdout, run.stdout
    for error in ("ex3/cutout.py: is not UTF-8 text; the grader will not be able to read it",
                  "ex4/soft_ce.py: syntax error on line 1"):
        assert f"  error: {error}" in run.stdout, run.stdout
    with zipfile.ZipFile(tmp_path / "mine.zip") as zf:
        assert zf.namelist() == [f"exercises/{ex}/{m}.py" for ex, m in layout.MODULES.items()
                                 if ex not in ("ex1", "ex2")]


def test_an_added_exercise_needs_no_edit_to_the_template(tmp_path, monkeypatch):
    """layout.MODULES is the one list: the bundle's pack script and README follow it."""
    monkeypatch.setitem(layout.MODULES, "ex8", "extra")
    out = release.build_release(tmp_path / "bundle")
    (out / "exercises" / "ex8").mkdir()
    (out / "exercises" / "ex8" / "extra.py").write_text("EXTRA = 8\n")
    run = _run_pack(out)
    assert "with 8 of 8 exercise files" in run.stdout, run.stdout
    with zipfile.ZipFile(out / "submission.zip") as zf:
        assert "exercises/ex8/extra.py" in zf.namelist()
    readme = (out / "README.md").read_text()
    assert readme.count("Eight graded exercises") == 1 and "seven" not in readme.lower()
    assert "Each exercise is worth 10 points." in readme
    assert "| ex8 | `exercises/ex8/extra.py` | `pytest exercises/ex8` |" in readme


def _hidden_literals() -> dict[str, str]:
    """Distinctive literals of the hidden suites, as source text without blanks: every case of a
    module-level *_CASES table (its inputs and, where written down, expected values) and every
    seed of five digits or more. {normalised text: where}."""
    from grader import registry
    from grader.paths import hidden_suite

    found = {}
    for exercise in registry.ids():
        path = hidden_suite(exercise)
        text = path.read_text(encoding="utf-8")
        for node in ast.parse(text).body:
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
                continue
            name = node.targets[0].id
            if name.endswith("_CASES") and isinstance(node.value, (ast.List, ast.Tuple)):
                for case in node.value.elts:
                    source = "".join(ast.get_source_segment(text, case).split())
                    if len(source) >= 8:  # "(16, 2)" alone says nothing; a whole case does
                        found[source] = f"{path.name} {name}"
            elif "SEED" in name and isinstance(node.value, ast.Constant) and isinstance(node.value.value, int):
                if node.value.value >= 10_000:
                    found[str(node.value.value)] = f"{path.name} {name}"
                    found[f"{node.value.value:_}"] = f"{path.name} {name}"
    return found


def test_the_bundle_holds_no_hidden_inputs_or_expected_values(bundle):
    literals = _hidden_literals()
    assert len(literals) > 20, "the check finds the hidden suites' cases"
    leaked = []
    for path in sorted(p for p in bundle.rglob("*") if p.is_file() and p.suffix in (".py", ".md", ".json", ".ipynb",
                                                                                    ".txt", ".toml")):
        text = "".join(path.read_text(encoding="utf-8", errors="replace").split())
        leaked += [f"{path.relative_to(bundle)}: {where}: {literal}" for literal, where in literals.items()
                   if literal in text]
    assert leaked == []
