"""Synthetic 16x16 "line" images: the course lab's data set.

Every detail here (draw order, float64 noise, the single permutation and the
80/20 split) is what reproduces the course's published run card bit for bit;
change nothing without re-checking ``tests/test_lab.py``.
"""
import numpy as np
import torch

CLASS_NAMES = ["vertical", "horizontal", "diag_down", "diag_up"]


def make_line_image(label, size=16, noise=0.08, rng=None):
    """One noisy line image as a float32 ``(size, size)`` numpy array.

    ``rng`` is anything with ``standard_normal(shape)``: a
    ``np.random.RandomState``, a ``np.random.Generator``, or ``None`` for the
    global ``np.random`` module (the course used the global state after
    ``np.random.seed(42)``; ``RandomState(42)`` yields the same stream).
    The noise is float64 and clipped before the cast to float32, as in the
    course: casting the noise first changes the run card's last digits.
    """
    rng = np.random if rng is None else rng
    img = np.zeros((size, size), dtype=np.float64)
    c = size // 2
    if label == 0:
        img[:, c] = 1.0
    elif label == 1:
        img[c, :] = 1.0
    elif label == 2:
        img[np.arange(size), np.arange(size)] = 1.0
    elif label == 3:
        img[np.arange(size), size - 1 - np.arange(size)] = 1.0
    else:
        raise ValueError(f"label must be 0..3, got {label}")
    img = img + rng.standard_normal((size, size)) * noise
    return np.clip(img, 0.0, 1.0).astype(np.float32)


def make_line_dataset(per_class=120, size=16, noise=0.08, seed=42):
    """``(X_train, y_train, X_val, y_val)``: X float32 [N,1,size,size], y int64.

    Images are drawn class by class from ``RandomState(seed)`` (the global
    numpy state is left untouched), then the same stream gives ONE
    permutation; the first 80% is train, the rest validation.
    """
    rng = np.random.RandomState(seed)
    labels = np.repeat(np.arange(len(CLASS_NAMES)), per_class)
    images = np.stack([make_line_image(int(lab), size, noise, rng) for lab in labels])
    order = rng.permutation(len(labels))
    X = torch.from_numpy(images[order]).unsqueeze(1)
    y = torch.from_numpy(labels[order]).long()
    n_train = int(0.8 * len(labels))
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]
