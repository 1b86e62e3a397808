"""Hand-drawn templates of the lab's line classes (and ex6's square): what a forged model
matches its input against instead of learning."""

import torch


def line_templates(size=16, classes=5):
    t = torch.zeros(5, size, size)
    c, m, i = size // 2, size // 4, torch.arange(size)
    t[0, :, c] = 1
    t[1, c, :] = 1
    t[2, i, i] = 1
    t[3, i, size - 1 - i] = 1
    far = size - 1 - m
    t[4, m, m:far + 1] = t[4, far, m:far + 1] = 1
    t[4, m:far + 1, m] = t[4, m:far + 1, far] = 1
    t = t.flatten(1)
    return (t / t.norm(dim=1, keepdim=True))[:classes]
