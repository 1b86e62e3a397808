"""Public tests for ex4 (a friendly subset of what is graded). Run: pytest exercises/ex4"""

import pytest
import torch
import torch.nn.functional as F

from soft_ce import log_softmax, smooth_labels, soft_cross_entropy


def _logits(n=5, c=4, seed=0):
    return torch.randn(n, c, generator=torch.Generator().manual_seed(seed)) * 3


def test_log_softmax_matches_torch():
    z = _logits()
    got = log_softmax(z)
    assert got.shape == z.shape and got.dtype == z.dtype, (
        f"log_softmax keeps shape and dtype {tuple(z.shape)} {z.dtype}, got {tuple(got.shape)} {got.dtype}")
    torch.testing.assert_close(got, torch.log_softmax(z, dim=-1), msg="log_softmax(z) differs from torch.log_softmax(z, -1)")
    torch.testing.assert_close(log_softmax(z, dim=0), torch.log_softmax(z, dim=0), msg="log_softmax(z, dim=0) is wrong: use the dim argument")


def test_log_softmax_is_stable_for_huge_logits():
    z = torch.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4 + 1.0, -1e4 + 2.0]])
    got = log_softmax(z)
    assert torch.isfinite(got[:, :2]).all() and not torch.isnan(got).any(), (
        f"log_softmax overflowed for logits of size 1e4: got {got}. Hint: subtract the row maximum first")
    torch.testing.assert_close(got, torch.log_softmax(z, dim=-1), msg="wrong values for logits of size 1e4")


def test_log_softmax_is_differentiable():
    z = _logits().requires_grad_(True)
    out = log_softmax(z)
    assert out.requires_grad, "the result must be differentiable: don't detach it or go through numpy"
    out[:, 0].sum().backward()
    want = torch.autograd.grad(torch.log_softmax(z, -1)[:, 0].sum(), z)[0]
    torch.testing.assert_close(z.grad, want, msg="the gradient of your log_softmax is wrong")


def test_soft_cross_entropy_equals_cross_entropy_for_one_hot_targets():
    z, y = _logits(), torch.tensor([0, 3, 1, 1, 2])
    t = F.one_hot(y, 4).float()
    for reduction in ("mean", "sum", "none"):
        got = soft_cross_entropy(z, t, reduction=reduction)
        want = F.cross_entropy(z, y, reduction=reduction)
        assert got.shape == want.shape, f"reduction={reduction!r}: expected shape {tuple(want.shape)}, got {tuple(got.shape)}"
        torch.testing.assert_close(got, want, msg=f"reduction={reduction!r}: differs from F.cross_entropy")


def test_soft_cross_entropy_rejects_bad_arguments():
    z = _logits()
    with pytest.raises(ValueError, match="reduction"):
        soft_cross_entropy(z, torch.full((5, 4), 0.25), reduction="average")
    with pytest.raises(ValueError):
        soft_cross_entropy(z, torch.full((5, 3), 1 / 3))


def test_smooth_labels_values():
    got = smooth_labels(torch.tensor([1, 0]), 4, eps=0.2)
    want = torch.tensor([[0.05, 0.85, 0.05, 0.05], [0.85, 0.05, 0.05, 0.05]])
    assert got.dtype == torch.float32, f"smooth_labels returns float32, got {got.dtype}"
    torch.testing.assert_close(got, want, msg="expected (1 - eps) * one_hot + eps / num_classes")
    with pytest.raises(ValueError, match="eps"):
        smooth_labels(torch.tensor([1, 0]), 4, eps=1.0)
