"""Hidden suite for ex4 (soft cross-entropy): 10 points.

Expected values come from PyTorch itself (torch.log_softmax, F.cross_entropy) computed here,
in the judge, or from the reference. Gradients run through the probes in
grader/course/ex4/probes.py, beside the student code; which functions log_softmax uses is read
from the source, in the judge (grader.source_checks.forbidden_calls), where it can't be forged.
"""

import pytest
import torch
import torch.nn.functional as F

from grader import limits, source_checks
from grader.course.checks import check_raises, check_tensor
from grader.course.ex4.probes import ex4_log_softmax_run, ex4_soft_ce_gradient
from grader.sandboxed.layout import MODULE_FILES

TASK_TIMEOUT = limits.for_exercise("ex4").task_timeout_s


def _randn(*shape, seed=0, scale=3.0, dtype=torch.float32):
    return (torch.randn(*shape, generator=torch.Generator().manual_seed(seed)) * scale).to(dtype)


def _soft_targets(n, c, seed):
    return torch.softmax(_randn(n, c, seed=seed, scale=2.0), dim=1)


def _run(sub, logits, dim=-1, grad_weights=None):
    return sub.run(ex4_log_softmax_run, logits, dim=dim, grad_weights=grad_weights,
                   what="log_softmax()", timeout=TASK_TIMEOUT)


def _forbidden(sub) -> list:
    """What the judge's reading of log_softmax (and all it reaches) finds against the contract."""
    return source_checks.forbidden_calls(sub.source_files("ex4"), f"ex4/{MODULE_FILES['ex4']}", "log_softmax")


def _findings(found) -> str:
    return "\n".join(f.quoted() for f in found[:3])


HUGE = torch.tensor([[1e4, 0.0, -1e4],
                     [-1e4, -1e4 + 1.0, -1e4 + 2.0],
                     [5e3, 5e3, 5e3],
                     [3.0, 1.0, -2.0]])


@pytest.mark.public
@pytest.mark.points(1)
def test_log_softmax_matches_torch(sub):
    """log_softmax() equals torch.log_softmax along the given dim, keeping shape and dtype."""
    cases = [(_randn(6, 5, seed=1), -1), (_randn(6, 5, seed=2), 0), (_randn(2, 3, 4, seed=3), 1),
             (_randn(7, seed=4), -1), (_randn(4, 6, seed=5, dtype=torch.float64), 1)]
    for z, dim in cases:
        check_tensor(sub.ex4.log_softmax(z, dim=dim), torch.log_softmax(z, dim=dim),
                     f"log_softmax(logits of shape {tuple(z.shape)} {z.dtype}, dim={dim})")
    z = _randn(3, 4, seed=6)
    check_tensor(sub.ex4.log_softmax(z), torch.log_softmax(z, dim=-1), "log_softmax(logits) with the default dim")


@pytest.mark.points(1)
def test_log_softmax_is_stable_without_builtin_helpers(sub):
    """log_softmax() stays finite and correct for float32 logits of size 1e4, by its own means."""
    got = _run(sub, HUGE)
    assert got["output"] is not None, f"log_softmax() should return a tensor, got {got['returned']}"
    assert bool(torch.isfinite(got["output"]).all()), (
        "log_softmax() returned inf or nan for logits of size 1e4: subtract each row's maximum before exp()")
    # float32 spacing near 1e4 is about 1e-3: equivalent stable formulas differ by that much.
    check_tensor(got["output"], torch.log_softmax(HUGE, dim=-1), "log_softmax() on logits of size 1e4",
                 atol=2e-3, rtol=1e-5)
    found = _forbidden(sub)
    assert not found, ("log_softmax() may only be stable here thanks to a built-in helper or code the grader "
                       "can't read; make it stable yourself. Found:\n" + _findings(found))


@pytest.mark.points(2)
def test_log_softmax_calls_no_forbidden_function(sub):
    """log_softmax() is built from elementary operations: no built-in softmax, log_softmax or logsumexp."""
    for z, dim in [(_randn(5, 4, seed=7), -1), (_randn(3, 4, 2, seed=8), 1)]:
        _run(sub, z, dim=dim)  # it runs (a stub scores nothing here)
    found = _forbidden(sub)
    assert not found, ("log_softmax() must be written from exp, log, sum and max; in its code and what it "
                       "uses, the grader found:\n" + _findings(found))


@pytest.mark.points(1)
def test_log_softmax_and_soft_cross_entropy_gradients_match_torch(sub):
    """Gradients flow through log_softmax() and soft_cross_entropy() and equal PyTorch's."""
    z, w = _randn(5, 4, seed=9), _randn(5, 4, seed=10, scale=1.0)
    got = _run(sub, z, dim=1, grad_weights=w)
    assert got["differentiable"], "log_softmax() returned a tensor without a gradient: don't detach or use numpy"
    leaf = z.clone().requires_grad_(True)
    (torch.log_softmax(leaf, dim=1) * w).sum().backward()
    assert got["grad"] is not None, "no gradient reached the logits through log_softmax()"
    check_tensor(got["grad"], leaf.grad, "the gradient of log_softmax()")

    t = _soft_targets(5, 4, seed=11)
    for reduction in ("mean", "sum"):
        got = sub.run(ex4_soft_ce_gradient, z, t, reduction=reduction,
                      what="soft_cross_entropy()", timeout=TASK_TIMEOUT)
        assert got["differentiable"], (
            f"soft_cross_entropy(..., reduction={reduction!r}) returned a tensor without a gradient")
        leaf = z.clone().requires_grad_(True)
        F.cross_entropy(leaf, t, reduction=reduction).backward()
        assert got["grad"] is not None, "no gradient reached the logits through soft_cross_entropy()"
        check_tensor(got["grad"], leaf.grad, f"the gradient of soft_cross_entropy(..., reduction={reduction!r})")


@pytest.mark.points(1)
def test_soft_cross_entropy_matches_reference_for_each_reduction(sub, ref):
    """soft_cross_entropy() with soft targets: 'mean' over samples, 'sum', and 'none' ([N])."""
    for z, t in [(_randn(7, 5, seed=12), _soft_targets(7, 5, seed=13)),
                 (_randn(3, 6, seed=14, dtype=torch.float64), _soft_targets(3, 6, seed=15).double())]:
        for reduction in ("mean", "sum", "none"):
            check_tensor(sub.ex4.soft_cross_entropy(z, t, reduction=reduction),
                         ref.ex4.soft_cross_entropy(z, t, reduction=reduction),
                         f"soft_cross_entropy({tuple(z.shape)} {z.dtype} logits, soft targets, reduction={reduction!r})")
    z, t = _randn(4, 3, seed=16), _soft_targets(4, 3, seed=17)
    check_tensor(sub.ex4.soft_cross_entropy(z, t), ref.ex4.soft_cross_entropy(z, t),
                 "soft_cross_entropy(logits, soft_targets) with the default reduction")


@pytest.mark.points(1)
def test_soft_cross_entropy_equals_cross_entropy_for_one_hot_targets(sub):
    """soft_cross_entropy() with one-hot targets equals F.cross_entropy, also for logits of size 1e4."""
    y = torch.tensor([0, 3, 1, 1, 2, 4])
    t = F.one_hot(y, 5).to(torch.float32)
    # float32 spacing near 1e4 is about 1e-3: equivalent stable formulas differ by that much.
    for z, atol, size in ((_randn(6, 5, seed=18), 1e-5, "normal"), (_randn(6, 5, seed=19, scale=1e4), 2e-2, "huge")):
        for reduction in ("mean", "sum", "none"):
            check_tensor(sub.ex4.soft_cross_entropy(z, t, reduction=reduction),
                         F.cross_entropy(z, y, reduction=reduction),
                         f"soft_cross_entropy({size} logits, one_hot(y), reduction={reduction!r}) vs F.cross_entropy",
                         rtol=1e-5, atol=atol)


@pytest.mark.public
@pytest.mark.points(1)
def test_soft_cross_entropy_rejects_bad_arguments(sub):
    """soft_cross_entropy() raises ValueError for an unknown reduction or mismatched shapes."""
    z, t = _randn(4, 3, seed=20), _soft_targets(4, 3, seed=21)
    for reduction in ("average", "MEAN", "max"):
        check_raises(ValueError, lambda: sub.ex4.soft_cross_entropy(z, t, reduction=reduction),
                     f"soft_cross_entropy(..., reduction={reduction!r})", mentions="reduction")
    for bad in (_soft_targets(4, 2, seed=22), _soft_targets(3, 3, seed=23), _soft_targets(4, 4, seed=24)):
        check_raises(ValueError, lambda: sub.ex4.soft_cross_entropy(z, bad),
                     f"soft_cross_entropy() with logits {tuple(z.shape)} and targets {tuple(bad.shape)}")


@pytest.mark.points(1)
def test_smooth_labels_matches_pytorch_label_smoothing(sub, ref):
    """smooth_labels() is (1 - eps) * one_hot + eps / num_classes, float32, as F.cross_entropy's label_smoothing."""
    y = torch.tensor([2, 0, 4, 4, 1])
    for eps in (0.1, 0.0, 0.35, 0.9):
        got = sub.ex4.smooth_labels(y, 5, eps=eps)
        check_tensor(got, ref.ex4.smooth_labels(y, 5, eps=eps), f"smooth_labels(y, 5, eps={eps})")
        z = _randn(5, 5, seed=25)
        loss = -(got * torch.log_softmax(z, dim=1)).sum(dim=1).mean()
        want = F.cross_entropy(z, y, label_smoothing=eps)
        assert torch.allclose(loss, want, rtol=1e-5, atol=1e-6), (
            f"smooth_labels(y, 5, eps={eps}) does not give F.cross_entropy(..., label_smoothing={eps})")
    check_tensor(sub.ex4.smooth_labels(y, 5), ref.ex4.smooth_labels(y, 5), "smooth_labels(y, 5) with the default eps")


@pytest.mark.public
@pytest.mark.points(1)
def test_smooth_labels_rejects_bad_eps(sub):
    """smooth_labels() raises ValueError naming eps unless 0 <= eps < 1."""
    y = torch.tensor([0, 1, 2])
    for eps in (1.0, -0.1, 1.5):
        check_raises(ValueError, lambda: sub.ex4.smooth_labels(y, 3, eps=eps),
                     f"smooth_labels(y, 3, eps={eps})", mentions="eps")
