"""The Docker image, end to end (issue 4). Marker `docker`; run with `pytest -m docker -rs`.

Starts a Docker engine if none answers (docker/start-dockerd.sh, as root), builds the offline
base image (debootstrap) and the wheelhouse when missing, builds the image offline, then:

* grades the demo class (examples/class plus a nosy submission) in the container with the
  documented flags and checks that grades.csv and every result.json score equal the local
  sandbox's, and that the workers ran as the separate `student` user;
* runs a probe through the image's entrypoint as the judge: the judge reads the hidden suites,
  while a worker started by grader.sandbox (the real launch path, a probe in place of the
  worker kit) runs as `student`, can't read the hidden suites or the solutions, can't write
  /out, keeps its pipe fds and rlimits, and dies with its whole process group when killed.

Skips only when no Docker engine can be started (and says why). Cold (no base image, no
layers) it takes about 5 minutes on the 2-core machine; cached, the build is seconds.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parent.parent
CLASS_DIR = REPO / "examples" / "class"
BASE_IMAGE = os.environ.get("CNN_GRADER_BASE_IMAGE", "cnn-grader-base:bookworm-v1")
IMAGE = os.environ.get("CNN_GRADER_TEST_IMAGE", "cnn-grader:test")
JOBS = "2"
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


def _docker_run(args, *, timeout):
    """`docker run` with a name, so that a run that times out is killed rather than left running."""
    name = f"cnn-grader-test-{os.getpid()}-{time.monotonic_ns()}"
    try:
        return _run(["docker", "run", "--name", name, *RUN_FLAGS, *args], timeout=timeout)
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


def _class_with_nosy(dest: Path, local_out: Path) -> list[str]:
    shutil.copytree(CLASS_DIR, dest)
    nosy = dest / "zz-nosy" / "ex1"
    nosy.mkdir(parents=True)
    reads = []
    for root in (Path("/opt/cnn-grader"), REPO):
        reads += [str(root / "grader" / "hidden" / "checks.py"), str(root / "grader" / "hidden" / "conftest.py"),
                  str(root / "solutions" / "ex1" / "shapes.py")]
    writes = ["/out", "/submissions", str(local_out)]
    (nosy / "shapes.py").write_text(NOSY.format(reads=reads, writes=writes))
    _open_dir(dest)
    return sorted(p.name for p in dest.iterdir() if p.is_dir() or p.suffix == ".zip")


def _grades(out: Path) -> dict[str, dict[str, float]]:
    with open(out / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows, f"{out / 'grades.csv'} has no rows"
    assert list(rows[0]) == ["submission", *[f"ex{i}" for i in range(1, 8)], "total"]
    return {r["submission"]: {k: float(v) for k, v in r.items() if k != "submission"} for r in rows}


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
    _run([sys.executable, "-m", "grader", "batch", str(submissions), "--out", str(local_out), "--jobs", JOBS],
         env={**os.environ}, cwd=REPO, timeout=600)
    local_s = time.monotonic() - t0

    out = tmp_path / "container-out"
    out.mkdir()
    t0 = time.monotonic()
    run = _docker_run(["-v", f"{submissions}:/submissions:ro", "-v", f"{out}:/out",
                       image, "batch", "/submissions", "--out", "/out", "--jobs", JOBS], timeout=600)
    container_s = time.monotonic() - t0
    n = len(names)
    _report(f"grading {n} submissions with --jobs {JOBS}: local sandbox {local_s:.1f} s "
            f"({local_s / n:.1f} s each), container {container_s:.1f} s ({container_s / n:.1f} s each, "
            f"container start included)")

    assert _grades(out) == _grades(local_out)
    local, contained = _results(local_out, names), _results(out, names)
    assert sorted(contained) == sorted(local)
    for name in local:
        assert _scores(contained[name]) == _scores(local[name]), name
        isolation = contained[name].get("isolation", "")
        assert "student" in isolation, f"{name}: the container graded with {isolation!r}\n{run.stderr[-2000:]}"

    # The nosy submission ran as student in the container and found nothing.
    leftovers = [p for p in out.rglob("pwned-by-student")] + [p for p in submissions.rglob("pwned-by-student")]
    assert not leftovers, leftovers
    nosy_text = (out / "zz-nosy" / "result.json").read_text() + (out / "zz-nosy" / "feedback.md").read_text()
    assert "LEAK" not in nosy_text, nosy_text
    assert "PROBE all denied uid=10002" in nosy_text, nosy_text


# Runs as the judge, through the image's entrypoint (`--as-judge python -c ...`). Starts a worker
# the way the grader does (grader.sandbox.WorkerProcess: same user switch, rlimits, pipes), with
# a probe in place of the worker kit's boot.py, and prints one JSON line.
JUDGE_PROBE = r'''
import json, os, signal, sys, tempfile, time
from pathlib import Path
from grader import paths, sandbox

report = {"judge_uid": os.getuid(), "judge_gid": os.getgid(), "judge_groups": os.getgroups(),
          "worker_user": os.environ.get("CNN_GRADER_WORKER_USER")}
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
