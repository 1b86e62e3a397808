"""Reference solution for ex3: cutout."""

from __future__ import annotations

import numpy as np
import torch


def cutout_mask(height, width, center, size):
    if height < 1 or width < 1:
        raise ValueError(f"height and width must be >= 1, got {height} and {width}")
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    cy, cx = center
    if not (0 <= cy < height and 0 <= cx < width):
        raise ValueError(f"center {center} must lie inside the {height}x{width} image")
    top = cy - size // 2
    left = cx - size // 2
    bottom = top + size
    right = left + size
    mask = torch.ones(height, width, dtype=torch.float32)
    mask[max(top, 0):min(bottom, height), max(left, 0):min(right, width)] = 0.0
    return mask


def cutout(images, size=8, rng=None):
    if not isinstance(images, torch.Tensor) or images.dim() != 4:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"images must be a 4-D tensor [N, C, H, W], got {shape}")
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    if rng is None:
        rng = np.random.default_rng()
    n, _, height, width = images.shape
    cy = rng.integers(0, height, size=n)
    cx = rng.integers(0, width, size=n)
    out = images.clone()
    for i in range(n):
        mask = cutout_mask(height, width, (int(cy[i]), int(cx[i])), size)
        out[i] = images[i] * mask.to(device=images.device, dtype=images.dtype)
    return out
