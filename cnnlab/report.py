"""Confusion matrix and its text rendering for the run card."""
import torch


def confusion_matrix(pred, target, num_classes):
    """int64 ``[C, C]`` counts; rows are true classes, columns predictions."""
    idx = target.long() * num_classes + pred.long()
    return torch.bincount(idx, minlength=num_classes * num_classes).reshape(
        num_classes, num_classes)


def format_confusion(cm, class_names):
    """Aligned table, one row per true class, one column per predicted class."""
    width = max(len(n) for n in class_names) + 2
    lines = ["confusion (rows=true, cols=pred):",
             " " * width + "".join(f"{n:>{width}}" for n in class_names)]
    for name, row in zip(class_names, cm.tolist()):
        lines.append(f"{name:<{width}}" + "".join(f"{v:>{width}d}" for v in row))
    return "\n".join(lines)
