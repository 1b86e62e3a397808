"""Hidden suite of exercise 7 (a flatten head): 10 points.

Student code is reached only through `sub` (and the reference through `ref`); see conftest.
The worker only describes `FlattenHeadCNN(...).features` and `.head` (layers and fx graphs); the
judge rebuilds the model as features then head from an allow-list, and computes shapes,
parameter counts, logits with identical weights and the trained accuracy itself
(grader/architecture.py, grader/course/models.py). Only the size check of `forward`, which
tracing can't follow, is seen by calling the student's model in the worker: that test is
worth 1 point.
"""

import math
import zlib

import pytest
import torch

import cnnlab
from grader import limits
from grader.course import models
from grader.course.checks import check_raises, check_tensor
from grader.course.ex7.probes import ex7_architecture, ex7_forward_contract

SIZES = (16, 20, 28, 32)
CLASS_COUNTS = (4, 3)

# Budget: 20 epochs, the lab's published checkpoint (run card: val_acc 1.000 at epoch 20),
# not cnnlab.EPOCHS = 80 (docs/calibration.md).
GRADING_EPOCHS = 20
TRAIN_SEED = 2024
DATA_SEED = 42          # the lab's own data set (cnnlab.make_line_dataset's default seed)
EVAL_SEED = 31_415_926  # evaluation images: a seed students don't know
EVAL_PER_CLASS = 50     # 200 images
# Calibrated (benchmarks/calibrate_thresholds.py, docs/calibration.md) with the judge's own
# rebuild, initialisation and training: the reference over 50 seeds scores min 1.000 / median
# 1.000 / max 1.000 on 200 images after 20 epochs (its val_acc first hits 1.0 at epoch 3 median,
# 5 max). Margin 0.10 below the reference's minimum (20 of 200 images).
# The lab's data are easy: a missing ReLU still reaches 1.000 and is caught by the structure and
# identical-weights tests instead; this test catches features/head that can't learn the lines.
ACC_THRESHOLD = 0.90


@pytest.mark.public
@pytest.mark.points(1)
def test_flattened_features_matches_formula(sub, ref):
    for size, channels in ((4, 32), (5, 32), (16, 32), (20, 32), (28, 32), (31, 32), (32, 32), (16, 8), (28, 1)):
        got = sub.ex7.flattened_features(size, channels=channels)
        want = ref.ex7.flattened_features(size, channels=channels)
        what = f"flattened_features({size}, channels={channels})"
        assert isinstance(got, int) and not isinstance(got, bool), (
            f"{what} should return a Python int, got {type(got).__name__}")
        assert got == want, f"{what} returned {got}, expected {want}"


@pytest.mark.public
@pytest.mark.points(1)
def test_flattened_features_rejects_input_smaller_than_4(sub):
    for size in (3, 1, 0):
        check_raises(ValueError, lambda: sub.ex7.flattened_features(size),
                     f"flattened_features({size})", mentions="input_size")


def _model(size, classes):
    return f"FlattenHeadCNN(num_classes={classes}, input_size={size})"


@pytest.fixture(scope="module")
def described(sub, ref):
    """{(size, classes): (student's entry, reference's entry)}: descriptions of features and head."""
    args = (list(SIZES), list(CLASS_COUNTS))
    got = sub.run(ex7_architecture, *args, what="FlattenHeadCNN")
    want = ref.run(ex7_architecture, *args)
    return {(w["size"], w["num_classes"]): (g, w) for g, w in zip(got, want)}


def _parts(entry, what):
    """The rebuilt architecture of `entry` (features then head); a failure fails the test."""
    assert "error" not in entry, f"{what} could not be built: {entry.get('error')}"
    models.rebuild(entry["features"], what=f"{what}.features")
    models.rebuild(entry["head"], what=f"{what}.head")
    return models.rebuild(entry["features"], entry["head"], what=what)


@pytest.mark.points(1)
def test_features_is_the_lab_conv_stack(described):
    got, want = described[(20, 4)]
    what = _model(20, 4)
    assert "error" not in got, f"{what} could not be built: {got.get('error')}"
    got_layers = models.rebuild(got["features"], what=f"{what}.features").layers
    want_layers = models.rebuild(want["features"], what="reference").layers
    for i, (g, w) in enumerate(zip(got_layers, want_layers)):
        assert g == w, (f"FlattenHeadCNN().features differs from the lab's conv stack at layer {i}: "
                        f"got {g}, expected {w}")
    assert len(got_layers) == len(want_layers), (
        f"FlattenHeadCNN().features has {len(got_layers)} layers; the lab's conv stack has {len(want_layers)} "
        "(3 x Conv2d/ReLU, 2 x MaxPool2d, no global pooling)")


def _shapes(entry, size, what):
    """Shapes of features(x) and head(features(x)) for x [2, 1, size, size], or why each fails."""
    x_shape = (2, 1, size, size)
    out = []
    for arch in (models.rebuild(entry["features"], what=f"{what}.features"), _parts(entry, what)):
        try:
            out.append(arch.check(x_shape, what=what)[0])
        except models.architecture.Fails as exc:
            out.append(f"an error ({str(exc).split(': ', 1)[-1]})")
    return out


@pytest.mark.points(2)
def test_shapes_for_several_input_sizes(described):
    for (size, classes), (got, want) in described.items():
        what = _model(size, classes)
        g_feat, g_logits = _shapes(got, size, what)
        w_feat, w_logits = _shapes(want, size, "reference")
        for g, w, call in ((g_feat, w_feat, "model.features(x)"), (g_logits, w_logits, "model(x)")):
            assert g == w, f"{what}: {call} for x of shape (2, 1, {size}, {size}) gave {g}, expected {w}"


@pytest.mark.points(1)
def test_parameter_counts_for_several_input_sizes(described):
    for (size, classes), (got, want) in described.items():
        what = _model(size, classes)
        g, w = _parts(got, what).params, _parts(want, "reference").params
        assert g == w, f"{what} has {g:,} parameters, expected {w:,}"


@pytest.mark.public
@pytest.mark.points(1)
def test_forward_rejects_wrong_input_size_naming_expected_size(sub):
    # Calls the student's forward in the worker (a data-dependent check), so worth 1 point only.
    # It also checks that forward is head(features(x)) at the right size: the other tests grade
    # exactly that composition, rebuilt.
    for size, shape in ((20, [2, 1, 16, 16]), (16, [2, 1, 16, 20]), (28, [1, 1, 32, 32])):
        contract = sub.run(ex7_forward_contract, size, [shape], what="FlattenHeadCNN.forward()")
        (got,) = contract["wrong_sizes"]
        what = f"FlattenHeadCNN(input_size={size}) called on a {shape[2]}x{shape[3]} input"
        assert got["raised"] is not None, f"{what} should raise ValueError, but it returned normally"
        assert got["raised"] == "ValueError", f"{what} should raise ValueError, but raised {got['type']}: {got['message']}"
        assert str(size) in got["message"], (
            f"{what} raised ValueError, but its message should name the expected size {size}: got {got['message']!r}")
        assert contract["same_as_parts"] is True, (
            f"FlattenHeadCNN(input_size={size}).forward(x) should return self.head(self.features(x)) after the "
            f"size check, nothing more (no softmax: logits; no no_grad): {contract['same_as_parts']}")


def _fill_by_shape(model, seed):
    """Give every parameter values that depend only on its shape, so that two models with the
    same layers compute the same function whatever order they registered them in."""
    with torch.no_grad():
        for p in model.parameters():
            key = zlib.crc32(repr(tuple(p.shape)).encode())
            g = torch.Generator().manual_seed(seed * 1_000_003 + key)
            fan_in = max(1, p[0].numel()) if p.dim() > 1 else 10
            p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(fan_in))


def _logits_with_fixed_weights(entry, size, seed, what):
    arch = _parts(entry, what)
    x = torch.rand(4, 1, size, size, generator=torch.Generator().manual_seed(seed))
    models.output(arch, tuple(x.shape), what=what)
    model = arch.build(seed=seed).eval()
    _fill_by_shape(model, seed)
    with torch.no_grad():
        return model(x)


@pytest.mark.points(1)
def test_forward_matches_reference_with_identical_weights(described):
    for (size, classes), seed in (((20, 4), 5), ((16, 3), 6)):
        got, want = described[(size, classes)]
        what = _model(size, classes)
        check_tensor(_logits_with_fixed_weights(got, size, seed, what),
                     _logits_with_fixed_weights(want, size, seed, "reference"),
                     f"{what} with the same weights as the reference: logits", atol=1e-4, rtol=1e-4)


@pytest.mark.points(2)
@pytest.mark.timeout(2 * limits.for_exercise("ex7").training_timeout_s)
def test_trains_to_accuracy_threshold_on_lab_data(described):
    X_train, y_train, X_val, y_val = cnnlab.make_line_dataset(per_class=EVAL_PER_CLASS, seed=EVAL_SEED)
    X_eval, y_eval = torch.cat([X_train, X_val]), torch.cat([y_train, y_val])
    got, _ = described[(16, 4)]
    what = "FlattenHeadCNN()"
    arch = _parts(got, what)
    shape, _ = models.output(arch, (len(X_eval), 1, 16, 16), what=what)
    assert shape == (len(X_eval), 4), f"{what} should give logits of shape ({len(X_eval)}, 4), got {shape}"
    out = models.train_and_predict(arch, TRAIN_SEED, cnnlab.make_line_dataset(seed=DATA_SEED), GRADING_EPOCHS,
                                   X_eval, timeout_s=limits.for_exercise("ex7").training_timeout_s,
                                   what="training FlattenHeadCNN() on the lab's data")
    acc = models.accuracy(out["logits"], y_eval)
    assert acc >= ACC_THRESHOLD, (
        f"after {GRADING_EPOCHS} epochs of the lab's training loop on the lab's data, FlattenHeadCNN() "
        f"classified {acc:.1%} of {len(y_eval)} new line images correctly; {ACC_THRESHOLD:.0%} is needed")
