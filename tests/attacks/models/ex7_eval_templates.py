# Attack (ex7): features and head that can't learn the lines (a global average), but forward
# answers by template matching in eval mode. The judge trains features then head, rebuilt.
import torch
from torch import nn

from tests.attacks.models.templates import line_templates


class FlattenHeadCNN(nn.Module):
    def __init__(self, num_classes=4, input_size=16):
        super().__init__()
        self.input_size = input_size
        self.features = nn.Sequential(nn.AdaptiveAvgPool2d(1))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(1, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or tuple(x.shape[-2:]) != (self.input_size, self.input_size):
            raise ValueError(f"expected {self.input_size}x{self.input_size} input")
        if self.training:
            return self.head(self.features(x))
        n = self.head[1].out_features
        return 10 * x.flatten(1) @ line_templates(self.input_size, n).T
