"""Scalar event records in bulk: whole framed records matched by one pattern over a chunk.

A run's event files are mostly scalar events of one fixed shape (events.py). One pattern
matches such a record with its framing (length, length CRC, payload, payload CRC), and
``re.split`` hands over every record's parts at once; the checks run over whole columns:
each length against its payload, each length CRC (it depends on the length only), each
payload's CRC32C (google_crc32c over every payload), each tag's lengths. The text between
matched records must frame into whole, checked records (histograms, texts, odd scalars);
they are decoded by protobuf.

Anything irregular (a checksum, a length, a record protobuf cannot read, a match that does
not start at a record boundary) ends the bulk read just before it: the record-by-record
scanner goes on from there and reports it exactly as it always has.
"""

from __future__ import annotations

import re
import struct
from array import array

import google_crc32c
import numpy as np
from google.protobuf.message import DecodeError
from tensorboard.compat.proto import event_pb2

from .records import MAX_RECORD_BYTES, frame_records, masked_crc32c

# The bytes of a scalar event: wall_time (field 1, double), step (field 2, varint),
# summary (field 5) → value (field 1) → tag, then a float tensor with the scalars plugin
# (TF2 summaries) or a simple_value (legacy). Groups: the step varint; the "head" (the three
# length bytes and the tag, which a tag repeats exactly, so its lengths are checked once per
# distinct head); the value bytes. The tag is at most 127 bytes (its length is one byte):
# bounded, so that a search over hostile bytes costs at most that much per place it tries.
_HEAD = rb"\t.{8}\x10([\x80-\xff]{0,9}[\x00-\x7f])(\*.\n.\n.[^\x00]{0,127}?)"
TENSOR_PAYLOAD = _HEAD + rb"B\n\x08\x01\x12\x00\"\x04(.{4})J\x0b\n\t\n\x07scalars"
LEGACY_PAYLOAD = _HEAD + rb"\x15(.{4})"
# The same with the framing around it: length and its masked CRC, then the payload's CRC.
PATTERNS = tuple(re.compile(rb"(.{12})(" + payload + rb")(.{4})", re.S)
                 for payload in (TENSOR_PAYLOAD, LEGACY_PAYLOAD))
# What re.split gives per record: the bytes before it, the header (length and its CRC), the
# payload, the step varint, the head, the value, the payload's CRC.
_PARTS = 7
_GAP, _HEADER_PART, _PAYLOAD, _STEP, _HEAD_PART, _VALUE, _CRC_PART = range(_PARTS)
_HEADERS = np.dtype([("length", "<u8"), ("crc", "<u4")])
_RECORD_INDEX = np.dtype(f"u{array('I').itemsize}")


def masked(crcs: np.ndarray) -> np.ndarray:
    """TFRecord's masking of CRC32C values, over a column of them."""
    crcs = crcs.astype(np.uint32)
    return ((crcs >> np.uint32(15)) | (crcs << np.uint32(17))) + np.uint32(0xA282EAD8)


def steps_of(varints: list[bytes]) -> np.ndarray:
    """Protobuf int64 varints, a column at a time (bits beyond 64 dropped, as protobuf
    does)."""
    widths = np.fromiter(map(len, varints), np.intp, len(varints))
    flat = np.frombuffer(b"".join(varints), np.uint8).astype(np.uint64)
    starts = np.cumsum(widths) - widths
    steps = np.zeros(len(varints), np.uint64)
    for k in range(int(widths.max(initial=0))):
        rows = np.flatnonzero(widths > k)
        steps[rows] |= (flat[starts[rows] + k] & np.uint64(0x7F)) << np.uint64(7 * k)
    return steps.view(np.int64)


class BulkReader:
    """Reads the regular prefix of a chunk into an EventFile (``out``) in bulk."""

    def __init__(self, out, collect, head_tag) -> None:
        self.out, self.collect, self.head_tag = out, collect, head_tag
        self.kind = 0  # the pattern that matched last: files hold one kind of scalar

    def read(self, data: bytes, index: int) -> tuple[int, int]:
        """Read records from the start of ``data`` (a record boundary); returns the bytes
        and records read. What is left is for the record-by-record scanner."""
        parts = PATTERNS[self.kind].split(data)
        if len(parts) == 1:
            self.kind = 1 - self.kind
            parts = PATTERNS[self.kind].split(data)
            if len(parts) == 1:
                return 0, 0
        count = (len(parts) - 1) // _PARTS
        sizes = np.fromiter(map(len, parts[_PAYLOAD::_PARTS]), np.uint64, count)
        tags, codes, good = self._check(parts, count, sizes)
        gap_sizes = np.fromiter(map(len, parts[_GAP::_PARTS]), np.int64, count + 1)
        record_ends = np.cumsum(gap_sizes[:count] + sizes.astype(np.int64) + 16)
        gap_records = np.zeros(count + 1, np.int64)
        pending = 0  # matched records not yet in the series
        pos = 0  # bytes read for sure
        for gap_index in [i for i, gap in enumerate(parts[_GAP:good * _PARTS + 1:_PARTS]) if gap]:
            gap_start = int(record_ends[gap_index - 1]) if gap_index else 0
            first = index + gap_index + int(gap_records[:gap_index].sum())
            scratch, used, framed = self._gap(parts[gap_index * _PARTS], first)
            if scratch.series:  # scalar points: the records before them go first
                self._emit(parts, tags, codes, pending, gap_index, index, gap_records)
                pending = gap_index
            self._merge(scratch)
            gap_records[gap_index] = framed
            if used < len(parts[gap_index * _PARTS]) or gap_index == good:
                pos = gap_start + used
                good = gap_index
                break
        else:
            pos = int(record_ends[good - 1]) if good else 0
        self._emit(parts, tags, codes, pending, good, index, gap_records)
        return pos, good + int(gap_records[:good + 1].sum())

    def _check(self, parts: list, count: int, sizes: np.ndarray
               ) -> tuple[list[str], np.ndarray, int]:
        """Every matched record's length, both checksums and tag; returns the tags, each
        record's tag code and how many records from the start pass."""
        headers = np.frombuffer(b"".join(parts[_HEADER_PART::_PARTS]), _HEADERS)
        lengths = headers["length"]
        payloads = parts[_PAYLOAD::_PARTS]
        ok = (lengths == sizes) & (lengths <= MAX_RECORD_BYTES)
        unique, inverse = np.unique(lengths, return_inverse=True)
        expected = np.array([masked_crc32c(struct.pack("<Q", int(n))) for n in unique], np.uint32)
        ok &= headers["crc"] == expected[inverse]
        crcs = np.fromiter(map(google_crc32c.value, payloads), np.uint32, count)
        ok &= np.frombuffer(b"".join(parts[_CRC_PART::_PARTS]), "<u4") == masked(crcs)
        heads = parts[_HEAD_PART::_PARTS]
        tags: list[str] = []
        code_of: dict[bytes, int] = {}
        for head in dict.fromkeys(heads):
            tag = self.head_tag(head, self.kind)
            code_of[head] = len(tags) if tag is not None else -1
            if tag is not None:
                tags.append(tag)
        codes = np.fromiter(map(code_of.__getitem__, heads), np.intp, count)
        ok &= codes >= 0
        bad = np.flatnonzero(~ok)
        return tags, codes, int(bad[0]) if len(bad) else count

    def _gap(self, gap: bytes, first: int):
        """The records between two matches, through protobuf, into an EventFile of their
        own; returns it, the bytes read and how many records."""
        scratch = type(self.out)(self.out.path)
        framing = frame_records(gap)  # whole records with both checksums right
        for number, (offset, payload) in enumerate(framing.records):
            try:
                event = event_pb2.Event.FromString(payload)
            except DecodeError:  # the scanner reports it
                return scratch, offset, number
            self.collect(event, first + number, scratch)
        if not framing.records:
            return scratch, 0, 0
        offset, payload = framing.records[-1]
        return scratch, offset + 16 + len(payload), len(framing.records)

    def _merge(self, scratch) -> None:
        out = self.out
        out.texts += scratch.texts
        out.histograms += scratch.histograms
        out.other_values += scratch.other_values
        for tag, points in scratch.series.items():
            series = out.series_for(tag)
            series.steps.extend(points.steps)
            series.values.extend(points.values)
            series.records.extend(points.records)

    def _emit(self, parts: list, tags: list[str], codes: np.ndarray, start: int, end: int,
              index: int, gap_records: np.ndarray) -> None:
        """Matched records ``start`` to ``end`` into the series, tag by tag."""
        if end <= start:
            return
        steps = steps_of(parts[_STEP + start * _PARTS:end * _PARTS:_PARTS])
        values = np.frombuffer(b"".join(parts[_VALUE + start * _PARTS:end * _PARTS:_PARTS]),
                               "<f4").astype(np.float64)
        records = (index + np.arange(start, end) + np.cumsum(gap_records)[start:end])
        records = records.astype(_RECORD_INDEX)
        codes = codes[start:end]
        for code, tag in enumerate(tags):
            chosen = codes == code
            if not chosen.any():
                continue
            series = self.out.series_for(tag)
            series.steps.frombytes(steps[chosen].tobytes())
            series.values.frombytes(values[chosen].tobytes())
            series.records.frombytes(records[chosen].tobytes())
