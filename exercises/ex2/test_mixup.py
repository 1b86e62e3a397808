"""Public tests for ex2 (a friendly subset of what is graded). Run: pytest exercises/ex2"""

import numpy as np
import pytest
import torch

from mixup import mix, mixup_batch, one_hot
from public_checks import assert_close as _assert_close
from public_checks import assert_imports_only_what_the_grader_has, call_unchanged


def _batch(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 4, 4, generator=g)
    y = torch.randint(0, 3, (n,), generator=g)
    return x, y


def _one_hot(y, num_classes=3):
    return torch.nn.functional.one_hot(y, num_classes).float()


def _replay(seed, alpha, n):
    """lam and perm as the exercise draws them: beta first, then the permutation."""
    rng = np.random.default_rng(seed)
    lam = float(rng.beta(alpha, alpha))
    return lam, torch.as_tensor(rng.permutation(n))


def test_one_hot_values_and_dtype():
    got = one_hot(torch.tensor([2, 0, 1]), 3)
    want = torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert isinstance(got, torch.Tensor), f"one_hot() returns a tensor, got {type(got).__name__}"
    assert got.dtype == torch.float32, f"one_hot() returns float32, got {got.dtype}"
    assert got.shape == (3, 3), f"expected shape (3, 3) = [N, num_classes], got {tuple(got.shape)}"
    assert torch.equal(got, want), f"expected\n{want}\ngot\n{got}"


@pytest.mark.parametrize("bad_label", [-1, 3], ids=["negative", "equal_to_num_classes"])
def test_one_hot_rejects_labels_out_of_range(bad_label):
    with pytest.raises(ValueError):
        one_hot(torch.tensor([0, bad_label]), 3)


def test_mix_formula():
    x, y = _batch(4)
    y_soft, perm = _one_hot(y), torch.tensor([1, 2, 3, 0])
    want_x, want_y = 0.7 * x + 0.3 * x[perm], 0.7 * y_soft + 0.3 * y_soft[perm]  # before the call
    x_mixed, y_mixed = call_unchanged(mix, x, y_soft, 0.7, perm)
    _assert_close(x_mixed, want_x, "x_mixed should be lam * x + (1 - lam) * x[perm]")
    _assert_close(y_mixed, want_y, "y_mixed should be lam * y_soft + (1 - lam) * y_soft[perm]")


def test_mixup_batch_draws_lam_then_perm():
    x, y = _batch(6)
    lam, perm = _replay(7, 0.4, 6)
    want = lam * x + (1 - lam) * x[perm]
    x_mixed, _ = call_unchanged(mixup_batch, x, y, 3, alpha=0.4, rng=np.random.default_rng(7))
    _assert_close(x_mixed, want,
                  "x_mixed differs: draw from the rng argument, lam = rng.beta(alpha, alpha) FIRST, "
                  "then perm = rng.permutation(N)")


def test_mixup_batch_mixes_labels_like_images():
    x, y = _batch(6)
    lam, perm = _replay(7, 0.4, 6)
    want = lam * _one_hot(y) + (1 - lam) * _one_hot(y)[perm]
    _, y_soft = call_unchanged(mixup_batch, x, y, 3, alpha=0.4, rng=np.random.default_rng(7))
    _assert_close(y_soft, want, "the one-hot labels must be mixed with the same lam and perm as the images")


def test_mixup_batch_draws_nothing_more():
    rng = np.random.default_rng(7)
    mixup_batch(*_batch(6), 3, alpha=0.4, rng=rng)
    twin = np.random.default_rng(7)
    twin.beta(0.4, 0.4)
    twin.permutation(6)
    assert rng.random() == twin.random(), (
        "mixup_batch() must draw exactly one rng.beta(alpha, alpha) and one rng.permutation(N), nothing more")


def test_mixup_batch_alpha_zero_draws_nothing():
    x, y = _batch(5)
    rng = np.random.default_rng(3)
    x_out, y_out = call_unchanged(mixup_batch, x, y, 3, alpha=0.0, rng=rng)
    assert torch.equal(x_out, x), "with alpha <= 0 the images come back unchanged"
    assert torch.equal(y_out, _one_hot(y)), "with alpha <= 0 the labels are plain one-hot"
    assert rng.random() == np.random.default_rng(3).random(), "with alpha <= 0 nothing may be drawn from rng"


def test_mix_and_mixup_batch_leave_inputs_unchanged():
    x, y = _batch(4)
    call_unchanged(mix, x, _one_hot(y), 0.7, torch.tensor([1, 2, 3, 0]))
    call_unchanged(mixup_batch, x, y, 3, rng=np.random.default_rng(0))


def test_mixup_batch_keeps_dtype():
    x, y = _batch(4)
    x_mixed, y_soft = mixup_batch(x.double(), y, 3, rng=np.random.default_rng(0))
    assert x_mixed.dtype == torch.float64, f"x_mixed keeps x's dtype (float64 here), got {x_mixed.dtype}"
    assert y_soft.dtype == torch.float32 and y_soft.shape == (4, 3), (
        f"y_soft is float32 [N, num_classes], got {y_soft.dtype} {tuple(y_soft.shape)}")


def test_mixup_imports_only_what_the_grader_has():
    import mixup

    assert_imports_only_what_the_grader_has(mixup)
