"""Assertions with short, fair, student-facing messages."""

import numpy as np
import torch

from grader.seam import StudentCodeError


def check_tensor(got, want, what, *, atol=None, rtol=None, exact=False):
    """Type, dtype, shape, device, then values; the message says which one is wrong."""
    assert isinstance(got, torch.Tensor), f"{what} should return a torch.Tensor, got {type(got).__name__}"
    assert got.dtype == want.dtype, f"{what} returned dtype {got.dtype}, expected {want.dtype}"
    assert tuple(got.shape) == tuple(want.shape), (
        f"{what} returned shape {tuple(got.shape)}, expected {tuple(want.shape)}")
    assert got.device == want.device, f"{what} returned a tensor on {got.device}, expected {want.device}"
    if exact or not (got.is_floating_point() or got.is_complex()):
        if not torch.equal(got, want):
            wrong = int((got != want).sum()) if got.shape == want.shape else got.numel()
            raise AssertionError(f"{what} returned wrong values: {wrong} of {got.numel()} entries differ")
        return
    # torch.testing.assert_close's defaults, without its slow first import (sympy).
    default_rtol, default_atol = {torch.float16: (1e-3, 1e-5), torch.bfloat16: (1.6e-2, 1e-5),
                                  torch.float64: (1e-7, 1e-7)}.get(got.dtype, (1.3e-6, 1e-5))
    close = torch.isclose(got, want, rtol=default_rtol if rtol is None else rtol,
                          atol=default_atol if atol is None else atol)
    if not bool(close.all()):
        diff = (got - want).abs().nan_to_num(float("inf")).max().item()
        raise AssertionError(f"{what} returned wrong values: {int((~close).sum())} of {got.numel()} entries "
                             f"differ (largest difference {diff:.3g})")


def check_array(got, want, what, *, atol=0.0, rtol=0.0):
    assert isinstance(got, np.ndarray), f"{what} should return a numpy.ndarray, got {type(got).__name__}"
    assert got.dtype == want.dtype, f"{what} returned dtype {got.dtype}, expected {want.dtype}"
    assert got.shape == want.shape, f"{what} returned shape {got.shape}, expected {want.shape}"
    if not np.allclose(got, want, atol=atol, rtol=rtol):
        wrong = int((~np.isclose(got, want, atol=atol, rtol=rtol)).sum())
        raise AssertionError(f"{what} returned wrong values: {wrong} of {got.size} entries differ")


def check_raises(error, call, what, *, mentions=None):
    """`call()` must raise `error`, and its message should name `mentions` (the argument)."""
    try:
        call()
    except StudentCodeError:
        raise  # not implemented, timed out, crashed: reported as such, not as a wrong error
    except Exception as exc:  # noqa: BLE001
        if not isinstance(exc, error):
            raise AssertionError(f"{what} should raise {error.__name__}, but raised "
                                 f"{getattr(exc, 'student_type', type(exc).__name__)}: {exc}") from None
        if mentions is not None and mentions not in str(exc):
            raise AssertionError(f"{what} raised {error.__name__}, but its message should name "
                                 f"'{mentions}': got {str(exc)!r}") from None
        return
    raise AssertionError(f"{what} should raise {error.__name__}, but it returned normally")
