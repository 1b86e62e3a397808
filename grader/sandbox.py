"""Starting and stopping the worker process that holds student code.

What is enforced, and where:
- bubblewrap: its own mount, pid, network, IPC and user namespaces; a read-only system; only the
  submission copy and the worker kit visible; read-only `/proc/sys` and `/dev`; sized tmpfs
  `/tmp` and `/dev/shm`; a seccomp filter (`grader.seccomp`) that refuses the system calls a
  submission never needs.
- Never root on the host: a root judge drops to a worker uid of the batch slot's own (fixed
  numeric ids, `worker_uid`), with no supplementary groups and no_new_privs, before bubblewrap
  starts. The worker's folder is readable by that uid alone. Paths the worker uid can't reach
  (a Python under /root) are bind-mounted for it in a mount namespace of the worker's own.
- cgroups where the judge may make them (`grader.cgroups`): a CPU quota, a memory limit that
  counts tmpfs pages, a task limit, and the worker's CPU time, on which calls are charged.
- Everywhere: rlimits on CPU, memory, processes and file size, and `oom_score_adj` 1000, so the
  OOM killer takes a worker before any judge.

In the Docker image (CNN_GRADER_WORKER_USER) the judge is not root and may only switch to the
student users: no bubblewrap there. Without bubblewrap it is a plain subprocess with rlimits,
and `describe()` says so, as it says what else is missing.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util
import json
import os
import pwd
import resource
import shutil
import signal
import site
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import cgroups, intake, registry, seccomp
from .limits import DEFAULT as LIMITS
from .sandboxed import layout
from .sandboxed.layout import MODULES

PACKAGE_DIR = Path(__file__).resolve().parent
MIB = 1024 * 1024
# Worker uids of a root judge: far above what useradd (1000-59999), Debian (60000-65535) and
# /etc/subuid (100000 + 65536 per user) hand out, so they own nothing on the host. `grade` runs
# use the base; batch slot N uses base + 1 + N.
WORKER_UID_BASE = 2_000_000_000
WORKER_UID_ENV = "CNN_GRADER_WORKER_UID_BASE"
_CLONE_NEWNS, _MS_REC, _MS_PRIVATE, _MS_BIND, _PR_SET_NO_NEW_PRIVS = 0x20000, 0x4000, 0x40000, 0x1000, 38


@dataclass(frozen=True)
class Limits:
    """One worker's limits: the `worker_*` fields of grader.limits.Limits (docs/limits.md), under
    the short names the sandbox code uses."""

    cpu_seconds: int = LIMITS.worker_cpu_seconds  # RLIMIT_CPU of each process
    memory_bytes: int = LIMITS.worker_memory_bytes  # RLIMIT_AS of each process, and the cgroup's memory limit
    processes: int = LIMITS.worker_processes  # RLIMIT_NPROC, and the cgroup's task limit
    file_bytes: int = LIMITS.worker_file_bytes  # RLIMIT_FSIZE
    cpu_cores: float = LIMITS.worker_cpu_cores  # the cgroup's CPU quota
    tmp_bytes: int = LIMITS.worker_tmp_bytes  # the sandbox's /tmp
    shm_bytes: int = LIMITS.worker_shm_bytes  # the sandbox's /dev/shm
    dev_bytes: int = LIMITS.worker_dev_bytes  # the sandbox's /dev (device nodes and links only; read-only)


def bwrap_path() -> str | None:
    """bubblewrap, if it is installed and can make namespaces here (a container may forbid it)."""
    if os.environ.get("CNN_GRADER_NO_BWRAP") or os.environ.get("CNN_GRADER_WORKER_USER"):
        return None
    path = shutil.which("bwrap") if sys.platform.startswith("linux") else None
    return path if path and _bwrap_works(path, worker_uid()) else None


@functools.lru_cache(maxsize=None)
def _bwrap_works(path: str, uid: int | None) -> bool:
    """Whether bubblewrap makes its namespaces here, as the worker uid it will run as."""
    try:
        probe = subprocess.run([path, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
                               capture_output=True, timeout=30, preexec_fn=_dropper(uid) if uid else None)
    except (OSError, subprocess.TimeoutExpired, subprocess.SubprocessError):
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


def worker_uid() -> int | None:
    """The uid (and gid) a root judge's worker runs as; None when the judge is not root."""
    if os.geteuid() != 0 or os.environ.get("CNN_GRADER_WORKER_USER"):
        return None
    base = int(os.environ.get(WORKER_UID_ENV) or WORKER_UID_BASE)
    slot = os.environ.get("CNN_GRADER_SLOT", "")
    return base + 1 + int(slot) if slot.isdigit() else base


def describe() -> str:
    """How student code is isolated here, naming every layer that is missing."""
    user = worker_user()
    if user:
        parts = [f"separate user '{user}' with rlimits"]
    elif bwrap_path():
        uid = worker_uid()
        parts = ["bubblewrap sandbox with rlimits"
                 + (f", worker uid {uid}" if uid else f", as the judge's own uid {os.geteuid()}")]
        reason = _seccomp_reason()
        parts.append("seccomp filter" if reason is None else f"WARNING: no seccomp filter ({reason})")
    else:
        parts = ["plain subprocess with rlimits (WARNING: bubblewrap not found, weaker isolation)"]
    reason = cgroups.unavailable_reason()
    parts.append("cgroup limits on CPU, memory and tasks" if reason is None else
                 f"WARNING: no cgroup limits ({reason}): CPU time is read from /proc and a neighbour's load "
                 "is not capped")
    return "; ".join(parts)


def _seccomp_reason() -> str | None:
    if os.environ.get("CNN_GRADER_NO_SECCOMP"):  # for benchmarks, and kernels without seccomp
        return "turned off by CNN_GRADER_NO_SECCOMP"
    return None if seccomp.available() else "libseccomp missing"


def private_root(root: Path):
    """Only the judge and this worker's user may enter the worker's folder, not other workers."""
    uid = worker_uid()
    if uid is not None:
        os.chown(root, uid, uid)  # the judge is root: it still reads and writes everything
        root.chmod(0o700)
        return
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
    """Copy each exercise's module and its helpers as `intake` accepts them, and its note (why a
    helper was refused, what was found instead of a missing module), never following symlinks:
    nothing else can be loaded."""
    dest.mkdir(parents=True)
    found = intake.scan(source, MODULES)
    for exercise, files in found.exercises.items():
        wanted = {rel: rel for rel in ([files.module, *files.helpers] if files.module else [])}
        if files.module:  # under its own name, whatever its case
            wanted[files.module] = f"{exercise}/{MODULES[exercise]}.py"
        note = source / exercise / layout.NOTE_FILE
        if note.is_file() and not note.is_symlink():
            wanted[f"{exercise}/{layout.NOTE_FILE}"] = f"{exercise}/{layout.NOTE_FILE}"
        for rel, name in wanted.items():
            src = source / rel
            if src.is_file() and not src.is_symlink() and not src.parent.is_symlink():
                (dest / exercise).mkdir(exist_ok=True)
                shutil.copyfile(src, dest / name, follow_symlinks=False)
    return dest


# The course files the worker needs: the probe registry and each exercise's probes, nothing
# else of grader/course (hidden suites, bug zoos, checks and manifests stay with the judge).
KIT_COURSE_FILES = ("__init__.py", "probing.py")
KIT_EXERCISE_FILES = ("__init__.py", "probes.py")


def make_kit(dest: Path, course_dir: Path | None = None) -> Path:
    """The worker's own code: grader.sandboxed as `sandboxed`, the course's probes as `course`
    (the same layout as grader/course, so the probes' relative imports work in both), the lab,
    and the boot script. Files are picked by name, never by pattern."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    course_dir = Path(course_dir) if course_dir is not None else registry.COURSE_DIR
    shutil.copytree(PACKAGE_DIR / "sandboxed", dest / "sandboxed", ignore=ignore)
    shutil.copytree(_package_dir("cnnlab"), dest / "cnnlab", ignore=ignore)
    shutil.copyfile(PACKAGE_DIR / "sandboxed" / "boot.py", dest / "boot.py")
    (dest / "course").mkdir()
    for name in KIT_COURSE_FILES:
        shutil.copyfile(course_dir / name, dest / "course" / name)
    for exercise in registry.read_ids(course_dir):
        if (course_dir / exercise / "probes.py").is_file():
            (dest / "course" / exercise).mkdir()
            for name in KIT_EXERCISE_FILES:
                shutil.copyfile(course_dir / exercise / name, dest / "course" / exercise / name)
    # The kit has no grader.*: sandboxed/layout.py reads the registry's module map from here.
    (dest / "sandboxed" / layout.COURSE_JSON).write_text(json.dumps(registry.course_data()), encoding="utf-8")
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


@functools.lru_cache(maxsize=None)
def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _dropper(uid: int):
    """A preexec step: become `uid` for good (no groups, no way back, no new privileges)."""
    libc = _libc()

    def drop():
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")

    return drop


def _reachable(path: str, uid: int) -> bool:
    """Whether `uid`, with no groups, can enter every folder down to `path` and read it."""
    current = Path(path)
    for folder in (current, *current.parents):
        try:
            st = os.stat(folder)
        except OSError:
            return False
        bits = (stat.S_IXUSR | (stat.S_IRUSR if folder == current else 0)) if st.st_uid == uid else \
            (stat.S_IXOTH | (stat.S_IROTH if folder == current else 0))
        if st.st_mode & bits != bits:
            return False
    return True


class WorkerProcess:
    """One running worker: its pipes, output log, CPU clock and kill switch."""

    def __init__(self, submission_copy: Path, kit: Path, log_path: Path, limits: Limits):
        self.limits = limits
        self.uid = worker_uid()
        self.cgroup = cgroups.WorkerCgroup(cpu_cores=limits.cpu_cores, memory_bytes=limits.memory_bytes,
                                           max_tasks=limits.processes)
        self._kit_and_submission = (kit, submission_copy)
        self._staged: list[tuple[str, Path]] = []  # (path the worker uid can't reach, its mount point)
        bwrap = bwrap_path()
        self.wrapped = bwrap is not None
        req_r, self._req_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        extra_fds = []
        if bwrap and _seccomp_reason() is None:
            extra_fds.append(seccomp.write_filter_fd())
        command = self._command(bwrap, submission_copy, kit, req_r, resp_w, extra_fds)
        self.log = open(log_path, "ab")
        try:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                pass_fds=(req_r, resp_w, *extra_fds), start_new_session=True, env=self._env(),
                preexec_fn=self._in_child, cwd=submission_copy.parent)
        except BaseException:
            self.cgroup.remove()
            self.log.close()
            raise
        finally:
            for fd in (req_r, resp_w, *extra_fds):
                os.close(fd)
        self.fd_to_worker, self.fd_from_worker = self._req_w, self._resp_r

    def _env(self):
        return {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
                "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}

    def _in_child(self):
        """In the worker's process before exec: cgroups, OOM rank, mounts, rlimits, then the uid."""
        self.cgroup.enter()
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
        if self._staged:  # mounts of our own, which the host never sees
            libc = _libc()
            _check(libc.unshare(_CLONE_NEWNS), "unshare")
            _check(libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "mount --make-rprivate /")
            for source, target in self._staged:
                _check(libc.mount(source.encode(), bytes(target), None, _MS_BIND | _MS_REC, None),
                       f"mount --bind {source}")
        lim = self.limits
        for which, value in ((resource.RLIMIT_CPU, lim.cpu_seconds), (resource.RLIMIT_AS, lim.memory_bytes),
                             (resource.RLIMIT_NPROC, lim.processes), (resource.RLIMIT_FSIZE, lim.file_bytes),
                             (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(which, (value, value))
        if self.uid is not None:
            _dropper(self.uid)()

    def cpu_seconds(self) -> float:
        """CPU time the worker and all its processes have used so far."""
        if self.cgroup.active:
            return self.cgroup.cpu_seconds()
        return _tree_cpu_seconds(self.process.pid)

    def _command(self, bwrap, submission_copy, kit, fd_in, fd_out, extra_fds):
        python = os.path.realpath(sys.executable)
        sites = _site_dirs()
        user = worker_user()
        if bwrap:
            return [bwrap, *self._bwrap_args(python, sites, extra_fds), python, "-S", "-E", "-s", "-B",
                    "/kit/boot.py", "/submission", str(fd_in), str(fd_out), os.pathsep.join(sites)]
        inner = [python, "-S", "-E", "-s", "-B", str(kit / "boot.py"), str(submission_copy),
                 str(fd_in), str(fd_out), os.pathsep.join(sites)]
        if user:  # the Docker image: the judge may switch to the student user, nothing more
            return ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups",
                    "--inh-caps=-all", "--no-new-privs", "--", *inner]
        return inner

    def _bind(self, path: str) -> list[str]:
        """Bind `path` read-only at the same place; through a staged mount if the uid can't reach it."""
        if self.uid is None or _reachable(path, self.uid):
            return ["--ro-bind", path, path]
        target = self._kit_and_submission[0].parent / "mounts" / str(len(self._staged))
        target.mkdir(parents=True, exist_ok=True)  # a restarted worker reuses the mount point
        self._staged.append((path, target))
        return ["--ro-bind", str(target), path]

    def _bwrap_args(self, python, sites, extra_fds):
        lim = self.limits
        args = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--clearenv",
                "--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys",
                "--size", str(lim.dev_bytes), "--tmpfs", "/dev"]
        for node in ("null", "zero", "full", "random", "urandom"):
            args += ["--dev-bind", f"/dev/{node}", f"/dev/{node}"]
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                             ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
            args += ["--symlink", target, f"/dev/{name}"]
        args += ["--dir", "/dev/shm", "--remount-ro", "/dev", "--size", str(lim.shm_bytes), "--tmpfs", "/dev/shm",
                 "--size", str(lim.tmp_bytes), "--tmpfs", "/tmp",
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
        prefix = str(Path(sys.base_prefix).resolve())
        if not prefix.startswith("/usr"):
            args += self._bind(prefix)
        for path in sites:
            if not path.startswith("/usr/"):
                args += self._bind(path)
        kit, submission = self._kit_and_submission
        args += ["--ro-bind", str(kit), "/kit", "--ro-bind", str(submission), "/submission",
                 "--remount-ro", "/"]  # bubblewrap's own root is an unsized tmpfs: nothing may fill it
        for key, value in self._env().items():
            args += ["--setenv", key, value]
        for fd in extra_fds:
            args += ["--seccomp", str(fd)]
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


def _tree_cpu_seconds(root_pid: int) -> float:
    """CPU time of `root_pid` and its descendants, reaped children included, from /proc.

    The fallback where no cgroup can be made; a process that left the tree (a double fork) is
    not seen here, which the cgroup would catch.
    """
    parents, times = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(entry)
        parents[pid] = int(fields[1])
        times[pid] = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    total = 0
    for pid in times:
        node = pid
        while node in parents and node != root_pid:
            node = parents[node]
        if node == root_pid:
            total += times[pid]
    return total / os.sysconf("SC_CLK_TCK")
