"""Hidden suite for ex2 (mixup): 10 points."""

import numpy as np
import pytest
import torch

from grader.course.checks import check_raises, check_tensor
from grader.seam import Seeded

NUM_CLASSES = 5
SEEDED_CASES = [  # (seed, alpha, batch size)
    (0, 0.2, 8),
    (11, 1.0, 6),
    (2024, 0.4, 9),
]


def _images(n, seed, dtype=torch.float32, shape=(3, 5, 4)):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, *shape, generator=g).to(dtype)


def _labels(n, seed, num_classes=NUM_CLASSES):
    g = torch.Generator().manual_seed(seed + 1)
    return torch.randint(0, num_classes, (n,), generator=g)


def _replay(seed, alpha, n):
    """lam and perm exactly as the contract draws them, plus the generator's next draw."""
    rng = np.random.default_rng(seed)
    lam = float(rng.beta(alpha, alpha))
    perm = torch.as_tensor(rng.permutation(n), dtype=torch.int64)
    return lam, perm, float(rng.random())


def _seeded_results(who):
    out = []
    for seed, alpha, n in SEEDED_CASES:
        x, y = _images(n, seed), _labels(n, seed)
        out.append(who.ex2.mixup_batch(x, y, NUM_CLASSES, alpha=alpha, rng=Seeded(seed)))
    return out


@pytest.mark.points(1)
def test_one_hot_matches_reference(sub, ref):
    """one_hot() returns float32 [N, num_classes] with a single 1.0 per row."""
    for y, c in [(_labels(40, 3, 7), 7), (torch.tensor([0, 1, 2]), 3), (torch.tensor([4]), 5),
                 (torch.zeros(0, dtype=torch.int64), 4)]:
        check_tensor(sub.ex2.one_hot(y, c), ref.ex2.one_hot(y, c),
                     f"one_hot(y, {c}) for {len(y)} labels", exact=True)


@pytest.mark.public
@pytest.mark.points(1)
def test_one_hot_rejects_out_of_range_labels(sub):
    """one_hot() raises ValueError for a label < 0 or >= num_classes."""
    for labels in ([0, -1, 2], [0, 4, 1], [9]):
        y = torch.tensor(labels)
        check_raises(ValueError, lambda: sub.ex2.one_hot(y, 4), f"one_hot({labels}, 4)")


@pytest.mark.public
@pytest.mark.points(1)
def test_mix_matches_formula(sub, ref):
    """mix() returns lam * x + (1 - lam) * x[perm] (and the same for labels)."""
    x = _images(6, 5)
    y_soft = torch.softmax(torch.randn(6, 4, generator=torch.Generator().manual_seed(6)), dim=1)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    for lam in (0.3, 1.0, 0.875):
        want = ref.ex2.mix(x, y_soft, lam, perm)  # first: the judge's inputs are the pristine ones
        got = sub.ex2.mix(x, y_soft, lam, perm)
        assert isinstance(got, tuple) and len(got) == 2, (
            f"mix() should return a tuple (x_mixed, y_mixed), got {type(got).__name__}")
        check_tensor(got[0], want[0], f"mix(x, y_soft, lam={lam}, perm)[0] (x_mixed)")
        check_tensor(got[1], want[1], f"mix(x, y_soft, lam={lam}, perm)[1] (y_mixed)")


@pytest.mark.points(2)
def test_mixup_batch_images_match_reference_for_seeded_rng(sub, ref):
    """mixup_batch() mixes the images exactly as the reference does for the same seeded rng."""
    for (seed, alpha, n), got, want in zip(SEEDED_CASES, _seeded_results(sub), _seeded_results(ref)):
        assert isinstance(got, tuple) and len(got) == 2, (
            f"mixup_batch() should return a tuple (x_mixed, y_soft), got {type(got).__name__}")
        check_tensor(got[0], want[0], f"mixup_batch(x, y, {NUM_CLASSES}, alpha={alpha}, rng=default_rng({seed}))[0]")


@pytest.mark.points(2)
def test_mixup_batch_labels_match_reference_for_seeded_rng(sub, ref):
    """mixup_batch() mixes the one-hot labels with the same lam and perm as the images."""
    for (seed, alpha, n), got, want in zip(SEEDED_CASES, _seeded_results(sub), _seeded_results(ref)):
        assert isinstance(got, tuple) and len(got) == 2, (
            f"mixup_batch() should return a tuple (x_mixed, y_soft), got {type(got).__name__}")
        check_tensor(got[1], want[1], f"mixup_batch(x, y, {NUM_CLASSES}, alpha={alpha}, rng=default_rng({seed}))[1]")


@pytest.mark.points(1)
def test_mixup_batch_draws_beta_then_permutation(sub):
    """mixup_batch() draws lam = rng.beta(alpha, alpha) first, then rng.permutation(N), and nothing else."""
    for seed, alpha, n in SEEDED_CASES:
        x, y = _images(n, seed), _labels(n, seed)
        lam, perm, next_draw = _replay(seed, alpha, n)
        got = sub.ex2.mixup_batch.probe(x, y, NUM_CLASSES, alpha=alpha, rng=Seeded(seed))
        assert got["rng_next"] == next_draw, (
            "mixup_batch() drew a different number of random values than one rng.beta(alpha, alpha) "
            "followed by one rng.permutation(N)")
        check_tensor(got["result"][0], lam * x + (1 - lam) * x[perm],
                     f"mixup_batch(..., alpha={alpha}) with lam and perm drawn in that order")


@pytest.mark.public
@pytest.mark.points(1)
def test_mixup_batch_alpha_zero_draws_nothing(sub):
    """With alpha <= 0, mixup_batch() returns the images unchanged and one-hot labels, drawing nothing."""
    x, y = _images(5, 8), _labels(5, 8)
    want_y = torch.nn.functional.one_hot(y, NUM_CLASSES).to(torch.float32)
    for alpha in (0.0, -0.5):
        got = sub.ex2.mixup_batch.probe(x, y, NUM_CLASSES, alpha=alpha, rng=Seeded(9))
        check_tensor(got["result"][0], x, f"mixup_batch(..., alpha={alpha})[0]", exact=True)
        check_tensor(got["result"][1], want_y, f"mixup_batch(..., alpha={alpha})[1]", exact=True)
        assert got["rng_next"] == np.random.default_rng(9).random(), (
            f"mixup_batch(..., alpha={alpha}) drew from rng: with alpha <= 0 it must draw nothing")


@pytest.mark.points(0.5)
def test_mixup_batch_keeps_dtype(sub):
    """mixup_batch() keeps x's dtype and shape and returns float32 labels [N, num_classes]."""
    for dtype in (torch.float64, torch.float16):
        x, y = _images(7, 4, dtype=dtype, shape=(1, 6, 3)), _labels(7, 4)
        got = sub.ex2.mixup_batch(x, y, NUM_CLASSES, alpha=0.3, rng=Seeded(1))
        assert isinstance(got, tuple) and len(got) == 2, (
            f"mixup_batch() should return a tuple (x_mixed, y_soft), got {type(got).__name__}")
        for value, what, dtype_want, shape_want in ((got[0], "x_mixed", dtype, tuple(x.shape)),
                                                    (got[1], "y_soft", torch.float32, (7, NUM_CLASSES))):
            assert isinstance(value, torch.Tensor), f"mixup_batch(): {what} should be a tensor"
            assert value.dtype == dtype_want and tuple(value.shape) == shape_want, (
                f"mixup_batch() on {dtype} images: {what} should be {dtype_want} {shape_want}, "
                f"got {value.dtype} {tuple(value.shape)}")


@pytest.mark.points(0.5)
def test_mix_and_mixup_batch_leave_inputs_unchanged(sub):
    """mix() and mixup_batch() modify none of their inputs in place."""
    x, y = _images(6, 5), _labels(6, 5)
    y_soft = torch.nn.functional.one_hot(y, NUM_CLASSES).to(torch.float32)
    got = sub.ex2.mix.probe(x, y_soft, 0.3, torch.tensor([3, 0, 5, 1, 4, 2]))
    assert got["inputs_unchanged"], "mix() modified its inputs in place: build new tensors instead"
    for dtype in (torch.float32, torch.float64):
        got = sub.ex2.mixup_batch.probe(x.to(dtype), y, NUM_CLASSES, alpha=0.3, rng=Seeded(1))
        assert got["inputs_unchanged"], "mixup_batch() modified x or y in place: build new tensors instead"
