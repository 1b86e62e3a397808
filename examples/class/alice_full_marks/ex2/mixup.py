"""ex2 — mixup (Alice)."""

from __future__ import annotations

import numpy as np
import torch


def one_hot(y, num_classes):
    if not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    if y.is_floating_point():
        raise ValueError("y must hold integer labels")
    if y.numel() > 0 and (int(y.min()) < 0 or int(y.max()) >= num_classes):
        raise ValueError(f"labels in y must lie in 0..{num_classes - 1}")
    flat = y.reshape(-1, 1).long()
    out = torch.zeros(flat.shape[0], num_classes, dtype=torch.float32, device=y.device)
    out.scatter_(1, flat, 1.0)
    return out.reshape(*y.shape, num_classes)


def mix(x, y_soft, lam, perm):
    x_mixed = lam * x + (1 - lam) * x[perm]
    y_mixed = lam * y_soft + (1 - lam) * y_soft[perm]
    return x_mixed, y_mixed


def mixup_batch(x, y, num_classes, alpha=0.2, rng=None):
    targets = one_hot(y, num_classes)
    if alpha <= 0:
        return x.clone(), targets
    rng = np.random.default_rng() if rng is None else rng
    lam = float(rng.beta(alpha, alpha))  # first the mixing weight ...
    order = rng.permutation(x.shape[0])  # ... then the partner of each sample
    perm = torch.from_numpy(np.asarray(order, dtype=np.int64)).to(x.device)
    return mix(x, targets, lam, perm)
