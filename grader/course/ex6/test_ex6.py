"""Hidden suite of exercise 6 (a fifth class): 10 points.

Student code is reached only through `sub` (and the reference through `ref`); see conftest.
The training test runs the student's `build_model()` through the lab's own loop
(`cnnlab.train`: full-batch Adam, lr 0.01) inside the worker, on the student's
`make_dataset(seed=TRAIN_SEED)`, and scores the logits it returns for validation images
drawn here by the REFERENCE generator; their labels never reach the worker.
"""

import numpy as np
import pytest
import torch

from grader import limits
from grader.course.checks import check_array, check_raises, check_tensor
from grader.course.ex6.probes import MAX_PARAMS_EX6, ex6_model_summary, ex6_train_and_predict
from grader.seam import Seeded

NUM_CLASSES = 5

# Budget: 20 epochs, the lab's published checkpoint (run card: val_acc 1.000 at epoch 20),
# not cnnlab.EPOCHS = 80: ~0.6 s of CPU instead of ~2.5 s (docs/calibration.md).
GRADING_EPOCHS = 20
TRAIN_SEED = 2024
EVAL_SEED = 86_753_090  # evaluation images: a seed students don't know
EVAL_PER_CLASS = 40     # 200 images
# Calibrated (benchmarks/calibrate_thresholds.py, docs/calibration.md): the reference over 24
# seeds scores min 1.000 / median 1.000 / max 1.000 on 200 images after 20 epochs (its own
# val_acc first hits 1.0 at epoch 11 median, 17 max). Margin 0.10 below the reference's minimum.
# Separates: no shuffle before the split 0.800 (never sees class 4), labels not shuffled
# with the images 0.200..0.400, a 4-way head fails to train at all.
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


@pytest.mark.points(1)
def test_build_model_gives_logits_within_parameter_budget(sub):
    entries = sub.run(ex6_model_summary, [None, 3], what="build_model()")
    for entry, classes in zip(entries, (NUM_CLASSES, 3)):
        call = "build_model()" if entry["num_classes"] is None else f"build_model(num_classes={classes})"
        assert entry["is_module"], f"{call} should return an nn.Module"
        assert entry["params"] <= MAX_PARAMS_EX6, (
            f"{call} has {entry['params']:,} parameters; the limit is {MAX_PARAMS_EX6:,}")
        assert "error" not in entry, f"{call} failed on a [3, 1, 16, 16] batch: {entry.get('error')}"
        assert entry["shape"] == [3, classes], (
            f"{call} gave logits of shape {tuple(entry['shape'])} for 3 images, expected (3, {classes})")
        assert entry["dtype"] == "torch.float32", f"{call} gave {entry['dtype']} logits, expected torch.float32"
        assert not entry["looks_like_probabilities"], (
            f"{call} returns probabilities (each row sums to 1): return raw logits, the training "
            "loop's cross-entropy applies the softmax itself")


@pytest.mark.points(2)
@pytest.mark.timeout(2 * limits.for_exercise("ex6").training_timeout_s)
def test_model_trained_on_your_dataset_classifies_reference_images(sub, ref):
    X_train, y_train, X_val, y_val = ref.ex6.make_dataset(per_class=EVAL_PER_CLASS, seed=EVAL_SEED)
    X_eval, y_eval = torch.cat([X_train, X_val]), torch.cat([y_train, y_val])
    out = sub.run(ex6_train_and_predict, TRAIN_SEED, GRADING_EPOCHS, X_eval,
                  timeout=limits.for_exercise("ex6").training_timeout_s,
                  what="training build_model() on make_dataset()")
    assert out["logits"] is not None, (
        f"build_model() has {out['params']:,} parameters (limit {MAX_PARAMS_EX6:,}), so it was not trained")
    logits = out["logits"]
    assert isinstance(logits, torch.Tensor) and tuple(logits.shape) == (len(y_eval), NUM_CLASSES), (
        f"the trained model should give logits of shape ({len(y_eval)}, {NUM_CLASSES}), got "
        f"{tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__}")
    acc = (logits.argmax(dim=1) == y_eval).double().mean().item()
    assert acc >= ACC_THRESHOLD, (
        f"after {GRADING_EPOCHS} epochs of the lab's training loop on your make_dataset(seed={TRAIN_SEED}), "
        f"your model classified {acc:.1%} of {len(y_eval)} new reference images correctly; "
        f"{ACC_THRESHOLD:.0%} is needed")
