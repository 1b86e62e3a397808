"""Frames on the pipe between the judge and the worker: length-prefixed JSON plus raw buffers.

Standard library only, so that the judge can start a worker before it has loaded torch.
"""

from __future__ import annotations

import json
import struct

MAX_FRAME_BYTES = 512 * 1024 * 1024
_LEN = struct.Struct(">Q")


class CodecError(ValueError):
    """A value that can't cross the seam, or a frame that breaks the format."""


def pack(message: dict, buffers: list[bytes] = ()) -> bytes:
    """One frame: length-prefixed JSON (with buffer sizes) followed by the buffers."""
    head = dict(message, buffer_sizes=[len(b) for b in buffers])
    blob = json.dumps(head, allow_nan=True, separators=(",", ":")).encode()
    return b"".join([_LEN.pack(len(blob)), blob, *buffers])


def read_frame(read_exactly) -> tuple[dict, list[bytes]]:
    """Read one frame with `read_exactly(n) -> bytes`; enforces the size limits."""
    (size,) = _LEN.unpack(read_exactly(_LEN.size))
    if size > MAX_FRAME_BYTES:
        raise CodecError("frame too large")
    try:
        head = json.loads(read_exactly(size))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CodecError("frame is not JSON") from exc
    sizes = head.get("buffer_sizes") if type(head) is dict else None
    if type(sizes) is not list or any(type(s) is not int or s < 0 for s in sizes):
        raise CodecError("bad buffer sizes")
    if sum(sizes) > MAX_FRAME_BYTES:
        raise CodecError("frame too large")
    return head, [read_exactly(s) for s in sizes]
