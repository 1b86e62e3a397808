"""Frames on the pipe between the judge and the worker: length-prefixed JSON plus raw buffers.

Standard library only, so that the judge can start a worker before it has loaded torch.
Every request carries a fresh random id and its reply must carry the same one: a frame that
student code forges or leaves behind can't pass as the answer to a later request.
"""

from __future__ import annotations

import json
import secrets
import struct

MAX_FRAME_BYTES = 512 * 1024 * 1024
MAX_HEAD_BYTES = 8 * 1024 * 1024
"""The JSON head: 200,000 nodes of a few dozen bytes each fit; checked before it is read."""
MAX_REPLY_BYTES = 256 * 1024 * 1024
"""All buffers of one reply together. The judge holds a reply about three times while reading
and decoding it (chunks, joined bytes, one copy per tensor), so 256 MiB keeps a judge well
under 2 GB; the largest real reply (a batch of CIFAR-sized images) is a few MiB."""
_LEN = struct.Struct(">Q")


class CodecError(ValueError):
    """A value that can't cross the seam, or a frame that breaks the format."""


class Desync(CodecError):
    """A reply to a request that was not asked (a forged, stale or stray frame)."""


def new_request_id() -> int:
    """Random, so that student code can't write a reply ahead of a request it has not seen."""
    return secrets.randbits(63)


def pack(message: dict, buffers: list[bytes] = ()) -> bytes:
    """One frame: length-prefixed JSON (with buffer sizes) followed by the buffers."""
    head = dict(message, buffer_sizes=[len(b) for b in buffers])
    blob = json.dumps(head, allow_nan=True, separators=(",", ":")).encode()
    return b"".join([_LEN.pack(len(blob)), blob, *buffers])


def read_frame(read_exactly, *, reply_to: int | None = None,
               max_bytes: int = MAX_FRAME_BYTES) -> tuple[dict, list[bytes]]:
    """Read one frame with `read_exactly(n) -> bytes`; enforces the size limits.

    With `reply_to`, the frame must be the reply to that request id (checked before its
    buffers are read); anything else raises `Desync`.
    """
    (size,) = _LEN.unpack(read_exactly(_LEN.size))
    if size > MAX_HEAD_BYTES:
        raise CodecError("frame head too large")
    try:
        head = json.loads(read_exactly(size))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CodecError("frame is not JSON") from exc
    sizes = head.get("buffer_sizes") if type(head) is dict else None
    if type(sizes) is not list or any(type(s) is not int or s < 0 for s in sizes):
        raise CodecError("bad buffer sizes")
    if reply_to is not None and not (type(head.get("id")) is int and head["id"] == reply_to):
        raise Desync("a reply to a request that was not asked")
    if sum(sizes) > max_bytes:
        raise CodecError("frame too large")
    return head, [read_exactly(s) for s in sizes]
