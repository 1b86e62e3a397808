"""ex4 — soft cross-entropy: a loss that accepts soft (mixed or smoothed) targets.

mixup (ex2) and label smoothing produce target DISTRIBUTIONS instead of class indices.
Here you write the loss for them from scratch, starting with a numerically stable
log-softmax.

Fill in the three functions below (replace each `raise NotImplementedError`).
Run the public tests with:   pytest exercises/ex4
"""

from __future__ import annotations

import torch  # noqa: F401


def log_softmax(logits, dim=-1):
    """``log(softmax(logits))`` along ``dim``, written from elementary tensor operations.

    Requirements:
        * numerically stable: finite results for float32 logits as large as 1e4 in
          magnitude (hint: log_softmax(z) == log_softmax(z - c) for any constant c
          along ``dim``; which c keeps ``exp`` from overflowing?);
        * differentiable (autograd must work through your result);
        * same shape, dtype and device as ``logits``;
        * do NOT call ``torch.log_softmax``, ``torch.softmax``, ``torch.logsumexp``,
          ``torch.nn.functional.log_softmax`` / ``softmax`` / ``cross_entropy`` /
          ``nll_loss``, the tensor methods ``.log_softmax()`` / ``.softmax()`` /
          ``.logsumexp()``, their ``torch.special`` twins, or ``nn.LogSoftmax`` /
          ``nn.Softmax``. ``exp``, ``log``, ``sum``, ``max``/``amax`` are all fine.
    """
    raise NotImplementedError


def soft_cross_entropy(logits, soft_targets, reduction="mean"):
    """Cross-entropy against target distributions.

    Args:
        logits: ``[N, C]`` raw scores.
        soft_targets: ``[N, C]`` target distributions (each row sums to 1).
        reduction: ``"mean"`` (average over the N samples), ``"sum"``, or ``"none"``.

    Per sample the loss is ``-sum_c soft_targets[i, c] * log_softmax(logits)[i, c]``
    (use YOUR ``log_softmax`` above). Returns a 0-d tensor for "mean"/"sum" and a
    ``[N]`` tensor for "none".

    For one-hot targets this equals ``torch.nn.functional.cross_entropy(logits, y)``.

    Raises:
        ValueError if ``logits`` is not 2-D, the two shapes differ (mention the shapes),
        or ``reduction`` is unknown (mention ``reduction``).
    """
    raise NotImplementedError


def smooth_labels(y, num_classes, eps=0.1):
    """Label smoothing: ``(1 - eps) * one_hot(y) + eps / num_classes``.

    This is PyTorch's convention: ``soft_cross_entropy(z, smooth_labels(y, C, eps))``
    equals ``torch.nn.functional.cross_entropy(z, y, label_smoothing=eps)``.

    Args:
        y: int64 labels ``[N]`` in ``[0, num_classes)``.
        num_classes: number of classes C.
        eps: smoothing amount, ``0 <= eps < 1``.

    Returns:
        float32 ``[N, num_classes]`` on y's device; each row sums to 1.

    Raises:
        ValueError naming ``eps`` unless ``0 <= eps < 1`` (and for labels outside
        ``[0, num_classes)``).
    """
    raise NotImplementedError
