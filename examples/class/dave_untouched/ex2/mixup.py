"""ex2 — mixup: blend pairs of images and their labels.

mixup (Zhang et al., 2018) trains on convex combinations of two examples:
    x_mixed = lam * x_i + (1 - lam) * x_j        y_mixed = lam * y_i + (1 - lam) * y_j
where the labels are one-hot vectors and lam ~ Beta(alpha, alpha).

Fill in the three functions below (replace each `raise NotImplementedError`).
Run the public tests with:   pytest exercises/ex2
"""

from __future__ import annotations

import numpy as np  # noqa: F401
import torch  # noqa: F401


def one_hot(y, num_classes):
    """One-hot encode integer labels.

    Args:
        y: int64 tensor of labels, shape ``[N]``.
        num_classes: number of classes C.

    Returns:
        float32 tensor ``[N, num_classes]`` on ``y``'s device, with a single 1.0 per row
        in column ``y[i]``.

    Raises:
        ValueError (mention ``y`` / the labels or ``num_classes``) if a label is < 0
        or >= num_classes.

    Example:
        >>> one_hot(torch.tensor([2, 0]), 3)
        tensor([[0., 0., 1.],
                [1., 0., 0.]])
    """
    raise NotImplementedError


def mix(x, y_soft, lam, perm):
    """Mix every sample with the sample ``perm[i]``, using the same ``lam`` for all.

    Returns ``(x_mixed, y_mixed)`` with exactly
        ``x_mixed = lam * x + (1 - lam) * x[perm]``
        ``y_mixed = lam * y_soft + (1 - lam) * y_soft[perm]``
    New tensors: ``x`` and ``y_soft`` must not be modified (no in-place ops on them).
    """
    raise NotImplementedError


def mixup_batch(x, y, num_classes, alpha=0.2, rng=None):
    """mixup for one batch.

    Args:
        x: images ``[N, C, H, W]`` (any floating dtype).
        y: int64 labels ``[N]``.
        num_classes: number of classes.
        alpha: Beta distribution parameter.
        rng: a ``numpy.random.Generator``; ``None`` means ``numpy.random.default_rng()``.

    Returns:
        ``(x_mixed, y_soft)``: x_mixed has x's shape, dtype and device; y_soft is float32
        ``[N, num_classes]``.

    Randomness, in EXACTLY this order (so a seeded call is reproducible):
        * if ``alpha <= 0``: draw nothing and return ``(x.clone(), one_hot(y, num_classes))``;
        * otherwise first ``lam = float(rng.beta(alpha, alpha))``,
          then ``perm = rng.permutation(N)`` turned into an int64 tensor on x's device,
          and return ``mix(x, one_hot(y, num_classes), lam, perm)``.
    """
    raise NotImplementedError
