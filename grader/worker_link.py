"""The judge's end of the worker: framed requests with deadlines, and a fresh worker after a crash.

Everything read from the worker is untrusted bytes: frames are size-checked and decoded by
the codec, never unpickled. Student code can write to the pipe too, so every reply must carry
its request's id, and a forged or stray frame, or bytes waiting before a request, end the
worker. This module loads no torch itself, so that a judge can start its
worker first and import torch while the worker does the same. A worker that dies, hangs or talks nonsense is killed with its
whole process group and replaced lazily by the next request.
"""

from __future__ import annotations

import os
import select
import subprocess
import signal
import tempfile
import time
from pathlib import Path

from . import sandbox
from .failures import StudentTimeout, WorkerCrashed
from .files import read_tail
from .limits import DEFAULT as LIMITS
from .sandboxed import framing

STARTUP_TIMEOUT = LIMITS.startup_timeout_s
LOG_TAIL_BYTES = LIMITS.worker_log_tail_bytes
# A call's limit is charged on the worker's own CPU time, so a neighbour's load never costs a
# student points; code that sleeps or blocks is stopped by a wall clock this many times longer.
WALL_BACKSTOP_FACTOR = LIMITS.wall_backstop_factor
CLOCK_POLL_S = LIMITS.clock_poll_s  # how often a long call's CPU time is read


class WorkerTransport:
    """Runs one submission in sandboxed worker processes, one at a time."""

    def __init__(self, submission_dir, limits: sandbox.Limits | None = None):
        self._tmp = tempfile.TemporaryDirectory(prefix="cnn-grader-")
        # The judge's own copy, which the worker never sees: `Submission.source_files` reads it.
        self.root = Path(submission_dir)
        root = Path(self._tmp.name)
        sandbox.private_root(root)
        self._submission = sandbox.copy_submission(Path(submission_dir), root / "submission")
        self._kit = sandbox.make_kit(root / "kit")
        self.log_path = root / "output.log"
        self._limits = limits or sandbox.Limits()
        self._worker: sandbox.WorkerProcess | None = None
        self._ready = False  # the running worker has said hello (finished importing torch)
        self._loaded: set = set()  # exercises whose module the running worker has imported
        self.description = sandbox.describe()
        self.charged_s = 0.0  # time charged to the submission so far (CPU time of its calls)

    def start(self):
        """Start a worker now, so its imports overlap with the judge's own start-up."""
        if self._worker is None:
            self._worker = sandbox.WorkerProcess(self._submission, self._kit, self.log_path, self._limits)
            self._ready = False

    def _wait_ready(self):
        """The worker's start-up (importing torch) is the grader's time, not the student's."""
        try:
            hello, _ = framing.read_frame(_Reader(self._worker.fd_from_worker, _WallClock(STARTUP_TIMEOUT)))
        except (TimeoutError, EOFError, OSError, framing.CodecError):
            self._discard()
            raise WorkerCrashed("the grader's sandbox failed to start; please tell your TA") from None
        if hello.get("ready") is not True:
            self._discard()
            raise WorkerCrashed("the grader's sandbox failed to start; please tell your TA")
        self._ready = True

    def request(self, op, exercise, name, args, kwargs, timeout):
        if exercise is not None and exercise not in self._loaded and op != "load":
            reply = self._exchange("load", exercise, None, (), {}, timeout,
                                   f"importing {exercise}/{sandbox.MODULES.get(exercise, '?')}.py", True)
            if not (type(reply[0]) is dict and reply[0].get("ok")):
                return reply
            self._loaded.add(exercise)
        what = f"{name}()" if op in ("call", "probe") else name
        return self._exchange(op, exercise, name, args, kwargs, timeout, what, False)

    def _exchange(self, op, exercise, name, args, kwargs, timeout, what, importing):
        from .sandboxed import codec  # loads torch: not needed to start the worker, only to talk to it

        request_id = codec.new_request_id()
        frame = codec.request_frame(request_id, op, exercise, name, args, kwargs)
        if self._worker is not None and self._ready and _has_input(self._worker.fd_from_worker):
            self._discard()  # it spoke unasked since its last reply (a stray frame, or it died): a fresh one
        self.start()
        if not self._ready:
            self._wait_ready()
        worker = self._worker
        clock = _CallClock(worker, timeout)
        try:
            _write_all(worker.fd_to_worker, frame, clock)
            return codec.read_reply(_Reader(worker.fd_from_worker, clock), request_id)
        except TimeoutError:
            self._discard()
            how = f"used more than {timeout:g} s of CPU time" if clock.cpu_exceeded else \
                f"did not answer within {clock.wall_limit_s:g} s (is it sleeping or waiting for something?)"
            exc = StudentTimeout(f"timed out: your code {how} {'while ' if importing else 'in '}{what}")
            exc.module_loaded = not importing
            raise exc from None
        except (EOFError, OSError, framing.CodecError) as err:
            status = self._discard(wait_s=0.0 if isinstance(err, framing.CodecError) else 2.0)
            exc = WorkerCrashed(_crash_message(status, what, err))
            exc.module_loaded = not importing
            raise exc from None
        finally:
            self.charged_s += clock.charged()

    def _discard(self, wait_s=0.0):
        """Kill the worker; returns how it ended by itself, if it did within `wait_s`."""
        worker, self._worker = self._worker, None
        self._loaded.clear()
        if worker is None:
            return None
        try:
            status = worker.process.wait(timeout=wait_s) if wait_s else worker.process.poll()
        except subprocess.TimeoutExpired:
            status = None
        worker.kill()
        return status if status is None or not worker.wrapped else _unwrap_status(status)

    def output_tail(self, limit=LOG_TAIL_BYTES) -> str:
        """The end of what the student's code printed, for feedback."""
        text, cut = read_tail(self.log_path, limit)
        return ("[... earlier output cut ...]\n" if cut else "") + text

    def close(self):
        if self._worker is not None:
            self._worker.kill()
            self._worker = None
        self._tmp.cleanup()


def _unwrap_status(status):
    """bubblewrap reports a child killed by signal N as exit code 128 + N."""
    return -(status - 128) if status > 128 else status


def _crash_message(status, what, err):
    if isinstance(err, framing.Desync):
        return f"the grader received a reply it did not ask for during {what}; the worker was restarted"
    if isinstance(err, framing.CodecError):
        return f"the grader could not read what {what} sent back ({err}); the worker was restarted"
    if status is None:
        return f"your code stopped the worker during {what}"
    if status < 0:
        sig = -status
        reason = {signal.SIGSEGV: "a segmentation fault", signal.SIGKILL: "being killed (memory or process limit?)",
                  signal.SIGXCPU: "running out of CPU time", signal.SIGABRT: "an abort"}.get(sig, signal.Signals(sig).name)
        return f"the worker crashed with {reason} during {what}"
    return f"your code exited (exit code {status}) during {what}; use return values, not exit()"


class _WallClock:
    """A plain deadline: for the worker's start-up, which is the grader's time."""

    def __init__(self, limit_s):
        self.wall_limit_s = limit_s
        self._deadline = time.monotonic() + limit_s

    def next_wait(self) -> float:
        """How long to wait for the pipe now; raises TimeoutError once the limit is used up."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        return left


class _CallClock(_WallClock):
    """One call's limit, charged on the worker's CPU time, with a wall-clock backstop.

    Most calls end within one poll, and reading the CPU time is not free where it comes from
    /proc (a few ms a read), so the first poll interval is charged as wall time, an upper bound
    of the CPU time of one busy thread, and CPU time from then on.
    """

    def __init__(self, worker, limit_s):
        super().__init__(WALL_BACKSTOP_FACTOR * limit_s)
        self._worker, self.limit_s = worker, limit_s
        self._started = time.monotonic()
        self._cpu_start = None  # read at the first poll
        self._wall_before = 0.0
        self._last = 0.0
        self.cpu_exceeded = False

    def charged(self) -> float:
        """Time to charge the call so far; the last reading once the worker is gone."""
        if self._cpu_start is None:
            return time.monotonic() - self._started
        try:
            self._last = max(self._last, self._wall_before + self._worker.cpu_seconds() - self._cpu_start)
        except (OSError, ValueError):
            pass
        return self._last

    def next_wait(self) -> float:
        wall_left = super().next_wait()
        if self._cpu_start is None:
            waited = time.monotonic() - self._started
            if waited < CLOCK_POLL_S:
                return min(wall_left, CLOCK_POLL_S - waited)
            self._wall_before, self._cpu_start = waited, self._worker.cpu_seconds()
        if self.charged() >= self.limit_s:
            self.cpu_exceeded = True
            raise TimeoutError
        return min(wall_left, CLOCK_POLL_S)


def _has_input(fd) -> bool:
    """Whether the worker has written (or closed its end) while nobody asked it anything."""
    return bool(select.select([fd], [], [], 0)[0])


def _write_all(fd, data, clock):
    view = memoryview(data)
    while view:
        _wait(fd, clock, write=True)
        view = view[os.write(fd, view):]


def _wait(fd, clock, write=False):
    """Wait until `fd` is ready, polling `clock` (which raises TimeoutError when it runs out)."""
    while True:
        left = clock.next_wait()
        ready = select.select([], [fd], [], left) if write else select.select([fd], [], [], left)
        if ready[1] if write else ready[0]:
            return


class _Reader:
    def __init__(self, fd, clock):
        self.fd, self.clock = fd, clock

    def __call__(self, n):
        chunks, left = [], n
        while left:
            _wait(self.fd, self.clock)
            chunk = os.read(self.fd, min(left, 1 << 20))
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
