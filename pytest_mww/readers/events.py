"""TensorBoard event files → per-tag scalar series, text and histogram points.

Every record is read and its checksums verified; nothing is sampled. Scalar events have a
fixed shape (one ``Summary.Value`` with a tag and either a ``simple_value`` or a
one-element float tensor with the ``scalars`` plugin, as microwakeword_trainer v2.0.0 and
tensorboard write them): those are decoded directly from the bytes, stretches of them in bulk
(event_bulk.py) and the rest record by record; every other record goes through tensorboard's
protobuf definitions. All paths give the same values and messages (tested).
Series are kept as compact arrays, not lists of objects, so that a run of hundreds of
thousands of steps stays small in memory.
"""

from __future__ import annotations

import re
import struct
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import google_crc32c
from google.protobuf.message import DecodeError
from tensorboard.compat.proto import event_pb2, types_pb2

from ..problems import Problem
from .event_bulk import LEGACY_PAYLOAD, TENSOR_PAYLOAD, BulkReader
from .records import MAX_RECORD_BYTES, masked_crc32c

CHUNK_BYTES = 1024 * 1024  # the bulk reader's working set is a few times this

_NUMERIC_CONTENT = {
    types_pb2.DT_FLOAT: ("<f", "float_val"),
    types_pb2.DT_DOUBLE: ("<d", "double_val"),
    types_pb2.DT_HALF: ("<e", "half_val"),
    types_pb2.DT_INT32: ("<i", "int_val"),
    types_pb2.DT_INT64: ("<q", "int64_val"),
}

# Scalar events of the fixed shape, one payload at a time (event_bulk.py describes the bytes).
_TENSOR_SCALAR = re.compile(TENSOR_PAYLOAD, re.S)
_LEGACY_SCALAR = re.compile(LEGACY_PAYLOAD, re.S)
_TENSOR_TAIL = 25  # bytes after the tag in a tensor scalar value
_LEGACY_TAIL = 5
_F32 = struct.Struct("<f")


@dataclass
class TagSeries:
    """Every point of one tag, in file order: steps, values, record indices."""

    tag: str
    steps: array = field(default_factory=lambda: array("q"))
    values: array = field(default_factory=lambda: array("d"))
    records: array = field(default_factory=lambda: array("I"))

    def __len__(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class ScalarPoint:
    tag: str
    step: int
    value: float
    file: str
    record: int


@dataclass(frozen=True)
class TextPoint:
    tag: str
    step: int
    text: str
    file: str
    record: int


@dataclass(frozen=True)
class HistogramPoint:
    """The range of one histogram (weights, scores): enough to judge weight health."""

    tag: str
    step: int
    low: float
    high: float
    count: float
    file: str
    record: int


@dataclass
class EventFile:
    """Everything read from one event file, and what was wrong with it."""

    path: str
    series: dict[str, TagSeries] = field(default_factory=dict)
    texts: list[TextPoint] = field(default_factory=list)
    histograms: list[HistogramPoint] = field(default_factory=list)
    records: int = 0
    other_values: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def damaged(self) -> bool:
        """True when data may be missing from the middle (not just a cut-off tail)."""
        return any(p.severity == "error" for p in self.problems)

    @property
    def scalars(self) -> list[ScalarPoint]:
        """All scalar points as objects, in record order (for inspection and tests)."""
        points = [ScalarPoint(s.tag, step, value, self.path, record)
                  for s in self.series.values()
                  for step, value, record in zip(s.steps, s.values, s.records, strict=True)]
        return sorted(points, key=lambda p: p.record)

    def series_for(self, tag: str) -> TagSeries:
        series = self.series.get(tag)
        if series is None:
            series = self.series[tag] = TagSeries(tag)
        return series

    def add(self, tag: str, step: int, value: float, record: int) -> None:
        series = self.series_for(tag)
        series.steps.append(step)
        series.values.append(value)
        series.records.append(record)


def _varint(data: bytes) -> int:
    """A protobuf int64 varint (negative steps take ten bytes). Bits beyond 64 are dropped,
    as protobuf drops them."""
    value = 0
    for shift, byte in enumerate(data):
        value |= (byte & 0x7F) << (7 * shift)
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def read_event_file(path: Path, display: str) -> EventFile:
    """Read every record of ``path``; ``display`` is the name used in messages."""
    result = EventFile(path=display)
    try:
        with open(path, "rb") as handle:
            _Scanner(handle, result).run()
    except OSError as exc:
        result.problems.append(_problem(display, "", f"cannot be read: {exc.strerror or exc}"))
    return result


def _head_tag(head: bytes, kind: int) -> str | None:
    """The tag of a scalar event's head (its three lengths and the tag), or None when the
    lengths do not add up for the kind (0 tensor, 1 legacy)."""
    summary_len, value_len, tag_len, tag = head[1], head[3], head[5], head[6:]
    size = len(tag)
    expected = size + 2 + (_TENSOR_TAIL if kind == 0 else _LEGACY_TAIL)
    if size > 127 or tag_len != size or value_len != expected or summary_len != expected + 2:
        return None
    return tag.decode("utf-8", "replace")


# Regular stretches of scalar records go through the bulk reader (event_bulk.py); the
# switch is for tests that compare it with the record-by-record scanner.
BULK = True


class _Scanner:
    """Frames records from a stream in chunks, verifying both checksums of each."""

    def __init__(self, handle, out: EventFile) -> None:
        self.handle, self.out = handle, out
        self.header_crcs: dict[int, int] = {}

    def run(self) -> None:
        out = self.out
        buf = self.handle.read(CHUNK_BYTES)
        if not buf:
            out.problems.append(_problem(out.path, "", "event file is empty (0 bytes): the "
                                                       "writer never flushed", "warning"))
            return
        base = pos = index = 0
        bulk = BulkReader(out, _collect, _head_tag) if BULK else None
        fresh = True  # a new buffer: the bulk reader goes first
        unpack_header = struct.Struct("<QI").unpack_from
        unpack_crc = struct.Struct("<I").unpack_from
        unpack_f32 = _F32.unpack
        crc_value = google_crc32c.value
        header_crcs = self.header_crcs
        # try first the shape the last scalar had (files hold one kind or the other)
        matchers = [(_TENSOR_SCALAR.fullmatch, {}), (_LEGACY_SCALAR.fullmatch, {})]
        kinds = {id(matchers[0][1]): 0, id(matchers[1][1]): 1}
        while True:
            if fresh and bulk is not None:
                fresh = False
                used, records = bulk.read(buf[pos:] if pos else buf, index)
                pos, index = pos + used, index + records
            if len(buf) - pos < 12:
                more = self.handle.read(CHUNK_BYTES)
                if not more:
                    break
                buf, base, pos, fresh = buf[pos:] + more, base + pos, 0, True
                continue
            length, length_crc = unpack_header(buf, pos)
            known = header_crcs.get(length)  # the header's CRC depends on the length only
            if known is None:
                known = header_crcs[length] = masked_crc32c(buf[pos:pos + 8])
            if known != length_crc:
                self._stop(base + pos, index, "record length checksum mismatch")
                return
            if length > MAX_RECORD_BYTES:
                self._stop(base + pos, index, f"record length {length} is implausible")
                return
            end = pos + 12 + length
            if end + 4 > len(buf):
                more = self.handle.read(max(CHUNK_BYTES, end + 4 - len(buf)))
                if not more:
                    break
                buf, base, pos, fresh = buf[pos:] + more, base + pos, 0, True
                continue
            payload = buf[pos + 12:end]
            crc = crc_value(payload)
            if (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF != unpack_crc(buf, end)[0]:
                self._stop(base + pos, index, "record data checksum mismatch")
                return
            # the fast path: a scalar event of the fixed shape, decoded from its bytes
            fullmatch, sinks = matchers[0]
            match = fullmatch(payload)
            if match is None:
                fullmatch, sinks = matchers[1]
                match = fullmatch(payload)
                if match is not None:
                    matchers.reverse()
            if match is not None:
                step_bytes, head, number = match.groups()
                sink = sinks.get(head)
                if sink is None:
                    sink = sinks[head] = self._sink(head, kinds[id(sinks)])
                if sink is not False:
                    step = step_bytes[0]
                    if step > 127:
                        width = len(step_bytes)
                        if width == 2:
                            step = (step & 0x7F) | (step_bytes[1] << 7)
                        elif width == 3:
                            step = ((step & 0x7F) | ((step_bytes[1] & 0x7F) << 7)
                                    | (step_bytes[2] << 14))
                        else:
                            step = _varint(step_bytes)
                    sink[0](step)
                    sink[1](unpack_f32(number)[0])
                    sink[2](index)
                    index += 1
                    pos = end + 4
                    continue
            if not self._slow(payload, index, base + pos):
                return
            index += 1
            pos = end + 4
        out.records = index
        if pos < len(buf):
            out.problems.append(_problem(
                out.path, f"offset {base + pos}",
                f"last record is cut off ({len(buf) - pos} bytes dropped; the run was probably "
                f"killed while writing); the {index} complete records before it are used",
                "warning"))

    def _sink(self, head: bytes, kind: int):
        """Where points of this head's tag go; False when its lengths do not add up (then
        protobuf decodes the record)."""
        name = _head_tag(head, kind)
        if name is None:
            return False
        series = self.out.series_for(name)
        return series.steps.append, series.values.append, series.records.append

    def _fast(self, payload: bytes, index: int) -> bool:
        """The fast path on one record alone (for tests that compare it with protobuf)."""
        for kind, pattern in ((0, _TENSOR_SCALAR), (1, _LEGACY_SCALAR)):
            match = pattern.fullmatch(payload)
            if match is None:
                continue
            step_bytes, head, number = match.groups()
            sink = self._sink(head, kind)
            if sink is False:
                return False
            sink[0](_varint(step_bytes))
            sink[1](_F32.unpack(number)[0])
            sink[2](index)
            return True
        return False

    def _slow(self, payload: bytes, index: int, offset: int) -> bool:
        try:
            event = event_pb2.Event.FromString(payload)
        except DecodeError:
            self._stop(offset, index, "record is not a TensorBoard Event (protobuf decode "
                                      "failed)", corrupt=False)
            return False
        _collect(event, index, self.out)
        return True

    def _stop(self, offset: int, index: int, message: str, corrupt: bool = True) -> None:
        out = self.out
        out.records = index
        if corrupt:
            what = ("not a TensorBoard event file" if offset == 0 and index == 0
                    else f"corrupt record after {index} good records")
            out.problems.append(_problem(out.path, f"offset {offset}",
                                         f"{what}: {message}; nothing after this offset was "
                                         "read"))
        else:
            out.problems.append(_problem(out.path, f"record {index} (offset {offset})",
                                         f"{message}; nothing after it was read"))


def _collect(event: event_pb2.Event, index: int, out: EventFile) -> None:
    if not event.HasField("summary"):
        return
    for value in event.summary.value:
        kind = value.WhichOneof("value")
        if kind == "simple_value":
            out.add(value.tag, event.step, float(value.simple_value), index)
        elif kind == "tensor":
            _collect_tensor(value, event, index, out)
        elif kind == "histo":
            h = value.histo
            out.histograms.append(HistogramPoint(value.tag, event.step, h.min, h.max, h.num,
                                                 out.path, index))
        else:
            out.other_values += 1


def _collect_tensor(value, event, index: int, out: EventFile) -> None:
    tensor = value.tensor
    plugin = value.metadata.plugin_data.plugin_name
    if tensor.dtype == types_pb2.DT_STRING:
        if plugin == "text" and tensor.string_val:
            text = b"\n".join(tensor.string_val).decode("utf-8", errors="replace")
            out.texts.append(TextPoint(value.tag, event.step, text, out.path, index))
        else:
            out.other_values += 1
        return
    if plugin == "histograms":
        _collect_histogram_tensor(value, event, index, out)
        return
    number = _scalar_number(tensor)
    if number is None or plugin not in ("scalars", ""):
        out.other_values += 1
        return
    out.add(value.tag, event.step, number, index)


def _collect_histogram_tensor(value, event, index: int, out: EventFile) -> None:
    """TF2 histograms are k×3 tensors of (left edge, right edge, count)."""
    tensor = value.tensor
    dims = [d.size for d in tensor.tensor_shape.dim]
    spec = _NUMERIC_CONTENT.get(tensor.dtype)
    if spec is None or len(dims) != 2 or dims[1] != 3 or dims[0] == 0:
        out.other_values += 1
        return
    fmt = spec[0]
    size = struct.calcsize(fmt)
    cells = dims[0] * 3
    if tensor.tensor_content and len(tensor.tensor_content) == cells * size:
        values = struct.unpack(f"<{cells}{fmt[1]}", tensor.tensor_content)
    else:
        values = tuple(getattr(tensor, spec[1]))
        if len(values) != cells:
            out.other_values += 1
            return
    counts = values[2::3]
    out.histograms.append(HistogramPoint(value.tag, event.step, float(values[0]),
                                         float(values[-2]), float(sum(counts)), out.path,
                                         index))


def _scalar_number(tensor) -> float | None:
    """The value of a one-element numeric tensor, or None for anything else."""
    if any(dim.size != 1 for dim in tensor.tensor_shape.dim):
        return None
    spec = _NUMERIC_CONTENT.get(tensor.dtype)
    if spec is None:
        return None
    fmt, field_name = spec
    if tensor.tensor_content:
        if len(tensor.tensor_content) != struct.calcsize(fmt):
            return None
        return float(struct.unpack(fmt, tensor.tensor_content)[0])
    values = getattr(tensor, field_name)
    if len(values) != 1:
        return None
    if tensor.dtype == types_pb2.DT_HALF:  # half_val holds the raw 16 bits
        return float(struct.unpack("<e", struct.pack("<H", values[0]))[0])
    return float(values[0])


def _problem(file: str, place: str, message: str, severity="error") -> Problem:
    return Problem(file, place, message, severity=severity, source="tensorboard")


def decode_slow(payload: bytes, index: int = 0) -> EventFile:
    """The protobuf path alone, for checking the fast path against it."""
    out = EventFile("check")
    _collect(event_pb2.Event.FromString(payload), index, out)
    return out


def decode_fast(payload: bytes, index: int = 0) -> EventFile | None:
    out = EventFile("check")
    return out if _Scanner(None, out)._fast(payload, index) else None
