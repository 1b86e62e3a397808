"""The otter autograder for Gradescope (`cnn-grader otter`), run for real with `otter run`.

Every run here is `python -m otter run -a autograder.zip SUBMISSION.zip`, with the real judge
(`cnn-grader grade`) behind the plugin, compared with `cnn-grader grade` run directly:

- each demo-class submission gets the same per-exercise scores, and a results.json that agrees
  field for field with `cnn-grader grade --gradescope` and fits Gradescope's field list;
- three attacks on otter's kernel (monkeypatching otter, `while True`, `os._exit`) and two on
  otter's own process (a top-level `ipykernel_launcher.py`, a pickled `.OTTER_LOG`) get exactly
  what the submission without the trick gets, leave a results.json, and run none of their code
  outside the judge's sandbox;
- Gradescope's entry point (the zip's run_otter.py) defuses uploads that otter trips over
  before any plugin runs, and grades with the judge itself should otter stop anyway.

Needs otter-grader (`scripts/setup.sh otter`); skipped without it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader.sandboxed.layout import MODULE_FILES as MODULES

pytest.importorskip(
    "otter", reason="otter-grader is not installed (scripts/setup.sh otter, or pip install -e '.[otter]')"
)

pytestmark = pytest.mark.otter

REPO = Path(__file__).resolve().parents[1]
DEMO_CLASS = REPO / "examples" / "class"
GOLDEN = REPO / "tests" / "golden" / "class_scores.csv"
RUN_TIMEOUT_S = 1500

# Gradescope's results.json field list (autograder specifications, "Output format")
TOP_LEVEL_FIELDS = {"score", "execution_time", "output", "output_format", "test_output_format",
                    "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
                    "leaderboard"}
TEST_FIELDS = {"score", "max_score", "status", "name", "name_format", "number", "output",
               "output_format", "tags", "visibility", "extra_data"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}


# --------------------------------------------------------------------------------- helpers


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    return env


def zip_dir(src: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(src.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                zf.write(p, p.relative_to(src).as_posix())
    return dest


def as_zip(submission: Path, tmp: Path) -> Path:
    return submission if submission.suffix == ".zip" else zip_dir(submission, tmp / f"{submission.name}.zip")


def judge(submission: Path, tmp: Path) -> tuple[dict, dict]:
    """`cnn-grader grade SUBMISSION --json --gradescope`: (result.json, results.json)."""
    out = tmp / f"judge-{submission.stem}"
    out.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "grader", "grade", str(submission),
         "--json", str(out / "result.json"), "--gradescope", str(out / "results.json")],
        cwd=tmp, env=_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=RUN_TIMEOUT_S)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return (json.loads((out / "result.json").read_text()),
            json.loads((out / "results.json").read_text()))


def otter_run(autograder: Path, submission_zip: Path, tmp: Path) -> tuple[dict, float, str]:
    """`otter run -a autograder.zip SUBMISSION.zip`: (results.json, wall seconds, its output)."""
    out = tmp / f"otter-{submission_zip.stem}"
    out.mkdir()
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "otter", "run", "-a", str(autograder), "-o", str(out), "--no-logo",
         str(submission_zip)],
        cwd=tmp, env=_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=RUN_TIMEOUT_S)
    wall = time.monotonic() - started
    log = proc.stdout + proc.stderr
    results = out / "results.json"
    assert results.is_file(), f"otter run left no results.json (exit {proc.returncode}):\n{log[-4000:]}"
    return json.loads(results.read_text()), wall, log


def exercise_scores(result: dict) -> dict:
    return {ex: r["score"] for ex, r in result["exercises"].items()}


def gradescope_exercise_scores(results: dict) -> dict:
    """Per-exercise scores summed from results.json's tests (tagged with their exercise)."""
    scores: dict = {}
    for t in results["tests"]:
        ex = next(tag for tag in t.get("tags", []) if tag in MODULES)
        scores[ex] = scores.get(ex, 0) + t["score"]
    return scores


def assert_gradescope_fields(results: dict):
    assert set(results) <= TOP_LEVEL_FIELDS, set(results) - TOP_LEVEL_FIELDS
    assert isinstance(results["score"], (int, float))
    assert isinstance(results["execution_time"], (int, float))
    for key in ("visibility", "stdout_visibility"):
        assert results.get(key, "visible") in VISIBILITIES
    for key in ("output_format", "test_output_format", "test_name_format"):
        assert results.get(key, "text") in FORMATS
    assert isinstance(results["tests"], list) and results["tests"]
    for t in results["tests"]:
        assert set(t) <= TEST_FIELDS, set(t) - TEST_FIELDS
        for key in ("score", "max_score", "name", "output", "visibility"):
            assert key in t, (key, t)
        assert isinstance(t["score"], (int, float)) and isinstance(t["max_score"], (int, float))
        assert isinstance(t["name"], str) and isinstance(t["output"], str)
        assert t["visibility"] in VISIBILITIES
        assert t.get("status", "passed") in ("passed", "failed")
        assert all(isinstance(tag, str) for tag in t.get("tags", []))
    from grader.gradescope import validate

    assert validate(results) == []


def comparable(results: dict) -> dict:
    """results.json less what legitimately differs between two runs (timing, the upload's name)."""
    doc = json.loads(json.dumps(results))
    doc.pop("execution_time", None)
    info = doc.get("extra_data", {}).get("cnn_grader", {})
    for key in ("submission", "final"):
        info.pop(key, None)
    return doc


def make_submission(dest: Path, *, reference=("ex1", "ex2"), extra_files=None, append=None) -> Path:
    """A submission folder: the reference for `reference`, the stubs elsewhere, plus extras."""
    for ex, module in MODULES.items():
        source = (REPO / "solutions" if ex in reference else REPO / "exercises") / ex / module
        target = dest / ex / module
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text()
        if append and ex in append:
            text += "\n" + append[ex]
        target.write_text(text)
    for name, data in (extra_files or {}).items():
        path = dest / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return dest


# --------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("otter")


@pytest.fixture(scope="module")
def autograder(workdir):
    from grader.otter import build_autograder

    return build_autograder(workdir / "autograder.zip")


@pytest.fixture(scope="module")
def base(workdir):
    """The submission the attacks are made of, and what the judge gives it without any trick."""
    path = make_submission(workdir / "base")
    result, _ = judge(path, workdir)
    assert 0 < result["score"] < result["max_score"], "the base must score some points, not all"
    return path, result


def _demo_submissions():
    if not DEMO_CLASS.is_dir():
        return []
    return sorted(p for p in DEMO_CLASS.iterdir()
                  if (p.is_dir() and not p.name.startswith(".")) or p.suffix == ".zip")


# --------------------------------------------------------------------------------- the zip


def test_autograder_zip_layout(autograder):
    with zipfile.ZipFile(autograder) as zf:
        names = set(zf.namelist())
        config = json.loads(zf.read("otter_config.json"))
        env_yml = zf.read("environment.yml").decode()
        setup = zf.read("setup.sh").decode()
        run_otter = zf.read("run_otter.py").decode()
    assert {"run_autograder", "setup.sh", "run_otter.py", "environment.yml", "otter_config.json",
            "files/cnn_grader_entry.ipynb", "tests/cnn_grader.py"} <= names
    assert [next(iter(p)) for p in config["plugins"]] == ["grader.otter.plugin.JudgePlugin"]
    # the judge's tree ships outside files/ (otter copies files/ into the submission folder)
    assert "cnn_grader_pkg/grader/runner.py" in names and "cnn_grader_pkg/pyproject.toml" in names
    assert any(n.startswith("cnn_grader_pkg/grader/course/ex") and "/test_ex" in n for n in names)
    assert any(n.startswith("cnn_grader_pkg/solutions/") for n in names)
    assert not any(n.startswith("files/") and n.endswith(".py") for n in names)
    for pin in ("otter-grader[grading]==7.0.0", "torch==2.13.0", "numpy==2.4.6", "pytest==9.2.0",
                "pytest-timeout==2.4.0", "-e /autograder/source/cnn_grader_pkg"):
        assert pin in env_yml, pin
    assert "bubblewrap" in setup and "playwright install" not in setup
    assert "gradescope_main" in run_otter


# --------------------------------------------------------------------------------- demo class


def golden_scores() -> dict:
    """Per-exercise scores of the demo class from `cnn-grader batch` (tests/test_golden.py checks them)."""
    import csv

    with open(GOLDEN, newline="") as f:
        return {row["submission"]: {ex: float(row[ex]) for ex in MODULES} for row in csv.DictReader(f)}


@pytest.mark.parametrize("submission", _demo_submissions(), ids=lambda p: p.name)
def test_demo_class_same_scores_as_the_judge(submission, autograder, workdir, record_property):
    results, wall, log = otter_run(autograder, as_zip(submission, workdir), workdir)
    record_property("otter_run_wall_s", round(wall, 1))
    print(f"otter run {submission.name}: {wall:.1f} s")
    assert gradescope_exercise_scores(results) == pytest.approx(golden_scores()[submission.stem]), log[-3000:]
    assert_gradescope_fields(results)


def test_otter_and_grade_write_the_same_results_json(autograder, tmp_path):
    """One writer for both paths: otter's results.json is `cnn-grader grade --gradescope`'s."""
    submission = DEMO_CLASS / "carol_typical_bugs"
    result, gradescope = judge(submission, tmp_path)
    results, wall, log = otter_run(autograder, as_zip(submission, tmp_path), tmp_path)
    assert results["score"] == pytest.approx(result["score"])
    assert comparable(results) == comparable(gradescope)


def test_demo_class_is_there():
    if not _demo_submissions():
        pytest.skip(f"no demo class in {DEMO_CLASS}")


# --------------------------------------------------------------------------------- attacks

# Each trick is in a top-level script (what otter itself would execute: the one .py of a
# submission) and, guarded so that only otter's kernel triggers it, in ex1's module. Each first
# drops a marker file, so a trick that ran anywhere but in the judge's sandbox is seen.
MONKEYPATCH = """
import otter.test_files.exception_test as _et
import otter.test_files.abstract_test as _at
_et.test_case.call_func = lambda self, *a, **k: None
_at.TestFile.score = property(lambda self: self.possible)
_at.TestFile.passed_all = property(lambda self: True)
"""
LOOP = "while True:\n    pass\n"
EXIT = "import os\nos._exit(0)\n"


def _trick(marker: Path, body: str) -> str:
    return f"open({str(marker)!r}, 'w').write('ran')\n" + body


def _guarded(marker: Path, body: str) -> str:
    inner = _trick(marker, body).replace("\n", "\n    ")
    return f"import sys as _sys\nif 'otter' in _sys.modules or 'ipykernel' in _sys.modules:\n    {inner}\n"


@pytest.mark.parametrize("trick", [MONKEYPATCH, LOOP, EXIT], ids=["monkeypatch-otter", "loop-forever", "os-exit"])
def test_tricks_on_otters_kernel_change_nothing(trick, autograder, base, workdir, tmp_path):
    base_path, base_result = base
    marker = tmp_path / "trick-ran"
    sub = make_submission(tmp_path / "sub", extra_files={"exploit.py": _trick(marker, trick)},
                          append={"ex1": _guarded(marker, trick)})
    results, wall, log = otter_run(autograder, zip_dir(sub, tmp_path / "sub.zip"), tmp_path)
    assert results["score"] == pytest.approx(base_result["score"]), log[-3000:]
    assert gradescope_exercise_scores(results) == pytest.approx(exercise_scores(base_result))
    assert results["extra_data"]["cnn_grader"].get("final") is True
    assert_gradescope_fields(results)
    assert not marker.exists(), "student code ran outside the judge's sandbox"


def test_attacks_on_otters_process_change_nothing(autograder, base, workdir, tmp_path):
    """otter runs a top-level ipykernel_launcher.py when it starts its kernel in the submission
    folder, and unpickles .OTTER_LOG in its own process: neither may happen."""
    import pickle

    base_path, base_result = base
    marker = tmp_path / "attack-ran"

    class Payload:
        def __reduce__(self):
            return (exec, (f"open({str(marker)!r}, 'w').write('ran')",))

    sub = make_submission(tmp_path / "sub", extra_files={
        "ipykernel_launcher.py": _trick(marker, LOOP),
        ".OTTER_LOG": pickle.dumps(Payload()),
        "sitecustomize.py": _trick(marker, ""),
    })
    results, wall, log = otter_run(autograder, zip_dir(sub, tmp_path / "sub.zip"), tmp_path)
    assert results["score"] == pytest.approx(base_result["score"]), log[-3000:]
    assert gradescope_exercise_scores(results) == pytest.approx(exercise_scores(base_result))
    assert not marker.exists(), "student code ran in otter's process or kernel"


# --------------------------------------------------------------------------------- Gradescope


def test_gradescope_entry_point_on_a_hostile_upload(base, workdir, tmp_path):
    """Gradescope's entry point (the zip's run_otter.py) in a replica of /autograder, on an
    upload with what otter trips over before any plugin runs: a symlink where otter copies its
    entry notebook (otter would write through it), a file named `tests`, a second notebook."""
    from grader.otter import build_autograder

    base_path, base_result = base
    ag = tmp_path / "autograder"
    zip_path = build_autograder(tmp_path / "ag.zip", autograder_dir=str(ag))
    for sub in ("source", "submission", "results"):
        (ag / sub).mkdir(parents=True)
    (ag / "submission_metadata.json").write_text("{}")
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(ag / "source")
    shutil.copytree(base_path, ag / "submission", dirs_exist_ok=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    (ag / "submission" / "cnn_grader_entry.ipynb").symlink_to(victim)
    (ag / "submission" / "tests").write_text("not a folder")
    (ag / "submission" / "scratch.ipynb").write_text(
        (ag / "source" / "files" / "cnn_grader_entry.ipynb").read_text())

    proc = subprocess.run([sys.executable, str(ag / "source" / "run_otter.py")], cwd=ag, env=_env(),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((ag / "results" / "results.json").read_text())
    assert victim.read_text() == "untouched"
    assert results["extra_data"]["cnn_grader"].get("final") is True
    assert gradescope_exercise_scores(results) == pytest.approx(exercise_scores(base_result))
    assert_gradescope_fields(results)


STAND_IN_JUDGE = """
import json, sys
out = sys.argv[sys.argv.index("--json") + 1]
tests = [{"name": "t", "score": 3.0, "max_score": 10.0, "status": "failed", "message": "m"}]
json.dump({"submission": "s", "score": 21.0, "max_score": 70.0, "grader_version": "stand-in",
           "duration_s": 0.1, "isolation": "none", "output": "",
           "exercises": {f"ex{i}": {"score": 3.0, "max_score": 10.0, "tests": tests}
                         for i in range(1, 8)}}, open(out, "w"))
"""


def test_gradescope_entry_point_grades_when_otter_fails(tmp_path, monkeypatch):
    """If otter stops before the plugin has run, the entry point grades with the judge itself."""
    import otter.run.run_autograder as otter_run_autograder
    from grader.otter.plugin import PLUGIN_NAME, gradescope_main

    judge_script = tmp_path / "judge.py"
    judge_script.write_text(STAND_IN_JUDGE)
    ag = tmp_path / "autograder"
    for sub in ("source", "results"):
        (ag / sub).mkdir(parents=True)
    make_submission(ag / "submission")
    (ag / "source" / "otter_config.json").write_text(json.dumps(
        {"plugins": [{PLUGIN_NAME: {"judge_command": [sys.executable, str(judge_script)]}}]}))

    def otter_fails(*args, **kwargs):
        raise RuntimeError("otter refused the upload")

    monkeypatch.setattr(otter_run_autograder, "main", otter_fails)
    assert gradescope_main(str(ag)) == 0
    results = json.loads((ag / "results" / "results.json").read_text())
    assert results["score"] == 21.0 and results["extra_data"]["cnn_grader"]["final"] is True
    assert_gradescope_fields(results)


# --------------------------------------------------------------------------------- robustness
# These use a stand-in judge (a few lines of Python): they check the plugin's own failure
# handling, which the real judge cannot be made to exercise on demand.


def test_judge_that_hangs_is_killed_with_its_children_and_reported(tmp_path):
    from grader.otter.plugin import grade_directory

    hang = tmp_path / "hang.py"
    pidfile = tmp_path / "child.pid"
    hang.write_text(
        "import subprocess, sys, time\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(600)\n")
    sub = make_submission(tmp_path / "sub")
    started = time.monotonic()
    results, log = grade_directory(sub, {"judge_command": [sys.executable, str(hang)], "judge_timeout": 3},
                                   clear=False)
    assert time.monotonic() - started < 60
    assert results["score"] == 0 and "ran out of time" in results["output"]
    assert_gradescope_fields(results)
    pid = int(pidfile.read_text())
    time.sleep(0.5)
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


def test_staging_copies_regular_files_only(tmp_path):
    from grader.otter.plugin import clear_directory, stage_submission

    src = make_submission(tmp_path / "src")
    (src / "tests").mkdir()
    (src / "tests" / "cnn_grader.py").write_text("x = 1")
    (src / "cnn_grader_entry.ipynb").write_text("{}")
    (src / "__init__.py").write_text("")
    (src / ".OTTER_LOG").write_bytes(b"\x80\x04")
    secret = tmp_path / "secret.txt"
    secret.write_text("hidden test source")
    (src / "ex1" / "link.txt").symlink_to(secret)
    (src / "ex2_link").symlink_to(src / "ex2", target_is_directory=True)
    target = stage_submission(src, tmp_path / "dest", max_files=100, max_bytes=10**7)
    staged = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert staged == sorted(f"{ex}/{m}" for ex, m in MODULES.items())
    assert clear_directory(src) == []
    assert sorted(os.listdir(src)) == ["cnn_grader_entry.ipynb", "tests"]


def test_sanitize_upload_removes_what_otter_trips_over(tmp_path):
    from grader.otter.plugin import sanitize_upload

    sub = make_submission(tmp_path / "sub")
    outside = tmp_path / "outside.txt"
    outside.write_text("x")
    (sub / "cnn_grader_entry.ipynb").symlink_to(outside)
    (sub / "ex3" / "data").symlink_to(outside)
    (sub / "tests").write_text("not a folder")
    (sub / "__init__.py").mkdir()
    (sub / "notes.ipynb").write_text("{}")
    os.mkfifo(sub / "ex4" / "pipe")
    removed = sanitize_upload(sub)
    assert sorted(removed) == sorted(["cnn_grader_entry.ipynb", "ex3/data", "tests", "__init__.py",
                                      "notes.ipynb", "ex4/pipe"])
    left = sorted(p.relative_to(sub).as_posix() for p in sub.rglob("*") if p.is_file())
    assert left == sorted(f"{ex}/{m}" for ex, m in MODULES.items())
    assert outside.read_text() == "x"
