"""A helper for the public tests: compares tensors and says what differs."""

import torch


def assert_close(got, want, msg, atol=1e-5, rtol=1.3e-6):
    """Like torch.testing.assert_close, minus its slow first import."""
    assert isinstance(got, torch.Tensor), f"{msg} (expected a tensor, got {type(got).__name__})"
    assert got.shape == want.shape, f"{msg} (expected shape {tuple(want.shape)}, got {tuple(got.shape)})"
    if not torch.allclose(got.to(want.dtype), want, atol=atol, rtol=rtol):
        detail = f"\nexpected\n{want}\ngot\n{got}" if want.numel() <= 24 else ""
        raise AssertionError(msg + detail)
