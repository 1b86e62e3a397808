"""Probes of exercises 6 and 7: work on live student models that runs beside the student
code and hands back plain data only.

- ex6: `ex6_model_summary`, `ex6_train_and_predict` (trains on the student's `make_dataset`).
- ex7: `ex7_inspect`, `ex7_features_layers`, `ex7_forward_fixed_weights`, `ex7_wrong_size`,
  `ex7_train_and_predict` (trains on the lab's four-class data).

Nothing here trusts a student object: parameters are counted with `p.numel()`, inputs are
built here, and every result is converted to tensors, ints, floats, strings or lists.
Model construction and training consume the global torch RNG, so they run under
`torch.random.fork_rng` with an explicit seed: the caller's RNG state is left as it was.
Labels of the evaluation images never come here: the judge scores the returned logits.
"""

from __future__ import annotations

import math
import zlib
from typing import TypedDict

import torch
from torch import nn

import cnnlab

from . import probe

MAX_PARAMS_EX6 = 100_000  # the hidden suite imports it: one number on both sides of the seam


class TrainResult(TypedDict):
    params: int
    logits: torch.Tensor | None  # None when the model is over its parameter budget
    history: list  # validation accuracy after each epoch (floats)


class ModelSummaryEntry(TypedDict, total=False):
    num_classes: int | None  # None: `build_model()` with its default
    is_module: bool
    params: int  # the rest only when `is_module`
    shape: list
    dtype: str
    looks_like_probabilities: bool
    error: str  # instead of shape/dtype when the forward pass failed


class InspectEntry(TypedDict, total=False):
    size: int
    num_classes: int
    error: str  # construction failed; nothing else then
    params: int
    features_shape: list | str  # a shape, or a one-line failure
    logits_shape: list | str


class WrongSize(TypedDict, total=False):
    raised: str | None  # nearest builtin exception class, None if it returned normally
    type: str
    message: str


def _params(model) -> int:
    return int(sum(p.numel() for p in model.parameters()))


def _seeded(seed, build):
    """`build()` with the global torch RNG seeded to `seed`, restored afterwards."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def _error(exc: BaseException) -> str:
    """A one-line description of a student failure; NotImplementedError keeps propagating."""
    if isinstance(exc, NotImplementedError):
        raise exc
    return f"{type(exc).__name__}: {str(exc)[:300]}"


def _logits(model, X):
    model.eval()
    with torch.no_grad():
        out = model(X)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"the model returned {type(out).__name__}, not a tensor of logits")
    return torch.Tensor.as_subclass(out, torch.Tensor).detach().cpu()


def _train_and_predict(model_fn, data, seed, epochs, X_eval, max_params=None):
    """Build (seeded), count, train with the lab's loop and optimiser, predict `X_eval`."""

    def run():
        model = model_fn()
        params = _params(model)
        if max_params is not None and params > max_params:
            return {"params": params, "logits": None, "history": []}
        history = cnnlab.train(model, *data, epochs=epochs, lr=cnnlab.LR)
        return {"params": params, "logits": _logits(model, X_eval),
                "history": [float(h["val_acc"]) for h in history]}

    return _seeded(seed, run)


# ---------------------------------------------------------------- ex6


def _check_dataset(data, where):
    if not (isinstance(data, (tuple, list)) and len(data) == 4
            and all(isinstance(t, torch.Tensor) for t in data)):
        raise TypeError(f"{where} should return a tuple of 4 tensors (X_train, y_train, X_val, y_val)")
    return tuple(torch.Tensor.as_subclass(t, torch.Tensor).detach() for t in data)


@probe("ex6")
def ex6_model_summary(mod, num_classes_list, batch=3, seed=0) -> list[ModelSummaryEntry]:
    """For `build_model()` and `build_model(num_classes=c)`: parameters and logits' shape/dtype."""
    x = torch.rand(batch, 1, 16, 16, generator=torch.Generator().manual_seed(seed))
    out = []
    for c in num_classes_list:
        model = _seeded(seed, mod.build_model if c is None else (lambda c=c: mod.build_model(num_classes=c)))
        entry = {"num_classes": c, "is_module": isinstance(model, nn.Module)}
        if entry["is_module"]:
            entry["params"] = _params(model)
            try:
                logits = _logits(model, x)
                entry["shape"], entry["dtype"] = list(logits.shape), str(logits.dtype)
                rows = logits.double()
                entry["looks_like_probabilities"] = bool(
                    rows.dim() == 2 and (rows >= 0).all() and ((rows.sum(dim=1) - 1).abs() < 1e-4).all())
            except Exception as exc:  # noqa: BLE001 - reported to the student
                entry["error"] = _error(exc)
        out.append(entry)
    return out


@probe("ex6")
def ex6_train_and_predict(mod, seed, epochs, X_eval) -> TrainResult:
    """Train `build_model()` on the student's `make_dataset(seed=seed)`; logits for `X_eval`."""
    data = _check_dataset(mod.make_dataset(seed=seed), "make_dataset()")
    return _train_and_predict(mod.build_model, data, seed, epochs, X_eval, max_params=MAX_PARAMS_EX6)


# ---------------------------------------------------------------- ex7


def _describe_layer(m) -> list:
    """Type and hyper-parameters of one layer, as plain data."""
    def ints(v):
        return [int(a) for a in (v if isinstance(v, (tuple, list)) else (v, v))]

    if isinstance(m, nn.Conv2d):
        return ["Conv2d", int(m.in_channels), int(m.out_channels), ints(m.kernel_size), ints(m.stride),
                str(m.padding) if isinstance(m.padding, str) else ints(m.padding),
                ints(m.dilation), int(m.groups), m.bias is not None]
    if isinstance(m, nn.MaxPool2d):
        return ["MaxPool2d", ints(m.kernel_size), ints(m.stride if m.stride is not None else m.kernel_size),
                ints(m.padding), ints(m.dilation), bool(m.ceil_mode)]
    if isinstance(m, nn.Linear):
        return ["Linear", int(m.in_features), int(m.out_features), m.bias is not None]
    for kind in (nn.ReLU, nn.Flatten, nn.AdaptiveAvgPool2d, nn.AvgPool2d, nn.BatchNorm2d, nn.Dropout):
        if isinstance(m, kind):
            return [kind.__name__]
    return [type(m).__name__[:60]]


def _leaves(module):
    return [m for m in module.modules() if next(m.children(), None) is None]


@probe("ex7")
def ex7_features_layers(mod, input_size=16, num_classes=4) -> list[list]:
    """The leaf layers of `model.features`, described by `_describe_layer`."""
    model = _seeded(0, lambda: mod.FlattenHeadCNN(num_classes=num_classes, input_size=input_size))
    features = getattr(model, "features", None)
    if not isinstance(features, nn.Module):
        raise AttributeError("FlattenHeadCNN has no `features` module")
    return [_describe_layer(m) for m in _leaves(features)]


@probe("ex7")
def ex7_inspect(mod, sizes, num_classes_list, batch=2) -> list[InspectEntry]:
    """For each (input size, num_classes): parameters, and the shapes `features` and the model give."""
    out = []
    for size in sizes:
        x = torch.rand(batch, 1, size, size, generator=torch.Generator().manual_seed(size))
        for c in num_classes_list:
            entry = {"size": size, "num_classes": c}
            try:
                model = _seeded(size, lambda: mod.FlattenHeadCNN(num_classes=c, input_size=size))
            except Exception as exc:  # noqa: BLE001 - reported to the student
                entry["error"] = _error(exc)
                out.append(entry)
                continue
            entry["params"] = _params(model)
            for key, fn in (("features_shape", lambda: model.features(x)), ("logits_shape", lambda: model(x))):
                try:
                    with torch.no_grad():
                        y = fn()
                    entry[key] = list(y.shape) if isinstance(y, torch.Tensor) else f"not a tensor: {type(y).__name__}"
                except Exception as exc:  # noqa: BLE001 - reported to the student
                    entry[key] = _error(exc)
            out.append(entry)
    return out


def _fill_by_shape(model, seed):
    """Give every parameter values that depend only on its shape, so that two models with the
    same layers compute the same function whatever order they registered them in."""
    with torch.no_grad():
        for p in model.parameters():
            key = zlib.crc32(repr(tuple(p.shape)).encode())
            g = torch.Generator().manual_seed(seed * 1_000_003 + key)
            fan_in = max(1, p[0].numel()) if p.dim() > 1 else 10
            p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))


@probe("ex7")
def ex7_forward_fixed_weights(mod, input_size, num_classes, seed, batch=4) -> torch.Tensor:
    """Logits of `FlattenHeadCNN` with shape-determined weights on a fixed random batch."""
    model = _seeded(seed, lambda: mod.FlattenHeadCNN(num_classes=num_classes, input_size=input_size))
    _fill_by_shape(model, seed)
    x = torch.rand(batch, 1, input_size, input_size, generator=torch.Generator().manual_seed(seed))
    return _logits(model, x)


@probe("ex7")
def ex7_wrong_size(mod, input_size, shape) -> WrongSize:
    """Call a model built for `input_size` on zeros of `shape`: what did it raise?"""
    model = _seeded(0, lambda: mod.FlattenHeadCNN(input_size=input_size))
    try:
        with torch.no_grad():
            model(torch.zeros(shape))
    except Exception as exc:  # noqa: BLE001 - the point of the probe
        if isinstance(exc, NotImplementedError):
            raise
        builtin = next(c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins")
        return {"raised": builtin, "type": type(exc).__name__[:60], "message": str(exc)[:300]}
    return {"raised": None}


@probe("ex7")
def ex7_train_and_predict(mod, seed, epochs, X_eval, data_seed) -> TrainResult:
    """Train `FlattenHeadCNN()` on the lab's `make_line_dataset(seed=data_seed)`; logits for `X_eval`."""
    data = cnnlab.make_line_dataset(seed=data_seed)
    return _train_and_predict(lambda: mod.FlattenHeadCNN(num_classes=4, input_size=16),
                              data, seed, epochs, X_eval)
