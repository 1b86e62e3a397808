"""What students run before they hand in: the pack step's pre-flight, check.py, and the public
tests with the grader's limits, all in a bundle made by `cnn-grader release`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader import api, intake, release
from grader.limits import DEFAULT as LIMITS
from grader.paths import EXERCISES_DIR, SOLUTIONS_DIR
from grader.sandboxed.layout import MODULES

ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CNN_GRADER_TARGET")}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return api.release(tmp_path_factory.mktemp("release") / "bundle")


@pytest.fixture
def work(bundle, tmp_path) -> Path:
    """A copy of the bundle to break."""
    return Path(shutil.copytree(bundle, tmp_path / "work"))


def _pack(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """The bundle's pack script with the standard library alone (-I -S: no torch, no grader)."""
    return subprocess.run([sys.executable, "-I", "-S", "pack_submission.py", *args], cwd=folder,
                          capture_output=True, text=True, timeout=60)


def _hang(path: Path) -> None:
    """Every stub of the module loops forever instead of raising."""
    path.write_text(path.read_text().replace("\n    raise NotImplementedError", "\n    while True:\n        pass"))


# ------------------------------------------------------------------------------- pack step


def test_pack_warns_about_each_problem_and_packs_helpers(work):
    ex = work / "exercises"
    shutil.copyfile(SOLUTIONS_DIR / "ex3" / "cutout.py", ex / "ex3" / "cutout.py")
    extra = "\nfrom helpers import same\nprint('loaded')\nMASK = cutout_mask(4, 4, (1, 1), 2)\n"
    (ex / "ex3" / "cutout.py").write_text((ex / "ex3" / "cutout.py").read_text() + extra)
    (ex / "ex3" / "helpers.py").write_text("def same(v):\n    return v\n")
    (ex / "ex5" / "metrics.py").rename(ex / "ex5" / "metrics_final.py")
    (ex / "ex6" / "square_border.py").unlink()
    (ex / "ex6" / "square_border.ipynb").write_text("{}")
    run = _pack(work)
    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    for note in ("note: ex1/shapes.py: still has 3 `raise NotImplementedError` (not finished yet?)",
                 "runs print(...) when the module is imported; move it into a function or under "
                 "`if __name__ == \"__main__\":`",
                 "runs cutout_mask(...) when the module is imported",
                 "note: found ex5/metrics_final.py; expected ex5/metrics.py",
                 "note: ex5/metrics.py: not found, so ex5 counts as not started",
                 "note: found ex6/square_border.ipynb: notebooks are not graded; submit the .py module "
                 "ex6/square_border.py instead, packed with `python pack_submission.py`"):
        assert note in out, out
    assert "with 5 of 7 exercise files (and 1 helper module)" in out, out  # ex5's near miss is no helper
    with zipfile.ZipFile(work / "submission.zip") as zf:
        names = zf.namelist()
    assert "exercises/ex3/helpers.py" in names and "exercises/ex3/cutout.py" in names
    assert not [n for n in names if n.startswith(("exercises/ex5/", "exercises/ex6/"))], names


def test_pack_refuses_a_module_that_cannot_import_unless_forced(work):
    ex = work / "exercises"
    (ex / "ex2" / "mixup.py").write_text("def mix(:\n")
    (ex / "ex4" / "soft_ce.py").write_text("import scipy\nimport torch\n")
    (ex / "ex3" / "random.py").write_text("X = 1\n")
    run = _pack(work)
    assert run.returncode == 1 and not (work / "submission.zip").exists(), run.stdout
    for error in ("error: ex2/mixup.py: syntax error on line 1",
                  "error: ex4/soft_ce.py: imports scipy, which will not be in your submission",
                  "error: ex3/random.py is refused: a helper may not take the name of a standard library "
                  "module (random); rename it, e.g. ex3/my_random.py"):
        assert error in run.stdout, run.stdout
    assert "not packed" in run.stdout
    forced = _pack(work, "--force")
    assert forced.returncode == 0, forced.stdout
    assert "WARNING: packed with --force: 3 problem(s) above will cost points" in forced.stdout
    with zipfile.ZipFile(work / "submission.zip") as zf:
        assert "exercises/ex2/mixup.py" in zf.namelist() and "exercises/ex3/random.py" not in zf.namelist()


def test_preflight_passes_the_reference_and_the_stubs_but_for_their_stubs():
    for root in (SOLUTIONS_DIR, EXERCISES_DIR):
        found = intake.scan(root, MODULES)
        findings = intake.preflight(lambda rel: (root / rel).read_bytes(), found, MODULES)
        assert [f.message for f in findings if "NotImplementedError" not in f.message] == [], root


# ------------------------------------------------------------------------------- public tests


def test_a_module_that_cannot_import_is_one_line_and_the_others_still_run(work):
    (work / "exercises" / "ex2" / "mixup.py").write_text("def mix(:\n")
    (work / "exercises" / "ex4" / "soft_ce.py").write_text("import scipy\n")
    run = subprocess.run([sys.executable, "-m", "pytest", "exercises", "-q", "-p", "no:cacheprovider"],
                         cwd=work, env={**ENV, "COLUMNS": "300"}, capture_output=True, text=True, timeout=300)
    out = run.stdout + run.stderr
    assert "ERROR exercises/ex2/test_mixup.py - ex2 cannot be imported: ex2/mixup.py: syntax error on line 1" in out
    assert "ERROR exercises/ex4/test_soft_ce.py - ex4 cannot be imported: ex4/soft_ce.py: imports scipy" in out
    assert "Traceback" not in out and "Interrupted" not in out, out
    for exercise in ("ex1", "ex3", "ex5", "ex6", "ex7"):
        assert f"exercises/{exercise}/" in out, f"{exercise}'s tests ran too"


def test_a_hanging_public_test_stops_after_the_graders_limit(work):
    _hang(work / "exercises" / "ex1" / "shapes.py")
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "pytest", "exercises/ex1", "-x", "-q", "-p", "no:cacheprovider"],
                         cwd=work, env=ENV, capture_output=True, text=True, timeout=120)
    took = time.monotonic() - started
    assert "Timeout" in run.stdout + run.stderr and run.returncode == 1, run.stdout[-2000:]
    assert LIMITS.public_test_timeout_s <= took < LIMITS.public_test_timeout_s + 30, took


def test_the_public_test_limit_is_the_graders():
    text = (EXERCISES_DIR / "conftest.py").read_text()
    assert f"PUBLIC_TEST_TIMEOUT_S = {LIMITS.public_test_timeout_s:g} " in text
    assert LIMITS.public_test_timeout_s == LIMITS.call_timeout_s


# ------------------------------------------------------------------------------- check.py


@pytest.mark.timeout(120)
def test_check_reports_a_hang_a_syntax_error_and_a_correct_exercise(work):
    _hang(work / "exercises" / "ex1" / "shapes.py")
    (work / "exercises" / "ex2" / "mixup.py").write_text("def mix(:\n")
    shutil.copyfile(SOLUTIONS_DIR / "ex3" / "cutout.py", work / "exercises" / "ex3" / "cutout.py")
    started = time.monotonic()
    run = subprocess.run([sys.executable, "check.py", "ex1", "ex2", "ex3", "--timeout", "25"], cwd=work,
                         env=ENV, capture_output=True, text=True, timeout=110)
    took = time.monotonic() - started
    print(f"check.py on three exercises took {took:.1f} s")
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    rows = {line.split()[0]: line for line in out.splitlines() if re.match(r"^ex\d ", line)}
    assert "stopped after 25 s (an endless loop?)" in rows["ex1"], out
    assert "ex2 cannot be imported: ex2/mixup.py: syntax error on line 1" in rows["ex2"], out
    assert re.search(r"\b(\d+)/\1 public checks", rows["ex3"]) and "~10/10 points" in rows["ex3"], out
    assert "PREVIEW: hidden tests use other inputs" in out
    assert "error: ex2/mixup.py: syntax error on line 1" in out  # the pre-flight, after the table


def test_rubric_file_lists_each_exercise_and_its_points(bundle):
    rubric = json.loads((bundle / "rubric.json").read_text())
    assert rubric["format"] == 1 and list(rubric["exercises"]) == list(MODULES)
    for exercise, info in rubric["exercises"].items():
        assert info["module"] == MODULES[exercise]
        assert sum(b["points"] for b in info["behaviours"]) == info["points"]


def test_cnn_grader_check_runs_in_the_repo():
    run = subprocess.run([sys.executable, "-m", "grader", "check", "ex3"], cwd=EXERCISES_DIR.parent,
                         env=ENV, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    passed, total = map(int, re.search(r"^ex3 +cutout.py +(\d+)/(\d+) public checks", run.stdout, re.M).groups())
    assert passed <= 1 < total, run.stdout  # on the stub only the import check can pass


# ------------------------------------------------------------------------------- the bundle's text


def test_the_bundle_holds_no_staff_text(bundle):
    for path in (bundle / "exercises" / "conftest.py", bundle / "exercises" / "README.md"):
        text = path.read_text()
        assert "CNN_GRADER_TARGET" not in text and "solutions" not in text, path
    assert "# BEGIN STAFF" in (EXERCISES_DIR / "conftest.py").read_text(), "the staff feature stays in the repo"


def test_every_relative_link_and_path_in_the_bundles_markdown_resolves(bundle):
    placeholder = re.compile(r"exN|<|\*|\{|\.\.\.")
    broken = []
    for md in sorted(bundle.rglob("*.md")):
        text = md.read_text()
        targets = re.findall(r"\]\(([^)\s]+)\)", text)
        targets += [t for t in re.findall(r"`([^`\s]+)`", text) if "/" in t.strip("/") and re.search(r"\.\w+$|/$", t)]
        for target in targets:
            target = target.split("#")[0]
            if not target or re.match(r"^[a-z]+:", target) or placeholder.search(target):
                continue
            if not any((base / target).exists() for base in (md.parent, bundle)):
                broken.append(f"{md.relative_to(bundle)}: {target}")
    assert broken == []


def test_student_requirements_keep_an_installed_torch(bundle):
    from packaging.requirements import Requirement

    lines = [line for line in (bundle / "requirements.txt").read_text().splitlines()
             if line and not line.startswith(("#", "--"))]
    requirements = {Requirement(line).name: Requirement(line) for line in lines}
    torch = requirements["torch"].specifier
    for installed in ("2.0.1", "2.4.1+cu121", "2.13.0", "2.13.0+cpu"):  # Colab's, a CUDA build, the grader's
        assert torch.contains(installed, prereleases=True), installed
    assert not torch.contains("1.13.1") and not torch.contains("3.0.0")
    assert not any("==" in str(r.specifier) for r in requirements.values()), lines
    assert 'torch>=2.0,<3' in (bundle / "pyproject.toml").read_text()
    assert "torch==" in (Path(release.REPO_ROOT) / "pyproject.toml").read_text(), "the grader stays pinned"
