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


def frame_reader(frame: bytes):
    """`read_exactly` over `frame`, recording how many bytes each read asked for."""
    stream, asked = io.BytesIO(frame), []

    def read_exactly(n):
        asked.append(n)
        return stream.read(n)

    return read_exactly, asked


def test_a_buffer_named_twice_is_refused_so_decoding_never_amplifies():
    node = {"tensor": 0, "dtype": "uint8", "shape": [1024 * 1024]}
    with pytest.raises(codec.CodecError, match="referenced twice"):
        codec.decode({"v": {"list": [node] * 200}}, [bytes(1024 * 1024)])


def test_a_shape_whose_size_overflows_is_refused():
    with pytest.raises(codec.CodecError):
        codec.decode({"v": {"tensor": 0, "dtype": "float32", "shape": [2 ** 32, 2 ** 32]}}, [b""])
    with pytest.raises(codec.CodecError):
        codec.decode({"v": {"int": [1]}}, [])


def test_an_oversized_head_is_refused_before_it_is_read():
    read_exactly, asked = frame_reader(struct.pack(">Q", codec.MAX_HEAD_BYTES + 1) + b"{}")
    with pytest.raises(codec.CodecError, match="head too large"):
        codec.read_frame(read_exactly)
    assert asked == [8]


def reply(message, sizes=()):
    head = json.dumps(dict(message, buffer_sizes=list(sizes))).encode()
    return struct.pack(">Q", len(head)) + head


def test_a_reply_must_carry_the_id_of_its_request():
    header, buffers = codec.encode(torch.arange(3))
    good = codec.pack({"id": 7, "ok": True, "payload": header}, buffers)
    head, value = codec.read_reply(io.BytesIO(good).read, 7)
    assert torch.equal(value, torch.arange(3))
    for message in ({"id": 8, "ok": True}, {"ok": True}, {"id": "7", "ok": True}, {"id": True, "ok": True}):
        read_exactly, asked = frame_reader(reply(dict(message, payload={"v": None}), [10 ** 6]))
        with pytest.raises(codec.Desync):
            codec.read_reply(read_exactly, 7 if message.get("id") is not True else 1)
        assert 10 ** 6 not in asked, "refused before its buffers are read"


def test_a_reply_larger_than_the_cap_is_refused_before_its_buffers_are_read():
    read_exactly, asked = frame_reader(reply({"id": 1, "ok": True, "payload": {"v": None}},
                                             [codec.MAX_REPLY_BYTES // 2, codec.MAX_REPLY_BYTES // 2 + 1]))
    with pytest.raises(codec.CodecError, match="too large"):
        codec.read_reply(read_exactly, 1)
    assert len(asked) == 2
