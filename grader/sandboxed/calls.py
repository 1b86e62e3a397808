"""`probe_call`: call one function of the submission and hand back what the judge needs to
see what else it did: the inputs as they are after the call, and each generator's state.

Nothing is decided here. This code runs beside the student's, which can replace any of it, so
the judge compares the inputs with its own copies and works out the next draw from the state
itself (grader.seam.judge_probe). Generic, so it stays in the worker package; the per-exercise
probes live in grader/course/<id>/probes.py (see grader/course/probing.py).
"""

from __future__ import annotations

import numpy as np


def _after(value):
    """An input as it is now; a generator becomes its state, which is plain data."""
    if isinstance(value, np.random.Generator):
        state = value.bit_generator.state
        return {"rng_state": {"bit_generator": str(state.get("bit_generator")),
                              "state": int(state["state"]["state"]), "inc": int(state["state"]["inc"]),
                              "has_uint32": int(state.get("has_uint32", 0)),
                              "uinteger": int(state.get("uinteger", 0))}}
    if isinstance(value, (list, tuple)):
        return [_after(v) for v in value]
    if isinstance(value, dict):
        return {k: _after(v) for k, v in value.items()}
    return value


def probe_call(fn, args, kwargs):
    """Call fn; return its result and every input (args, then kwargs in order) after the call."""
    result = fn(*args, **kwargs)
    return {"result": result, "inputs_after": [_after(v) for v in (*args, *kwargs.values())]}
