"""Hidden suite of exercise 5 (metrics): 10 points.

Student code is reached only through `sub` (and the reference through `ref`); see conftest.
"""

import pytest
import torch

from grader import limits
from grader.course.checks import check_raises, check_tensor
from grader.course.ex5.probes import ex5_confusion_matrix_large

# 2 M labels: the reference takes ~0.03 s; a Python loop over tensor elements takes ~25 s
# (12 us per label here), far past the 10 s call timeout. A loop over `.tolist()` lists
# takes ~0.5 s and passes: it meets the spec ("a million labels well under a second").
LARGE_N = 2_000_000
LARGE_TIMEOUT_S = limits.for_exercise("ex5").call_timeout_s


def _labels(n, num_classes, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, num_classes, (n,), generator=g)


def _random_case(n, num_classes, seed):
    target = _labels(n, num_classes, seed)
    noise = _labels(n, num_classes, seed + 1)
    keep = torch.rand(n, generator=torch.Generator().manual_seed(seed + 2)) < 0.6
    return torch.where(keep, target, noise), target


def _check_confusion(got, want, what):
    if (isinstance(got, torch.Tensor) and got.shape == want.shape and got.dtype == want.dtype
            and not torch.equal(got, want) and torch.equal(got.T, want)):
        raise AssertionError(f"{what} is transposed: rows must be TRUE classes, columns PREDICTED classes")
    check_tensor(got, want, what, exact=True)


def _check_counts(got, want, what):
    """The counts, in either orientation: for the tests that need a correct matrix to measure
    something else (its shape, its speed). Orientation is graded by one test only,
    test_confusion_matrix_rows_are_true_classes_columns_predictions."""
    if isinstance(got, torch.Tensor) and got.shape == want.shape and torch.equal(got.T, want):
        got = got.T
    check_tensor(got, want, what, exact=True)


@pytest.mark.points(2)
def test_confusion_matrix_rows_are_true_classes_columns_predictions(sub, ref):
    """Entry [t, p] counts samples of true class t predicted as p, exactly, as int64."""
    pred = torch.tensor([0, 0, 1, 2, 2, 2, 1, 0])
    target = torch.tensor([0, 1, 1, 2, 0, 2, 2, 2])
    want = torch.tensor([[1, 0, 1],
                         [1, 1, 0],
                         [1, 1, 2]])
    _check_confusion(sub.ex5.confusion_matrix(pred, target, 3), want, "confusion_matrix() on an 8-sample example")
    for n, num_classes, seed in ((1000, 7, 1), (60, 2, 2), (5, 1, 3)):
        pred, target = _random_case(n, num_classes, seed)
        _check_confusion(sub.ex5.confusion_matrix(pred, target, num_classes),
                         ref.ex5.confusion_matrix(pred, target, num_classes),
                         f"confusion_matrix() on {n} random labels of {num_classes} classes")


@pytest.mark.public
@pytest.mark.points(1)
def test_confusion_matrix_is_c_by_c_when_classes_are_missing(sub, ref):
    """num_classes x num_classes counts even when some classes never appear (either orientation)."""
    cases = [
        (torch.tensor([0, 1, 1]), torch.tensor([1, 1, 0]), 5),  # classes 2..4 never appear
        (torch.tensor([3, 3]), torch.tensor([3, 2]), 6),        # classes 0, 1 and 5 never appear
    ]
    for pred, target, num_classes in cases:
        _check_counts(sub.ex5.confusion_matrix(pred, target, num_classes),
                         ref.ex5.confusion_matrix(pred, target, num_classes),
                         f"confusion_matrix() with num_classes={num_classes} and some classes absent")


@pytest.mark.points(1)
@pytest.mark.timeout(2 * LARGE_TIMEOUT_S)
def test_confusion_matrix_is_vectorised_on_two_million_labels(sub, ref):
    """Two million labels within the call limit, counted right (either orientation: speed is what is graded)."""
    got = sub.run(ex5_confusion_matrix_large, LARGE_N, 10, 7, timeout=LARGE_TIMEOUT_S,
                  what="confusion_matrix() on 2,000,000 labels")
    want = ref.run(ex5_confusion_matrix_large, LARGE_N, 10, 7)
    # The sandbox enforces the timeout; this bound does the same for in-process runs.
    assert got["seconds"] < LARGE_TIMEOUT_S, (
        f"confusion_matrix() took {got['seconds']:.1f} s on 2,000,000 labels: "
        "it must be vectorised (no Python loop over the samples)")
    _check_counts(got["cm"], want["cm"], "confusion_matrix() on 2,000,000 labels")


@pytest.mark.points(1)
def test_confusion_matrix_rejects_bad_labels_and_lengths(sub):
    ok = torch.tensor([0, 1, 2])
    check_raises(ValueError, lambda: sub.ex5.confusion_matrix(torch.tensor([0, 3, 1]), ok, 3),
                 "confusion_matrix() with a predicted label equal to num_classes", mentions="pred")
    check_raises(ValueError, lambda: sub.ex5.confusion_matrix(ok, torch.tensor([0, -1, 1]), 3),
                 "confusion_matrix() with a negative target label", mentions="target")
    check_raises(ValueError, lambda: sub.ex5.confusion_matrix(ok, torch.tensor([0, 1]), 3),
                 "confusion_matrix() with pred and target of different lengths")


def _cm_cases():
    g = torch.Generator().manual_seed(11)
    dense = torch.randint(0, 20, (5, 5), generator=g)
    holes = torch.randint(1, 9, (4, 4), generator=g)
    holes[:, 2] = 0  # class 2 never predicted
    holes[3, :] = 0  # class 3 never present
    return [("a 5x5 matrix", dense), ("a 4x4 matrix with an empty row and column", holes)]


KEYS = ("precision", "recall", "f1", "support")


def _check_keys(got, what):
    assert isinstance(got, dict) and set(KEYS) <= set(got), (
        f"{what} should return a dict with keys {', '.join(KEYS)}; got "
        f"{sorted(map(str, got)) if isinstance(got, dict) else type(got).__name__}")


def _check_prf(got, want, what):
    _check_keys(got, what)
    for key in KEYS:
        check_tensor(got[key], want[key], f"{what}['{key}']")


@pytest.mark.points(1.5)
def test_precision_recall_f1_match_reference(sub, ref):
    for name, cm in _cm_cases():
        _check_prf(sub.ex5.precision_recall_f1(cm), ref.ex5.precision_recall_f1(cm), f"precision_recall_f1() on {name}")


@pytest.mark.public
@pytest.mark.points(1)
def test_precision_recall_f1_zero_denominator_gives_zero(sub):
    zero = torch.zeros(3, dtype=torch.float64)
    got = sub.ex5.precision_recall_f1(torch.zeros(3, 3, dtype=torch.int64))
    _check_keys(got, "precision_recall_f1()")
    for key in ("precision", "recall", "f1"):
        check_tensor(got[key], zero, f"precision_recall_f1() of an all-zero matrix, '{key}' (0/0 must give 0.0)")
    # Class 1 is never predicted and has no true positives: precision 0/0, recall 0/2, f1 0/0.
    got = sub.ex5.precision_recall_f1(torch.tensor([[3, 0], [2, 0]]))
    _check_keys(got, "precision_recall_f1()")
    want = {"precision": [0.6, 0.0], "recall": [1.0, 0.0], "f1": [0.75, 0.0]}
    for key, values in want.items():
        check_tensor(got[key], torch.tensor(values, dtype=torch.float64),
                     f"precision_recall_f1()['{key}'] with a class that is never predicted")


def _logits_case(n, num_classes, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, num_classes, generator=g), torch.randint(0, num_classes, (n,), generator=g)


@pytest.mark.points(1)
def test_top_k_accuracy_matches_reference(sub, ref):
    for n, num_classes, k, seed in ((200, 6, 1, 21), (200, 6, 3, 22), (37, 6, 6, 23), (90, 10, 2, 24)):
        logits, target = _logits_case(n, num_classes, seed)
        got, want = sub.ex5.top_k_accuracy(logits, target, k=k), ref.ex5.top_k_accuracy(logits, target, k=k)
        what = f"top_k_accuracy() with k={k} on {n} rows of {num_classes} classes"
        assert isinstance(got, float), f"{what} should return a Python float, got {type(got).__name__}"
        assert abs(got - want) < 1e-6, f"{what} returned {got:.4f}, expected {want:.4f}"


@pytest.mark.public
@pytest.mark.points(1)
def test_top_k_accuracy_rejects_k_outside_1_to_c(sub):
    logits, target = _logits_case(8, 5, 31)
    for k in (0, 6, -1):
        check_raises(ValueError, lambda: sub.ex5.top_k_accuracy(logits, target, k=k),
                     f"top_k_accuracy() with k={k} and 5 classes", mentions="k")


@pytest.mark.points(0.5)
def test_metrics_leave_inputs_unchanged(sub):
    """confusion_matrix(), precision_recall_f1() and top_k_accuracy() modify none of their inputs in place."""
    pred, target = _random_case(200, 5, 41)
    logits, labels = _logits_case(50, 5, 42)
    for what, probe in (("confusion_matrix() changed pred or target", sub.ex5.confusion_matrix.probe(pred, target, 5)),
                        ("precision_recall_f1() changed cm", sub.ex5.precision_recall_f1.probe(_cm_cases()[1][1])),
                        ("top_k_accuracy() changed logits or target", sub.ex5.top_k_accuracy.probe(logits, labels, k=2))):
        assert probe["inputs_unchanged"], f"{what} in place: build new tensors instead"
