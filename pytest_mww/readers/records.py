"""TFRecord framing of TensorBoard event files, with every checksum verified.

A record is ``uint64 length | uint32 masked_crc32c(length) | data | uint32 masked_crc32c(data)``.
tensorboard's own reader raises on the first problem without saying where; here each problem
keeps its byte offset, and a record cut off at the end of the file (a run killed mid-write) is
told apart from damage in the middle.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

import google_crc32c

_HEADER = struct.Struct("<QI")
_FOOTER = struct.Struct("<I")
_MASK_DELTA = 0xA282EAD8
# A length beyond this is not a summary record but a damaged or foreign file.
MAX_RECORD_BYTES = 256 * 1024 * 1024


def masked_crc32c(data: bytes | memoryview) -> int:
    crc = google_crc32c.value(bytes(data))
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


@dataclass
class Framing:
    """What framing a file gave: the records read, and how the file ended."""

    records: list[tuple[int, bytes]] = field(default_factory=list)
    # The damage that stopped reading in the middle of the file: (offset, message).
    corrupt: tuple[int, str] | None = None
    # An incomplete last record: (offset, bytes dropped).
    truncated_tail: tuple[int, int] | None = None


def frame_records(data: bytes) -> Framing:
    """Split ``data`` into verified records; stop at the first damaged one."""
    result = Framing()
    for item in _iter_frames(data):
        if isinstance(item, _Stop):
            if item.truncated:
                result.truncated_tail = (item.offset, len(data) - item.offset)
            else:
                result.corrupt = (item.offset, item.message)
            break
        result.records.append(item)
    return result


@dataclass(frozen=True)
class _Stop:
    offset: int
    message: str
    truncated: bool


def _iter_frames(data: bytes) -> Iterator[tuple[int, bytes] | _Stop]:
    view = memoryview(data)
    size = len(data)
    offset = 0
    while offset < size:
        if size - offset < _HEADER.size:
            yield _Stop(offset, "file ends inside a record header", truncated=True)
            return
        length, length_crc = _HEADER.unpack_from(view, offset)
        if masked_crc32c(view[offset : offset + 8]) != length_crc:
            yield _Stop(offset, "record length checksum mismatch", truncated=False)
            return
        if length > MAX_RECORD_BYTES:
            yield _Stop(offset, f"record length {length} is implausible", truncated=False)
            return
        start = offset + _HEADER.size
        end = start + length
        if end + _FOOTER.size > size:
            yield _Stop(offset, "file ends inside a record", truncated=True)
            return
        (data_crc,) = _FOOTER.unpack_from(view, end)
        payload = view[start:end]
        if masked_crc32c(payload) != data_crc:
            yield _Stop(offset, "record data checksum mismatch", truncated=False)
            return
        yield offset, bytes(payload)
        offset = end + _FOOTER.size
