"""Probes of exercise 7: `ex7_inspect`, `ex7_features_layers`, `ex7_forward_fixed_weights`,
`ex7_wrong_size`, `ex7_train_and_predict` (trains on the lab's four-class data). As in ex6,
nothing here trusts a student object, models are built under a seeded `fork_rng`, and labels
of the evaluation images never come here.
"""

from __future__ import annotations

import math
import zlib
from typing import TypedDict

import torch
from torch import nn

import cnnlab

from ..probing import TrainResult, error, logits, params, probe, seeded, train_and_predict


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
    model = seeded(0, lambda: mod.FlattenHeadCNN(num_classes=num_classes, input_size=input_size))
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
                model = seeded(size, lambda: mod.FlattenHeadCNN(num_classes=c, input_size=size))
            except Exception as exc:  # noqa: BLE001 - reported to the student
                entry["error"] = error(exc)
                out.append(entry)
                continue
            entry["params"] = params(model)
            for key, fn in (("features_shape", lambda: model.features(x)), ("logits_shape", lambda: model(x))):
                try:
                    with torch.no_grad():
                        y = fn()
                    entry[key] = list(y.shape) if isinstance(y, torch.Tensor) else f"not a tensor: {type(y).__name__}"
                except Exception as exc:  # noqa: BLE001 - reported to the student
                    entry[key] = error(exc)
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
    model = seeded(seed, lambda: mod.FlattenHeadCNN(num_classes=num_classes, input_size=input_size))
    _fill_by_shape(model, seed)
    x = torch.rand(batch, 1, input_size, input_size, generator=torch.Generator().manual_seed(seed))
    return logits(model, x)


@probe("ex7")
def ex7_wrong_size(mod, input_size, shape) -> WrongSize:
    """Call a model built for `input_size` on zeros of `shape`: what did it raise?"""
    model = seeded(0, lambda: mod.FlattenHeadCNN(input_size=input_size))
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
    return train_and_predict(lambda: mod.FlattenHeadCNN(num_classes=4, input_size=16),
                              data, seed, epochs, X_eval)
