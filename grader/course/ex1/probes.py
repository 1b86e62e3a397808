"""ex1 probes: things about `shapes.py` that need live layers or many calls at once.

`trace_shapes` takes real `nn.Module`s, which can't cross the seam, so the judge sends a
plain description of the layers and they are built here, beside the student code. Whether a
forward runs is not watched here, where the student's code could forge it: the judge reads the
source instead (grader.source_checks.forward_calls).
"""

from __future__ import annotations

import numbers
from typing import TypedDict

import torch
from torch import nn

from ..probing import probe


class ErrorInfo(TypedDict):
    type: str
    is_value_error: bool
    message: str


class SizeCase(TypedDict, total=False):
    """Either `kind` and `value` (and `repr` when it is not an int or tuple of ints), or `error`."""
    kind: str  # "int", "tuple" or the type name of what came back
    value: object
    repr: str
    error: ErrorInfo


class TraceCase(TypedDict):
    shapes: list | None  # int tuples
    well_formed: bool  # a list of tuples of ints, as the contract says
    returned: str | None  # type name
    error: ErrorInfo | None

# Layer types a hidden test may ask for (the supported ones and a few unsupported ones).
LAYER_TYPES = {
    name: getattr(nn, name)
    for name in ("Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "ReLU", "BatchNorm2d",
                 "Dropout", "Flatten", "Linear", "Sigmoid", "Upsample", "AdaptiveMaxPool2d",
                 "Identity")
}


def _error(exc):
    return {"type": type(exc).__name__, "is_value_error": isinstance(exc, ValueError),
            "message": str(exc)[:500]}


def _plain_int(value):
    return isinstance(value, (int, numbers.Integral)) and not isinstance(value, bool)


def _describe_return(value):
    """A plain, honest picture of a size function's return value."""
    if _plain_int(value):
        return {"kind": "int", "value": int(value)}
    if isinstance(value, tuple) and all(_plain_int(v) for v in value):
        return {"kind": "tuple", "value": tuple(int(v) for v in value)}
    return {"kind": type(value).__name__, "value": None, "repr": repr(value)[:100]}


@probe("ex1")
def ex1_size_cases(shapes, func, cases) -> list[SizeCase]:
    """Call `shapes.<func>(*args, **kwargs)` for every `(args, kwargs)` case.

    Returns one dict per case: `{"kind": "int"|"tuple"|<type name>, "value": ...}` or
    `{"error": {...}}`. NotImplementedError propagates (the seam reports it as such)."""
    if func not in ("conv2d_output_size", "pool2d_output_size"):
        raise ValueError(f"unknown size function {func!r}")
    fn = getattr(shapes, func)
    out = []
    for args, kwargs in cases:
        try:
            value = fn(*args, **kwargs)
        except NotImplementedError:
            raise
        except Exception as exc:  # noqa: BLE001 - every student failure is reported as data
            out.append({"error": _error(exc)})
            continue
        out.append(_describe_return(value))
    return out


def _build(description):
    """nn.Sequential from `[(type_name, kwargs), ...]`, initialised deterministically."""
    layers = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        for kind, kwargs in description:
            layers.append(LAYER_TYPES[kind](**kwargs))
    return nn.Sequential(*layers)


def _trace_one(fn, description, input_shape):
    model = _build(description)
    result = {"shapes": None, "well_formed": False, "returned": None, "error": None}
    try:
        value = fn(model, tuple(input_shape))
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001
        result["error"] = _error(exc)
    else:
        result["returned"] = type(value).__name__
        try:
            items = list(value)
            result["shapes"] = [tuple(int(d) for d in shape) for shape in items]
            result["well_formed"] = isinstance(value, list) and all(
                isinstance(shape, tuple) and all(_plain_int(d) for d in shape) for shape in items)
        except Exception:  # noqa: BLE001 - not a list of shapes at all
            result["shapes"] = None
    return result


@probe("ex1")
def ex1_trace_cases(shapes, cases) -> list[TraceCase]:
    """Run the submission's `trace_shapes` on each `(description, input_shape)` case.

    Returns per case: `shapes` (list of int tuples, or None), `well_formed` (a list of tuples
    of ints, as the contract says), `returned` (type name) and `error` (None or
    `{"type", "is_value_error", "message"}`)."""
    fn = shapes.trace_shapes
    return [_trace_one(fn, description, input_shape) for description, input_shape in cases]
