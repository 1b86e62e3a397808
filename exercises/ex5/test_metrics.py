"""Public tests for exercise 5 (metrics). Run: pytest exercises/ex5

A smaller, friendlier subset of what the grader checks. Passing them all is a
good sign, not a guarantee of full marks.
"""
import time

import pytest
import torch

from metrics import confusion_matrix, precision_recall_f1, top_k_accuracy
from public_checks import assert_imports_only_what_the_grader_has, call_unchanged


def test_confusion_matrix_small_example():
    pred = torch.tensor([0, 1, 1, 2, 2, 2])
    target = torch.tensor([0, 1, 2, 2, 2, 0])
    cm = call_unchanged(confusion_matrix, pred, target, 3)
    assert isinstance(cm, torch.Tensor), "confusion_matrix() should return a torch.Tensor"
    assert cm.dtype == torch.int64, f"the counts should be int64, got {cm.dtype}"
    assert cm.shape == (3, 3), f"expected shape (3, 3), got {tuple(cm.shape)}"
    # Rows are TRUE classes, columns PREDICTED classes.
    expected = torch.tensor([[1, 0, 1],
                             [0, 1, 0],
                             [0, 1, 2]])
    assert torch.equal(cm, expected), (
        f"got\n{cm}\nexpected\n{expected}\n(entry [t, p] counts true class t predicted as p; "
        "a transposed matrix is the most common slip)")


def test_confusion_matrix_keeps_all_classes():
    """Only the shape is checked here (the orientation has its own test)."""
    cm = confusion_matrix(torch.tensor([0, 1]), torch.tensor([1, 1]), 4)  # classes 2 and 3 never appear
    assert cm.shape == (4, 4), f"num_classes=4 needs a (4, 4) matrix even if class 3 never appears, got {tuple(cm.shape)}"
    assert cm.sum().item() == 2, f"the matrix should count 2 samples, got {cm.sum().item()}"


def test_confusion_matrix_rejects_bad_labels():
    with pytest.raises(ValueError, match="pred"):  # the message names the argument
        confusion_matrix(torch.tensor([0, 3]), torch.tensor([0, 1]), 3)  # 3 is not in [0, 3)
    with pytest.raises(ValueError, match="target"):
        confusion_matrix(torch.tensor([0, 1]), torch.tensor([-1, 1]), 3)
    with pytest.raises(ValueError):
        confusion_matrix(torch.tensor([0, 1, 2]), torch.tensor([0, 1]), 3)  # lengths differ


def test_confusion_matrix_is_vectorised():
    """Only the speed (and the total count) is checked here, not the orientation."""
    g = torch.Generator().manual_seed(0)
    pred = torch.randint(0, 10, (200_000,), generator=g)
    target = torch.randint(0, 10, (200_000,), generator=g)
    start = time.perf_counter()
    cm = confusion_matrix(pred, target, 10)
    took = time.perf_counter() - start
    assert cm.sum().item() == 200_000
    assert took < 1.0, (
        f"200,000 labels took {took:.1f} s: avoid a Python loop over the samples "
        "(hint: torch.bincount on target * num_classes + pred)")


def test_precision_recall_f1_small_example():
    cm = torch.tensor([[2, 1, 0],
                       [0, 3, 1],
                       [0, 0, 0]])
    out = call_unchanged(precision_recall_f1, cm)
    assert isinstance(out, dict) and {"precision", "recall", "f1", "support"} <= set(out), (
        "precision_recall_f1() should return a dict with keys precision, recall, f1, support")
    assert out["precision"].dtype == torch.float64, "precision should be float64"
    assert out["support"].dtype == torch.int64, "support should be int64"
    torch.testing.assert_close(out["precision"], torch.tensor([1.0, 0.75, 0.0], dtype=torch.float64),
                               msg="precision = diagonal / COLUMN sums (how many were predicted as the class)")
    torch.testing.assert_close(out["recall"], torch.tensor([2 / 3, 0.75, 0.0], dtype=torch.float64),
                               msg="recall = diagonal / ROW sums (how many truly are the class)")
    torch.testing.assert_close(out["f1"], torch.tensor([0.8, 0.75, 0.0], dtype=torch.float64),
                               msg="f1 = 2 * precision * recall / (precision + recall)")
    assert out["support"].tolist() == [3, 4, 0], "support = row sums of cm"


def test_precision_recall_f1_zero_division_gives_zero():
    out = precision_recall_f1(torch.zeros(2, 2, dtype=torch.int64))
    for key in ("precision", "recall", "f1"):
        assert not torch.isnan(out[key]).any(), f"{key} has nan: a ratio whose denominator is 0 must be 0.0"
        assert out[key].tolist() == [0.0, 0.0]


def test_top_k_accuracy_small_example():
    logits = torch.tensor([[0.1, 0.9, 0.0],
                           [0.8, 0.15, 0.05],
                           [0.2, 0.3, 0.5]])
    target = torch.tensor([1, 1, 0])
    acc1 = call_unchanged(top_k_accuracy, logits, target, k=1)
    assert isinstance(acc1, float), f"top_k_accuracy() should return a Python float, got {type(acc1).__name__}"
    assert acc1 == pytest.approx(1 / 3), f"k=1: only row 0 is a hit, expected 1/3, got {acc1}"
    assert top_k_accuracy(logits, target, k=2) == pytest.approx(2 / 3)
    assert top_k_accuracy(logits, target, k=3) == pytest.approx(1.0)


def test_top_k_accuracy_rejects_bad_k():
    logits, target = torch.zeros(2, 3), torch.tensor([0, 1])
    for k in (0, 4):
        with pytest.raises(ValueError, match="k"):
            top_k_accuracy(logits, target, k=k)


def test_metrics_leave_their_inputs_unchanged():
    pred, target = torch.tensor([0, 2, 1, 1]), torch.tensor([0, 1, 1, 2])
    call_unchanged(confusion_matrix, pred, target, 3)
    call_unchanged(precision_recall_f1, torch.tensor([[2, 1], [0, 3]]))
    call_unchanged(top_k_accuracy, torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 1]), k=1)


def test_metrics_imports_only_what_the_grader_has():
    import metrics

    assert_imports_only_what_the_grader_has(metrics)
