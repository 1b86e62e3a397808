"""Exercise 6 (reference): a fifth class (a square outline) for the lab's line images."""
import numpy as np
import torch
from torch import nn

from cnnlab import SmallCNN

CLASS_NAMES = ["vertical", "horizontal", "diag_down", "diag_up", "square_border"]


def make_image(label, size=16, noise=0.08, rng=None):
    """One noisy ``[size, size]`` float32 image in [0, 1] of class ``label`` (0..4)."""
    if label not in range(len(CLASS_NAMES)):
        raise ValueError(f"label must be one of 0..{len(CLASS_NAMES) - 1}, got {label!r}")
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    if rng is None:
        rng = np.random.default_rng()
    img = np.zeros((size, size), dtype=np.float32)
    c = size // 2
    idx = np.arange(size)
    if label == 0:
        img[:, c] = 1.0
    elif label == 1:
        img[c, :] = 1.0
    elif label == 2:
        img[idx, idx] = 1.0
    elif label == 3:
        img[idx, size - 1 - idx] = 1.0
    else:
        m = size // 4
        far = size - 1 - m
        img[m, m:far + 1] = 1.0
        img[far, m:far + 1] = 1.0
        img[m:far + 1, m] = 1.0
        img[m:far + 1, far] = 1.0
    img = img + rng.standard_normal((size, size)).astype(np.float32) * noise
    return np.clip(img, 0.0, 1.0)


def make_dataset(per_class=120, size=16, noise=0.08, seed=0):
    """``(X_train, y_train, X_val, y_val)``: X float32 ``[N, 1, size, size]``, y int64.

    Images are drawn class by class from ``default_rng(seed)``, then the same
    generator shuffles them once; the first 80% are for training.
    """
    if per_class < 1:
        raise ValueError(f"per_class must be >= 1, got {per_class}")
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(CLASS_NAMES), dtype=np.int64), per_class)
    images = np.stack([make_image(int(label), size, noise, rng) for label in labels])
    order = rng.permutation(len(labels))
    X = torch.from_numpy(images[order]).unsqueeze(1)
    y = torch.from_numpy(labels[order])
    n_train = int(0.8 * len(labels))
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def build_model(num_classes=5) -> nn.Module:
    """The lab's small CNN with a ``num_classes``-way head (about 6,500 parameters)."""
    return SmallCNN(num_classes=num_classes)
