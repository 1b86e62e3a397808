"""Security I: a root judge's worker is never root on the host, can't touch kernel interfaces,
and one student can't slow or starve another. Each probe is planted in a real submission and
graded in the real sandbox; what it found comes back in its import error's message."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from grader import api, cgroups, registry, sandbox, seccomp
from grader.worker_link import WorkerTransport
from tests.graded import grade, make_submission, module_path

ROOT_JUDGE = os.geteuid() == 0
FULL_MARKS = registry.total_points()
pytestmark = pytest.mark.skipif(sandbox.bwrap_path() is None, reason="needs bubblewrap (apt-get install bubblewrap)")
needs_root = pytest.mark.skipif(not ROOT_JUDGE, reason="the root-judge attacks need a judge running as root")
needs_cgroups = pytest.mark.skipif(cgroups.unavailable_reason() is not None,
                                   reason=f"no worker cgroups here: {cgroups.unavailable_reason()}")

KUID_PROBE = """
uid_map = open('/proc/self/uid_map').read().split()
status = dict(line.split(':', 1) for line in open('/proc/self/status').read().splitlines())
raise RuntimeError(f"PROBE kuid={uid_map[1]} uid={__import__('os').getuid()} "
                   f"oom={open('/proc/self/oom_score_adj').read().strip()} "
                   f"nnp={status['NoNewPrivs'].strip()} groups={len(status['Groups'].split())}")
"""

PROC_SYS_PROBE = """
import os
writable = []
for folder, _, files in os.walk('/proc/sys'):
    for name in files:
        path = os.path.join(folder, name)
        try:
            os.close(os.open(path, os.O_WRONLY))
            writable.append(path)
        except OSError:
            pass
try:
    with open('/proc/sys/kernel/core_pattern', 'w') as handle:
        handle.write('|/tmp/helper %p')
    core = 'written'
except OSError as exc:
    core = exc.strerror
raise RuntimeError(f"PROBE writable={len(writable)} core_pattern={core} first={writable[:3]}")
"""

SYSCALL_PROBE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def errno_of(result):
    return ctypes.get_errno() if result == -1 else 0
found = {
    'ptrace': errno_of(libc.ptrace(0, 0, None, None)),          # PTRACE_TRACEME
    'bpf': errno_of(libc.syscall(321, 0, None, 0)),               # bpf(BPF_MAP_CREATE, NULL, 0)
    'unshare': errno_of(libc.unshare(0x10000000)),                # CLONE_NEWUSER
    'mount': errno_of(libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)),
}
raise RuntimeError('PROBE ' + ' '.join(f'{k}={v}' for k, v in found.items()))
"""


def _probe(tmp_path, code, exercise="ex1") -> str:
    """Plant `code` at the end of one module of the stubs, grade it, return what it reported."""
    sub = make_submission(tmp_path / "sub", "stubs")
    _plant(module_path(sub, exercise), code)
    result = grade(sub, exercises=(exercise,))
    messages = " ".join(t["message"] for t in result["exercises"][exercise]["tests"])
    match = re.search(r"PROBE ([^\n]*)", messages)
    assert match, messages
    return match[1]


def _plant(target: Path, code: str):
    """Runs at import, after the module's own code (its `from __future__` stays first)."""
    target.write_text(target.read_text() + "\n" + code)


def _fields(text) -> dict:
    return dict(item.split("=", 1) for item in text.split() if "=" in item)


def test_the_worker_is_never_root_on_the_host(tmp_path):
    found = _fields(_probe(tmp_path, KUID_PROBE))
    assert int(found["kuid"]) != 0
    assert found["oom"] == "1000"  # the OOM killer takes a worker before any judge
    assert found["nnp"] == "1"
    if ROOT_JUDGE:
        assert int(found["kuid"]) == sandbox.worker_uid()
        assert found["groups"] == "0"  # no supplementary groups


@needs_root
def test_the_worker_can_not_write_kernel_interfaces(tmp_path):
    core_pattern = Path("/proc/sys/kernel/core_pattern")
    before = core_pattern.read_text()
    try:
        found = _fields(_probe(tmp_path, PROC_SYS_PROBE))
    finally:
        if core_pattern.read_text() != before:  # containment failed: put the host back
            core_pattern.write_text(before)
    assert core_pattern.read_text() == before
    assert found["writable"] == "0", found
    assert found["core_pattern"] != "written"


@needs_root
@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the probe uses x86-64 system call numbers")
@pytest.mark.skipif(not seccomp.available(), reason="no seccomp filter here (libseccomp missing)")
def test_seccomp_refuses_what_a_submission_never_needs(tmp_path):
    found = _fields(_probe(tmp_path, SYSCALL_PROBE))
    assert found == {"ptrace": "1", "bpf": "1", "unshare": "1", "mount": "1"}  # EPERM each


@needs_root
def test_one_slots_worker_can_not_read_another_slots_folder(tmp_path, monkeypatch):
    sub = make_submission(tmp_path / "sub", "reference")
    transports = {}
    try:
        for slot in ("0", "1"):
            monkeypatch.setenv("CNN_GRADER_SLOT", slot)
            transports[slot] = WorkerTransport(sub)
        folder = Path(transports["0"]._tmp.name)
        st = folder.stat()
        monkeypatch.setenv("CNN_GRADER_SLOT", "0")
        assert (st.st_uid, st.st_mode & 0o777) == (sandbox.worker_uid(), 0o700)
        monkeypatch.setenv("CNN_GRADER_SLOT", "1")
        other = sandbox.worker_uid()
        assert other != st.st_uid
        snoop = subprocess.run(["cat", str(folder / "submission" / "ex1" / "shapes.py")], capture_output=True,
                               text=True, preexec_fn=sandbox._dropper(other))
        assert snoop.returncode != 0 and "Permission denied" in snoop.stderr
    finally:
        for transport in transports.values():
            transport.close()


@needs_root
@pytest.mark.otter
def test_the_otter_paths_worker_is_not_root_either(tmp_path):
    from grader.otter.plugin import grade_directory

    sub = make_submission(tmp_path / "sub", "stubs")
    _plant(module_path(sub, "ex1"), KUID_PROBE)
    results, log = grade_directory(sub, {}, clear=False)
    outputs = " ".join(t.get("output", "") for t in results["tests"]) + results.get("output", "")
    match = re.search(r"PROBE kuid=(\d+)", outputs)
    assert match, (outputs, log)
    assert int(match[1]) != 0


# ------------------------------------------------------------------------------ neighbours

CPU_HOG = """
import os, time
_DEADLINE = time.time() + {seconds}
def _burn():
    while time.time() < _DEADLINE:
        if os.fork():  # re-fork before RLIMIT_CPU catches up with the burner
            os._exit(0)
        os.setsid()
        until = time.process_time() + 0.5
        while time.process_time() < until:
            pass
    os._exit(0)
for _ in range(30):
    if os.fork() == 0:
        _burn()
"""

TMPFS_FILL = """
import os
_written = 0
for folder in ('/tmp', '/dev/shm', '/dev', '/', '/work'):
    for i in range(100000):
        try:
            with open(os.path.join(folder, f'fill{i}'), 'wb') as handle:
                handle.write(b'x' * (1 << 20))
            _written += 1
        except OSError:
            break
print('PROBE filled_mib', _written)
"""


def _batch(folder, out, jobs):
    api.batch(folder, out=out, jobs=jobs, progress=False, report=lambda text: None)
    rows = {row["submission"]: row for row in csv.DictReader(open(out / "grades.csv"))}
    results = {name: json.loads((out / name / "result.json").read_text()) for name in rows}
    return rows, results


def _honest_alone(tmp_path):
    make_submission(tmp_path / "alone" / "victim", "reference")
    rows, results = _batch(tmp_path / "alone", tmp_path / "out-alone", jobs=1)
    assert float(rows["victim"]["total"]) == FULL_MARKS
    return results["victim"]["duration_s"]


@needs_root
@needs_cgroups
def test_a_cpu_hog_does_not_slow_its_neighbour(tmp_path):
    alone_s = _honest_alone(tmp_path)
    folder = tmp_path / "class"
    make_submission(folder / "victim", "reference")
    hog = make_submission(folder / "a-hog", "reference")
    _plant(module_path(hog, "ex1"), CPU_HOG.format(seconds=round(alone_s * 1.5, 1)))
    rows, results = _batch(folder, tmp_path / "out", jobs=2)
    victim = results["victim"]
    assert victim["score"] == FULL_MARKS and not victim.get("error"), victim
    print(f"victim alone {alone_s:.1f} s, beside the CPU hog {victim['duration_s']:.1f} s "
          f"({victim['duration_s'] / alone_s:.2f}x)")
    assert victim["duration_s"] <= 1.5 * alone_s, (victim["duration_s"], alone_s)


@needs_root
def test_a_tmpfs_fill_does_not_starve_its_neighbour(tmp_path):
    folder = tmp_path / "class"
    make_submission(folder / "victim", "reference")
    filler = make_submission(folder / "a-filler", "reference")
    _plant(module_path(filler, "ex1"), TMPFS_FILL)
    rows, results = _batch(folder, tmp_path / "out", jobs=2)
    assert float(rows["victim"]["total"]) == FULL_MARKS and not results["victim"].get("error"), results["victim"]
    limits = sandbox.Limits()
    filled = int(re.search(r"PROBE filled_mib (\d+)", results["a-filler"]["output"])[1])
    assert filled <= (limits.tmp_bytes + limits.shm_bytes) // sandbox.MIB


# ------------------------------------------------------------------------------ time limits

HANGS = """
import time
def sleeps():
    time.sleep(600)
def spins():
    while True:
        pass
"""


@pytest.mark.parametrize("function, expected", [("spins", "used more than 1 s of CPU time"),
                                                ("sleeps", "did not answer within 3 s")])
def test_a_call_is_charged_on_cpu_time_with_a_wall_clock_backstop(tmp_path, function, expected):
    from grader.failures import StudentTimeout

    sub = make_submission(tmp_path / "sub", "stubs")
    _plant(module_path(sub, "ex1"), HANGS)
    transport = WorkerTransport(sub)
    try:
        transport.request("load", "ex1", None, (), {}, 30)
        with pytest.raises(StudentTimeout, match=expected):
            transport.request("call", "ex1", function, (), {}, 1.0)
        assert 0.9 <= transport.charged_s < 3.0 if function == "spins" else transport.charged_s < 1.0
    finally:
        transport.close()


def test_without_cgroups_cpu_time_is_read_from_proc_and_the_output_says_so(monkeypatch):
    monkeypatch.setenv("CNN_GRADER_NO_CGROUPS", "1")
    assert "no cgroup limits (turned off by CNN_GRADER_NO_CGROUPS)" in sandbox.describe()
    burner = "import os, time\nif os.fork() == 0:\n    t = time.process_time() + 0.6\n" \
             "    while time.process_time() < t: pass\n    os._exit(0)\nos.wait()\ntime.sleep(5)\n"
    process = subprocess.Popen(["python3", "-c", burner])
    try:
        deadline = time.monotonic() + 20
        while sandbox._tree_cpu_seconds(process.pid) < 0.5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sandbox._tree_cpu_seconds(process.pid) >= 0.5  # the reaped child's time counts
    finally:
        process.kill()
        process.wait()
