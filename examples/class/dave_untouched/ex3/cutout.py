"""ex3 — cutout: hide a random square of every image.

Cutout (DeVries & Taylor, 2017) zeroes a square patch at a random position of each
training image, so the network cannot rely on one small region.

Fill in the two functions below (replace each `raise NotImplementedError`).
Run the public tests with:   pytest exercises/ex3
"""

from __future__ import annotations

import numpy as np  # noqa: F401
import torch  # noqa: F401


def cutout_mask(height, width, center, size):
    """A float32 mask ``[height, width]``: ones, with a ``size`` x ``size`` square of zeros.

    With ``center = (cy, cx)`` (``0 <= cy < height``, ``0 <= cx < width``) the zeros
    cover rows ``[cy - size//2, cy - size//2 + size)`` and columns
    ``[cx - size//2, cx - size//2 + size)``, each range clipped to the image (a square
    near a border is cut off by the border; indices never wrap around).
    ``size == 0`` gives all ones.

    Raises:
        ValueError naming the argument for a negative ``size`` or a ``center`` outside
        the image.

    Example:
        >>> cutout_mask(4, 5, center=(0, 2), size=2)
        tensor([[1., 0., 0., 1., 1.],
                [1., 1., 1., 1., 1.],
                [1., 1., 1., 1., 1.],
                [1., 1., 1., 1., 1.]])
    """
    raise NotImplementedError


def cutout(images, size=8, rng=None):
    """Apply cutout to every image of a batch, each at its own random center.

    Args:
        images: tensor ``[N, C, H, W]``.
        size: side of the square (0 leaves the images unchanged).
        rng: a ``numpy.random.Generator``; ``None`` means ``numpy.random.default_rng()``.

    Randomness, in EXACTLY this order:
        first ``cy = rng.integers(0, H, size=N)``, then ``cx = rng.integers(0, W, size=N)``.
    Image ``i`` is multiplied by ``cutout_mask(H, W, (cy[i], cx[i]), size)`` in every
    channel.

    Returns:
        a NEW tensor with the images' shape, dtype and device (``images`` itself must
        not change).

    Raises:
        ValueError naming the argument if ``images`` is not 4-D or ``size`` is negative.
    """
    raise NotImplementedError
