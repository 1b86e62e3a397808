"""Exercise 3: cutout (Heidi)."""

import numpy as np
import torch


def cutout_mask(height, width, center, size):
    if size < 0:
        raise ValueError("size must not be negative")
    cy, cx = center
    if not (0 <= cy < height and 0 <= cx < width):
        raise ValueError("center must be inside the image")
    mask = torch.ones(height, width)
    y0 = max(0, cy - size // 2)
    y1 = min(height, cy - size // 2 + size)
    x0 = max(0, cx - size // 2)
    x1 = min(width, cx - size // 2 + size)
    if size > 0:
        mask[y0:y1, x0:x1] = 0
    return mask


def cutout(images, size=8, rng=None):
    if images.dim() != 4:
        raise ValueError("images must be 4-D [N, C, H, W]")
    if size < 0:
        raise ValueError("size must not be negative")
    if rng is None:
        rng = np.random.default_rng()
    N, C, H, W = images.shape
    cy = rng.integers(0, H, size=N)
    cx = rng.integers(0, W, size=N)
    result = images.clone()
    for i in range(N):
        result[i] = result[i] * cutout_mask(H, W, (cy[i], cx[i]), size).to(images.dtype)
    return result
