"""Probes: work that needs live objects (models, layers, generators) runs here, beside the
student code, and hands back plain data only.

A probe is `fn(module, *args, **kwargs)`, registered with `@probe("ex6")`: the worker passes
the submission's module of that exercise. Hidden suites import the function and call
`sub.run(fn, *args)`; the judge binds the arguments to this signature before sending and
sends only the registered name, so the wire stays plain data and a typo fails in the judge.
Each probe documents its return value as a TypedDict (carried as a plain dict).
"""

from __future__ import annotations

import numpy as np
import torch

from ..layout import MODULES

PROBES = {}  # registered name -> function; the function's `probe_exercise` says what it loads


def probe(exercise):
    """Register `fn` as a probe of `exercise`, under its function name (unique across exercises)."""
    if exercise not in MODULES:
        raise ValueError(f"unknown exercise {exercise!r}")

    def register(fn):
        old = PROBES.get(fn.__name__)
        if old is not None and (old.__module__, old.__qualname__) != (fn.__module__, fn.__qualname__):
            raise ValueError(f"two probes are named {fn.__name__!r}")
        fn.probe_exercise = exercise
        PROBES[fn.__name__] = fn
        return fn

    return register


def _snapshot(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return [_snapshot(v) for v in value]
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    return None


def _unchanged(before, after):
    """Bit-for-bit, so that NaNs and -0.0 count as unchanged only if they were there before."""
    if isinstance(after, torch.Tensor):
        now = after.detach().contiguous()
        return before.dtype == now.dtype and before.shape == now.shape and torch.equal(
            before.reshape(-1).view(torch.uint8), now.reshape(-1).view(torch.uint8))
    if isinstance(after, np.ndarray):
        return before.shape == after.shape and before.tobytes() == np.ascontiguousarray(after).tobytes()
    if isinstance(after, (list, tuple)):
        return all(_unchanged(b, a) for b, a in zip(before, after))
    if isinstance(after, dict):
        return all(_unchanged(before[k], after[k]) for k in before)
    return True


def probe_call(fn, args, kwargs):
    """Call fn and report whether it mutated its inputs and how far it advanced its rng."""
    inputs = [*args, *kwargs.values()]
    before = [_snapshot(v) for v in inputs]
    result = fn(*args, **kwargs)
    rng = next((v for v in inputs if isinstance(v, np.random.Generator)), None)
    return {
        "result": result,
        "inputs_unchanged": all(_unchanged(b, a) for b, a in zip(before, inputs)),
        "rng_next": float(rng.random()) if rng is not None else None,
    }


def _register_topics():
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


_register_topics()
