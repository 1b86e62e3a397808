"""ex3 — cutout (Erin)."""

import numpy as np
import torch


def cutout_mask(height, width, center, size):
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    cy, cx = center
    if not (0 <= cy < height and 0 <= cx < width):
        raise ValueError(f"center {center} must be inside the image")
    mask = torch.ones(height, width, dtype=torch.float32)
    r0, c0 = cy - size // 2, cx - size // 2
    mask[max(r0, 0):max(r0 + size, 0), max(c0, 0):max(c0 + size, 0)] = 0
    return mask


def cutout(images, size=8, rng=None):
    if images.ndim != 4:
        raise ValueError(f"images must be [N, C, H, W], got {images.ndim} dimensions")
    if size < 0:
        raise ValueError(f"size must be >= 0, got {size}")
    if rng is None:
        rng = np.random.default_rng()
    n, _, h, w = images.shape
    cy = rng.integers(0, h, size=n)
    cx = rng.integers(0, w, size=n)
    out = images.clone()
    i = 0
    while i < n:  # forgot `i += 1`: this never ends
        out[i] = images[i] * cutout_mask(h, w, (int(cy[i]), int(cx[i])), size).to(images.dtype)
    return out
