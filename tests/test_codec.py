"""The wire format: plain data round-trips exactly; everything else is refused, never unpickled."""

from __future__ import annotations

import io
import json
import struct

import numpy as np
import pytest
import torch

from grader.sandboxed import codec


def roundtrip(value):
    header, buffers = codec.encode(value)
    frame = codec.pack({"payload": header}, buffers)
    stream = io.BytesIO(frame)
    head, bufs = codec.read_frame(stream.read)
    return codec.decode(head["payload"], bufs)


def test_plain_values_round_trip_with_their_types():
    value = {"a": (1, 2.5, True, None, "s"), "b": [np.float64(0.25), np.int64(3)], 7: -0.0}
    back = roundtrip(value)
    assert back == value
    assert type(back["a"]) is tuple and type(back["b"][0]) is np.float64 and type(back["b"][1]) is np.int64


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.int64, torch.bool, torch.uint8])
def test_tensors_round_trip_bit_for_bit(dtype):
    t = (torch.randn(3, 4, generator=torch.Generator().manual_seed(0)) * 10).to(dtype)
    back = roundtrip(t.t())  # non-contiguous on purpose
    assert back.dtype == dtype and back.shape == (4, 3) and torch.equal(back, t.t())


def test_empty_and_nan_values_survive():
    back = roundtrip((torch.empty(0, 3), torch.tensor([float("nan"), float("inf")]), float("nan")))
    assert back[0].shape == (0, 3) and back[1].isnan()[0] and back[1].isinf()[1] and back[2] != back[2]


def test_a_tensor_subclass_arrives_as_a_plain_tensor():
    class AlwaysEqual(torch.Tensor):
        def __eq__(self, other):
            return True

    back = roundtrip(torch.zeros(2).as_subclass(AlwaysEqual))
    assert type(back) is torch.Tensor


def test_seeded_becomes_a_generator_only_when_asked():
    header, buffers = codec.encode([codec.Seeded(5)])
    assert codec.decode(header, buffers) == [codec.Seeded(5)]
    rng = codec.decode(header, buffers, make_rng=np.random.default_rng)[0]
    assert rng.random() == np.random.default_rng(5).random()


@pytest.mark.parametrize("value", [object(), lambda: 1, np.array([object()]), {1, 2}, torch.nn.Linear(1, 1)])
def test_other_objects_are_refused(value):
    with pytest.raises(codec.CodecError):
        codec.encode(value)


def test_objects_with_reduce_are_refused_not_pickled():
    class Evil:
        def __reduce__(self):
            raise AssertionError("must never be called")

    with pytest.raises(codec.CodecError):
        codec.encode([Evil()])


@pytest.mark.parametrize("payload", [
    {"v": {"tensor": 0, "dtype": "float32", "shape": [4]}},  # buffer too short
    {"v": {"tensor": 5, "dtype": "float32", "shape": [1]}},  # no such buffer
    {"v": {"tensor": 0, "dtype": "object", "shape": [1]}},
    {"v": {"ndarray": 0, "dtype": "|O", "shape": [1]}},
    {"v": {"evil": 1}},
    {"v": [1, 2]},
    {"nope": 1},
])
def test_malformed_input_is_rejected(payload):
    with pytest.raises(codec.CodecError):
        codec.decode(payload, [b"\x00" * 4])


def test_deep_nesting_is_rejected():
    value = []
    for _ in range(100):
        value = [value]
    with pytest.raises(codec.CodecError):
        codec.encode(value)


def test_oversized_frames_are_rejected_before_reading_them():
    frame = struct.pack(">Q", codec.MAX_FRAME_BYTES + 1)
    with pytest.raises(codec.CodecError):
        codec.read_frame(io.BytesIO(frame).read)
    head = json.dumps({"buffer_sizes": [codec.MAX_FRAME_BYTES + 1]}).encode()
    with pytest.raises(codec.CodecError):
        codec.read_frame(io.BytesIO(struct.pack(">Q", len(head)) + head).read)
