"""ex4 probes: gradients, and which forbidden helpers `log_softmax` calls.

Autograd graphs can't cross the seam, so gradients are computed here and returned as
tensors. To see whether the student's `log_softmax` leans on a built-in softmax, every
forbidden function is replaced by a recording wrapper for the duration of the call (also
any alias of one in the student's module namespace) and restored afterwards.
"""

from __future__ import annotations

import contextlib
from typing import TypedDict

import torch
import torch.nn.functional as F

from ..probing import probe


class LogSoftmaxAudit(TypedDict):
    forbidden: list  # labels of forbidden functions called, in order
    returned: str  # type name of what came back
    output: torch.Tensor | None
    differentiable: bool
    grad: torch.Tensor | None


class SoftCeGradient(TypedDict):
    returned: str
    loss: torch.Tensor | None
    differentiable: bool
    grad: torch.Tensor | None

# (owner, attribute, label shown to the student)
FORBIDDEN = [
    (torch, "log_softmax", "torch.log_softmax"),
    (torch, "softmax", "torch.softmax"),
    (torch, "logsumexp", "torch.logsumexp"),
    (F, "log_softmax", "torch.nn.functional.log_softmax"),
    (F, "softmax", "torch.nn.functional.softmax"),
    (F, "cross_entropy", "torch.nn.functional.cross_entropy"),
    (F, "nll_loss", "torch.nn.functional.nll_loss"),
    (torch.Tensor, "log_softmax", "Tensor.log_softmax"),
    (torch.Tensor, "softmax", "Tensor.softmax"),
    (torch.Tensor, "logsumexp", "Tensor.logsumexp"),
    (torch.special, "log_softmax", "torch.special.log_softmax"),
    (torch.special, "softmax", "torch.special.softmax"),
    (torch.special, "logsumexp", "torch.special.logsumexp"),
]


@contextlib.contextmanager
def recording_forbidden(module):
    """Yield a list that collects the labels of forbidden functions called inside the block.

    Only the outermost forbidden call is recorded (F.log_softmax calls Tensor.log_softmax
    internally; the student called the former)."""
    called: list[str] = []
    depth = [0]
    originals: dict[int, str] = {}
    restore = []

    def wrap(original, label):
        def recorder(*args, **kwargs):
            if depth[0] == 0:
                called.append(label)
            depth[0] += 1
            try:
                return original(*args, **kwargs)
            finally:
                depth[0] -= 1

        recorder.__name__ = getattr(original, "__name__", label)
        return recorder

    try:
        for owner, attr, label in FORBIDDEN:
            original = getattr(owner, attr, None)
            if original is None:
                continue
            originals.setdefault(id(original), label)
            had_own = attr in vars(owner)
            restore.append((owner, attr, original, had_own))
            setattr(owner, attr, wrap(original, label))
        # `from torch.nn.functional import log_softmax` binds the original in the student's
        # namespace: wrap those aliases too.
        for name, value in list(vars(module).items()):
            label = originals.get(id(value))
            if label is not None:
                restore.append((module, name, value, True))
                setattr(module, name, wrap(value, label))
        yield called
    finally:
        for owner, attr, original, had_own in reversed(restore):
            if had_own:
                setattr(owner, attr, original)
            else:
                delattr(owner, attr)


def _leaf(values):
    return values.detach().clone().requires_grad_(True)


@probe("ex4")
def ex4_log_softmax_audit(module, logits, dim=-1, grad_weights=None) -> LogSoftmaxAudit:
    """Call the submission's log_softmax(logits, dim) on a leaf tensor.

    Returns `output` (detached tensor, or None with `returned` naming what came back),
    `forbidden` (labels of forbidden functions called, in order), `differentiable`, and
    `grad`: d(sum(output * grad_weights))/d(logits) when grad_weights is given."""
    z = _leaf(logits)
    with recording_forbidden(module) as called:
        out = module.log_softmax(z, dim=dim)
    result = {"forbidden": list(dict.fromkeys(called)), "returned": type(out).__name__,
              "output": None, "differentiable": False, "grad": None}
    if not isinstance(out, torch.Tensor):
        return result
    result["output"] = out.detach().clone()
    result["differentiable"] = bool(out.requires_grad and out.grad_fn is not None)
    if grad_weights is not None and result["differentiable"] and out.shape == z.shape:
        (out * grad_weights.to(out.dtype)).sum().backward()
        result["grad"] = None if z.grad is None else z.grad.detach().clone()
    return result


@probe("ex4")
def ex4_soft_ce_gradient(module, logits, soft_targets, reduction="mean") -> SoftCeGradient:
    """Gradient of the submission's soft_cross_entropy(logits, soft_targets, reduction).sum()
    with respect to the logits; returns `loss`, `differentiable` and `grad`."""
    z = _leaf(logits)
    loss = module.soft_cross_entropy(z, soft_targets, reduction=reduction)
    result = {"returned": type(loss).__name__, "loss": None, "differentiable": False, "grad": None}
    if not isinstance(loss, torch.Tensor):
        return result
    result["loss"] = loss.detach().clone()
    result["differentiable"] = bool(loss.requires_grad and loss.grad_fn is not None)
    if result["differentiable"]:
        loss.sum().backward()
        result["grad"] = None if z.grad is None else z.grad.detach().clone()
    return result
