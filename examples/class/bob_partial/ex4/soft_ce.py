"""Exercise 4: soft cross-entropy (Bob) -- only log_softmax so far."""

import torch


def log_softmax(logits, dim=-1):
    m = logits.max(dim=dim, keepdim=True).values
    return logits - m - torch.log(torch.sum(torch.exp(logits - m), dim=dim, keepdim=True))


def soft_cross_entropy(logits, soft_targets, reduction="mean"):
    """TODO"""
    raise NotImplementedError


def smooth_labels(y, num_classes, eps=0.1):
    """TODO"""
    raise NotImplementedError
