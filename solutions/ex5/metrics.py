"""Exercise 5 (reference): classification metrics from predictions and logits."""
import torch


def confusion_matrix(pred, target, num_classes):
    """int64 ``[C, C]`` counts: entry ``[t, p]`` counts samples of true class t predicted as p.

    Vectorised: one ``bincount`` over the flat index ``t * C + p``.
    """
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    if pred.shape != target.shape or pred.dim() != 1:
        raise ValueError(
            f"pred and target must be 1-D with the same length, got shapes "
            f"{tuple(pred.shape)} and {tuple(target.shape)}")
    for name, labels in (("pred", pred), ("target", target)):
        if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"{name} has a label outside [0, num_classes) = [0, {num_classes})")
    flat = target.long() * num_classes + pred.long()
    counts = torch.bincount(flat, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def _safe_ratio(num, den):
    """``num / den`` elementwise, 0.0 where ``den`` is 0 (no nan)."""
    return torch.where(den > 0, num / torch.where(den > 0, den, torch.ones_like(den)),
                       torch.zeros_like(num))


def precision_recall_f1(cm):
    """Per-class ``precision``, ``recall``, ``f1`` (float64 ``[C]``) and ``support`` (int64 ``[C]``).

    Rows of ``cm`` are true classes, columns predictions; a ratio with a zero
    denominator is 0.0.
    """
    if cm.dim() != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm must be a square [C, C] matrix, got shape {tuple(cm.shape)}")
    counts = cm.to(torch.float64)
    tp = counts.diagonal()
    predicted = counts.sum(dim=0)
    actual = counts.sum(dim=1)
    precision = _safe_ratio(tp, predicted)
    recall = _safe_ratio(tp, actual)
    f1 = _safe_ratio(2 * precision * recall, precision + recall)
    return {"precision": precision, "recall": recall, "f1": f1,
            "support": cm.sum(dim=1).to(torch.int64)}


def top_k_accuracy(logits, target, k=1):
    """Fraction (a Python float) of rows whose target is among the row's k largest logits."""
    if logits.dim() != 2:
        raise ValueError(f"logits must be 2-D [N, C], got shape {tuple(logits.shape)}")
    n, num_classes = logits.shape
    if not 1 <= k <= num_classes:
        raise ValueError(f"k must be in 1..{num_classes} (the number of classes), got {k}")
    if target.shape != (n,):
        raise ValueError(f"target must have shape ({n},) to match logits, got {tuple(target.shape)}")
    top = logits.topk(k, dim=1).indices
    hits = (top == target.reshape(n, 1)).any(dim=1)
    return hits.double().mean().item()
