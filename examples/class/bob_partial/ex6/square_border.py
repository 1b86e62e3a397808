"""Exercise 6: a fifth class for the lab's line images.

Fill in the three functions below; read README.md in this folder first.
Replace each `raise NotImplementedError` with your code. Keep the names,
arguments and defaults exactly as they are: the grader calls them.
"""
import numpy as np
import torch
from torch import nn

import cnnlab  # the course lab: cnnlab.SmallCNN, cnnlab.conv_stack, cnnlab.train, ...

CLASS_NAMES = ["vertical", "horizontal", "diag_down", "diag_up", "square_border"]


def make_image(label, size=16, noise=0.08, rng=None):
    """One noisy image of class ``label`` as a float32 numpy array ``[size, size]`` in [0, 1].

    With ``c = size // 2``: label 0 sets column ``c`` to 1, label 1 row ``c``,
    label 2 the main diagonal, label 3 the anti-diagonal (pixels ``[i, size - 1 - i]``),
    label 4 a one-pixel square outline: rows ``m`` and ``size - 1 - m`` over columns
    ``m .. size - 1 - m``, and columns ``m`` and ``size - 1 - m`` over rows
    ``m .. size - 1 - m`` (both ends included), with ``m = size // 4``.

    Then adds ``rng.standard_normal((size, size)).astype(np.float32) * noise``
    (ALWAYS drawn, also when ``noise`` is 0) and clips to [0, 1].

    ``rng`` is a ``numpy.random.Generator``; ``None`` means ``numpy.random.default_rng()``.

    Raises:
        ValueError: ``label`` is not one of 0..4; the message names ``label``.
    """
    raise NotImplementedError


def make_dataset(per_class=120, size=16, noise=0.08, seed=0):
    """A shuffled five-class data set, split 80/20.

    ``rng = numpy.random.default_rng(seed)``; makes ``per_class`` images of label 0,
    then ``per_class`` of label 1, ... label 4, each with
    ``make_image(label, size, noise, rng)``; then shuffles them with ONE
    ``rng.permutation``; the first ``int(0.8 * total)`` are training, the rest validation.

    Returns:
        ``(X_train, y_train, X_val, y_val)`` torch tensors: X float32
        ``[N, 1, size, size]``, y int64 ``[N]``.
    """
    raise NotImplementedError


def build_model(num_classes=5) -> nn.Module:
    """A model mapping ``[N, 1, 16, 16]`` images to ``[N, num_classes]`` logits.

    At most 100,000 parameters. Hint: the lab's ``cnnlab.SmallCNN`` takes a
    ``num_classes`` argument.
    """
    raise NotImplementedError
