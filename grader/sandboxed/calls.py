"""`probe_call`: call one function of the submission and report what else it did (mutated
its inputs? advanced its rng?). Generic, so it stays in the worker package; the per-exercise
probes live in grader/course/<id>/probes.py (see grader/course/probing.py).
"""

from __future__ import annotations

import numpy as np
import torch


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
