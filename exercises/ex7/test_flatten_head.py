"""Public tests for exercise 7 (a flatten head). Run: pytest exercises/ex7

A smaller, friendlier subset of what the grader checks, each behaviour it grades
included (it trains your model too, on new images). Passing them all is a good
sign, not a guarantee of full marks.
"""
import pytest
import torch
from torch import nn

from flatten_head import FlattenHeadCNN, flattened_features
from public_checks import (accuracy_after_training, assert_imports_only_what_the_grader_has, assert_logits,
                           assert_rebuildable)

TRAINING_EPOCHS = 20  # the grader's budget: the lab's loop (cnnlab.train) for 20 epochs
# Calibrated by the course staff on the reference over 50 seeds: it reaches
# 1.000 on every seed; 0.90 leaves a margin of 0.10.
TRAINING_THRESHOLD = 0.90

# The lab's conv stack (cnnlab), without its AdaptiveAvgPool2d: it ends with a ReLU.
LAB_STACK = [nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
             nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
             nn.Conv2d(16, 32, 3, padding=1), nn.ReLU()]


def test_flattened_features_values():
    assert flattened_features(16) == 512, "16 -> 8 -> 4 after two poolings: 32 * 4 * 4 = 512"
    assert flattened_features(28) == 32 * 7 * 7
    assert flattened_features(30) == 32 * 7 * 7, "pooling rounds down: 30 -> 15 -> 7"
    assert flattened_features(16, channels=8) == 8 * 4 * 4, "use the channels argument"
    assert flattened_features(4) == 32, "4 is the smallest valid size: 4 -> 2 -> 1, 32 features"


def test_flattened_features_rejects_tiny_input():
    with pytest.raises(ValueError, match="input_size"):
        flattened_features(3)


def test_features_is_the_lab_conv_stack():
    got = list(FlattenHeadCNN().features)
    for index, want in enumerate(LAB_STACK):
        assert index < len(got), (
            f"model.features[{index}] should be {want}, but model.features has only {len(got)} layers "
            "(the stack ends with Conv2d(16, 32, 3, padding=1) and its ReLU)")
        assert repr(got[index]) == repr(want), f"model.features[{index}] should be {want}, got {got[index]}"
    assert len(got) == len(LAB_STACK), (
        f"model.features should hold the {len(LAB_STACK)} layers of the lab's stack, got {len(got)}: {got}")


@pytest.mark.parametrize("size, classes", [(16, 4), (28, 3)])
def test_shapes(size, classes):
    model = FlattenHeadCNN(num_classes=classes, input_size=size)
    x = torch.zeros(2, 1, size, size)
    with torch.no_grad():
        feats = model.features(x)
        logits = model(x)
    assert feats.shape == (2, 32, size // 4, size // 4), (
        f"model.features should map (2, 1, {size}, {size}) to (2, 32, {size // 4}, {size // 4}), got {tuple(feats.shape)}")
    assert logits.shape == (2, classes), f"expected logits of shape (2, {classes}), got {tuple(logits.shape)}"


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
    with pytest.raises(ValueError, match="20"):  # the width counts too
        model(torch.zeros(1, 1, 20, 24))


def test_forward_returns_the_heads_logits():
    model = FlattenHeadCNN()
    x = torch.rand(3, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = model(x)
        want = model.head(model.features(x))
    assert_logits(out, "FlattenHeadCNN's forward")
    assert torch.equal(out, want), "forward(x) should return self.head(self.features(x)), the logits"


def test_forward_is_differentiable():
    """The grader trains your model: its output must carry gradients back to the weights."""
    out = FlattenHeadCNN()(torch.rand(2, 1, 16, 16))
    assert out.requires_grad, (
        "model(x) carries no gradient: don't use torch.no_grad() or .detach() in forward")


def test_flatten_head_imports_only_what_the_grader_has():
    import flatten_head

    assert_imports_only_what_the_grader_has(flatten_head)


def test_features_and_head_can_be_rebuilt_by_the_grader():
    model = FlattenHeadCNN()
    assert_rebuildable(model.features, "FlattenHeadCNN().features")
    assert_rebuildable(model.head, "FlattenHeadCNN().head")


def test_trains_on_the_lab_data():
    """Like the grader: the lab's loop, 20 epochs, on the lab's four-class data; its validation split."""
    import cnnlab

    def as_the_grader_runs_it():  # it rebuilds `features` and `head` and runs head(features(x))
        model = FlattenHeadCNN()
        return nn.Sequential(model.features, model.head)

    acc = accuracy_after_training(as_the_grader_runs_it, cnnlab.make_line_dataset(seed=3), seed=3,
                                  epochs=TRAINING_EPOCHS)
    assert acc >= TRAINING_THRESHOLD, (
        f"after {TRAINING_EPOCHS} epochs of the lab's training loop, FlattenHeadCNN() classified {acc:.0%} of the "
        f"validation images correctly; the grader needs {TRAINING_THRESHOLD:.0%} on new images")
