"""ex4 probes: outputs and gradients, which need autograd beside the student code.

Autograd graphs can't cross the seam, so gradients are computed here and returned as tensors.
Which functions `log_softmax` uses is not watched here, where the student's code could forge
it: the judge reads the source instead (grader.source_checks.forbidden_calls).
"""

from __future__ import annotations

from typing import TypedDict

import torch

from ..probing import probe


class LogSoftmaxRun(TypedDict):
    returned: str  # type name of what came back
    output: torch.Tensor | None
    differentiable: bool
    grad: torch.Tensor | None


class SoftCeGradient(TypedDict):
    returned: str
    loss: torch.Tensor | None
    differentiable: bool
    grad: torch.Tensor | None


def _leaf(values):
    return values.detach().clone().requires_grad_(True)


@probe("ex4")
def ex4_log_softmax_run(module, logits, dim=-1, grad_weights=None) -> LogSoftmaxRun:
    """Call the submission's log_softmax(logits, dim) on a leaf tensor.

    Returns `output` (detached tensor, or None with `returned` naming what came back),
    `differentiable`, and `grad`: d(sum(output * grad_weights))/d(logits) when grad_weights is given."""
    z = _leaf(logits)
    out = module.log_softmax(z, dim=dim)
    result = {"returned": type(out).__name__, "output": None, "differentiable": False, "grad": None}
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
