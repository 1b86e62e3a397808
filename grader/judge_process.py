"""The process that judges one submission of a batch.

Each submission gets a fresh judge process, so that one that dies or hangs costs that
submission alone. Importing torch and pytest costs a judge about 1.7 s of CPU, as much as the
grading itself, so by default judges are forked from a server that imported them once per
batch (multiprocessing's forkserver): every judge still starts from the same clean state, and
`--jobs 2` gets the second core for grading. A judge given as a command (an argv: another
grader, a test's stand-in) runs as a plain subprocess instead.

Either way a judge runs in a process group of its own (a kill reaches its worker too), writes
its output to a log file, and ends like a subprocess: 0, an exit code, or minus a signal number;
and `cnn-grader judge` caps its own memory (`limit_memory`), so a judge that blows up fails
that submission alone.

`run_judge` is the one runner of judges, for `batch` and the otter bridge alike: a deadline,
the kill of the judge's process group, the log's tail, the result read back, and one wording
per way a judge can fail.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import os
import resource
import signal
import subprocess
import sys
import threading
import time
import types
from typing import NamedTuple

from .files import read_tail
from .results import TA, Result, read_result

PRELOAD = ["grader.runner", "grader.judge_command", "grader.feedback", "grader.gradescope"]
from .limits import DEFAULT as LIMITS  # noqa: E402 - every limit is in docs/limits.md

LOG_TAIL = LIMITS.judge_log_tail_bytes  # bytes of a judge's log kept as evidence
KILL_GRACE_S = LIMITS.judge_kill_grace_s  # after SIGTERM, before SIGKILL: a judge stops its worker and cleans up
JUDGE_MEMORY_BYTES = LIMITS.judge_memory_bytes
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

    def __init__(self, argv, *, env, cwd, log_path):
        with open(log_path, "wb") as log:
            self._process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=log, cwd=cwd, env=env, start_new_session=True)
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

    def __init__(self, entry, argv, *, env, cwd, log_path):
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)  # only the server's first start uses it
        self._process = context.Process(target=_forked_main, args=(entry, list(argv), dict(env), cwd, log_path),
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


def _forked_main(entry, argv, env, cwd, log_path):
    """In the forked judge: become what `subprocess.Popen(..., start_new_session=True)` makes."""
    os.setsid()
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)
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


def start_judge(judge_command, argv, *, env, cwd, log_path):
    """A running judge for `argv`.

    `judge_command` is a function taking `argv` (forked from the server: it must be importable
    by name), or the argv of a program to run as a subprocess with `argv` appended.
    """
    if callable(judge_command):
        return ForkedJudge(judge_command, argv, env=env, cwd=cwd, log_path=log_path)
    return CommandJudge([*judge_command, *argv], env=env, cwd=cwd, log_path=log_path)


def kill_group(process, sig):
    """Signal a judge and its worker (they share its process group), unless it has ended."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:  # a forked judge that has not made its group yet
        try:
            os.kill(process.pid, sig)
        except ProcessLookupError:
            pass
    except PermissionError:
        pass


def _kill_leftovers(process):
    """SIGKILL what an ended judge left running in its group (never the judge's pid alone)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:  # no such group: nothing lingers
        pass


class JudgeOutcome(NamedTuple):
    """How one judge run ended: its result, or why there is none (`failure`, for the student)."""

    result: Result | None
    failure: str  # "" when there is a result
    detail: str  # for the TA: the command, its exit status and the log's tail
    log: str  # the tail of the judge's output
    seconds: float


def run_judge(judge_command, argv, *, result_path, timeout, env, cwd, log_path,
              tail_bytes=LOG_TAIL, on_start=None, on_end=None) -> JudgeOutcome:
    """Run one judge (see `start_judge`) with a deadline; never raises for a bad judge.

    Past `timeout` seconds its process group gets SIGTERM, then SIGKILL after KILL_GRACE_S. Its
    result is `result_path` read back (`results.read_result`) when it exited 0. `on_start` and
    `on_end` receive the running judge, so that a caller can stop it from another thread.
    """
    started = time.monotonic()
    process = start_judge(judge_command, argv, env=env, cwd=cwd, log_path=log_path)
    try:
        if on_start is not None:
            on_start(process)
        code = process.wait(timeout)
        timed_out = code is None
        if timed_out:
            kill_group(process, signal.SIGTERM)
            code = process.wait(KILL_GRACE_S)
            if code is None:
                kill_group(process, signal.SIGKILL)
                code = process.wait()
    finally:
        if process.poll() is None:
            kill_group(process, signal.SIGKILL)
            process.wait()
        _kill_leftovers(process)
        if on_end is not None:
            on_end(process)
    seconds = time.monotonic() - started
    log, _ = read_tail(log_path, tail_bytes)
    result = read_result(result_path) if code == 0 and not timed_out else None
    if result is not None:
        return JudgeOutcome(result, "", "", log, seconds)
    if timed_out:
        failure = f"the grader ran out of time on this submission (its limit is {timeout:g} s) and was stopped; {TA}"
    elif code < 0:
        failure = f"the grader stopped unexpectedly ({_signal_name(-code)}) while grading this submission; {TA}"
    elif code:
        failure = f"the grader failed on this submission (exit code {code}); {TA}"
    else:
        failure = f"the grader left no readable result for this submission; {TA}"
    command = [f"{judge_command.__module__}.{judge_command.__qualname__}"] if callable(judge_command) else judge_command
    detail = f"judge command: {' '.join([*command, *map(str, argv)])}\nexit: {code}\n{log}"
    return JudgeOutcome(None, failure, detail, log, seconds)


def _signal_name(number):
    try:
        return f"killed by {signal.Signals(number).name}"
    except ValueError:
        return f"killed by signal {number}"
