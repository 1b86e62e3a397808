"""Public tests for ex4 (a friendly subset of what is graded). Run: pytest exercises/ex4"""

import pytest
import torch
import torch.nn.functional as F

from soft_ce import log_softmax, smooth_labels, soft_cross_entropy
from public_checks import assert_close as _assert_close
from public_checks import assert_imports_only_what_the_grader_has, call_unchanged


def _logits(n=5, c=4, seed=0):
    return torch.randn(n, c, generator=torch.Generator().manual_seed(seed)) * 3


def test_log_softmax_matches_torch():
    z = _logits()
    got = log_softmax(z)
    assert got.shape == z.shape and got.dtype == z.dtype, (
        f"log_softmax keeps shape and dtype {tuple(z.shape)} {z.dtype}, got {tuple(got.shape)} {got.dtype}")
    _assert_close(got, torch.log_softmax(z, dim=-1), "log_softmax(z) differs from torch.log_softmax(z, -1)")
    _assert_close(log_softmax(z, dim=0), torch.log_softmax(z, dim=0), "log_softmax(z, dim=0) is wrong: use the dim argument")


def test_log_softmax_is_stable_for_huge_logits():
    z = torch.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4 + 1.0, -1e4 + 2.0]])
    got = log_softmax(z)
    assert torch.isfinite(got).all(), (
        f"log_softmax overflowed for logits of size 1e4: got {got}. Hint: subtract the row maximum first")
    # float32 numbers near 1e4 are about 1e-3 apart, hence the loose tolerance.
    _assert_close(got, torch.log_softmax(z, dim=-1), "wrong values for logits of size 1e4",
                  atol=2e-3, rtol=1e-5)


def test_log_softmax_is_differentiable():
    z = _logits().requires_grad_(True)
    out = log_softmax(z)
    assert out.requires_grad, "the result must be differentiable: don't detach it or go through numpy"
    out[:, 0].sum().backward()
    want = torch.autograd.grad(torch.log_softmax(z, -1)[:, 0].sum(), z)[0]
    _assert_close(z.grad, want, "the gradient of your log_softmax is wrong")


def test_soft_cross_entropy_equals_cross_entropy_for_one_hot_targets():
    z, y = _logits(), torch.tensor([0, 3, 1, 1, 2])
    t = F.one_hot(y, 4).float()
    for reduction in ("mean", "sum", "none"):
        got = soft_cross_entropy(z, t, reduction=reduction)
        want = F.cross_entropy(z, y, reduction=reduction)
        assert got.shape == want.shape, f"reduction={reduction!r}: expected shape {tuple(want.shape)}, got {tuple(got.shape)}"
        _assert_close(got, want, f"reduction={reduction!r}: differs from F.cross_entropy")


def test_soft_cross_entropy_with_soft_targets():
    z = _logits()
    t = torch.softmax(_logits(seed=1), dim=1)  # soft targets: every class gets some weight
    per_sample = -(t * torch.log_softmax(z, dim=1)).sum(dim=1)
    for reduction, want in (("none", per_sample), ("sum", per_sample.sum()), ("mean", per_sample.mean())):
        got = call_unchanged(soft_cross_entropy, z, t, reduction=reduction)
        _assert_close(got, want, f"reduction={reduction!r}: expected -sum_c t_c * log_softmax(z)_c per sample "
                                 "(summed over classes), then the reduction over samples")


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
    _assert_close(got, want, "expected (1 - eps) * one_hot + eps / num_classes")


def test_smooth_labels_rejects_bad_eps():
    for eps in (1.0, -0.1):  # 0 <= eps < 1
        with pytest.raises(ValueError, match="eps"):
            smooth_labels(torch.tensor([1, 0]), 4, eps=eps)


def test_log_softmax_uses_no_builtin_softmax(monkeypatch):
    """The point of the exercise: no torch.log_softmax / softmax / logsumexp inside."""
    import soft_ce

    def forbidden(name):
        def fail(*args, **kwargs):
            raise AssertionError(f"log_softmax() called {name}: write it from exp, log, sum and max instead")
        return fail

    targets = [(torch, "log_softmax"), (torch, "softmax"), (torch, "logsumexp"),
               (F, "log_softmax"), (F, "softmax"), (F, "cross_entropy"), (F, "nll_loss"),
               (torch.Tensor, "log_softmax"), (torch.Tensor, "softmax"), (torch.Tensor, "logsumexp"),
               (torch.special, "log_softmax"), (torch.special, "softmax"), (torch.special, "logsumexp")]
    originals = {id(getattr(owner, attr)): f"{getattr(owner, '__name__', 'Tensor')}.{attr}" for owner, attr in targets}
    for owner, attr in targets:
        monkeypatch.setattr(owner, attr, forbidden(f"{getattr(owner, '__name__', 'Tensor')}.{attr}"))
    for name, value in list(vars(soft_ce).items()):  # e.g. `from torch import logsumexp`
        if id(value) in originals:
            monkeypatch.setattr(soft_ce, name, forbidden(originals[id(value)]))
    log_softmax(_logits())


def test_soft_ce_imports_only_what_the_grader_has():
    import soft_ce

    assert_imports_only_what_the_grader_has(soft_ce)
