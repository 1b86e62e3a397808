"""Probes of exercise 7: `ex7_architecture` describes `FlattenHeadCNN(...).features` and
`.head` as plain data (traced apart: `forward`'s size check is data-dependent control flow,
which tracing can't follow); the judge rebuilds and runs `head(features(x))` itself.
`ex7_forward_contract` calls the student's own `forward` (the size check can only be seen by
calling it), so what it returns is only worth the one point of the test that reads it.
"""

from __future__ import annotations

from typing import TypedDict

import torch

from ..probing import ModelDescription, describe_model, error, probe, seeded


class PartsEntry(TypedDict, total=False):
    size: int
    num_classes: int
    error: str  # construction failed; nothing else then
    features: ModelDescription
    head: ModelDescription


class WrongSize(TypedDict, total=False):
    raised: str | None  # nearest builtin exception class, None if it returned normally
    type: str
    message: str


class ForwardContract(TypedDict):
    wrong_sizes: list  # one WrongSize per shape
    same_as_parts: bool | str  # forward(x) == head(features(x)) at the right size, with a gradient;
    # otherwise a string says why not


def _build(mod, num_classes, input_size):
    return seeded(0, lambda: mod.FlattenHeadCNN(num_classes=num_classes, input_size=input_size))


@probe("ex7")
def ex7_architecture(mod, sizes, num_classes_list) -> list[PartsEntry]:
    """For each (input size, num_classes): the descriptions of `model.features` and `model.head`."""
    out = []
    for size in sizes:
        for c in num_classes_list:
            entry = {"size": size, "num_classes": c}
            try:
                model = _build(mod, c, size)
            except Exception as exc:  # noqa: BLE001 - reported to the student
                entry["error"] = error(exc)
                out.append(entry)
                continue
            for part in ("features", "head"):
                entry[part] = describe_model(getattr(model, part, None))
            out.append(entry)
    return out


def _outcome(call):
    try:
        with torch.no_grad():
            return call(), None
    except Exception as exc:  # noqa: BLE001 - the point of the probe
        if isinstance(exc, NotImplementedError):
            raise
        return None, exc


@probe("ex7")
def ex7_forward_contract(mod, input_size, wrong_shapes) -> ForwardContract:
    """Does `forward` reject each wrong shape, and is it `head(features(x))` (with a gradient in
    training mode) at the right size?"""
    model = _build(mod, 4, input_size)
    model.eval()
    wrong = []
    for shape in wrong_shapes:
        _, exc = _outcome(lambda: model(torch.zeros(shape)))
        if exc is None:
            wrong.append({"raised": None})
        else:
            builtin = next(c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins")
            wrong.append({"raised": builtin, "type": type(exc).__name__[:60], "message": str(exc)[:300]})
    x = torch.rand(2, 1, input_size, input_size, generator=torch.Generator().manual_seed(input_size))
    whole, whole_exc = _outcome(lambda: model(x))
    parts, parts_exc = _outcome(lambda: model.head(model.features(x)))
    if whole_exc is not None and parts_exc is not None:  # both fail: the shape tests say why
        same = True
    elif whole_exc is not None or parts_exc is not None:
        same = (f"forward(x) {'raised ' + error(whole_exc) if whole_exc else 'returned'} but "
                f"head(features(x)) {'raised ' + error(parts_exc) if parts_exc else 'returned'}")
    elif not (isinstance(whole, torch.Tensor) and isinstance(parts, torch.Tensor)
              and whole.shape == parts.shape and torch.allclose(whole, parts, atol=1e-5)):
        same = "forward(x) returns something else than head(features(x))"
    else:
        model.train()
        trained = model(x)  # with gradients, as the training loop calls it
        same = True if isinstance(trained, torch.Tensor) and trained.requires_grad else (
            "forward(x) returns a tensor without a gradient (no_grad or detach in forward?): the model can't train")
    return {"wrong_sizes": wrong, "same_as_parts": same}
