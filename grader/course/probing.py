"""The probe registry and the helpers that several exercises' probes share.

A probe is work that needs live objects (models, layers, generators): it runs in the worker,
beside the student code, and hands back plain data only. Each exercise keeps its probes in
grader/course/<id>/probes.py, registered with `@probe("<id>")`: the worker passes the
submission's module of that exercise as the first argument. Hidden suites import the function
and call `sub.run(fn, *args)`; the judge binds the arguments to the signature before sending
and sends only the registered name, so a typo fails in the judge.

This module and the probes are copied into the worker kit (by grader.sandbox.make_kit) as the
top-level package `course`, with the same layout as here: probes import it relatively
(`from ..probing import probe`), which works in the judge (grader.course) and in the kit
(course) alike. Nothing here imports grader.*.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TypedDict

import torch

import cnnlab

COURSE_DIR = Path(__file__).resolve().parent
PROBES_FILE = "probes.py"
_loaded = []  # load_probes() ran
PROBES = {}  # registered name -> function; the function's `probe_exercise` says what it loads


def probe(exercise):
    """Register `fn` as a probe of `exercise`, under its function name (unique across exercises).

    A course probe of exN must live in exN's folder (tests may register their own elsewhere)."""

    def register(fn):
        home = f"{__package__}.{exercise}.probes"
        if fn.__module__.startswith(f"{__package__}.") and fn.__module__ != home:
            raise ValueError(f"probe {fn.__name__} of {exercise!r} must be in {exercise}/{PROBES_FILE}, "
                             f"not in {fn.__module__}")
        old = PROBES.get(fn.__name__)
        if old is not None and (old.__module__, old.__qualname__) != (fn.__module__, fn.__qualname__):
            raise ValueError(f"two probes are named {fn.__name__!r}")
        fn.probe_exercise = exercise
        PROBES[fn.__name__] = fn
        return fn

    return register


def load_probes() -> dict:
    """Import every exercise's probes.py (those that have one) and return the registry."""
    if _loaded:
        return PROBES
    for folder in sorted(COURSE_DIR.iterdir()):
        if (folder / PROBES_FILE).is_file():
            importlib.import_module(f"{__package__}.{folder.name}.probes")
    _loaded.append(True)
    return PROBES


# ------------------------------------------------- shared by the model probes (ex6, ex7)


class TrainResult(TypedDict):
    params: int
    logits: torch.Tensor | None  # None when the model is over its parameter budget
    history: list  # validation accuracy after each epoch (floats)


def params(model) -> int:
    return int(sum(p.numel() for p in model.parameters()))


def seeded(seed, build):
    """`build()` with the global torch RNG seeded to `seed`, restored afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def error(exc: BaseException) -> str:
    """A one-line description of a student failure; NotImplementedError keeps propagating."""
    if isinstance(exc, NotImplementedError):
        raise exc
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def logits(model, X):
    model.eval()
    with torch.no_grad():
        out = model(X)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"the model returned {type(out).__name__}, not a tensor of logits")
    return torch.Tensor.as_subclass(out, torch.Tensor).detach().cpu()


def train_and_predict(model_fn, data, seed, epochs, X_eval, max_params=None) -> TrainResult:
    """Build (seeded), count, train with the lab's loop and optimiser, predict `X_eval`."""

    def run():
        model = model_fn()
        count = params(model)
        if max_params is not None and count > max_params:
            return {"params": count, "logits": None, "history": []}
        history = cnnlab.train(model, *data, epochs=epochs, lr=cnnlab.LR)
        return {"params": count, "logits": logits(model, X_eval),
                "history": [float(h["val_acc"]) for h in history]}

    return seeded(seed, run)
