"""ex4 — soft cross-entropy (Alice)."""

from __future__ import annotations

import torch


def log_softmax(logits, dim=-1):
    biggest = logits.max(dim=dim, keepdim=True).values
    centred = logits - biggest  # every entry <= 0, so exp() cannot overflow
    return centred - torch.log(torch.exp(centred).sum(dim=dim, keepdim=True))


def soft_cross_entropy(logits, soft_targets, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if logits.shape != soft_targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} and soft_targets {tuple(soft_targets.shape)} "
                         "must have the same shape")
    per_sample = -(soft_targets * log_softmax(logits, dim=-1)).sum(dim=-1)
    if reduction == "none":
        return per_sample
    return per_sample.sum() if reduction == "sum" else per_sample.mean()


def smooth_labels(y, num_classes, eps=0.1):
    if not (0 <= eps < 1):
        raise ValueError(f"eps must be in [0, 1), got {eps}")
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= num_classes):
        raise ValueError(f"labels in y must lie in 0..{num_classes - 1}")
    hot = torch.nn.functional.one_hot(y.long(), num_classes).to(torch.float32)
    return hot * (1 - eps) + eps / num_classes
