"""Starting and stopping the worker process that holds student code.

Layers, strongest first: bubblewrap (its own mount, pid and network namespaces, read-only
system, only the submission copy and the worker kit visible), a pids cgroup when we may make
one, a separate user without capabilities when CNN_GRADER_WORKER_USER names one (the Docker
image, where the judge may only switch to that user), and rlimits on
CPU, memory, processes and file size everywhere. Without bubblewrap it is a plain subprocess
with rlimits, and `describe()` says so.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import pwd
import resource
import shutil
import signal
import site
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from .sandboxed.layout import MODULES

PACKAGE_DIR = Path(__file__).resolve().parent
MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 120
    memory_bytes: int = 4096 * MIB
    processes: int = 64
    file_bytes: int = 8 * MIB


def bwrap_path() -> str | None:
    """bubblewrap, if it is installed and can make namespaces here (a container may forbid it)."""
    if os.environ.get("CNN_GRADER_NO_BWRAP") or os.environ.get("CNN_GRADER_WORKER_USER"):
        return None
    path = shutil.which("bwrap") if sys.platform.startswith("linux") else None
    return path if path and _bwrap_works(path) else None


@functools.lru_cache(maxsize=None)
def _bwrap_works(path: str) -> bool:
    try:
        probe = subprocess.run([path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
                               capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def worker_user() -> str | None:
    """CNN_GRADER_WORKER_USER, or its per-slot variant (`student1` for slot 1) where that exists."""
    user = os.environ.get("CNN_GRADER_WORKER_USER")
    slot = os.environ.get("CNN_GRADER_SLOT")
    if user and slot and slot.isdigit():
        try:
            pwd.getpwnam(f"{user}{slot}")
            return f"{user}{slot}"
        except KeyError:
            pass
    return user


def describe() -> str:
    user = worker_user()
    if user:
        return f"separate user '{user}' with rlimits"
    if bwrap_path():
        return "bubblewrap sandbox with rlimits"
    return "plain subprocess with rlimits (WARNING: bubblewrap not found, weaker isolation)"


def private_root(root: Path):
    """Only the judge and this worker's user may enter the worker's folder, not other workers."""
    user = worker_user()
    if user is None:
        root.chmod(0o755)  # bubblewrap binds it in; nothing else runs as another user
        return
    try:
        os.chown(root, -1, pwd.getpwnam(user).pw_gid)  # the judge is a member of that group
    except (KeyError, PermissionError) as exc:
        raise RuntimeError(f"can't hand the worker folder to user {user!r} ({exc}): the judge must be "
                           "a member of that user's group (see docs/docker.md)") from None
    root.chmod(0o750)


def copy_submission(source: Path, dest: Path) -> Path:
    """Copy only the seven module files, never following symlinks: nothing else can be loaded."""
    dest.mkdir(parents=True)
    for exercise, module in MODULES.items():
        src = source / exercise / f"{module}.py"
        if src.is_file() and not src.is_symlink() and not src.parent.is_symlink():
            (dest / exercise).mkdir()
            shutil.copyfile(src, dest / exercise / src.name, follow_symlinks=False)
    return dest


def make_kit(dest: Path) -> Path:
    """The worker's own code: grader.sandboxed as `sandboxed`, the lab, and the boot script."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(PACKAGE_DIR / "sandboxed", dest / "sandboxed", ignore=ignore)
    shutil.copytree(_package_dir("cnnlab"), dest / "cnnlab", ignore=ignore)
    shutil.copyfile(PACKAGE_DIR / "sandboxed" / "boot.py", dest / "boot.py")
    for path in (dest, *dest.rglob("*")):  # the worker may run as another user (Docker)
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dest


def _package_dir(name: str) -> Path:
    """Where a package lives, found without importing it (importing torch takes a second)."""
    return Path(importlib.util.find_spec(name).origin).resolve().parent


def _site_dirs() -> list[str]:
    dirs = {str(_package_dir(name).parent) for name in ("torch", "numpy")}
    dirs.update(p for p in site.getsitepackages() if os.path.isdir(p))
    return sorted(dirs)


class PidsCgroup:
    """A pids cgroup to cap forks and kill every process of a worker; only where we may."""

    ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))

    def __init__(self, max_pids: int):
        self.path = None
        if os.geteuid() != 0:
            return
        for root in self.ROOTS:
            if (root / "pids.max").exists() or (root / "cgroup.procs").exists() and (
                    root / "cgroup.controllers").exists() and "pids" in (root / "cgroup.controllers").read_text():
                try:
                    path = root / "cnn-grader" / uuid.uuid4().hex
                    path.mkdir(parents=True)
                    (path / "pids.max").write_text(str(max_pids))
                    self.path = path
                    return
                except OSError:
                    continue

    def enter(self):
        if self.path is not None:
            (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def kill_all(self):
        if self.path is None:
            return
        try:
            for pid in (self.path / "cgroup.procs").read_text().split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        except OSError:
            pass

    def remove(self):
        if self.path is not None:
            try:
                self.path.rmdir()
                self.path = None
            except OSError:
                pass


class WorkerProcess:
    """One running worker: its pipes, output log and kill switch."""

    def __init__(self, submission_copy: Path, kit: Path, log_path: Path, limits: Limits):
        self.limits = limits
        self.cgroup = PidsCgroup(limits.processes)
        self._kit_and_submission = (kit, submission_copy)
        self.wrapped = bwrap_path() is not None
        req_r, self._req_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        command = self._command(submission_copy, kit, req_r, resp_w)
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            pass_fds=(req_r, resp_w), start_new_session=True, env=self._env(),
            preexec_fn=self._limit, cwd=submission_copy.parent)
        os.close(req_r)
        os.close(resp_w)
        self.fd_to_worker, self.fd_from_worker = self._req_w, self._resp_r

    def _env(self):
        return {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
                "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}

    def _limit(self):
        self.cgroup.enter()
        lim = self.limits
        for which, value in ((resource.RLIMIT_CPU, lim.cpu_seconds), (resource.RLIMIT_AS, lim.memory_bytes),
                             (resource.RLIMIT_NPROC, lim.processes), (resource.RLIMIT_FSIZE, lim.file_bytes),
                             (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(which, (value, value))

    def _command(self, submission_copy, kit, fd_in, fd_out):
        python = os.path.realpath(sys.executable)
        sites = _site_dirs()
        user = worker_user()
        bwrap = bwrap_path()
        if bwrap:
            return [bwrap, *self._bwrap_args(python, sites), python, "-S", "-E", "-s", "-B",
                    "/kit/boot.py", "/submission", str(fd_in), str(fd_out), os.pathsep.join(sites)]
        inner = [python, "-S", "-E", "-s", "-B", str(kit / "boot.py"), str(submission_copy),
                 str(fd_in), str(fd_out), os.pathsep.join(sites)]
        if user:  # the Docker image: the judge may switch to the student user, nothing more
            return ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups",
                    "--inh-caps=-all", "--no-new-privs", "--", *inner]
        return inner

    def _bwrap_args(self, python, sites):
        args = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                "--clearenv", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
                "--ro-bind", "/usr", "/usr", "--dir", "/work", "--chdir", "/tmp"]
        for name in ("bin", "lib", "lib64", "sbin"):
            path = Path("/") / name
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                args += ["--ro-bind", str(path), str(path)]
        if Path("/etc/ld.so.cache").exists():
            args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
        cpu = Path("/sys/devices/system/cpu")
        if cpu.is_dir():
            args += ["--ro-bind", str(cpu), str(cpu)]
        prefix = Path(sys.base_prefix).resolve()
        if not str(prefix).startswith("/usr"):
            args += ["--ro-bind", str(prefix), str(prefix)]
        for path in sites:
            if not path.startswith("/usr/"):
                args += ["--ro-bind", path, path]
        kit, submission = self._kit_and_submission
        args += ["--ro-bind", str(kit), "/kit", "--ro-bind", str(submission), "/submission"]
        for key, value in self._env().items():
            args += ["--setenv", key, value]
        return args

    def kill(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.cgroup.kill_all()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self.fd_to_worker, self.fd_from_worker):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()
        self.cgroup.remove()
