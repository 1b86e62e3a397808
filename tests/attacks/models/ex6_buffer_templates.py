# Attack (ex6): its first (training-mode) call stores templates in a buffer; every later call
# adds template matching to logits that can't learn. A tensor on the module can't be rebuilt.
from torch import nn

from tests.attacks.models.templates import line_templates


class FirstCallTemplates(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.fc = nn.Linear(256, num_classes)
        self.register_buffer("templates", line_templates(16, num_classes) * 0)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        if self.calls == 1:
            self.templates.copy_(line_templates(16, self.fc.out_features))
        return self.fc(x.flatten(1)) * 0.0 + 10 * x.flatten(1) @ self.templates.T


def build_model(num_classes=5):
    return FirstCallTemplates(num_classes)
