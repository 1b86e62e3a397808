"""Probe of exercise 5: millions of labels are made here, so they never cross the seam."""

from __future__ import annotations

import time
from typing import TypedDict

import torch

from ..probing import probe


class LargeConfusion(TypedDict):
    cm: torch.Tensor  # what the submission returned, as a tensor
    seconds: float  # wall time of the one call


@probe("ex5")
def ex5_confusion_matrix_large(metrics, n, num_classes, seed) -> LargeConfusion:
    """`confusion_matrix` on `n` labels made here (70% correct predictions), and its time."""
    g = torch.Generator().manual_seed(seed)
    target = torch.randint(0, num_classes, (n,), generator=g)
    wrong = torch.randint(0, num_classes, (n,), generator=g)
    pred = torch.where(torch.rand(n, generator=g) < 0.7, target, wrong)
    start = time.perf_counter()
    cm = metrics.confusion_matrix(pred, target, num_classes)
    return {"cm": cm, "seconds": time.perf_counter() - start}
