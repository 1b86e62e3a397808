"""Hidden suite of exercise 6 (a fifth class): 10 points.

Student code is reached only through `sub` (and the reference through `ref`); see conftest.
The model tests never trust the student's model object: the worker only describes
`build_model()`'s architecture (layers and fx graph), and the judge rebuilds it from an
allow-list, initialises it, counts its parameters, runs it, and trains it with the lab's own
loop (`cnnlab.train`: full-batch Adam, lr 0.01) on the tensors of the student's
`make_dataset(seed=TRAIN_SEED)`. It is scored on images drawn here by the REFERENCE
generator, which never cross the seam (grader/architecture.py, grader/course/models.py).
"""

import numpy as np
import pytest
import torch

from grader import limits
from grader.course import models
from grader.course.checks import check_array, check_raises, check_tensor
from grader.course.ex6.probes import ex6_architecture
from grader.seam import Seeded

NUM_CLASSES = 5
MAX_PARAMS = 100_000

# Budget: 20 epochs, the lab's published checkpoint (run card: val_acc 1.000 at epoch 20),
# not cnnlab.EPOCHS = 80: ~0.6 s of CPU instead of ~2.5 s (docs/calibration.md).
GRADING_EPOCHS = 20
TRAIN_SEED = 2024
EVAL_SEED = 86_753_090  # evaluation images: a seed students don't know
EVAL_PER_CLASS = 40     # 200 images
# Calibrated (benchmarks/calibrate_thresholds.py, docs/calibration.md) with the judge's own
# rebuild, initialisation and training: the reference over 50 seeds scores min 1.000 / median
# 1.000 / max 1.000 on 200 images after 20 epochs (its own val_acc first hits 1.0 at epoch 11
# median, 19 max). Margin 0.10 below the reference's minimum (20 of 200 images).
# Separates: no shuffle before the split 0.600..0.800 (never sees class 4), labels not shuffled
# with the images 0.000..0.400, a 4-way head fails the shape check.
ACC_THRESHOLD = 0.90


def _probe_pair(sub, ref, *args, **kwargs):
    """Same call (and same seeds) on both sides; returns the two probe dicts."""
    return sub.ex6.make_image.probe(*args, **kwargs), ref.ex6.make_image.probe(*args, **kwargs)


def _check_image(got, want, what):
    check_array(got["result"], want["result"], what)
    assert got["rng_next"] == want["rng_next"], (
        f"{what} drew a different amount of random numbers than the spec: draw exactly "
        "rng.standard_normal((size, size)) once, after drawing the pattern")


@pytest.mark.points(2)
def test_make_image_matches_reference_for_seeded_rng(sub, ref):
    for size, noise in ((16, 0.08), (20, 0.3), (9, 0.08)):
        for label in range(NUM_CLASSES):
            seed = 100 * size + label
            got, want = _probe_pair(sub, ref, label, size=size, noise=noise, rng=Seeded(seed))
            _check_image(got, want, f"make_image({label}, size={size}, noise={noise}, rng=default_rng({seed}))")


@pytest.mark.public
@pytest.mark.points(1)
def test_make_image_draws_noise_even_when_noise_is_zero(sub, ref):
    for label in range(NUM_CLASSES):
        got, want = _probe_pair(sub, ref, label, size=16, noise=0.0, rng=Seeded(label))
        _check_image(got, want, f"make_image({label}, noise=0.0)")


@pytest.mark.points(1)
def test_make_image_clips_values_to_unit_range(sub, ref):
    for label in (0, 4):
        got, want = _probe_pair(sub, ref, label, size=16, noise=1.0, rng=Seeded(40 + label))
        image = got["result"]
        assert isinstance(image, np.ndarray), f"make_image() should return a numpy array, got {type(image).__name__}"
        low, high = float(image.min()), float(image.max())
        assert low >= 0.0 and high <= 1.0, (
            f"make_image({label}, noise=1.0) has values in [{low:.2f}, {high:.2f}]: clip to [0, 1]")
        _check_image(got, want, f"make_image({label}, noise=1.0)")


@pytest.mark.public
@pytest.mark.points(1)
def test_make_image_rejects_labels_outside_0_to_4(sub):
    for label in (-1, 5, 9):
        check_raises(ValueError, lambda: sub.ex6.make_image(label, rng=Seeded(0)),
                     f"make_image({label})", mentions="label")


@pytest.mark.points(2)
def test_make_dataset_matches_reference_for_seed(sub, ref):
    names = ("X_train", "y_train", "X_val", "y_val")
    for kwargs in ({"seed": 3}, {"per_class": 7, "size": 12, "noise": 0.2, "seed": 11}):
        call = "make_dataset(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"
        got, want = sub.ex6.make_dataset(**kwargs), ref.ex6.make_dataset(**kwargs)
        assert isinstance(got, tuple) and len(got) == 4, (
            f"{call} should return a tuple (X_train, y_train, X_val, y_val)")
        for name, g, w in zip(names, got, want):
            check_tensor(g, w, f"{call}: {name}", exact=True)


def _call(classes):
    return "build_model()" if classes is None else f"build_model(num_classes={classes})"


@pytest.mark.points(1)
def test_build_model_gives_logits_within_parameter_budget(sub):
    descriptions = sub.run(ex6_architecture, [None, 3], what="build_model()")
    x = torch.rand(3, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    for description, classes in zip(descriptions, (None, 3)):
        call, want = _call(classes), classes or NUM_CLASSES
        arch = models.rebuild(description, what=call)
        assert arch.params <= MAX_PARAMS, f"{call} has {arch.params:,} parameters; the limit is {MAX_PARAMS:,}"
        shape, dtype = models.output(arch, tuple(x.shape), what=call)
        assert shape == (3, want), f"{call} gave logits of shape {shape} for 3 images, expected (3, {want})"
        assert dtype == torch.float32, f"{call} gave {dtype} logits, expected torch.float32"
        model = arch.build(seed=0).eval()
        with torch.no_grad():
            rows = model(x).double()
        assert not bool((rows >= 0).all() and ((rows.sum(dim=1) - 1).abs() < 1e-4).all()), (
            f"{call} returns probabilities (each row sums to 1): return raw logits, the training "
            "loop's cross-entropy applies the softmax itself")


@pytest.mark.points(2)
@pytest.mark.timeout(2 * limits.for_exercise("ex6").training_timeout_s)
def test_model_trained_on_your_dataset_classifies_reference_images(sub, ref):
    X_train, y_train, X_val, y_val = ref.ex6.make_dataset(per_class=EVAL_PER_CLASS, seed=EVAL_SEED)
    X_eval, y_eval = torch.cat([X_train, X_val]), torch.cat([y_train, y_val])
    (description,) = sub.run(ex6_architecture, [None], what="build_model()")
    arch = models.rebuild(description, what="build_model()")
    assert arch.params <= MAX_PARAMS, (
        f"build_model() has {arch.params:,} parameters (limit {MAX_PARAMS:,}), so it was not trained")
    data = models.check_dataset(sub.ex6.make_dataset(seed=TRAIN_SEED), num_classes=NUM_CLASSES, size=16,
                                what=f"make_dataset(seed={TRAIN_SEED})")
    shape, _ = models.output(arch, (len(X_eval), 1, 16, 16), what="build_model()")
    assert shape == (len(X_eval), NUM_CLASSES), (
        f"build_model() should give logits of shape ({len(X_eval)}, {NUM_CLASSES}), got {shape}")
    out = models.train_and_predict(arch, TRAIN_SEED, data, GRADING_EPOCHS, X_eval,
                                   timeout_s=limits.for_exercise("ex6").training_timeout_s,
                                   what="training build_model() on make_dataset()")
    acc = models.accuracy(out["logits"], y_eval)
    assert acc >= ACC_THRESHOLD, (
        f"after {GRADING_EPOCHS} epochs of the lab's training loop on your make_dataset(seed={TRAIN_SEED}), "
        f"your model classified {acc:.1%} of {len(y_eval)} new reference images correctly; "
        f"{ACC_THRESHOLD:.0%} is needed")
