"""The Docker image, end to end (issue 4). Marker `docker`; run with `pytest -m docker -rs`.

Starts a Docker engine if none answers (docker/start-dockerd.sh, as root), builds the offline
base image (debootstrap) and the wheelhouse when missing, builds the image offline, then:

* grades the demo class (examples/class plus a nosy submission and two snoops) in the
  container with the documented flags, --jobs 2 and an out/ and submissions/ owned by a host
  uid (so the judge runs under that uid), and checks that grades.csv and every result.json
  score equal the local sandbox's, and that each worker ran as its slot's own user
  (`student0`, `student1`). The two snoops are graded side by side: while each runs, it sees
  the other's worker process, yet can't list or read the other's folder under /tmp, read its
  environment, signal or ptrace it, or enter /submissions; each says what it saw on stdout,
  which comes back in result.json's "output" and feedback.md;
* runs a probe through the image's entrypoint as the judge: the judge reads the hidden suites
  and carries the groups of all the worker users, the slot users and their private folders
  are what grader.sandbox expects, while a worker started by grader.sandbox (the real launch
  path, a probe in place of the worker kit) runs as `student`, can't read the hidden suites
  or the solutions, can't write /out, keeps its pipe fds and rlimits, and dies with its
  whole process group when killed;
* checks that the entrypoint refuses an out/ owned by a worker user.

Skips only when no Docker engine can be started (and says why). Cold (no base image, no
layers) it takes about 5 minutes on the 2-core machine; cached, the build is seconds.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parent.parent
CLASS_DIR = REPO / "examples" / "class"
BASE_IMAGE = os.environ.get("CNN_GRADER_BASE_IMAGE", "cnn-grader-base:bookworm-v2")
IMAGE = os.environ.get("CNN_GRADER_TEST_IMAGE", "cnn-grader:test")
JOBS = "2"
# The image's per-slot worker users (Dockerfile: WORKER_SLOTS, WORKER_UID_BASE) and `student`.
WORKER_SLOTS, WORKER_UID_BASE, STUDENT_UID = 16, 10100, 10002
HOST_UID = 4242  # owns out/ and submissions/ in the batch test, as a host user's folders would
# The documented invocation (docs/docker.md), less the volumes and the image.
RUN_FLAGS = ["--rm", "--network", "none", "--read-only", "--tmpfs", "/tmp",
             "--memory", "4g", "--pids-limit", "512"]
DOCKER_ENV = {**os.environ, "DOCKER_BUILDKIT": "0"}  # the classic builder: no buildx here

TIMINGS: dict[str, float] = {}


def _report(line: str) -> None:
    """Shown in the CI log whatever pytest captures."""
    sys.__stderr__.write(f"\n[test_docker] {line}\n")
    sys.__stderr__.flush()


def _run(cmd, *, timeout=600, check=True, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=kw.pop("env", DOCKER_ENV),
                          **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
                             f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}")
    return proc


def _docker_run(args, *, timeout, check=True):
    """`docker run` with a name, so that a run that times out is killed rather than left running."""
    name = f"cnn-grader-test-{os.getpid()}-{time.monotonic_ns()}"
    try:
        return _run(["docker", "run", "--name", name, *RUN_FLAGS, *args], timeout=timeout, check=check)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def engine():
    """A Docker engine that answers, or a skip that says why none could be started."""
    if shutil.which("docker") is None:
        pytest.skip("no Docker engine: the docker client is not installed (apt-get install docker.io)")
    proc = subprocess.run(["bash", str(REPO / "docker" / "start-dockerd.sh")], capture_output=True, text=True,
                          timeout=120)
    if proc.returncode != 0:
        why = proc.stderr.strip() or f"start-dockerd.sh exited {proc.returncode}"
        _report(f"SKIPPED: no Docker engine could be started: {why}")
        pytest.skip(f"no Docker engine could be started: {why}")
    return True


@pytest.fixture(scope="session")
def image(engine):
    """Offline base image (cached by tag), wheelhouse (cached on disk), then the image itself."""
    t0 = time.monotonic()
    _run(["bash", str(REPO / "docker" / "make-wheelhouse.sh")], timeout=600)
    TIMINGS["wheelhouse_s"] = time.monotonic() - t0
    t0 = time.monotonic()
    _run(["bash", str(REPO / "docker" / "make-base-image.sh"), BASE_IMAGE], timeout=600)
    TIMINGS["base_image_s"] = time.monotonic() - t0
    t0 = time.monotonic()
    _run(["docker", "build", "--network", "none", "--build-arg", f"BASE_IMAGE={BASE_IMAGE}",
          "-t", IMAGE, str(REPO)], timeout=600)
    TIMINGS["build_s"] = time.monotonic() - t0
    size = int(_run(["docker", "image", "inspect", "-f", "{{.Size}}", IMAGE]).stdout.strip())
    _report(f"image {IMAGE}: {size / 1e6:.0f} MB; wheelhouse {TIMINGS['wheelhouse_s']:.0f} s, "
            f"base image {TIMINGS['base_image_s']:.0f} s, docker build {TIMINGS['build_s']:.0f} s")
    return IMAGE


def _open_dir(path: Path) -> Path:
    """Bind-mounted directories keep their host modes: the judge (uid 10001) must read them."""
    for p in [path, *path.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return path


# A submission whose ex1 module, when imported by a worker, looks for the hidden suites and the
# solutions and tries to write into the output and submission folders; then it fails its import
# with a message saying what it found ("PROBE all denied" when nothing), which the judge
# reports as ex1's import error.
NOSY = '''\
import os
_found = []
for _path in {reads!r}:
    try:
        with open(_path, "rb") as _f:
            _f.read(1)
        _found.append("READ " + _path)
    except OSError:
        pass
for _dir in {writes!r}:
    try:
        with open(os.path.join(_dir, "pwned-by-student"), "w") as _f:
            _f.write("x")
        _found.append("WROTE " + _dir)
    except OSError:
        pass
raise RuntimeError("PROBE " + ("LEAK: " + "; ".join(_found) if _found else "all denied")
                   + " uid=%d" % os.getuid())
'''


def _host_owned(path: Path, uid: int) -> Path:
    """A host user's private folder: only `uid` (and so the judge, which runs as the owner of
    out/) may enter it; the workers, other uids, can't even list it."""
    for p in [path, *path.rglob("*")]:
        os.chown(p, uid, uid, follow_symlinks=False)
        p.chmod(0o700 if p.is_dir() else 0o600)
    return path


# Two of these are graded side by side (`00-snoop-a`, `00-snoop-b`: first in the batch, so
# with --jobs 2 they start together, in slots 0 and 1). While ex1 is imported, each polls for
# SNOOP_SECONDS (the import runs under ex1's 20 s task limit) for the other worker: its folder
# under /tmp (found by glob, and by the path on the other worker's command line, which any
# process may read), its environment, fds, cwd and memory in /proc, signals and ptrace,
# /submissions, and the socket of the server that forks judges (it would fork and unpickle for
# anyone who can connect); it prints what it got as one line, "SNOOP-REPORT {json}". The module then
# imports cleanly and earns 0 (its functions are missing), as it does locally.
SNOOP_SECONDS = 6
SNOOP = '''\
import ctypes, glob, json, os, socket, time

SECRET = {secret!r}
_OTHER_SECRET = {other!r}
_own_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_me, _pid = os.getuid(), os.getpid()
_r = {{"uid": _me, "own_root": _own_root, "own_files": [], "workers_seen": {{}}, "same_uid_others": [],
      "judge_servers": [], "tries": 0, "leaks": []}}


def _leak(what):
    if what not in _r["leaks"] and len(_r["leaks"]) < 20:
        _r["leaks"].append(what)


def _try(label, action, path):
    _r["tries"] += 1
    try:
        got = action(path)
    except OSError:
        return
    seen = repr(got).encode() if not isinstance(got, bytes) else got
    _leak(label + " " + path + (" (the other's SECRET)" if _OTHER_SECRET.encode() in seen else ""))


def _read(path):
    with open(path, "rb") as f:
        return f.read(1 << 16)


try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
except Exception:
    _libc = None
_traced = set()
_deadline = time.monotonic() + {seconds}
while time.monotonic() < _deadline:
    for _path in glob.glob("/tmp/cnn-grader-*/submission/*/*.py"):
        if _path.startswith(_own_root + "/"):
            if _path not in _r["own_files"]:
                _r["own_files"].append(_path)
        else:
            _try("READ", _read, _path)
    for _dir in glob.glob("/tmp/cnn-grader-*"):
        if _dir != _own_root:
            _try("LISTED", os.listdir, _dir)
    _try("LISTED", os.listdir, "/submissions")
    for _dir in glob.glob("/tmp/pymp-*"):  # the folder of the server that forks judges, and its socket
        if _dir not in _r["judge_servers"]:
            _r["judge_servers"].append(_dir)
        _try("LISTED", os.listdir, _dir)
        for _sock in glob.glob(_dir + "/listener-*"):
            _try("CONNECTED", lambda p: socket.socket(socket.AF_UNIX).connect(p), _sock)
    for _p in glob.glob("/submissions/*/*/*.py"):
        _try("READ", _read, _p)
    for _name in os.listdir("/proc"):
        if not _name.isdigit() or int(_name) == _pid:
            continue
        try:
            _status = open("/proc/%s/status" % _name).read()
            _uid = int(next(l.split()[1] for l in _status.splitlines() if l.startswith("Uid:")))
            _cmd = open("/proc/%s/cmdline" % _name, "rb").read().decode(errors="replace").split("\\0")
        except (OSError, StopIteration, ValueError):
            continue
        if _uid == _me:
            if _name not in _r["same_uid_others"] and len(_r["same_uid_others"]) < 20:
                _r["same_uid_others"].append(_name)
            continue
        _boot = [a for a in _cmd if a.endswith("/boot.py")]
        if _boot:  # another worker: go for its folder, named on its command line
            _root = os.path.dirname(os.path.dirname(_boot[0]))
            _r["workers_seen"][_name] = {{"uid": _uid, "root": _root}}
            _try("LISTED", os.listdir, _root)
            for _p in ("submission/ex1/shapes.py", "output.log", "kit/boot.py"):
                _try("READ", _read, os.path.join(_root, _p))
        for _p in ("environ", "mem", "maps", "cwd/output.log"):
            _try("READ", _read, "/proc/%s/%s" % (_name, _p))
        for _p in ("fd", "cwd", "root/tmp"):
            _try("LISTED", os.listdir, "/proc/%s/%s" % (_name, _p))
        _try("SIGNALLED", lambda p: os.kill(int(p), 0), _name)
        if _libc is not None and _name not in _traced:
            _traced.add(_name)
            _r["tries"] += 1
            if _libc.ptrace(16, int(_name), None, None) == 0:  # PTRACE_ATTACH
                _leak("PTRACED " + _name)
                try:
                    os.waitpid(int(_name), 0)
                except OSError:
                    pass
                _libc.ptrace(17, int(_name), None, None)  # PTRACE_DETACH
    time.sleep(0.2)
print("SNOOP-REPORT " + json.dumps(_r, sort_keys=True), flush=True)
'''
SNOOPS = ("00-snoop-a", "00-snoop-b")


def _snoop_report(name: str, result: dict, feedback: str) -> dict:
    lines = [line for line in (result.get("output") or "").splitlines() if line.startswith("SNOOP-REPORT ")]
    assert lines, f"{name}: no SNOOP-REPORT in its output: {result.get('output')!r}"
    assert lines[-1] in feedback, f"{name}: its output is not in feedback.md"
    return json.loads(lines[-1][len("SNOOP-REPORT "):])


def _class_with_nosy(dest: Path, local_out: Path) -> list[str]:
    shutil.copytree(CLASS_DIR, dest)
    secrets = [f"snoop-secret-{uuid.uuid4().hex}" for _ in SNOOPS]
    for i, name in enumerate(SNOOPS):
        ex1 = dest / name / "ex1"
        ex1.mkdir(parents=True)
        (ex1 / "shapes.py").write_text(SNOOP.format(secret=secrets[i], other=secrets[1 - i], seconds=SNOOP_SECONDS))
    nosy = dest / "zz-nosy" / "ex1"
    nosy.mkdir(parents=True)
    reads = []
    for root in (Path("/opt/cnn-grader"), REPO):
        reads += [str(root / "grader" / "hidden" / "checks.py"), str(root / "grader" / "hidden" / "conftest.py"),
                  str(root / "solutions" / "ex1" / "shapes.py")]
    writes = ["/out", "/submissions", str(local_out)]
    (nosy / "shapes.py").write_text(NOSY.format(reads=reads, writes=writes))
    _host_owned(dest, HOST_UID)
    return sorted(p.name for p in dest.iterdir() if p.is_dir() or p.suffix == ".zip")


def _grades(out: Path) -> dict[str, dict[str, float]]:
    with open(out / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows, f"{out / 'grades.csv'} has no rows"
    assert list(rows[0]) == ["submission", *[f"ex{i}" for i in range(1, 8)], "total", "status", "note"]
    return {r["submission"]: {k: float(v) for k, v in r.items() if k not in ("submission", "status", "note")} for r in rows}


def _scores(result: dict) -> dict:
    """Every score in a result.json: overall, per exercise and per test (not messages or timings)."""
    scores = {"score": result.get("score"), "max_score": result.get("max_score")}
    for ex, ex_result in sorted((result.get("exercises") or {}).items()):
        scores[ex] = (ex_result.get("score"), ex_result.get("max_score"))
        for i, test in enumerate(ex_result.get("tests") or []):
            scores[f"{ex}/{test.get('name', i)}"] = (test.get("score"), test.get("max_score"))
    return scores


def _results(out: Path, names: list[str]) -> dict[str, dict]:
    results = {}
    for name in names:
        stem = name[:-4] if name.endswith(".zip") else name
        path = out / stem / "result.json"
        assert path.is_file(), f"missing {path}"
        assert (out / stem / "feedback.md").is_file(), f"missing {out / stem / 'feedback.md'}"
        results[stem] = json.loads(path.read_text())
    return results


def test_class_grades_in_container_equal_local(image, tmp_path):
    assert CLASS_DIR.is_dir() and any(CLASS_DIR.iterdir()), f"no demo class in {CLASS_DIR}"
    local_out = tmp_path / "local-out"
    submissions = tmp_path / "submissions"
    names = _class_with_nosy(submissions, local_out)

    t0 = time.monotonic()
    _run([sys.executable, "-m", "grader", "batch", str(submissions), "--out", str(local_out), "--jobs", JOBS,
          "--visibility", "visible"],
         env={**os.environ}, cwd=REPO, timeout=600)
    local_s = time.monotonic() - t0

    out = tmp_path / "container-out"
    out.mkdir()
    os.chown(out, HOST_UID, HOST_UID)  # the judge runs as HOST_UID, with the workers' groups
    t0 = time.monotonic()
    run = _docker_run(["-v", f"{submissions}:/submissions:ro", "-v", f"{out}:/out",
                       image, "batch", "/submissions", "--out", "/out", "--jobs", JOBS,
                       "--visibility", "visible"], timeout=600)
    container_s = time.monotonic() - t0
    n = len(names)
    _report(f"grading {n} submissions with --jobs {JOBS}: local sandbox {local_s:.1f} s "
            f"({local_s / n:.1f} s each), container {container_s:.1f} s ({container_s / n:.1f} s each, "
            f"container start included)")

    assert _grades(out) == _grades(local_out)
    local, contained = _results(local_out, names), _results(out, names)
    assert sorted(contained) == sorted(local)
    slot_users = [f"student{slot}" for slot in range(int(JOBS))]
    user_of = {}
    for name in local:
        assert _scores(contained[name]) == _scores(local[name]), name
        isolation = contained[name].get("isolation", "")
        match = re.search(r"separate user '(student\d*)'", isolation)
        assert match and match[1] in slot_users, (
            f"{name}: the container graded with {isolation!r}, not a slot's own user\n{run.stderr[-2000:]}")
        user_of[name] = match[1]
    assert "entrypoint: warning" not in run.stderr, run.stderr[-2000:]
    assert {p.stat().st_uid for p in out.rglob("*")} == {HOST_UID}, "results should belong to out/'s owner"

    # The two snoops ran side by side as two different users, each saw the other's worker
    # running, and got nothing of it: no listing, no file, no environment, no signal, no ptrace.
    assert {user_of[name] for name in SNOOPS} == set(slot_users), user_of
    reports = {}
    for name in SNOOPS:
        feedback = (out / name / "feedback.md").read_text()
        reports[name] = report = _snoop_report(name, contained[name], feedback)
        _report(f"{name} ({user_of[name]}): {json.dumps(report)[:600]}")
        assert report["uid"] == WORKER_UID_BASE + int(user_of[name][len("student"):]), report
    for name, other in (SNOOPS, SNOOPS[::-1]):
        mine, theirs = reports[name], reports[other]
        assert mine["leaks"] == [], f"{name} got something of another worker: {mine['leaks']}"
        assert mine["same_uid_others"] == [], f"{name} shares its uid with {mine['same_uid_others']}"
        assert mine["own_files"] == [f"{mine['own_root']}/submission/ex1/shapes.py"], mine
        assert mine["tries"] > 0
        assert mine["judge_servers"], f"{name} never saw the folder of the server that forks judges ({mine})"
        seen = {w["uid"]: w["root"] for w in mine["workers_seen"].values()}
        assert seen.get(theirs["uid"]) == theirs["own_root"], (
            f"{name} never saw {other}'s worker: the two were not graded at the same time ({mine})")
        text = json.dumps(contained[name]) + (out / name / "feedback.md").read_text()
        secret = re.search(r"SECRET = '([^']+)'", (submissions / other / "ex1" / "shapes.py").read_text())[1]
        assert secret not in text, f"{other}'s code showed up in {name}'s results"

    # The nosy submission ran as student in the container and found nothing.
    leftovers = [p for p in out.rglob("pwned-by-student")] + [p for p in submissions.rglob("pwned-by-student")]
    assert not leftovers, leftovers
    nosy_text = (out / "zz-nosy" / "result.json").read_text() + (out / "zz-nosy" / "feedback.md").read_text()
    assert "LEAK" not in nosy_text, nosy_text
    probe = re.search(r"PROBE all denied uid=(\d+)", nosy_text)
    assert probe, nosy_text
    assert int(probe[1]) == WORKER_UID_BASE + int(user_of["zz-nosy"][len("student"):]), nosy_text


# Runs as the judge, through the image's entrypoint (`--as-judge python -c ...`). Starts a worker
# the way the grader does (grader.sandbox.WorkerProcess: same user switch, rlimits, pipes), with
# a probe in place of the worker kit's boot.py, and prints one JSON line.
JUDGE_PROBE = r'''
import grp, json, os, re, signal, sys, tempfile, time
from pathlib import Path
from grader import paths, sandbox

report = {"judge_uid": os.getuid(), "judge_gid": os.getgid(), "judge_groups": os.getgroups(),
          "worker_user": os.environ.get("CNN_GRADER_WORKER_USER"),
          "worker_groups": {g.gr_name: g.gr_gid for g in grp.getgrall() if re.fullmatch(r"student\d*", g.gr_name)}}
# What each batch slot's worker runs as, and its private folder (sandbox.private_root).
report["slots"] = {}
for slot in ("0", "1", "15", "16"):
    os.environ["CNN_GRADER_SLOT"] = slot
    folder = Path(tempfile.mkdtemp(prefix="slot-"))
    sandbox.private_root(folder)
    st = folder.stat()
    report["slots"][slot] = {"user": sandbox.worker_user(), "group": grp.getgrgid(st.st_gid).gr_name,
                             "mode": oct(st.st_mode & 0o777)}
del os.environ["CNN_GRADER_SLOT"]
hidden = sorted(p for p in paths.HIDDEN_DIR.rglob("*") if p.is_file())
solutions = sorted(p for p in paths.SOLUTIONS_DIR.rglob("*.py"))
report["judge_reads_hidden"] = bool(hidden) and all(p.read_bytes() is not None for p in hidden)
report["judge_reads_solutions"] = bool(solutions) and all(p.read_bytes() is not None for p in solutions)
os.makedirs("/out/judge-dir", exist_ok=True)
targets = {"read": [str(p) for p in hidden + solutions] + [str(paths.HIDDEN_DIR), str(paths.REPO_ROOT)],
           "write": ["/out", "/out/judge-dir", "/submissions"]}

root = Path(tempfile.mkdtemp(prefix="probe-"))
os.chmod(root, 0o755)
kit, sub = root / "kit", root / "submission"
kit.mkdir(); sub.mkdir()
(kit / "targets.json").write_text(json.dumps(targets))
(kit / "boot.py").write_text(STUDENT_PROBE)
for p in (kit, sub, kit / "targets.json", kit / "boot.py"):
    p.chmod(0o755 if p.is_dir() else 0o644)
limits = sandbox.Limits()
worker = sandbox.WorkerProcess(sub, kit, root / "output.log", limits)
data, deadline = b"", time.monotonic() + 120
while not data.endswith(b"\n") and time.monotonic() < deadline:
    chunk = os.read(worker.fd_from_worker, 65536)
    if not chunk:
        break
    data += chunk
try:
    report["student"] = json.loads(data)
except ValueError:
    report["student"] = None
    report["worker_log"] = (root / "output.log").read_text(errors="replace")[-3000:]
report["limits"] = {"cpu": limits.cpu_seconds, "as": limits.memory_bytes, "nproc": limits.processes,
                    "fsize": limits.file_bytes}
time.sleep(0.5)  # let the probe's child start
worker.kill()
time.sleep(0.5)
left = []
student_uid = str(report["student"]["uid"]) if report["student"] else None
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        continue
    uid = next(l.split()[1] for l in status.splitlines() if l.startswith("Uid:"))
    if student_uid and uid == student_uid:
        left.append(pid)
report["student_processes_after_kill"] = left
print(json.dumps(report))
'''

STUDENT_PROBE = r'''
import json, os, resource, signal, sys, time
submission, fd_in, fd_out, site_dirs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sys.path.extend(p for p in site_dirs.split(os.pathsep) if p)
here = os.path.dirname(os.path.abspath(__file__))
targets = json.load(open(os.path.join(here, "targets.json")))
r = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "read": {}, "write": {}}
status = open("/proc/self/status").read()
r["cap_eff"] = next(l.split()[1] for l in status.splitlines() if l.startswith("CapEff:"))
r["no_new_privs"] = next(l.split()[1] for l in status.splitlines() if l.startswith("NoNewPrivs:"))
for path in targets["read"]:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, "rb").read(1)
        r["read"][path] = "ALLOWED"
    except OSError as e:
        r["read"][path] = type(e).__name__
for d in targets["write"]:
    try:
        with open(os.path.join(d, "pwned-by-student"), "w") as f:
            f.write("x")
        r["write"][d] = "ALLOWED"
    except OSError as e:
        r["write"][d] = type(e).__name__
try:
    os.kill(os.getppid(), 0)
    r["signal_parent"] = "ALLOWED"
except OSError as e:
    r["signal_parent"] = type(e).__name__
r["rlimits"] = {k: resource.getrlimit(getattr(resource, "RLIMIT_" + k.upper()))[0]
                for k in ("cpu", "as", "nproc", "fsize")}
try:
    import torch
    r["torch"] = float(torch.ones(2, 2).sum())
except Exception as e:
    r["torch"] = repr(e)
r["fd_in_open"] = os.fstat(fd_in) is not None
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if os.fork() == 0:  # a child in the same process group, also deaf to SIGTERM
    time.sleep(300)
    os._exit(0)
os.write(fd_out, (json.dumps(r) + "\n").encode())
time.sleep(300)
'''


def test_two_users_inside_image(image, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    _open_dir(submissions)
    code = f"STUDENT_PROBE = {STUDENT_PROBE!r}\n{JUDGE_PROBE}"
    run = _docker_run(["-v", f"{submissions}:/submissions:ro", "-v", f"{out}:/out",
                       image, "--as-judge", "python", "-c", code], timeout=300)
    report = json.loads(run.stdout.strip().splitlines()[-1])
    _report(f"two-user probe: {json.dumps(report)[:1500]}")

    assert report["judge_uid"] != 0 and report["worker_user"] == "student"
    # student plus one user per slot, each with its own group; the judge is in all of them.
    groups = report["worker_groups"]
    assert sorted(groups) == sorted(["student", *(f"student{i}" for i in range(WORKER_SLOTS))]), groups
    assert groups["student"] == STUDENT_UID
    assert all(groups[f"student{i}"] == WORKER_UID_BASE + i for i in range(WORKER_SLOTS)), groups
    assert set(groups.values()) <= set(report["judge_groups"]), report["judge_groups"]
    # Slot N's worker is studentN, its folder studentN's alone; past the last slot: student.
    assert report["slots"] == {
        "0": {"user": "student0", "group": "student0", "mode": "0o750"},
        "1": {"user": "student1", "group": "student1", "mode": "0o750"},
        "15": {"user": "student15", "group": "student15", "mode": "0o750"},
        "16": {"user": "student", "group": "student", "mode": "0o750"}}, report["slots"]
    assert report["judge_reads_hidden"] and report["judge_reads_solutions"]
    student = report["student"]
    assert student is not None, report.get("worker_log")
    assert student["uid"] not in (0, report["judge_uid"]), student
    assert report["judge_gid"] not in [student["gid"], *student["groups"]], student
    assert student["cap_eff"] == "0000000000000000" and student["no_new_privs"] == "1", student
    assert student["read"] and all(v != "ALLOWED" for v in student["read"].values()), student["read"]
    assert all(v != "ALLOWED" for v in student["write"].values()), student["write"]
    assert student["signal_parent"] != "ALLOWED"
    assert student["torch"] == 4.0, student["torch"]
    assert student["fd_in_open"]
    limits = report["limits"]
    assert student["rlimits"] == {k: limits[k] for k in ("cpu", "as", "nproc", "fsize")}
    assert report["student_processes_after_kill"] == [], "a killed worker left processes behind"
    assert not list(out.rglob("pwned-by-student"))


def test_out_owned_by_a_worker_user_is_refused(image, tmp_path):
    for uid in (STUDENT_UID, WORKER_UID_BASE + 1, WORKER_UID_BASE + WORKER_SLOTS - 1):
        out = tmp_path / f"out-{uid}"
        out.mkdir()
        os.chown(out, uid, uid)
        run = _docker_run(["-v", f"{out}:/out", image, "--version"], timeout=120, check=False)
        assert run.returncode == 2, (uid, run.returncode, run.stdout, run.stderr)
        assert f"/out belongs to uid {uid}, which is a worker user" in run.stderr, run.stderr
        assert not list(out.iterdir())


def test_unreadable_submissions_give_the_fix_not_a_traceback(image, tmp_path):
    """The documented run with a root-owned out/ (the judge is uid 10001) and submissions only root
    may read: the cause and the exact chgrp of docs/docker.md, exit 2, nothing graded."""
    submissions = tmp_path / "submissions"
    shutil.copytree(CLASS_DIR / "alice_full_marks", submissions / "alice")
    os.chmod(submissions, 0o700)
    out = tmp_path / "out"
    out.mkdir()
    run = _docker_run(["-v", f"{submissions}:/submissions:ro", "-v", f"{out}:/out",
                       image, "batch", "/submissions", "--out", "/out"], timeout=120, check=False)
    assert run.returncode == 2, (run.returncode, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    assert "can't list the submissions folder /submissions: permission denied" in run.stderr, run.stderr
    assert "chgrp -R 10001 submissions && chmod -R g+rX,o-rwx submissions" in run.stderr, run.stderr
    assert not list(out.iterdir()), "nothing was written"
