"""Public tests for exercise 7 (a flatten head). Run: pytest exercises/ex7

A smaller, friendlier subset of what the grader checks (the grader also trains
your model; these tests do not). Passing them all is a good sign, not a
guarantee of full marks.
"""
import pytest
import torch
from torch import nn

from flatten_head import FlattenHeadCNN, flattened_features


def test_flattened_features_values():
    assert flattened_features(16) == 512, "16 -> 8 -> 4 after two poolings: 32 * 4 * 4 = 512"
    assert flattened_features(28) == 32 * 7 * 7
    assert flattened_features(30) == 32 * 7 * 7, "pooling rounds down: 30 -> 15 -> 7"
    assert flattened_features(16, channels=8) == 8 * 4 * 4, "use the channels argument"


def test_flattened_features_rejects_tiny_input():
    with pytest.raises(ValueError, match="input_size"):
        flattened_features(3)


@pytest.mark.parametrize("size", [16, 28])
def test_shapes(size):
    model = FlattenHeadCNN(num_classes=4, input_size=size)
    x = torch.zeros(2, 1, size, size)
    with torch.no_grad():
        feats = model.features(x)
        logits = model(x)
    assert feats.shape == (2, 32, size // 4, size // 4), (
        f"model.features should map (2, 1, {size}, {size}) to (2, 32, {size // 4}, {size // 4}), got {tuple(feats.shape)}")
    assert logits.shape == (2, 4), f"expected logits of shape (2, 4), got {tuple(logits.shape)}"


def test_parameter_count():
    model = FlattenHeadCNN(num_classes=4, input_size=16)
    params = sum(p.numel() for p in model.parameters())
    conv = (8 * 9 + 8) + (16 * 8 * 9 + 16) + (32 * 16 * 9 + 32)
    assert params == conv + 512 * 4 + 4, (
        f"expected {conv + 512 * 4 + 4:,} parameters (conv stack {conv:,} + Linear(512, 4)), got {params:,}")
    linears = [m for m in model.head.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 1 and linears[0].in_features == 512, "model.head should hold one Linear(512, num_classes)"


def test_forward_rejects_wrong_size():
    model = FlattenHeadCNN(input_size=20)
    with pytest.raises(ValueError, match="20"):
        model(torch.zeros(1, 1, 16, 16))


def test_forward_is_head_of_features():
    """The grader rebuilds `features` and `head` and runs head(features(x)): forward must add nothing."""
    model = FlattenHeadCNN(num_classes=4, input_size=16)
    x = torch.rand(2, 1, 16, 16)
    logits = model(x)
    assert logits.requires_grad, "forward's logits have no gradient (no_grad or detach in forward?)"
    with torch.no_grad():
        assert torch.allclose(model(x), model.head(model.features(x))), (
            "forward(x) should return self.head(self.features(x)) after the size check, nothing more "
            "(no softmax: the training loop wants logits)")
