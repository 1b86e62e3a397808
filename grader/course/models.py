"""The hidden suites' model work, done in the judge on the model rebuilt from its description
(grader/architecture.py): rebuild with a student-facing message, check a data set handed back
by student code, and train with the lab's own loop under a CPU-time deadline.

Nothing here runs student code: the worker only described the architecture.
"""

from __future__ import annotations

import time

import torch

import cnnlab
from grader import architecture, limits
from grader.failures import StudentTimeout


def rebuild(*descriptions, what) -> architecture.Architecture:
    """The checked architecture of `descriptions` (parts run in order); a refusal fails the test."""
    try:
        return architecture.parse(*descriptions)
    except architecture.Refused as exc:
        raise AssertionError(f"{what}: {exc}") from None


def output(arch, shape, *, what):
    """(shape, dtype) of the model's output for an input of `shape`, on meta tensors."""
    try:
        return arch.check(shape, what=what)
    except architecture.Refused as exc:
        raise AssertionError(f"{what}: {exc}") from None
    except architecture.Fails as exc:
        raise AssertionError(str(exc)) from None


def check_dataset(data, *, num_classes, size, what):
    """`(X_train, y_train, X_val, y_val)` handed back by student code, checked before training."""
    assert isinstance(data, tuple) and len(data) == 4 and all(isinstance(t, torch.Tensor) for t in data), (
        f"{what} should return a tuple of 4 tensors (X_train, y_train, X_val, y_val)")
    cap = limits.DEFAULT.model_max_images
    for X, y, split in ((data[0], data[1], "training"), (data[2], data[3], "validation")):
        assert X.dtype == torch.float32 and X.dim() == 4 and tuple(X.shape[1:]) == (1, size, size), (
            f"{what}: {split} images should be float32 [N, 1, {size}, {size}], got {X.dtype} {tuple(X.shape)}")
        assert y.dtype == torch.int64 and tuple(y.shape) == (len(X),), (
            f"{what}: {split} labels should be int64 [{len(X)}], got {y.dtype} {tuple(y.shape)}")
        assert len(X) >= 1, f"{what}: the {split} split is empty"
        assert bool(((y >= 0) & (y < num_classes)).all()), f"{what}: {split} labels should be in 0..{num_classes - 1}"
    total = len(data[0]) + len(data[2])
    assert total <= cap, f"{what} returned {total:,} images; the grader trains on at most {cap:,}"
    return data


class _OutOfTime(Exception):
    pass


def train_and_predict(arch, seed, data, epochs, X_eval, *, timeout_s, what) -> dict:
    """Initialise `arch` under `seed`, train it with the lab's loop (`cnnlab.train`, lr
    `cnnlab.LR`) on `data` within `timeout_s` of CPU time, and return {"logits" of `X_eval`,
    "history" (val_acc per epoch)}. Dropout draws from the same seeded RNG, restored afterwards."""
    for X in (data[0], data[2], X_eval):
        output(arch, tuple(X.shape), what=what)  # caps for the largest batch, before any real work
    deadline = time.process_time() + timeout_s

    def on_time(module, inputs):
        if time.process_time() > deadline:
            raise _OutOfTime

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = arch.build()  # the layers' initialisation draws from the seeded RNG, then dropout
        hook = model.register_forward_pre_hook(on_time)
        try:
            history = cnnlab.train(model, *data, epochs=epochs, lr=cnnlab.LR)
        except _OutOfTime:
            raise StudentTimeout(
                f"{what}: training your model for {epochs} epochs took more than {timeout_s:g} s of CPU time "
                "in the grader; use a smaller model (the lab's SmallCNN takes about 1 s)") from None
        finally:
            hook.remove()
        model.eval()
        with torch.no_grad():
            logits = model(X_eval)
    return {"logits": logits, "history": [float(h["val_acc"]) for h in history]}


def accuracy(logits, y) -> float:
    return (logits.argmax(dim=1) == y).double().mean().item()
