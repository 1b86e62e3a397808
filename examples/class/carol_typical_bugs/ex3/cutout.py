"""ex3 (Carol)."""

import numpy as np
import torch


def cutout_mask(height, width, center, size):
    if size < 0:
        raise ValueError("size must be >= 0")
    cy, cx = center
    if not (0 <= cy < height and 0 <= cx < width):
        raise ValueError("center outside the image")
    mask = torch.ones(height, width)
    # BUG (typical): only the far side is clipped; a square near the top or left border gets
    # negative indices, which wrap around to the other side of the image
    rows = torch.arange(cy - size // 2, min(cy - size // 2 + size, height))
    cols = torch.arange(cx - size // 2, min(cx - size // 2 + size, width))
    mask[rows[:, None], cols[None, :]] = 0.0
    return mask


def cutout(images, size=8, rng=None):
    if images.dim() != 4:
        raise ValueError("images must be 4-D")
    if size < 0:
        raise ValueError("size must be >= 0")
    rng = rng if rng is not None else np.random.default_rng()
    n, _, h, w = images.shape
    cy = rng.integers(0, h, size=n)
    cx = rng.integers(0, w, size=n)
    out = images.clone()
    for i in range(n):
        out[i] *= cutout_mask(h, w, (int(cy[i]), int(cx[i])), size).to(images.dtype)
    return out
