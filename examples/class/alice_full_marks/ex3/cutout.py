"""ex3 — cutout (Alice): masks from index comparisons, so clipping comes for free."""

from __future__ import annotations

import numpy as np
import torch


def cutout_mask(height, width, center, size):
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    cy, cx = center
    if not (0 <= cy < height) or not (0 <= cx < width):
        raise ValueError(f"center {center} is outside a {height}x{width} image")
    top, left = cy - size // 2, cx - size // 2
    rows = torch.arange(height)
    cols = torch.arange(width)
    inside_rows = (rows >= top) & (rows < top + size)
    inside_cols = (cols >= left) & (cols < left + size)
    hole = inside_rows[:, None] & inside_cols[None, :]
    return (~hole).to(torch.float32)


def cutout(images, size=8, rng=None):
    if not torch.is_tensor(images) or images.ndim != 4:
        raise ValueError("images must be a 4-D tensor [N, C, H, W]")
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    if rng is None:
        rng = np.random.default_rng()
    n, _, h, w = images.shape
    cy = rng.integers(0, h, size=n)
    cx = rng.integers(0, w, size=n)
    masks = torch.stack([cutout_mask(h, w, (int(cy[i]), int(cx[i])), size) for i in range(n)]) if n else \
        torch.ones(0, h, w)
    return images * masks[:, None].to(device=images.device, dtype=images.dtype)
