"""Exercise 5: classification metrics.

Fill in the three functions below; read README.md in this folder first.
Replace each `raise NotImplementedError` with your code. Keep the names,
arguments and defaults exactly as they are: the grader calls them.
"""
import torch


def confusion_matrix(pred, target, num_classes):
    """Count how often each true class was predicted as each class.

    Args:
        pred: int64 tensor ``[N]``, the predicted class of each sample.
        target: int64 tensor ``[N]``, the true class of each sample.
        num_classes: the number of classes ``C``.

    Returns:
        int64 tensor ``[C, C]`` on the inputs' device; entry ``[t, p]`` counts the
        samples of true class ``t`` predicted as ``p`` (rows true, columns predicted).

    Must be vectorised (no Python loop over the samples): a million labels
    should take well under a second.

    Raises:
        ValueError: ``pred`` and ``target`` have different lengths, or a label
        is outside ``[0, num_classes)``; the message names the argument.
    """
    raise NotImplementedError


def precision_recall_f1(cm):
    """Per-class precision, recall and F1 from a confusion matrix.

    Args:
        cm: int64 tensor ``[C, C]`` as returned by ``confusion_matrix``
            (rows true classes, columns predictions).

    Returns:
        dict with ``"precision"``, ``"recall"``, ``"f1"`` (float64 tensors ``[C]``)
        and ``"support"`` (int64 tensor ``[C]``: the row sums, i.e. how many
        samples of each true class there are). A ratio whose denominator is 0
        is 0.0 (never nan).
    """
    raise NotImplementedError


def top_k_accuracy(logits, target, k=1):
    """Fraction of rows whose target is among the row's ``k`` largest logits.

    Args:
        logits: float tensor ``[N, C]``.
        target: int64 tensor ``[N]``.
        k: how many of the largest logits count as a hit.

    Returns:
        a Python ``float`` in [0, 1].

    Raises:
        ValueError: unless ``1 <= k <= C``; the message names ``k``.
    """
    raise NotImplementedError
