"""The worker: loads a submission's modules and answers the judge's requests.

It runs inside the sandbox with nothing but the submission and this kit. Whatever it
returns is plain data (see codec); the judge trusts none of it beyond its type.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from pathlib import Path

import numpy as np

from . import codec, eager
from .calls import probe_call
from .layout import MODULES, NOTE_FILE


class ModuleLoadError(Exception):
    """The student's module is missing or failed to import."""


class Dispatcher:
    """Resolves requests against one submission directory (ex1/shapes.py, ...)."""

    def __init__(self, root, module_prefix=""):
        self.root = Path(root)
        self.module_prefix = module_prefix  # keeps two in-process submissions apart in sys.modules
        self._modules = {}
        self.loads: list[str] = []  # every exercise asked for, in order: shows what a suite touches
        eager.install()  # before any student code can train

    def load(self, exercise):
        if exercise not in MODULES:
            raise ModuleLoadError(f"unknown exercise {exercise!r}")
        self.loads.append(exercise)
        if exercise not in self._modules:
            self._modules[exercise] = self._import(exercise)
        module = self._modules[exercise]
        if isinstance(module, BaseException):
            raise ModuleLoadError(_describe_import_failure(exercise, module)) from None
        return module

    def _import(self, exercise):
        """Import the exercise's module with its folder first on sys.path, so its own helpers
        (ex3/helpers.py) load; they leave sys.modules afterwards, so ex4/helpers.py loads fresh."""
        folder = self.root / exercise
        path = folder / f"{MODULES[exercise]}.py"
        note = folder / NOTE_FILE
        note = note.read_text(encoding="utf-8", errors="replace") if note.is_file() else ""
        if not path.is_file():
            return FileNotFoundError(f"{exercise}/{path.name} is missing from the submission"
                                     + (f" ({note})" if note else ""))
        if note:  # a helper was refused (grader/intake.py): the module would import the wrong one
            return ModuleLoadError(note)
        name = self.module_prefix + MODULES[exercise]
        helpers = [p.stem for p in folder.glob("*.py") if p != path]
        saved = {h: sys.modules.pop(h) for h in helpers if h in sys.modules}
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        sys.path.insert(0, str(folder))
        try:
            spec.loader.exec_module(module)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt are student errors too
            sys.modules.pop(name, None)
            return exc
        finally:
            if str(folder) in sys.path:
                sys.path.remove(str(folder))
            for helper in helpers:  # the module keeps its own references to them
                sys.modules.pop(helper, None)
            sys.modules.update(saved)
        return module

    def handle(self, request: dict, buffers: list[bytes]):
        """Answer one request; returns (reply dict, reply buffers). The reply names its request."""
        try:
            payload = codec.decode(request["payload"], buffers, make_rng=np.random.default_rng)
            value = self._run(request["op"], request.get("exercise"), request.get("name"), payload)
            header, out = codec.encode(value)
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a reply
            return {"id": request.get("id"), "ok": False, "error": describe_exception(exc)}, []
        return {"id": request.get("id"), "ok": True, "payload": header}, out

    def _run(self, op, exercise, name, payload):
        args, kwargs = payload
        if op == "call":
            return getattr(self.load(exercise), name)(*args, **kwargs)
        if op == "probe":
            return probe_call(getattr(self.load(exercise), name), args, kwargs)
        if op == "value":
            return getattr(self.load(exercise), name)
        if op == "task":  # a registered probe, named on the wire; it loads its own exercise
            fn = probes().get(name)
            if fn is None:
                raise KeyError(f"unknown probe {name!r}")
            return fn(self.load(fn.probe_exercise), *args, **kwargs)
        if op == "load":
            self.load(exercise)
            return None
        raise ValueError(f"unknown op {op!r}")


def probes() -> dict:
    """The course's registered probes. The course package is `grader.course` in the judge and
    `course` in the kit (grader.sandbox.make_kit), so it is imported by name at run time."""
    parent = (__package__ or "").rpartition(".")[0]
    probing = importlib.import_module(f"{parent}.course.probing" if parent else "course.probing")
    return probing.load_probes()


def _describe_import_failure(exercise, exc):
    if isinstance(exc, (FileNotFoundError, ModuleLoadError)):
        return str(exc)
    if isinstance(exc, SyntaxError):
        return f"{exercise}/{MODULES[exercise]}.py has a syntax error on line {exc.lineno}: {exc.msg}"
    if isinstance(exc, SystemExit):
        return f"{exercise}/{MODULES[exercise]}.py called exit() while being imported"
    return f"{exercise}/{MODULES[exercise]}.py failed to import: {type(exc).__name__}: {exc}"


def describe_exception(exc: BaseException) -> dict:
    """Name the nearest builtin exception class so the judge can re-raise a safe equivalent."""
    builtin = next((c.__name__ for c in type(exc).__mro__
                    if c.__module__ == "builtins" and isinstance(c, type)), "Exception")
    kind = "exception"
    if isinstance(exc, ModuleLoadError):
        kind = "import"
    elif isinstance(exc, NotImplementedError):
        kind = "not_implemented"
    elif isinstance(exc, SystemExit):
        kind = "exit"
    elif isinstance(exc, codec.CodecError):
        kind = "codec"
    try:
        message = str(exc)[:2000]
    except BaseException:  # noqa: BLE001 - a hostile __str__
        message = "<unprintable message>"
    frames = traceback.extract_tb(exc.__traceback__)
    where = frames[-1].name if frames else ""
    return {"kind": kind, "builtin": builtin, "type": type(exc).__name__[:100],
            "message": message, "where": where[:100]}


def serve(root, fd_in: int, fd_out: int):
    """Answer requests until the judge closes the pipe; exit without running atexit hooks."""
    dispatcher = Dispatcher(root)
    reader = os.fdopen(fd_in, "rb", buffering=0)

    def read_exactly(n):
        chunks, left = [], n
        while left:
            chunk = reader.read(left)
            if not chunk:
                raise EOFError
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    _write_frame(fd_out, codec.pack({"ready": True}))
    while True:
        try:
            request, buffers = codec.read_frame(read_exactly)
        except EOFError:
            break
        reply, out = dispatcher.handle(request, buffers)
        sys.stdout.flush()
        sys.stderr.flush()
        _write_frame(fd_out, codec.pack(reply, out))
    os._exit(0)


def _write_frame(fd, frame):
    view = memoryview(frame)
    while view:
        view = view[os.write(fd, view):]
