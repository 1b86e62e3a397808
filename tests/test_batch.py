"""`cnn-grader batch`: one judge process per submission, crash-safe results, resumable.

Most tests use tests/fake_judge.py (the real judge code path with a quick stand-in for the
grading) to stay fast; `test_real_judges_jobs_1_and_2_agree` grades for real (ex1 and ex3).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader import api, batch, gradescope, publish, report
from grader.files import write_atomic
from grader.paths import EXERCISES_DIR, REPO_ROOT, SOLUTIONS_DIR
from grader.sandboxed.worker import MODULES
from tests import fake_judge

FAKE_JUDGE = [sys.executable, str(Path(__file__).with_name("fake_judge.py"))]
# The two ways a batch starts a judge: a command run as a subprocess, and a function run in a
# process forked from the preloaded server (the default for the real judge).
# Each kind: the judge, and the Python line that makes `cnn-grader` use it (see cli_with_judge).
JUDGE_KINDS = {
    "command": (FAKE_JUDGE, f"batch.default_judge_command = lambda: {FAKE_JUDGE!r}"),
    "forked": (fake_judge.main, "from tests import fake_judge; batch.default_judge_command = lambda: fake_judge.main"),
}


def cli_with_judge(kind="command") -> list[str]:
    """The argv of `cnn-grader` whose batches use the fake judge of `kind`; append its arguments."""
    return [sys.executable, "-c", (
        "import sys; sys.argv[0] = 'cnn-grader'; from grader import batch; "
        f"{JUDGE_KINDS[kind][1]}; from grader.cli import main; sys.exit(main(sys.argv[1:]))")]
HEADER = ["submission", "ex1", "ex2", "ex3", "ex4", "ex5", "ex6", "ex7", "total", "status", "note"]


def make_class(root: Path, names: list[str]) -> Path:
    """A class folder: NAME/ex1/shapes.py ... (one module per letter of NAME, at most 7), NAME.zip for *_zip."""
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        count = 1 + sum(map(ord, name)) % 7
        modules = list(MODULES.items())[:count]
        if name.endswith("_zip"):
            with zipfile.ZipFile(root / f"{name}.zip", "w") as zf:
                for ex, module in modules:
                    zf.writestr(f"exercises/{ex}/{module}.py", "x = 1\n")
        else:
            for ex, module in modules:
                (root / name / ex).mkdir(parents=True, exist_ok=True)
                (root / name / ex / f"{module}.py").write_text("x = 1\n")
    return root


def fake_batch(directory, out, judge=FAKE_JUDGE, **kwargs) -> dict:
    kwargs.setdefault("progress", False)
    kwargs.setdefault("report", lambda text: None)
    return batch.run_batch(directory, out, judge_command=judge, **kwargs)


def results_of(out: Path) -> dict:
    """{name: (score, [(exercise, test, score, status, message)])} of every OUT/NAME/result.json."""
    found = {}
    for path in sorted(out.glob("*/result.json")):
        doc = json.loads(path.read_text())
        found[doc["submission"]] = (doc["score"], [
            (ex, t["name"], t["score"], t["status"], t["message"])
            for ex, e in doc["exercises"].items() for t in e["tests"]])
    return found


def assert_complete(out: Path):
    """Every OUT/NAME holds all three files, each valid; nothing half-written anywhere."""
    for folder in out.iterdir():
        if folder.name.startswith(".") or folder.name == report.CLASS_DIR:
            continue
        if folder.is_file():
            assert folder.name == "grades.csv"
            continue
        assert sorted(p.name for p in folder.iterdir()) == ["feedback.md", "result.json", "results.json"], folder
        json.loads((folder / "result.json").read_text())
        assert gradescope.validate(json.loads((folder / "results.json").read_text())) == []
        assert (folder / "feedback.md").read_text().startswith("# Feedback for")


# --- discovery, CSV, files ----------------------------------------------------------------------


def test_discover_sorts_and_names_submissions(tmp_path):
    make_class(tmp_path / "class", ["carol", "alice", "bob_zip"])
    (tmp_path / "class" / "notes.txt").write_text("ignored")
    (tmp_path / "class" / ".hidden").mkdir()
    (tmp_path / "class" / "link").symlink_to(tmp_path / "class" / "alice")
    assert [name for name, *_ in batch.discover(tmp_path / "class")] == ["alice", "bob_zip", "carol"]
    (tmp_path / "class" / "alice.zip").write_bytes(b"")
    found = batch.discover(tmp_path / "class")
    assert [(name, path.name) for name, path, _ in found] == [
        ("alice", "alice"), ("alice~2", "alice.zip"), ("bob_zip", "bob_zip.zip"), ("carol", "carol")]
    assert "another submission (alice) has the same name" in found[1].note


def test_batch_writes_csv_and_a_complete_folder_per_submission(tmp_path):
    make_class(tmp_path / "class", ["carol", "alice", "bob_zip"])
    (tmp_path / "class" / "mallory.zip").write_bytes(b"not a zip at all")
    summary = fake_batch(tmp_path / "class", tmp_path / "out")
    out = tmp_path / "out"
    rows = batch.read_csv(out / "grades.csv")
    assert list(rows[0]) == HEADER
    assert [r["submission"] for r in rows] == ["alice", "bob_zip", "carol", "mallory"]
    files = {name: 1 + sum(map(ord, name)) % 7 for name in ("alice", "bob_zip", "carol")}
    for row in rows[:3]:
        assert row["ex1"] == str(files[row["submission"]]) and row["total"] == row["ex1"]
        assert [row[f"ex{i}"] for i in range(2, 8)] == ["0"] * 6
    mallory = json.loads((out / "mallory" / "result.json").read_text())
    assert mallory["score"] == 0 and "not a valid .zip" in mallory["error"]
    assert rows[3]["total"] == "0"
    assert summary["errors"] == ["mallory"] and summary["graded"] == 4
    assert_complete(out)
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "no temporary leftovers"
    assert "hello from alice" in json.loads((out / "alice" / "result.json").read_text())["output"]
    feedback = (out / "alice" / "feedback.md").read_text()
    assert "hello from alice" not in feedback, "before publication, printed output may echo hidden inputs"
    assert publish.rewrite_feedback(out, visibility="visible") == ["alice", "bob_zip", "carol", "mallory"]
    assert "hello from alice" in (out / "alice" / "feedback.md").read_text()


def test_cli_batch_prints_table_and_locations_and_exits_0(tmp_path):
    make_class(tmp_path / "class", ["alice", "bob"])
    run = subprocess.run([*cli_with_judge(), "batch", str(tmp_path / "class"), "--out", str(tmp_path / "out"),
                          "--exercises", "ex1,ex2"],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "submission" in run.stdout and "alice" in run.stdout and "median" in run.stdout
    assert f"grades:   {tmp_path / 'out' / 'grades.csv'}" in run.stdout
    assert "feedback.md" in run.stdout
    assert "grading" in run.stderr, "the progress bar goes to stderr"
    rows = batch.read_csv(tmp_path / "out" / "grades.csv")
    assert rows[0]["ex3"] == "" and rows[0]["ex2"] == "0", "exercises not graded stay empty"


def test_cli_batch_with_relative_paths_grades_every_submission(tmp_path):
    """As a TA types it: `cnn-grader batch class --out out` from the folder that holds them."""
    make_class(tmp_path / "class", ["alice", "bob"])
    run = subprocess.run([*cli_with_judge(), "batch", "class", "--out", "out", "--exercises", "ex1"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    for name in ("alice", "bob"):
        result = json.loads((tmp_path / "out" / name / "result.json").read_text())
        assert "error" not in result and result["score"] > 0, result


@pytest.mark.parametrize("args, message", [
    (["batch", "/no/such/folder", "--out", "OUT"], "no such folder"),
    (["batch", "CLASS", "--out", "OUT", "--jobs", "0"], "must be at least 1"),
    (["batch", "CLASS", "--out", "OUT", "--exercises", "ex9"], "unknown exercise"),
    (["batch", "CLASS", "--out", "OUT", "--timeout", "-3"], "must be positive"),
    (["batch", "EMPTY", "--out", "OUT"], "no submissions"),
    (["batch", "CLASS"], "--out"),
])
def test_bad_arguments_exit_2_with_a_clear_message(tmp_path, capsys, args, message):
    from grader.cli import main

    make_class(tmp_path / "class", ["alice"])
    (tmp_path / "empty").mkdir()
    subs = {"CLASS": str(tmp_path / "class"), "EMPTY": str(tmp_path / "empty"), "OUT": str(tmp_path / "out")}
    try:
        code = main([subs.get(a, a) for a in args])
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out" / "alice").exists()


def test_write_atomic_never_leaves_half_a_file(tmp_path, monkeypatch):
    target = tmp_path / "grades.csv"
    write_atomic(target, "old\n")
    assert target.read_text() == "old\n" and oct(target.stat().st_mode & 0o777) == "0o644"

    def broken_replace(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n", "the old file is intact"
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"], "no temporary file is left"


def test_publish_replaces_a_folder_whole(tmp_path):
    first = batch.error_result("zed", "first")
    batch.publish(first, tmp_path / "zed")
    batch.publish(batch.error_result("zed", "second"), tmp_path / "zed")
    assert batch.load_result(tmp_path / "zed").error == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["zed"]


# --- judges that die, hang or fail ----------------------------------------------------------------


@pytest.mark.parametrize("kind", JUDGE_KINDS)
def test_a_judge_that_dies_hangs_or_fails_costs_only_its_submission(tmp_path, kind):
    make_class(tmp_path / "class", ["alice", "crasher", "hog", "sleeper", "victim", "zoe"])
    started = time.monotonic()
    summary = fake_batch(tmp_path / "class", tmp_path / "out", JUDGE_KINDS[kind][0], jobs=2, timeout=5)
    assert time.monotonic() - started < 40
    out = tmp_path / "out"
    rows = {r["submission"]: r for r in batch.read_csv(out / "grades.csv")}
    assert sorted(rows) == ["alice", "crasher", "hog", "sleeper", "victim", "zoe"]
    assert summary["errors"] == ["crasher", "hog", "sleeper", "victim"]
    messages = {name: json.loads((out / name / "result.json").read_text()) for name in summary["errors"]}
    assert "killed by SIGKILL" in messages["victim"]["error"]
    assert "ran out of time" in messages["sleeper"]["error"]
    assert "exit code 1" in messages["crasher"]["error"]
    assert "a bug in the grader" in messages["crasher"]["grader_error"], "the traceback is kept for the TA"
    assert "MemoryError" in messages["hog"]["grader_error"], "a judge has a memory limit"
    for doc in messages.values():
        assert doc["score"] == 0 and len(doc["exercises"]) == 7
        assert all(len(e["tests"]) == 1 and e["tests"][0]["status"] == "error" for e in doc["exercises"].values())
        assert "tell your TA" in doc["error"]
    assert float(rows["alice"]["total"]) > 0 and float(rows["zoe"]["total"]) > 0
    assert_complete(out)


def test_forked_judges_get_the_environment_of_their_batch_not_of_the_server(tmp_path, monkeypatch):
    """The server that forks judges starts once per process; each judge still sees today's environment."""
    make_class(tmp_path / "class", ["alice"])
    for greeting in ("hello", "bonjour"):
        monkeypatch.setenv("FAKE_JUDGE_GREETING", greeting)
        fake_batch(tmp_path / "class", tmp_path / greeting, fake_judge.main)
        result = json.loads((tmp_path / greeting / "alice" / "result.json").read_text())
        assert result["output"] == f"{greeting} from alice\n"


def test_a_script_without_a_main_guard_can_run_a_batch(tmp_path):
    """A TA's script calling the api at top level: forked judges must not run it again."""
    make_class(tmp_path / "class", ["alice", "bob"])
    script = tmp_path / "grade_my_class.py"
    script.write_text(
        "from grader import batch\nfrom tests import fake_judge\n"
        f"summary = batch.run_batch({str(tmp_path / 'class')!r}, {str(tmp_path / 'out')!r}, "
        "judge_command=fake_judge.main, progress=False, report=lambda text: None)\n"
        "print('errors:', summary['errors'])\n")
    done = subprocess.run([sys.executable, str(script)], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines() == ["errors: []"], "each judge ran the script's batch again"
    assert sorted(results_of(tmp_path / "out")) == ["alice", "bob"]


def test_judges_are_forked_only_where_the_server_is_private_to_this_user(monkeypatch):
    from grader import judge_command, judge_process

    assert [judge_process.forkserver_is_private(v) for v in ((3, 10, 8), (3, 10, 9), (3, 11, 0), (3, 11, 1),
                                                             (3, 12, 0))] == [False, True, False, True, True]
    monkeypatch.setattr(judge_process, "forkserver_is_private", lambda: True)
    assert batch.default_judge_command() is judge_command.main
    monkeypatch.setattr(judge_process, "forkserver_is_private", lambda: False)
    assert batch.default_judge_command() == [sys.executable, "-m", "grader", "judge"]


# --- resume and kill -9 -----------------------------------------------------------------------------


def test_resume_skips_finished_submissions_and_rebuilds_the_csv(tmp_path):
    make_class(tmp_path / "class", ["alice", "bob", "carol", "dave"])
    out = tmp_path / "out"
    fake_batch(tmp_path / "class", out)
    before = results_of(out)
    shutil.rmtree(out / "bob")
    (out / "carol" / "result.json").write_text('{"score": 1, "exerc')  # a corrupt file
    (out / "grades.csv").unlink()
    summary = fake_batch(tmp_path / "class", out, resume=True)
    assert summary["skipped"] == 2 and summary["graded"] == 2
    assert results_of(out) == before
    assert [r["submission"] for r in batch.read_csv(out / "grades.csv")] == ["alice", "bob", "carol", "dave"]
    again = fake_batch(tmp_path / "class", out, resume=True, exercises=("ex1",))
    assert again["skipped"] == 0, "results for other exercises are not reused"


@pytest.mark.parametrize("kind", JUDGE_KINDS)
def test_kill_9_of_the_batch_loses_nothing_and_resume_completes_it(tmp_path, kind):
    names = [f"s{i:02d}" for i in range(8)]
    make_class(tmp_path / "class", names)
    clean = tmp_path / "clean"
    fake_batch(tmp_path / "class", clean)
    expected = results_of(clean)

    out = tmp_path / "out"
    command = [*cli_with_judge(kind), "batch", str(tmp_path / "class"), "--out", str(out), "--no-progress"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "FAKE_JUDGE_DELAY": "0.4"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (out / "grades.csv").exists() and len(batch.read_csv(out / "grades.csv")) >= 3:
            break
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(1.5)  # an orphaned judge notices its batch is gone and stops

    done = results_of(out)
    assert 3 <= len(done) < len(names), "killed mid-way"
    assert {name: done[name] for name in done} == {name: expected[name] for name in done}
    csv_rows = [r["submission"] for r in batch.read_csv(out / "grades.csv")]
    assert set(csv_rows) <= set(done), "the CSV only lists finished submissions"
    assert_complete(out)

    summary = fake_batch(tmp_path / "class", out, resume=True)
    assert summary["skipped"] == len(done)
    assert results_of(out) == expected
    assert [r["submission"] for r in batch.read_csv(out / "grades.csv")] == names
    assert (out / "grades.csv").read_text() == (clean / "grades.csv").read_text()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


# --- real judges ---------------------------------------------------------------------------------------


def test_real_judges_jobs_1_and_2_agree(tmp_path):
    """Real grading (ex1 and ex3, in-process: these submissions are ours), one and two at a time."""
    klass = tmp_path / "class"
    for name, source in (("ref", SOLUTIONS_DIR), ("stubs", EXERCISES_DIR)):
        for ex in ("ex1", "ex3"):
            (klass / name / ex).mkdir(parents=True)
            shutil.copyfile(source / ex / f"{MODULES[ex]}.py", klass / name / ex / f"{MODULES[ex]}.py")
    with zipfile.ZipFile(klass / "mixed.zip", "w") as zf:
        zf.write(SOLUTIONS_DIR / "ex1" / "shapes.py", "mixed/exercises/ex1/shapes.py")
        zf.writestr("mixed/exercises/ex3/cutout.py", "def cutout_mask(*a):\n    raise IndexError('oops')\n")
    for out, jobs in (("one", 1), ("two", 2)):
        summary = api.batch(klass, out=tmp_path / out, jobs=jobs, exercises=("ex1", "ex3"),
                            isolation="inprocess", timeout=300, progress=False)
        assert summary["errors"] == [] and summary["graded"] == 3
    first, second = results_of(tmp_path / "one"), results_of(tmp_path / "two")
    assert first == second
    assert first["ref"][0] == 20 and first["stubs"][0] == 0
    assert 0 < first["mixed"][0] < 20
    statuses = {t[3] for t in first["mixed"][1] if t[0] == "ex3"}
    assert "error" in statuses, "cutout_mask raising IndexError is an error"
    assert (tmp_path / "one" / "grades.csv").read_text() == (tmp_path / "two" / "grades.csv").read_text()
    assert_complete(tmp_path / "one")


def test_the_summary_lists_the_submissions_that_need_a_human(tmp_path):
    make_class(tmp_path / "class", ["alice", "unsure"])
    texts = []
    summary = batch.run_batch(tmp_path / "class", tmp_path / "out", judge_command=FAKE_JUDGE, progress=False,
                              report=texts.append)
    assert summary["needs_human"] == ["unsure"]
    assert "needs a human (1)" in texts[0] and "\n  unsure" in texts[0] and "\n  alice" not in texts[0]


# --- permissions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("in_docker", [False, True])
def test_unreadable_submissions_give_the_cause_and_the_fix_not_a_traceback(tmp_path, monkeypatch, in_docker):
    """As a judge that may not read one file (root may read anything, so os.access is what says no)."""
    klass = make_class(tmp_path / "class", ["alice", "bob"])
    secret = klass / "bob" / "ex1" / "shapes.py"
    real_access = os.access
    monkeypatch.setattr(batch.os, "access", lambda path, mode: Path(path) != secret and real_access(path, mode))
    if in_docker:
        monkeypatch.setenv("CNN_GRADER_IN_DOCKER", "1")
    with pytest.raises(batch.AccessError) as caught:
        fake_batch(klass, tmp_path / "out")
    message = str(caught.value)
    assert f"can't read {secret}: permission denied" in message
    assert ("chgrp -R 10001 submissions && chmod -R g+rX,o-rwx submissions" in message) == in_docker
    assert not (tmp_path / "out").exists(), "nothing is written before the check"


def test_cli_reports_an_unwritable_output_folder_in_one_line(tmp_path, monkeypatch):
    klass = make_class(tmp_path / "class", ["alice"])
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(batch.os, "access", lambda path, mode: Path(path) != locked and real_access(path, mode))
    from grader import cli

    monkeypatch.setattr(batch, "default_judge_command", lambda: FAKE_JUDGE)
    assert cli.main(["batch", str(klass), "--out", str(locked / "out"), "--no-progress"]) == 2
