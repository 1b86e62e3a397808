"""Probes of exercise 6: `ex6_model_summary` and `ex6_train_and_predict` (trains on the
student's `make_dataset`). Nothing here trusts a student object: parameters are counted with
`p.numel()`, inputs are built here, and every result is plain data. Model construction and
training run under a seeded `fork_rng` (grader/course/probing.py), leaving the caller's RNG as
it was. Labels of the evaluation images never come here: the judge scores the returned logits.
"""

from __future__ import annotations

from typing import TypedDict

import torch
from torch import nn

from ..probing import TrainResult, error, logits, params, probe, seeded, train_and_predict

MAX_PARAMS_EX6 = 100_000  # the hidden suite imports it: one number on both sides of the seam


class ModelSummaryEntry(TypedDict, total=False):
    num_classes: int | None  # None: `build_model()` with its default
    is_module: bool
    params: int  # the rest only when `is_module`
    shape: list
    dtype: str
    looks_like_probabilities: bool
    error: str  # instead of shape/dtype when the forward pass failed


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
        model = seeded(seed, mod.build_model if c is None else (lambda c=c: mod.build_model(num_classes=c)))
        entry = {"num_classes": c, "is_module": isinstance(model, nn.Module)}
        if entry["is_module"]:
            entry["params"] = params(model)
            try:
                out_logits = logits(model, x)
                entry["shape"], entry["dtype"] = list(out_logits.shape), str(out_logits.dtype)
                rows = out_logits.double()
                entry["looks_like_probabilities"] = bool(
                    rows.dim() == 2 and (rows >= 0).all() and ((rows.sum(dim=1) - 1).abs() < 1e-4).all())
            except Exception as exc:  # noqa: BLE001 - reported to the student
                entry["error"] = error(exc)
        out.append(entry)
    return out


@probe("ex6")
def ex6_train_and_predict(mod, seed, epochs, X_eval) -> TrainResult:
    """Train `build_model()` on the student's `make_dataset(seed=seed)`; logits for `X_eval`."""
    data = _check_dataset(mod.make_dataset(seed=seed), "make_dataset()")
    return train_and_predict(mod.build_model, data, seed, epochs, X_eval, max_params=MAX_PARAMS_EX6)
