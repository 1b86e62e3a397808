"""`cnn-grader batch --scheduler`: grading on a Dask cluster (grader/scaleout.py).

The cluster is real: `dask scheduler` and `dask worker --nthreads 1` processes of the venv on
127.0.0.1. The first test grades the demo class for real and compares it with a local batch;
the failure tests use tests/fake_judge.py, as a command on the workers. Every process a test
starts has the test's unique marker in its command line (its folder), so a /proc scan finds any
judge or worker left behind.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from grader import api, batch
from grader.paths import REPO_ROOT
from tests.test_batch import FAKE_JUDGE, assert_complete, make_class, results_of

DASK = str(Path(sys.executable).with_name("dask"))
DEMO_CLASS = REPO_ROOT / "examples" / "class"


class Cluster:
    """A scheduler and workers as subprocesses, each in a process group of its own, all marked."""

    def __init__(self, root: Path, env=None):
        self.root = root
        self.marker = root.name
        # (the slots' folder puts the marker in every judge's command line; not TMPDIR: the sandbox's
        # folders must stay reachable by the worker uids, and pytest's are private to root)
        self.env = {**os.environ, "CNN_GRADER_SLOT_DIR": str(root / "slots"), **(env or {})}
        self.processes: list[subprocess.Popen] = []
        self.workers: list[subprocess.Popen] = []
        self.scheduler = None
        self.address = None

    def _start(self, argv, log, env=None):
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(self.root / log, "ab"),
                                   env={**self.env, **(env or {})}, start_new_session=True, cwd=self.root)
        self.processes.append(process)
        return process

    def start_scheduler(self, env=None):
        file = self.root / f"scheduler-{len(self.processes)}.json"
        self.scheduler = self._start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                      "--scheduler-file", str(file)], "scheduler.log", env)
        deadline = time.monotonic() + 60
        while not file.exists() or not file.read_text().strip():
            assert time.monotonic() < deadline and self.scheduler.poll() is None, (self.root / "scheduler.log").read_text()
            time.sleep(0.1)
        time.sleep(0.1)  # written whole
        self.address = json.loads(file.read_text())["address"]
        return self.address

    def start_worker(self, *, nanny=True):
        self.workers.append(self._start([DASK, "worker", self.address, "--nthreads", "1", "--no-dashboard",
                                         "--local-directory", str(self.root / "dask"),
                                         *([] if nanny else ["--no-nanny"])], "worker.log"))
        return self.workers[-1]

    def wait_for_workers(self, count):
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(count, timeout=90)

    def marked(self) -> dict[int, str]:
        """{pid: command line} of every live process with the marker in its command line."""
        found = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                try:
                    line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                if self.marker in line and _state(int(entry.name)) not in (None, "Z"):
                    found[int(entry.name)] = line
        return found

    def judges(self) -> dict[int, str]:
        return {pid: line for pid, line in self.marked().items() if "judge" in line}

    def close(self):
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            process.wait()
        for pid in self.marked():  # a judge that escaped its group would be a bug: leave nothing running
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def needs_dask():
    """Only the tests that start a cluster need the extra (scripts/setup.sh and test.sh install it)."""
    pytest.importorskip("distributed", reason="needs the dask extra: pip install -c constraints.txt -e '.[dask]'")


@pytest.fixture
def cluster(tmp_path_factory):
    needs_dask()
    made = []

    def make(env=None, *, workers=2, nanny=True):
        """A scheduler and `workers` one-thread workers (with their nannies, or not), all started."""
        made.append(Cluster(tmp_path_factory.mktemp(f"dask-{uuid.uuid4().hex[:8]}"), env))
        made[-1].start_scheduler()
        for _ in range(workers):
            made[-1].start_worker(nanny=nanny)
        made[-1].wait_for_workers(workers)
        return made[-1]

    yield make
    for one in made:
        one.close()


def run_cli(args, **kwargs):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          **kwargs)


def fake_dask_batch(klass, out, scheduler, **kwargs):
    kwargs.setdefault("progress", False)
    kwargs.setdefault("report", lambda text: None)
    return api.batch(klass, out=out, judge_command=FAKE_JUDGE, scheduler=scheduler, **kwargs)


def wait_until(condition, timeout=60, what="the condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def csv_rows(out):
    return [row["submission"] for row in batch.read_csv(out / "grades.csv")]


# --- the real judge ---------------------------------------------------------------------------


@pytest.mark.dask
def test_the_demo_class_gets_the_same_grades_on_a_dask_cluster_as_locally(tmp_path, cluster):
    """Real judges (sandboxed, ex1 and ex2) on two `dask worker` processes vs a local batch."""
    one = cluster()
    address = one.address
    common = ["batch", str(DEMO_CLASS), "--exercises", "ex1,ex2", "--no-progress"]
    local = run_cli([*common, "--out", str(tmp_path / "local"), "--jobs", "2"], timeout=600)
    assert local.returncode == 0, local.stderr
    remote = run_cli([*common, "--out", str(tmp_path / "dask"), "--scheduler", address], timeout=600)
    assert remote.returncode == 0, remote.stderr
    assert (tmp_path / "dask" / "grades.csv").read_text() == (tmp_path / "local" / "grades.csv").read_text()
    rows = batch.read_csv(tmp_path / "dask" / "grades.csv")
    assert len(rows) == 8 and {r["submission"]: r["total"] for r in rows}["alice_full_marks"] == "20"
    assert_complete(tmp_path / "dask")
    assert one.judges() == {}


# --- failures -----------------------------------------------------------------------------------


@pytest.mark.dask
def test_a_worker_killed_while_grading_loses_nothing_and_leaves_no_orphan(tmp_path, cluster):
    names, expected = _class_of_eight(tmp_path)
    one = cluster({"FAKE_JUDGE_DELAY": "1"}, nanny=False)
    victim, survivor = one.workers

    summary = {}
    thread = threading.Thread(target=lambda: summary.update(
        fake_dask_batch(tmp_path / "class", tmp_path / "out", one.address)))
    thread.start()
    wait_until(lambda: any(_parent(pid) == victim.pid for pid in one.judges()), what="a judge on the victim")
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    thread.join(timeout=120)
    assert not thread.is_alive()

    assert summary["graded"] == len(names) and summary["errors"] == []
    assert results_of(tmp_path / "out") == expected
    assert csv_rows(tmp_path / "out") == names, "every result once"
    assert_complete(tmp_path / "out")
    wait_until(lambda: set(one.marked()) == {one.scheduler.pid, survivor.pid}, timeout=10,
               what=f"no orphan: {one.marked()}")


@pytest.mark.dask
def test_a_submission_that_kills_its_workers_is_an_error_for_a_human_and_the_batch_goes_on(tmp_path, cluster):
    make_class(tmp_path / "class", ["a", "parricide", "z"])
    one = cluster({"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",  # nannies start the dead workers again
                   "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"})
    summary = fake_dask_batch(tmp_path / "class", tmp_path / "out", one.address)
    assert summary["needs_human"] == ["parricide"] and summary["errors"] == ["parricide"]
    result = json.loads((tmp_path / "out" / "parricide" / "result.json").read_text())
    assert result["needs_human"] and result["score"] == 0
    assert "the grading machine died 2 times while grading this submission; a TA should regrade it" in result["error"]
    assert {t["status"] for e in result["exercises"].values() for t in e["tests"]} == {"grader_error"}
    assert "KilledWorker" in result["grader_error"]
    assert results_of(tmp_path / "out")["a"][0] > 0 and csv_rows(tmp_path / "out") == ["a", "parricide", "z"]
    assert_complete(tmp_path / "out")
    wait_until(lambda: one.judges() == {}, timeout=5, what="the parricide judges to die with their workers")


@pytest.mark.dask
def test_a_lost_scheduler_stops_the_batch_in_one_line_and_resume_on_a_new_one_finishes(tmp_path, cluster):
    names, expected = _class_of_eight(tmp_path)
    first = cluster({"FAKE_JUDGE_DELAY": "0.5"}, workers=1, nanny=False)
    out = tmp_path / "out"
    command = [sys.executable, "-c",
               "import functools, sys; from grader import api; "
               f"api.batch = functools.partial(api.batch, judge_command={FAKE_JUDGE!r}); "
               "from grader.cli import main; sys.exit(main(sys.argv[1:]))",
               "batch", str(tmp_path / "class"), "--out", str(out), "--no-progress", "--scheduler", first.address]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: (out / "grades.csv").exists() and len(batch.read_csv(out / "grades.csv")) >= 2,
               what="two results")
    first.scheduler.send_signal(signal.SIGKILL)
    _, stderr = process.communicate(timeout=120)

    assert process.returncode == 3, stderr
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    done = len(results_of(out))
    assert last == (f"cnn-grader: stopped: lost the Dask scheduler at {first.address}: the {done} finished "
                    f"result(s) are kept in {out}; start a scheduler and run again with --resume")
    assert 2 <= done < len(names)

    second = cluster(workers=1, nanny=False)
    summary = fake_dask_batch(tmp_path / "class", out, second.address, resume=True)
    assert summary["skipped"] == done and summary["graded"] == len(names) - done
    assert results_of(out) == expected
    assert csv_rows(out) == names
    assert_complete(out)


# --- local:N, and a local batch without dask ------------------------------------------------------


@pytest.mark.dask
def test_a_local_cluster_grades_like_a_local_batch(tmp_path):
    needs_dask()
    make_class(tmp_path / "class", ["a", "b_zip", "c", "unsure1"])
    local = _local_fake(tmp_path)
    summary = fake_dask_batch(tmp_path / "class", tmp_path / "out", "local:2", jobs=3)
    assert summary["needs_human"] == ["unsure1"]
    assert (tmp_path / "out" / "grades.csv").read_text() == (local / "grades.csv").read_text()
    assert results_of(tmp_path / "out") == results_of(local)
    assert_complete(tmp_path / "out")


def test_a_local_batch_never_imports_dask(tmp_path):
    make_class(tmp_path / "class", ["a", "b"])
    probe = ("import sys; from grader import batch; "
             f"batch.default_judge_command = lambda: {FAKE_JUDGE!r}; from grader.cli import main; "
             "code = main(sys.argv[1:]); "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'grader.scaleout')))")
    done = subprocess.run([sys.executable, "-c", probe, "batch", str(tmp_path / "class"), "--out",
                           str(tmp_path / "out"), "--jobs", "2", "--no-progress"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert "grader.scaleout" not in done.stdout


def test_a_judge_gets_sigterm_the_moment_the_process_that_started_it_dies():
    """PR_SET_PDEATHSIG, set by the judge, fires when its parent dies, though the parent started it
    from a thread other than its main one (as a Dask worker's task does); no polling involved."""
    judge = ("import signal, time; from grader.judge_command import _signal_on_parent_death; "
             "_signal_on_parent_death(signal.SIGTERM); print('ready', flush=True); time.sleep(60)")
    worker = ("import subprocess, sys, threading, time\n"
              "def task():\n"
              f"    judge = subprocess.Popen([sys.executable, '-c', {judge!r}], start_new_session=True)\n"
              "    print(judge.pid, flush=True)\n"
              "    judge.wait()\n"
              "threading.Thread(target=task).start()\n"
              "time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", worker], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    pid = int(parent.stdout.readline())
    assert parent.stdout.readline().strip() == "ready"
    parent.kill()
    parent.wait()
    wait_until(lambda: _state(pid) in (None, "Z"), timeout=2, what="the judge to die with its parent")


@pytest.mark.parametrize("value", ["local:0", "local:x", "8786", "tcp://"])
def test_a_bad_scheduler_is_refused_in_one_line(tmp_path, value):
    make_class(tmp_path / "class", ["a"])
    done = run_cli(["batch", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--scheduler", value],
                   timeout=60)
    assert done.returncode == 2 and "--scheduler" in done.stderr and "Traceback" not in done.stderr


def test_judges_side_by_side_on_one_host_never_share_a_slot(tmp_path):
    """Slots are claimed with a lock file each, which its holder's death releases."""
    from grader.scaleout import claimed_slot

    with claimed_slot(tmp_path) as (first, folder), claimed_slot(tmp_path) as (second, _):
        assert (first, second) == (0, 1)
        (folder / "left-over").write_text("x")
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from grader.scaleout import claimed_slot\n"
                               f"with claimed_slot({str(tmp_path)!r}) as (slot, _):\n"
                               "    print(slot, flush=True); time.sleep(60)"],
                              cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "0"
    with claimed_slot(tmp_path) as (slot, _):
        assert slot == 1, "slot 0 is held by another process"
    holder.kill()
    holder.wait()
    with claimed_slot(tmp_path) as (slot, folder):
        assert slot == 0 and list(folder.iterdir()) == [], "a dead holder's slot is free again, and emptied"


def _class_of_eight(tmp_path):
    """Eight submissions in tmp_path/class, and their results from a local fake batch."""
    names = [f"s{i:02d}" for i in range(8)]
    make_class(tmp_path / "class", names)
    return names, results_of(_local_fake(tmp_path))


def _local_fake(tmp_path) -> Path:
    out = tmp_path / "local"
    batch.run_batch(tmp_path / "class", out, judge_command=FAKE_JUDGE, progress=False, report=lambda text: None)
    return out


def _stat(pid) -> list[str]:
    """The fields of /proc/PID/stat after the command's name (state, ppid, ...), or [] once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _state(pid) -> str | None:
    return (_stat(pid) or [None])[0]


def _parent(pid) -> int | None:
    return int(_stat(pid)[1]) if _stat(pid) else None
