"""Public tests for exercise 6 (a fifth class). Run: pytest exercises/ex6

A smaller, friendlier subset of what the grader checks (the grader also trains
your model; these tests do not). Passing them all is a good sign, not a
guarantee of full marks.
"""
import numpy as np
import pytest
import torch

from square_border import CLASS_NAMES, build_model, make_dataset, make_image


def expected_pattern(label, size):
    """The noise-free image of the spec, written pixel by pixel."""
    img = np.zeros((size, size), dtype=np.float32)
    c, m = size // 2, size // 4
    for i in range(size):
        if label == 0:
            img[i, c] = 1
        elif label == 1:
            img[c, i] = 1
        elif label == 2:
            img[i, i] = 1
        elif label == 3:
            img[i, size - 1 - i] = 1
    if label == 4:
        for j in range(m, size - m):
            img[m, j] = img[size - 1 - m, j] = 1  # top and bottom rows
            img[j, m] = img[j, size - 1 - m] = 1  # left and right columns
    return img


def test_make_image_shape_dtype_and_range():
    for label in range(5):
        img = make_image(label, rng=np.random.default_rng(label))
        assert isinstance(img, np.ndarray), f"make_image() should return a numpy array, got {type(img).__name__}"
        assert img.shape == (16, 16), f"label {label}: expected shape (16, 16), got {img.shape}"
        assert img.dtype == np.float32, f"label {label}: expected float32, got {img.dtype}"
        assert img.min() >= 0.0 and img.max() <= 1.0, f"label {label}: values must be clipped to [0, 1]"


@pytest.mark.parametrize("size", [16, 11])
@pytest.mark.parametrize("label", range(5), ids=CLASS_NAMES)
def test_make_image_pattern_without_noise(label, size):
    img = make_image(label, size=size, noise=0.0, rng=np.random.default_rng(0))
    want = expected_pattern(label, size)
    wrong = np.argwhere(img != want)
    assert len(wrong) == 0, (
        f"{CLASS_NAMES[label]} (size {size}, noise 0): {len(wrong)} pixels differ from the spec, "
        f"first at [row, col] = {wrong[0].tolist()}")


def test_make_image_always_draws_the_noise():
    # Even with noise=0 the size*size normals are drawn, so the generator moves on.
    rng = np.random.default_rng(5)
    make_image(4, noise=0.0, rng=rng)
    twin = np.random.default_rng(5)
    twin.standard_normal((16, 16))
    assert rng.random() == twin.random(), (
        "make_image() must draw rng.standard_normal((size, size)) exactly once, also when noise is 0")


def test_make_image_rejects_bad_label():
    for label in (-1, 5):
        with pytest.raises(ValueError, match="label"):
            make_image(label, rng=np.random.default_rng(0))


def test_make_dataset_shapes_and_split():
    X_train, y_train, X_val, y_val = make_dataset(per_class=10, seed=1)
    assert X_train.shape == (40, 1, 16, 16), f"5 classes x 10 images, 80% for training: got {tuple(X_train.shape)}"
    assert X_val.shape == (10, 1, 16, 16), f"the last 20% are validation: got {tuple(X_val.shape)}"
    assert X_train.dtype == torch.float32 and y_train.dtype == torch.int64, "X is float32, y is int64"
    counts = torch.bincount(torch.cat([y_train, y_val]), minlength=5).tolist()
    assert counts == [10] * 5, f"each class should appear per_class=10 times in total, got {counts}"
    assert set(y_val.tolist()) != {4}, "the validation set holds only class 4: did you forget to shuffle?"


def test_make_dataset_is_reproducible():
    a = make_dataset(per_class=4, seed=7)
    b = make_dataset(per_class=4, seed=7)
    for x, y in zip(a, b):
        assert torch.equal(x, y), "the same seed must give exactly the same data set"


def test_build_model_shape_and_size():
    model = build_model()
    assert isinstance(model, torch.nn.Module), "build_model() should return an nn.Module"
    params = sum(p.numel() for p in model.parameters())
    assert params <= 100_000, f"{params:,} parameters: the limit is 100,000"
    with torch.no_grad():
        logits = model(torch.zeros(3, 1, 16, 16))
    assert logits.shape == (3, 5), f"expected logits of shape (3, 5) for 3 images, got {tuple(logits.shape)}"
    with torch.no_grad():
        assert build_model(num_classes=7)(torch.zeros(2, 1, 16, 16)).shape == (2, 7), (
            "build_model(num_classes=7) should give 7 logits per image")
