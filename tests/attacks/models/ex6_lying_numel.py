# Attack (ex6): a 260k-parameter MLP whose parameters say they hold no numbers, to pass the
# 100,000-parameter budget. The judge counts the rebuilt model's parameters itself.
from torch import nn


class LyingParameter(nn.Parameter):
    def numel(self):
        return 0


def build_model(num_classes=5):
    model = nn.Sequential(nn.Flatten(), nn.Linear(256, 1024), nn.ReLU(), nn.Linear(1024, num_classes))
    for layer in (model[1], model[3]):
        layer.weight = LyingParameter(layer.weight.data)
        layer.bias = LyingParameter(layer.bias.data)
    return model
