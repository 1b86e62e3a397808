"""ex7 — a flatten head (Erin)."""

import torch
from torch import nn

import cnnlab


def flattened_features(input_size, channels=32):
    if input_size < 4:
        raise ValueError(f"input_size must be at least 4, got {input_size}")
    side = input_size // 2 // 2  # two MaxPool2d(2)
    return channels * side * side


class FlattenHeadCNN(nn.Module):
    def __init__(self, num_classes=4, input_size=16):
        super().__init__()
        self.input_size = input_size
        self.features = cnnlab.conv_stack()
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(flattened_features(input_size), num_classes))

    def forward(self, x):
        if tuple(x.shape[-2:]) != (self.input_size, self.input_size):
            raise ValueError(f"FlattenHeadCNN expects {self.input_size}x{self.input_size} images, "
                             f"got {tuple(x.shape[-2:])}")
        return self.head(self.features(x))
