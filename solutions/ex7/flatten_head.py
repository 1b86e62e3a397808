"""Exercise 7 (reference): the lab's conv stack with a flatten + Linear head."""
import torch
from torch import nn


def flattened_features(input_size, channels=32):
    """Features after the conv stack (two ``MaxPool2d(2)``) for a square input, flattened."""
    if input_size < 4:
        raise ValueError(f"input_size must be >= 4 (two 2x2 poolings), got {input_size}")
    return channels * (input_size // 4) ** 2


class FlattenHeadCNN(nn.Module):
    """``features`` (conv stack, no global pool) -> ``head`` (Flatten + Linear)."""

    def __init__(self, num_classes=4, input_size=16):
        super().__init__()
        self.input_size = input_size
        # The same layers, in the same order, as cnnlab.conv_stack().
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(flattened_features(input_size), num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expected = (self.input_size, self.input_size)
        if x.dim() != 4 or tuple(x.shape[-2:]) != expected:
            raise ValueError(
                f"expected input of size {self.input_size}x{self.input_size} "
                f"([N, 1, {self.input_size}, {self.input_size}]), got shape {tuple(x.shape)}")
        return self.head(self.features(x))
