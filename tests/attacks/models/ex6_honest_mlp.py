# Control of ex6_lying_numel: the same MLP, parameters as they are.
from torch import nn


def build_model(num_classes=5):
    return nn.Sequential(nn.Flatten(), nn.Linear(256, 1024), nn.ReLU(), nn.Linear(1024, num_classes))
