"""Public tests for ex3 (a friendly subset of what is graded). Run: pytest exercises/ex3"""

import numpy as np
import pytest
import torch

from cutout import cutout, cutout_mask
from public_checks import assert_close as _assert_close


def _square(height, width, cy, cx, size):
    """The expected mask, built the slow and obvious way."""
    mask = torch.ones(height, width)
    for r in range(cy - size // 2, cy - size // 2 + size):
        for c in range(cx - size // 2, cx - size // 2 + size):
            if 0 <= r < height and 0 <= c < width:
                mask[r, c] = 0.0
    return mask


def _zeros_at(mask):
    return sorted((int(r), int(c)) for r, c in (mask == 0).nonzero())


def test_cutout_mask_square_in_the_middle():
    mask = cutout_mask(6, 7, center=(3, 3), size=3)
    assert isinstance(mask, torch.Tensor), f"cutout_mask() returns a tensor, got {type(mask).__name__}"
    assert mask.dtype == torch.float32, f"the mask is float32, got {mask.dtype}"
    assert mask.shape == (6, 7), f"the mask is [height, width] = (6, 7), got {tuple(mask.shape)}"
    want = [(r, c) for r in (2, 3, 4) for c in (2, 3, 4)]  # rows and columns [3 - 1, 3 - 1 + 3)
    assert _zeros_at(mask) == want, f"expected zeros at {want}, got zeros at {_zeros_at(mask)}"
    assert set(mask.unique().tolist()) <= {0.0, 1.0}, "the mask holds only 0.0 and 1.0"


def test_cutout_mask_even_size_starts_at_center_minus_half():
    mask = cutout_mask(8, 8, center=(4, 4), size=4)
    want = [(r, c) for r in range(2, 6) for c in range(2, 6)]  # [4 - 2, 4 - 2 + 4)
    assert _zeros_at(mask) == want, f"expected zeros on rows/columns 2..5, got zeros at {_zeros_at(mask)}"


def test_cutout_mask_is_clipped_at_the_border():
    mask = cutout_mask(5, 5, center=(0, 4), size=3)
    want = [(0, 3), (0, 4), (1, 3), (1, 4)]  # rows [-1, 2) and columns [3, 6), clipped
    assert _zeros_at(mask) == want, (
        f"near a border the square is cut off (no wrap-around): expected zeros at {want}, "
        f"got {_zeros_at(mask)}")


def test_cutout_mask_size_zero_is_all_ones():
    assert torch.equal(cutout_mask(4, 4, (1, 1), 0), torch.ones(4, 4)), "size 0 gives a mask of all ones"


def test_cutout_matches_seeded_draws():
    g = torch.Generator().manual_seed(0)
    images = torch.rand(3, 2, 6, 8, generator=g) + 1.0  # no zeros before cutout
    before = images.clone()
    out = cutout(images, size=2, rng=np.random.default_rng(5))
    rng = np.random.default_rng(5)
    cy = rng.integers(0, 6, size=3)  # first all the rows ...
    cx = rng.integers(0, 8, size=3)  # ... then all the columns
    for i in range(3):
        want = images[i] * _square(6, 8, int(cy[i]), int(cx[i]), 2)
        _assert_close(out[i], want, (
            f"image {i}: expected the square centred at ({cy[i]}, {cx[i]}) to be zero in every "
            "channel; draw cy = rng.integers(0, H, size=N) first, then cx = rng.integers(0, W, size=N)"))
    assert torch.equal(images, before), "cutout() must return a new tensor and leave images unchanged"


def test_cutout_keeps_dtype():
    images = torch.ones(2, 1, 8, 8, dtype=torch.float64)
    out = cutout(images, size=4, rng=np.random.default_rng(0))
    assert out.dtype == torch.float64 and out.shape == images.shape, (
        f"cutout() keeps shape and dtype: expected float64 {tuple(images.shape)}, got {out.dtype} {tuple(out.shape)}")


def test_cutout_rejects_bad_arguments():
    with pytest.raises(ValueError, match="size"):
        cutout(torch.ones(2, 1, 8, 8), size=-1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError):  # a single image must be given as a batch [1, C, H, W]
        cutout(torch.ones(1, 8, 8), size=2, rng=np.random.default_rng(0))
