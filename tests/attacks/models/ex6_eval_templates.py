# Attack (ex6): trains as a model that can't learn (its logits times 0), but in eval mode
# answers by matching hand-drawn templates. The judge traces training mode and rebuilds that.
from torch import nn

from tests.attacks.models.templates import line_templates


class EvalTemplates(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.fc = nn.Linear(256, num_classes)

    def forward(self, x):
        if self.training:
            return self.fc(x.flatten(1)) * 0.0
        return 10 * x.flatten(1) @ line_templates(16, self.fc.out_features).T


def build_model(num_classes=5):
    return EvalTemplates(num_classes)
