"""The one seam between hidden tests and a submission.

Hidden tests call `sub.ex3.cutout(x, rng=Seeded(7))`; the call travels as plain data to a
transport: the worker process of `sandbox.py` in production, or a dispatcher in this process
for fast local checks. Either way the same codec round-trip happens, request ids included, so
results look the same. A transport answers `(reply head, decoded value)`.
Student failures come back as exceptions the runner can classify (see `failure_status`).

Blame: a failure is the grader's (`GraderError`) only if the judge raises it before sending
(a probe called with the wrong arguments, an unregistered probe, arguments the codec can't
carry), or if a probe that failed in the worker fails on the reference too. Every other
worker-side failure is the student's: student code can shape any traceback or message.
"""

from __future__ import annotations

import builtins
import inspect
import io
import time
from pathlib import Path

import numpy as np
import torch

from . import limits, source_checks
from .failures import GraderError, NotImplementedYet, StudentCodeError, StudentTimeout, WorkerCrashed
from .paths import SOLUTIONS_DIR
from .sandboxed import codec
from .sandboxed.codec import Seeded  # also re-exported for the hidden suites
from .sandboxed.layout import MODULES

# Worker-side failure kinds that a probe's own bug could cause, so they are checked on the
# reference; an import failure, NotImplementedError or exit() is the submission's alone.
REPLAYED_KINDS = ("exception", "codec")


def failure_status(exc: BaseException) -> str | None:
    """'failed' for a wrong answer, 'error'/'timeout' for a broken run, 'grader_error' for the
    grader's own failure, None if not ours."""
    if isinstance(exc, GraderError):
        return exc.status
    if isinstance(exc, StudentCodeError):
        return exc.status
    if getattr(exc, "_from_student", False):
        return "error"
    return None


def raise_remote(error: dict, what: str):
    """Re-raise a worker-side exception as a fresh judge-side one of the nearest builtin type."""
    message = str(error.get("message", ""))[:2000]
    kind = error.get("kind")
    if kind == "not_implemented":
        raise NotImplementedYet(f"{what} is not implemented yet")
    if kind == "import":
        raise StudentCodeError(message)
    if kind == "exit":
        raise StudentCodeError(f"your code called exit() during {what}")
    if kind == "codec":
        raise StudentCodeError(f"{what} returned something the grader can't read: {message}")
    cls = getattr(builtins, str(error.get("builtin")), None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = StudentCodeError
    try:
        exc = cls(message)
    except Exception:  # noqa: BLE001 - builtins such as UnicodeError need other arguments
        exc = StudentCodeError(message)
    exc._from_student = True
    exc.student_type = str(error.get("type", cls.__name__))[:100]
    exc.student_where = what
    raise exc


def bind_probe(probe, args, kwargs) -> tuple[str, str]:
    """(wire name, exercise) of a registered probe, once `args`/`kwargs` fit its signature.

    Runs in the judge before anything is sent, so a wrong call is a `GraderError` here."""
    from .course.probing import PROBES  # torch and cnnlab: only suites that run probes need them

    name = getattr(probe, "__name__", None)
    if not isinstance(name, str) or PROBES.get(name) is not probe:
        raise GraderError(f"{probe!r} is not a registered probe")
    try:
        inspect.signature(probe).bind(None, *args, **kwargs)  # None stands for the loaded module
    except TypeError as exc:
        raise GraderError(f"probe {name} called with the wrong arguments: {exc}") from None
    return name, probe.probe_exercise


_reference = None


def _reference_transport():
    """An in-process reference, shared by the whole judge process: replays are rare."""
    global _reference
    if _reference is None:
        _reference = InProcessTransport(SOLUTIONS_DIR)
    return _reference


def check_against_reference(transport, exercise, name, args, kwargs, error: dict):
    """Raise `GraderError` if probe `name`, which failed with `error` on the submission, also
    fails on the reference; return quietly if the reference passes (then it is the student's)."""
    if getattr(transport, "is_reference", False):
        reply = {"ok": False, "error": error}
    else:
        try:
            reply, _ = _reference_transport().request("task", exercise, name, args, kwargs, None)
        except Exception as exc:  # noqa: BLE001 - the reference run is the grader's own
            reply = {"ok": False, "error": {"type": type(exc).__name__, "message": str(exc)}}
    if reply.get("ok") is not True:
        ref_error = reply.get("error") if type(reply.get("error")) is dict else {}
        raise GraderError(f"probe {name} fails on the reference too: "
                          f"{ref_error.get('type', '?')}: {str(ref_error.get('message', ''))[:500]}")


class InProcessTransport:
    """Runs the submission in this process. For trusted code (the reference) and fast checks."""

    description = "in-process (no isolation)"

    _count = 0

    def __init__(self, root):
        # Imported here: the worker's module installs its `eager` stand-in when a Dispatcher is
        # built, and a judge that only talks to a sandboxed worker never needs it.
        from .sandboxed.worker import Dispatcher

        self.charged_s = 0.0  # wall time of the calls: trusted code, nothing else runs beside it
        self.root = Path(root)  # the submission's folder, as the judge reads it (`Submission.source_files`)
        self.is_reference = Path(root).resolve() == Path(SOLUTIONS_DIR).resolve()
        InProcessTransport._count += 1
        self.dispatcher = Dispatcher(root, module_prefix=f"_cnn_grader_{InProcessTransport._count}_")

    def request(self, op, exercise, name, args, kwargs, timeout):
        request_id = codec.new_request_id()
        frame = codec.request_frame(request_id, op, exercise, name, args, kwargs)
        request, request_buffers = codec.read_frame(io.BytesIO(frame).read)
        started = time.monotonic()
        reply, reply_buffers = self.dispatcher.handle(request, request_buffers)
        self.charged_s += time.monotonic() - started
        return codec.read_reply(io.BytesIO(codec.pack(reply, reply_buffers)).read, request_id)

    def close(self):
        pass


class Submission:
    """What hidden tests see as `sub` (and `ref`): exercises as attributes, plus probes (`run`)."""

    def __init__(self, transport, *, total_budget_s: float | None = None):
        self._transport = transport
        self._poisoned: dict[tuple, str] = {}
        self._budget_s = total_budget_s  # charged as the transport charges calls (worker CPU time)
        self.description = transport.description

    def __getattr__(self, exercise):
        if exercise not in MODULES:
            raise AttributeError(exercise)
        return _ExerciseProxy(self, exercise)

    def source_files(self, exercise) -> dict[str, str]:
        """The .py files of `exercise`'s folder (helpers too), by path from the submission's root
        ("ex4/soft_ce.py"), as the judge reads them from its own copy on disk: never through the
        worker, so that student code can't show the static checks (grader.source_checks) other code."""
        if exercise not in MODULES:
            raise GraderError(f"unknown exercise {exercise!r}")
        root = getattr(self._transport, "root", None)
        if root is None:
            raise GraderError(f"{self.description} has no submission folder to read")
        return source_checks.read_sources(root, exercise)

    def value(self, exercise, name):
        return self._request("value", exercise, name, (), {}, None, f"{name}")

    def run(self, probe, *args, timeout=None, what=None, **kwargs):
        """Run a registered probe (see grader.course.probing) beside the submission.

        `sub.run(ex6_architecture, [None, 3], what="build_model()")`:
        the probe loads its own exercise; `what` names the student code in messages. Without a
        `timeout`, the exercise's `call_timeout_s` applies (grader.limits)."""
        name, exercise = bind_probe(probe, args, kwargs)
        return self._request("task", exercise, name, args, kwargs, timeout, what or name)

    def _request(self, op, exercise, name, args, kwargs, timeout, what):
        if timeout is None:
            timeout = (limits.for_exercise(exercise) if exercise else limits.DEFAULT).call_timeout_s
        for key in ((exercise,), (exercise, name)):
            if key in self._poisoned:
                cls, message = self._poisoned[key]
                raise cls(message)
        if self._budget_s:
            left = self._budget_s - self._transport.charged_s
            if left <= 0:
                raise StudentTimeout("the submission used up its total time budget")
            timeout = min(timeout, left)
        try:
            reply, value = self._transport.request(op, exercise, name, args, kwargs, timeout)
        except codec.CodecError as exc:
            # The worker link reports a reply it can't read as WorkerCrashed, so this is the
            # judge's own request (or a reply of trusted in-process code): the grader's failure.
            raise GraderError(f"the grader's request for {what} failed in the codec: {exc}") from None
        except (StudentTimeout, WorkerCrashed) as exc:
            # Don't pay for the same hang again; a module that breaks on import is broken for good.
            if exercise is not None and not getattr(exc, "module_loaded", True):
                self._poisoned[(exercise,)] = (type(exc), str(exc))
            elif isinstance(exc, StudentTimeout):
                self._poisoned[(exercise, name)] = (StudentTimeout, f"{what} timed out earlier, so it was not run again")
            raise
        if reply.get("ok") is not True:
            error = reply.get("error") if type(reply.get("error")) is dict else {}
            if op == "task" and error.get("kind") in REPLAYED_KINDS:
                check_against_reference(self._transport, exercise, name, args, kwargs, error)
            raise_remote(error, what)
        return value

    def close(self):
        self._transport.close()


class _ExerciseProxy:
    def __init__(self, submission, exercise):
        self._submission, self._exercise = submission, exercise

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return _FunctionProxy(self._submission, self._exercise, name)


class _FunctionProxy:
    def __init__(self, submission, exercise, name):
        self._submission, self._exercise, self._name = submission, exercise, name

    def __call__(self, *args, **kwargs):
        return self._submission._request("call", self._exercise, self._name, args, kwargs,
                                         None, f"{self._name}()")

    def probe(self, *args, **kwargs):
        """Call and also report {'result', 'inputs_unchanged', 'rng_next'}, decided here (judge_probe)."""
        what = f"{self._name}()"
        reply = self._submission._request("probe", self._exercise, self._name, args, kwargs, None, what)
        return judge_probe(reply, [*args, *kwargs.values()], what)


def judge_probe(reply, inputs, what) -> dict:
    """{'result', 'inputs_unchanged', 'rng_next'} of a probed call, decided in the judge.

    `inputs` are the judge's own values, which never left this process; the worker hands back
    the inputs as they were after the call and each generator's state (grader.sandboxed.calls),
    and the judge compares them and draws the next number itself. Student code can't reach the
    comparison, and a reply of the wrong shape is the student's (nothing else writes it)."""
    after = reply.get("inputs_after") if isinstance(reply, dict) else None
    if not isinstance(after, list) or len(after) != len(inputs):
        raise StudentCodeError(f"{what} returned something the grader can't read: the call's inputs are missing")
    unchanged, rng_next = True, None
    for before, now in zip(inputs, after):
        if isinstance(before, Seeded):
            if rng_next is None:
                rng_next = _next_draw(now, what)
        elif not _unchanged(before, now):
            unchanged = False
    return {"result": reply.get("result"), "inputs_unchanged": unchanged, "rng_next": rng_next}


def _unchanged(before, after) -> bool:
    """Bit for bit, so that NaNs and -0.0 count as unchanged only if they were there before."""
    if isinstance(before, torch.Tensor):
        if not isinstance(after, torch.Tensor) or before.dtype != after.dtype or before.shape != after.shape:
            return False
        return torch.equal(before.contiguous().reshape(-1).view(torch.uint8),
                           after.contiguous().reshape(-1).view(torch.uint8))
    if isinstance(before, np.ndarray):
        return (isinstance(after, np.ndarray) and before.dtype == after.dtype and before.shape == after.shape
                and before.tobytes() == np.ascontiguousarray(after).tobytes())
    if isinstance(before, (list, tuple)):
        return (isinstance(after, (list, tuple)) and len(before) == len(after)
                and all(_unchanged(b, a) for b, a in zip(before, after)))
    if isinstance(before, dict):
        return (isinstance(after, dict) and before.keys() == after.keys()
                and all(_unchanged(before[k], after[k]) for k in before))
    return True  # numbers and strings are immutable


def _next_draw(after, what) -> float:
    """The next `random()` of a generator in the state the worker reports, drawn here."""
    state = after.get("rng_state") if isinstance(after, dict) else None
    try:
        if not isinstance(state, dict) or state.get("bit_generator") != "PCG64":
            raise ValueError("not a PCG64 state")
        bit_generator = np.random.PCG64()
        bit_generator.state = {"bit_generator": "PCG64",
                               "state": {"state": int(state["state"]), "inc": int(state["inc"])},
                               "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}
    except (KeyError, TypeError, ValueError, OverflowError):
        raise StudentCodeError(f"{what} left its rng in a state the grader can't read") from None
    return float(np.random.Generator(bit_generator).random())
