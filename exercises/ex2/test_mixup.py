"""Public tests for ex2 (a friendly subset of what is graded). Run: pytest exercises/ex2"""

import numpy as np
import pytest
import torch

from mixup import mix, mixup_batch, one_hot
from public_checks import assert_close as _assert_close


def _batch(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 4, 4, generator=g)
    y = torch.randint(0, 3, (n,), generator=g)
    return x, y


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
    y_soft = torch.nn.functional.one_hot(y, 3).float()
    perm = torch.tensor([1, 2, 3, 0])
    x_before, y_before = x.clone(), y_soft.clone()
    x_mixed, y_mixed = mix(x, y_soft, 0.7, perm)
    _assert_close(x_mixed, 0.7 * x + 0.3 * x[perm], "x_mixed should be lam * x + (1 - lam) * x[perm]")
    _assert_close(y_mixed, 0.7 * y_soft + 0.3 * y_soft[perm], "y_mixed should be lam * y_soft + (1 - lam) * y_soft[perm]")
    assert torch.equal(x, x_before) and torch.equal(y_soft, y_before), "mix() must not modify its inputs in place"


def test_mixup_batch_draws_lam_then_perm():
    x, y = _batch(6)
    x_mixed, y_soft = mixup_batch(x, y, 3, alpha=0.4, rng=np.random.default_rng(7))
    # Replay the same draws, in the order the exercise asks for: beta first, then permutation.
    rng = np.random.default_rng(7)
    lam = float(rng.beta(0.4, 0.4))
    perm = torch.as_tensor(rng.permutation(6))
    _assert_close(x_mixed, lam * x + (1 - lam) * x[perm],
                               "x_mixed differs: draw lam = rng.beta(alpha, alpha) FIRST, then perm = rng.permutation(N)")
    y1 = torch.nn.functional.one_hot(y, 3).float()
    _assert_close(y_soft, lam * y1 + (1 - lam) * y1[perm],
                               "the labels must be mixed with the same lam and perm as the images")


def test_mixup_batch_alpha_zero_draws_nothing():
    x, y = _batch(5)
    rng = np.random.default_rng(3)
    x_out, y_out = mixup_batch(x, y, 3, alpha=0.0, rng=rng)
    assert torch.equal(x_out, x), "with alpha <= 0 the images come back unchanged"
    assert torch.equal(y_out, torch.nn.functional.one_hot(y, 3).float()), "with alpha <= 0 the labels are plain one-hot"
    assert rng.random() == np.random.default_rng(3).random(), "with alpha <= 0 nothing may be drawn from rng"


def test_mixup_batch_keeps_dtype_and_inputs():
    x, y = _batch(4)
    x = x.double()
    x_before, y_before = x.clone(), y.clone()
    x_mixed, y_soft = mixup_batch(x, y, 3, rng=np.random.default_rng(0))
    assert x_mixed.dtype == torch.float64, f"x_mixed keeps x's dtype (float64 here), got {x_mixed.dtype}"
    assert y_soft.dtype == torch.float32 and y_soft.shape == (4, 3), (
        f"y_soft is float32 [N, num_classes], got {y_soft.dtype} {tuple(y_soft.shape)}")
    assert torch.equal(x, x_before) and torch.equal(y, y_before), "mixup_batch() must not modify x or y"
