# A student's own layer with its own nn.Parameter: not an attack, but it can't be rebuilt, so
# the model tests fail with the message that says what to use.
import torch
from torch import nn

from cnnlab import SmallCNN


class Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return x * self.scale


def build_model(num_classes=5):
    return nn.Sequential(SmallCNN(num_classes=num_classes), Scale())
