"""Reference solution for ex2: mixup."""

from __future__ import annotations

import numpy as np
import torch


def one_hot(y, num_classes):
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    if y.dtype.is_floating_point or y.dtype.is_complex or y.dtype == torch.bool:
        raise ValueError(f"y must hold integer class labels, got dtype {y.dtype}")
    if y.numel() and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"every label in y must be in [0, num_classes) = [0, {num_classes}), "
            f"got labels from {int(y.min())} to {int(y.max())}"
        )
    classes = torch.arange(num_classes, device=y.device)
    return (y.unsqueeze(-1) == classes).to(torch.float32)


def mix(x, y_soft, lam, perm):
    if x.shape[0] != y_soft.shape[0] or len(perm) != x.shape[0]:
        raise ValueError(
            f"x, y_soft and perm must have the same length, got "
            f"{x.shape[0]}, {y_soft.shape[0]} and {len(perm)}"
        )
    x_mixed = lam * x + (1 - lam) * x[perm]
    y_mixed = lam * y_soft + (1 - lam) * y_soft[perm]
    return x_mixed, y_mixed


def mixup_batch(x, y, num_classes, alpha=0.2, rng=None):
    if y.shape[:1] != x.shape[:1]:
        raise ValueError(f"y must have one label per image: x has {x.shape[0]}, y {y.shape}")
    y_soft = one_hot(y, num_classes)
    if alpha <= 0:
        return x.clone(), y_soft
    if rng is None:
        rng = np.random.default_rng()
    lam = float(rng.beta(alpha, alpha))
    perm = torch.as_tensor(rng.permutation(x.shape[0]), dtype=torch.int64, device=x.device)
    return mix(x, y_soft, lam, perm)
