"""TensorBoard event files → scalar and text points, every record, no sampling.

Handles both storages: legacy ``simple_value`` and the TF2 tensor summaries that
microwakeword_trainer v2.0.0 writes for every value (run-format.md §3).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf.message import DecodeError
from tensorboard.compat.proto import event_pb2, types_pb2

from ..problems import Problem
from .records import frame_records

EVENT_FILE_MARK = "tfevents"

_NUMERIC_CONTENT = {
    types_pb2.DT_FLOAT: ("<f", "float_val"),
    types_pb2.DT_DOUBLE: ("<d", "double_val"),
    types_pb2.DT_HALF: ("<e", "half_val"),
    types_pb2.DT_INT32: ("<i", "int_val"),
    types_pb2.DT_INT64: ("<q", "int64_val"),
}


@dataclass(frozen=True)
class ScalarPoint:
    tag: str
    step: int
    value: float
    wall_time: float
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
    scalars: list[ScalarPoint] = field(default_factory=list)
    texts: list[TextPoint] = field(default_factory=list)
    histograms: list[HistogramPoint] = field(default_factory=list)
    records: int = 0
    other_values: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def damaged(self) -> bool:
        """True when data may be missing from the middle (not just a cut-off tail)."""
        return any(p.severity == "error" for p in self.problems)


def read_event_file(path: Path, display: str) -> EventFile:
    """Read every record of ``path``; ``display`` is the name used in messages."""
    result = EventFile(path=display)
    try:
        data = path.read_bytes()
    except OSError as exc:
        result.problems.append(_problem(display, "", f"cannot be read: {exc.strerror or exc}"))
        return result
    if not data:
        result.problems.append(
            _problem(display, "", "event file is empty (0 bytes): the writer never flushed",
                     severity="warning")
        )
        return result
    framing = frame_records(data)
    for index, (offset, payload) in enumerate(framing.records):
        try:
            event = event_pb2.Event.FromString(payload)
        except DecodeError:
            result.problems.append(
                _problem(display, f"record {index} (offset {offset})",
                         "record is not a TensorBoard Event (protobuf decode failed)")
            )
            break
        _collect(event, index, result)
    result.records = len(framing.records)
    if framing.corrupt is not None:
        offset, message = framing.corrupt
        what = (
            "not a TensorBoard event file" if offset == 0 and not framing.records
            else f"corrupt record after {len(framing.records)} good records"
        )
        result.problems.append(
            _problem(display, f"offset {offset}",
                     f"{what}: {message}; nothing after this offset was read")
        )
    if framing.truncated_tail is not None:
        offset, dropped = framing.truncated_tail
        result.problems.append(
            _problem(display, f"offset {offset}",
                     f"last record is cut off ({dropped} bytes dropped; the run was probably "
                     f"killed while writing); the {len(framing.records)} complete records "
                     "before it are used", severity="warning")
        )
    return result


def _collect(event: event_pb2.Event, index: int, out: EventFile) -> None:
    if not event.HasField("summary"):
        return
    for value in event.summary.value:
        kind = value.WhichOneof("value")
        if kind == "simple_value":
            out.scalars.append(ScalarPoint(value.tag, event.step, float(value.simple_value),
                                           event.wall_time, out.path, index))
        elif kind == "tensor":
            _collect_tensor(value, event, index, out)
        elif kind == "histo":
            h = value.histo
            out.histograms.append(HistogramPoint(value.tag, event.step, h.min, h.max, h.num,
                                                 out.path, index))
        else:
            out.other_values += 1


def _collect_tensor(value, event: event_pb2.Event, index: int, out: EventFile) -> None:
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
    out.scalars.append(ScalarPoint(value.tag, event.step, number, event.wall_time,
                                   out.path, index))


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
