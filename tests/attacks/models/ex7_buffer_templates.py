# Attack (ex7): the same weak features and head; the model keeps templates in a buffer of its
# own, filled on its first (training-mode) call, and adds template matching to every later
# answer. forward is never rebuilt, so the buffer is never used by the judge.
import torch
from torch import nn

from tests.attacks.models.templates import line_templates


class FlattenHeadCNN(nn.Module):
    def __init__(self, num_classes=4, input_size=16):
        super().__init__()
        self.input_size = input_size
        self.features = nn.Sequential(nn.AdaptiveAvgPool2d(1))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(1, num_classes))
        self.register_buffer("templates", torch.zeros(num_classes, input_size * input_size))
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or tuple(x.shape[-2:]) != (self.input_size, self.input_size):
            raise ValueError(f"expected {self.input_size}x{self.input_size} input")
        self.calls += 1
        if self.calls == 1:
            self.templates.copy_(line_templates(self.input_size, len(self.templates)))
        return self.head(self.features(x)) + 10 * x.flatten(1) @ self.templates.T
