"""The lab's small CNN.

Layers are created in the course's order (conv stack, then the head): the
order fixes how ``torch.manual_seed(42)`` is consumed by the initialisation,
and so the published numbers.
"""
from torch import nn


def conv_stack():
    """A fresh ``nn.Sequential`` of the 8 conv/ReLU/pool layers, no global pool.

    16x16 input -> [N, 32, 4, 4]. Exercise 7 puts a flatten head on it, so
    the global average pool is left to ``SmallCNN``.
    """
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
    )


class SmallCNN(nn.Module):
    """``features`` (conv stack + global average pool) -> ``head`` (logits)."""

    def __init__(self, num_classes=4):
        super().__init__()
        self.features = nn.Sequential(*conv_stack(), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32, num_classes))

    def forward(self, x):
        return self.head(self.features(x))
