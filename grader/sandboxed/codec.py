"""Plain-data wire format between the judge and the worker.

Only tensors, numpy arrays, numbers, strings, None and tuples/lists/dicts of these cross,
as a JSON header plus raw byte buffers. Nothing is ever pickled, so a value coming back from
student code can't run code in the judge, and a tensor subclass arrives as a plain tensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .framing import (MAX_FRAME_BYTES, MAX_HEAD_BYTES, MAX_REPLY_BYTES, CodecError, Desync,  # noqa: F401
                      new_request_id, pack, read_frame)

MAX_DEPTH = 32
MAX_NODES = 200_000

_TORCH_DTYPES = {
    str(d).removeprefix("torch."): d
    for d in (torch.float16, torch.bfloat16, torch.float32, torch.float64, torch.complex64,
              torch.complex128, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
              torch.bool)
}


@dataclass(frozen=True)
class Seeded:
    """Stands for `numpy.random.default_rng(seed)`: a Generator can't cross, its seed can."""

    seed: int


def encode(value) -> tuple[dict, list[bytes]]:
    """Turn a value into a JSON-able tree and the raw buffers it points to."""
    buffers: list[bytes] = []
    nodes = [0]

    def enc(v, depth):
        nodes[0] += 1
        if depth > MAX_DEPTH or nodes[0] > MAX_NODES:
            raise CodecError("the value is nested too deeply or has too many parts")
        if v is None or type(v) in (bool, str):
            return v
        if isinstance(v, int) and not isinstance(v, np.generic):
            return {"int": int.__repr__(v)}
        if isinstance(v, float) and not isinstance(v, np.generic):
            return {"float": float.__repr__(v)}
        if isinstance(v, str):
            return str.__str__(v)
        if isinstance(v, torch.Tensor):
            t = torch.Tensor.as_subclass(v, torch.Tensor).detach()
            if t.layout != torch.strided:
                t = t.to_dense()
            name = str(t.dtype).removeprefix("torch.")
            if name not in _TORCH_DTYPES:
                raise CodecError(f"tensors of dtype {t.dtype} are not supported")
            t = t.to("cpu").contiguous()
            buffers.append(t.reshape(-1).view(torch.uint8).numpy().tobytes())
            return {"tensor": len(buffers) - 1, "dtype": name, "shape": list(t.shape)}
        if isinstance(v, np.ndarray):
            if v.dtype.hasobject or v.dtype.kind not in "biufc":
                raise CodecError(f"numpy arrays of dtype {v.dtype} are not supported")
            a = np.ascontiguousarray(v)
            buffers.append(a.tobytes())
            return {"ndarray": len(buffers) - 1, "dtype": a.dtype.str, "shape": list(a.shape)}
        if isinstance(v, np.generic):
            if v.dtype.kind not in "biufc":
                raise CodecError(f"numpy scalars of dtype {v.dtype} are not supported")
            buffers.append(np.asarray(v).tobytes())
            return {"npscalar": len(buffers) - 1, "dtype": v.dtype.str}
        if isinstance(v, Seeded):
            return {"seeded": int(v.seed)}
        if isinstance(v, tuple):
            return {"tuple": [enc(x, depth + 1) for x in tuple.__iter__(v)]}
        if isinstance(v, list):
            return {"list": [enc(x, depth + 1) for x in list.__iter__(v)]}
        if isinstance(v, dict):
            return {"dict": [[enc(k, depth + 1), enc(x, depth + 1)] for k, x in dict.items(v)]}
        raise CodecError(f"a {type(v).__name__} object can't be sent to the grader")

    return {"v": enc(value, 0)}, buffers


def request_frame(request_id, op, exercise, name, args, kwargs) -> bytes:
    """A judge-to-worker request as one frame; both transports send exactly this."""
    header, buffers = encode((list(args), dict(kwargs)))
    return pack({"id": request_id, "op": op, "exercise": exercise, "name": name, "payload": header}, buffers)


def read_reply(read_exactly, request_id) -> tuple[dict, object]:
    """The worker's reply to `request_id`: its head, and its decoded value if it is `ok`.

    Both transports read replies with this. Raises CodecError (`Desync` for a reply to
    another request) for anything that is not a well-formed, bounded reply.
    """
    head, buffers = read_frame(read_exactly, reply_to=request_id, max_bytes=MAX_REPLY_BYTES)
    return head, decode(head.get("payload"), buffers) if head.get("ok") is True else None


def decode(header: dict, buffers: list[bytes], *, make_rng=None):
    """Rebuild a value from `encode`'s output, checking every node: the input is untrusted.

    Each buffer may be used once, so the decoded value is never larger than the frame.
    """
    nodes = [0]
    used = set()

    def buf(i):
        if type(i) is not int or not 0 <= i < len(buffers):
            raise CodecError("bad buffer reference")
        if i in used:
            raise CodecError("a buffer is referenced twice")
        used.add(i)
        return buffers[i]

    def shape_of(s):
        if type(s) is not list or len(s) > 16 or any(type(n) is not int or n < 0 for n in s):
            raise CodecError("bad shape")
        return tuple(s)

    def dec(n, depth):
        nodes[0] += 1
        if depth > MAX_DEPTH or nodes[0] > MAX_NODES:
            raise CodecError("value nested too deeply")
        if n is None or type(n) in (bool, str):
            return n
        if type(n) is not dict or len(n) < 1:
            raise CodecError("bad node")
        if "int" in n:
            return int(n["int"])
        if "float" in n:
            return float(n["float"])
        if "tensor" in n:
            dtype = _TORCH_DTYPES.get(n.get("dtype"))
            if dtype is None:
                raise CodecError("bad tensor dtype")
            shape = shape_of(n.get("shape"))
            raw = buf(n["tensor"])
            count = math.prod(shape)
            if len(raw) != count * torch.empty((), dtype=dtype).element_size():
                raise CodecError("tensor size does not match its shape")
            if count == 0:
                return torch.empty(shape, dtype=dtype)
            return torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dtype).reshape(shape)
        if "ndarray" in n:
            dtype = np.dtype(str(n.get("dtype")))
            if dtype.hasobject or dtype.kind not in "biufc":
                raise CodecError("bad array dtype")
            shape = shape_of(n.get("shape"))
            raw = buf(n["ndarray"])
            if len(raw) != math.prod(shape) * dtype.itemsize:
                raise CodecError("array size does not match its shape")
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        if "npscalar" in n:
            dtype = np.dtype(str(n.get("dtype")))
            if dtype.hasobject or dtype.kind not in "biufc":
                raise CodecError("bad scalar dtype")
            raw = buf(n["npscalar"])
            if len(raw) != dtype.itemsize:
                raise CodecError("bad scalar size")
            return np.frombuffer(raw, dtype=dtype)[0]
        if "seeded" in n:
            seed = int(n["seeded"])
            return make_rng(seed) if make_rng else Seeded(seed)
        if "tuple" in n:
            return tuple(dec(x, depth + 1) for x in _items(n["tuple"]))
        if "list" in n:
            return [dec(x, depth + 1) for x in _items(n["list"])]
        if "dict" in n:
            out = {}
            for pair in _items(n["dict"]):
                if type(pair) is not list or len(pair) != 2:
                    raise CodecError("bad dict entry")
                key = dec(pair[0], depth + 1)
                if not isinstance(key, (str, int, float, bool, tuple)) and key is not None:
                    raise CodecError("bad dict key")
                out[key] = dec(pair[1], depth + 1)
            return out
        raise CodecError("unknown node")

    if type(header) is not dict or "v" not in header:
        raise CodecError("bad header")
    try:
        return dec(header["v"], 0)
    except CodecError:
        raise
    except (TypeError, ValueError, OverflowError, RuntimeError) as exc:  # int("x"), a shape torch refuses, ...
        raise CodecError(f"bad value ({type(exc).__name__})") from None


def _items(x):
    if type(x) is not list:
        raise CodecError("bad container")
    return x
