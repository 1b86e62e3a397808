"""The process that judges one submission of a batch.

Each submission gets a fresh judge process, so that one that dies or hangs costs that
submission alone. Importing torch and pytest costs a judge about 1.7 s of CPU, as much as the
grading itself, so by default judges are forked from a server that imported them once per
batch (multiprocessing's forkserver): every judge still starts from the same clean state, and
`--jobs 2` gets the second core for grading. A judge given as a command (an argv: another
grader, a test's stand-in) runs as a plain subprocess instead.

Either way a judge runs in a process group of its own (a kill reaches its worker too), writes
its stderr to a file, and ends like a subprocess: 0, an exit code, or minus a signal number;
and `cnn-grader judge` caps its own memory (`limit_memory`), so a judge that blows up fails
that submission alone.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import resource
import subprocess
import sys
import threading
import types

PRELOAD = ["grader.runner", "grader.batch", "grader.feedback", "grader.gradescope"]
JUDGE_MEMORY_BYTES = 3 * 1024 ** 3
"""Address space of one judge (RLIMIT_AS). A judge grading the reference peaks at about 0.8 GB
of address space (torch's libraries and reservations included) and 0.3 GB resident; a reply
from the worker may add up to about 0.8 GB while it is read (codec.MAX_REPLY_BYTES). 3 GiB
leaves room for both and for more threads' malloc arenas on a bigger machine, and stops a
judge long before it can starve the other judges of a batch."""

# multiprocessing reads a child's exit status from a pipe and polls all children whenever one
# starts; two threads doing so at once could take each other's status. One lock orders them.
_multiprocessing_lock = threading.Lock()


class CommandJudge:
    """A judge given as an argv, run as a subprocess."""

    def __init__(self, argv, *, env, cwd, stderr_path):
        with open(stderr_path, "wb") as stderr:
            self._process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                             stderr=stderr, cwd=cwd, env=env, start_new_session=True)
        self.pid = self._process.pid

    def wait(self, timeout=None) -> int | None:
        """The exit status, or None if it is still running after `timeout` seconds."""
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def poll(self) -> int | None:
        return self._process.poll()


class ForkedJudge:
    """`entry(argv)` in a process forked from the preloaded server; its return is the exit code."""

    def __init__(self, entry, argv, *, env, cwd, stderr_path):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)  # only the server's first start uses it
        self._process = context.Process(target=_forked_main, args=(entry, list(argv), dict(env), cwd, stderr_path),
                                        name="cnn-grader-judge", daemon=False)
        with _multiprocessing_lock, _caller_main_hidden():
            self._process.start()
        self.pid = self._process.pid

    def wait(self, timeout=None) -> int | None:
        multiprocessing.connection.wait([self._process.sentinel], timeout)
        return self.poll()

    def poll(self) -> int | None:
        with _multiprocessing_lock:
            return self._process.exitcode


@contextlib.contextmanager
def _caller_main_hidden():
    """Keep a judge from re-running the caller's script.

    multiprocessing has each forked process import the parent's `__main__` again. A judge
    needs nothing from it, and a TA's script that calls `api.batch` without an
    `if __name__ == "__main__":` guard would start a batch inside every judge, which fails.
    """
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _forked_main(entry, argv, env, cwd, stderr_path):
    """In the forked judge: become what `subprocess.Popen(..., start_new_session=True)` makes."""
    os.setsid()
    stderr = os.open(stderr_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.dup2(stderr, 2)
    os.close(null)
    os.close(stderr)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    sys.exit(entry(argv))


def forkserver_is_private(version=sys.version_info) -> bool:
    """Whether only this user can ask the server for a process.

    Since CPython 3.10.9 and 3.11.1 the server listens on a socket file in a private (0700)
    folder. Before, it used an abstract socket that any local process could reach, e.g. a worker
    running as another user in Docker, and make it unpickle what it sent (CVE-2022-42919).
    """
    version = tuple(version[:3])
    return version >= (3, 11, 1) or (3, 10, 9) <= version < (3, 11)


def limit_memory(limit=JUDGE_MEMORY_BYTES):
    """Cap this judge's address space. Only the soft limit: the worker it starts sets its own."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = min(limit, hard) if hard != resource.RLIM_INFINITY else limit
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def cnn_grader_judge(argv) -> int:
    """`cnn-grader judge ARGV...`: the default judge."""
    from .cli import main

    return main(["judge", *argv])


def start_judge(judge_command, argv, *, env, cwd, stderr_path):
    """A running judge for `argv` (the arguments of `cnn-grader judge`).

    `judge_command` is a function taking `argv` (forked from the server: it must be importable
    by name), or the argv of a program to run as a subprocess with `argv` appended.
    """
    if callable(judge_command):
        return ForkedJudge(judge_command, argv, env=env, cwd=cwd, stderr_path=stderr_path)
    return CommandJudge([*judge_command, *argv], env=env, cwd=cwd, stderr_path=stderr_path)
