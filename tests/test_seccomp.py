"""The worker's seccomp filter under real bubblewrap: what it refuses, and what it must not."""

from __future__ import annotations

import errno
import functools
import json
import os
import platform
import shutil
import signal
import subprocess
import sys

import pytest

from grader import seccomp

BWRAP = shutil.which("bwrap")
# As root, bwrap would leave the child root, whose capabilities refuse or allow things by
# themselves: make it a nobody without capabilities. (Not Popen(user=...) before bwrap: a
# nobody's bwrap couldn't reach an interpreter under a private home, pyenv's /root/.pyenv.)
AS_NOBODY = ["--unshare-user", "--uid", "61000", "--gid", "61000"] if os.geteuid() == 0 else []


def bwrap_python(code: str, *args: str, filtered: bool = True) -> subprocess.CompletedProcess:
    """Run `python -c code args` in bubblewrap (the whole system read-only), with the filter."""
    fds = (seccomp.write_filter_fd(),) if filtered else ()
    command = [BWRAP, "--unshare-all", *AS_NOBODY, "--cap-drop", "ALL", "--die-with-parent",
               "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/var/tmp",
               *(a for fd in fds for a in ("--seccomp", str(fd))), sys.executable, "-c", code, *args]
    try:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                pass_fds=fds, cwd="/",
                                # a writable temp folder (torch imports dill, which wants one) that
                                # hides nothing: the checkout itself may live under /tmp
                                env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TMPDIR": "/var/tmp"})
    finally:
        for fd in fds:
            os.close(fd)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


def _why_skip() -> str | None:
    if not BWRAP:
        return "bubblewrap (bwrap) is not installed"
    if not seccomp.available():
        return "libseccomp (or pyseccomp) can't be loaded"
    probe = bwrap_python("pass", filtered=False)
    return f"bwrap can't run here as an unprivileged user: {probe.stderr.strip()}" if probe.returncode else None


WHY_SKIP = _why_skip()
# CI installs bubblewrap and libseccomp: there a reason to skip is a failure to see, not to hide.
needs_bwrap = pytest.mark.skipif(bool(WHY_SKIP) and not os.environ.get("CI"), reason=WHY_SKIP or "")

# Each call in a forked child whose exit code is the errno (0: it worked), so that one call's
# side effects (being traced, a new namespace) can't touch the next.
PROBE = r"""
import ctypes, json, os, sys
nr = json.loads(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
def call(fn, *args):
    pid = os.fork()
    if pid == 0:
        os._exit(ctypes.get_errno() if fn(*args) == -1 else 0)
    status = os.waitpid(pid, 0)[1]
    return os.waitstatus_to_exitcode(status)
caps = dict(line.split(":\t") for line in open("/proc/self/status"))["CapEff"].strip()
print(json.dumps({
    "uid_caps": [os.getuid(), int(caps, 16)],
    "ptrace": call(libc.ptrace, 0, 0, None, None),  # PTRACE_TRACEME
    "bpf": call(libc.syscall, nr["bpf"], 0x7fff, None, 0),  # an unknown command
    "unshare": call(libc.unshare, 0x10000000),  # CLONE_NEWUSER
    "mount": call(libc.mount, b"none", b"/no/such/dir", b"tmpfs", 0, None),
    "clone3": call(libc.syscall, nr["clone3"], None, 0),
    "clone_newuser": call(libc.syscall, nr["clone"], 0x10000000 | 17, 0, 0, 0, 0),
}))
"""


@functools.lru_cache(maxsize=None)
def probe(filtered: bool) -> dict:
    import pyseccomp
    numbers = {name: pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, name) for name in ("bpf", "clone3", "clone")}
    result = bwrap_python(PROBE, json.dumps(numbers), filtered=filtered)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found.pop("uid_caps") == [61000 if AS_NOBODY else os.getuid(), 0]
    return found


# Without the filter: what tells that the filter, not something else, refused the call.
# bpf has no control: unprivileged bpf() may well be EPERM by itself (unprivileged_bpf_disabled).
CONTROLS = {"ptrace": 0, "unshare": 0, "mount": errno.ENOENT, "clone3": errno.EINVAL, "clone_newuser": 0}


@needs_bwrap
@pytest.mark.parametrize("call", ["ptrace", "bpf", "unshare", "mount", "clone3", "clone_newuser"])
def test_refused(call):
    assert probe(True)[call] == (errno.ENOSYS if call == "clone3" else errno.EPERM)
    if call in CONTROLS:
        assert probe(False)[call] == CONTROLS[call]


@needs_bwrap
def test_threads_fork_and_subprocess_work():
    code = """
import os, subprocess, threading
box = []
t = threading.Thread(target=box.append, args=(1,)); t.start(); t.join()
pid = os.fork()
if pid == 0:
    os._exit(7)
assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 7
print(box, subprocess.run(["true"]).returncode)
"""
    result = bwrap_python(code)
    assert (result.returncode, result.stdout) == (0, "[1] 0\n"), result.stderr


@needs_bwrap
def test_torch_threads_work():
    code = """
import torch
torch.set_num_threads(2)
print(int((torch.ones(1000, 1000) @ torch.ones(1000, 1000))[0, 0]))
"""
    result = bwrap_python(code)
    assert (result.returncode, result.stdout) == (0, "1000\n"), result.stderr


# 32-bit (`int 0x80`) and x32 system calls, which a deny list written for x86-64's numbers
# would not catch: the filter kills the process instead.
BYPASS = r"""
import ctypes, mmap, os, sys
def run():
    if sys.argv[1] == "int80":  # mov eax, 20 (getpid); int 0x80; ret
        page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        page.write(b"\xb8\x14\x00\x00\x00\xcd\x80\xc3")
        ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))()
    else:
        ctypes.CDLL(None).syscall(0x40000000 | 39)  # x32 getpid
pid = os.fork()
if pid == 0:
    run()
    os._exit(0)
status = os.waitpid(pid, 0)[1]
print(os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0)
"""


@needs_bwrap
@pytest.mark.skipif(platform.machine() != "x86_64", reason="x86-64's other ABIs")
@pytest.mark.parametrize("abi", ["int80", "x32"])
def test_other_abis_killed(abi):
    filtered, control = (bwrap_python(BYPASS, abi, filtered=f) for f in (True, False))
    assert filtered.stdout == f"{int(signal.SIGSYS)}\n", filtered.stderr
    assert control.stdout != f"{int(signal.SIGSYS)}\n", control.stderr


@pytest.mark.skipif(not seccomp.available(), reason="libseccomp (or pyseccomp) can't be loaded")
def test_fd_holds_the_program():
    fd = seccomp.write_filter_fd()
    try:
        assert os.read(fd, 1 << 20) == seccomp.filter_bytes()
    finally:
        os.close(fd)


def test_without_libseccomp(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyseccomp", None)  # as if it couldn't be imported
    seccomp.filter_bytes.cache_clear()
    try:
        assert not seccomp.available()
        with pytest.raises(seccomp.SeccompUnavailable, match="libseccomp can't be loaded"):
            seccomp.filter_bytes()
    finally:
        seccomp.filter_bytes.cache_clear()
