"""The bulk reader of scalar event records says exactly what the record-by-record scanner
says, on clean files and on damaged ones."""

import importlib.util
import os
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from pytest_mww.readers import event_bulk, events
from pytest_mww.readers.records import frame_records, masked_crc32c
from pytest_mww.sample_run import _scalar

from conftest import REPO

spec = importlib.util.spec_from_file_location("make_run", REPO / "bench" / "make_run.py")
make_run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_run)


def facts(result: events.EventFile) -> tuple:
    series = {tag: (list(s.steps), s.values.tobytes(), list(s.records))
              for tag, s in result.series.items()}
    return (series, result.texts, result.histograms, result.records, result.other_values,
            [str(p) for p in result.problems])


def both(path, monkeypatch, chunk: int = 4096) -> tuple[tuple, tuple, int]:
    """The file read with the bulk reader and without; and how many records it read."""
    monkeypatch.setattr(events, "CHUNK_BYTES", chunk)
    read_in_bulk = []
    read = event_bulk.BulkReader.read

    def counting(self, data, index):
        used, records = read(self, data, index)
        read_in_bulk.append(records)
        return used, records

    monkeypatch.setattr(event_bulk.BulkReader, "read", counting)
    monkeypatch.setattr(events, "BULK", True)
    bulk = facts(events.read_event_file(path, "e"))
    monkeypatch.setattr(events, "BULK", False)
    return bulk, facts(events.read_event_file(path, "e")), sum(read_in_bulk)


def record(payload: bytes) -> bytes:
    header = struct.pack("<Q", len(payload))
    return (header + struct.pack("<I", masked_crc32c(header)) + payload
            + struct.pack("<I", masked_crc32c(payload)))


@pytest.fixture(scope="module", params=[False, True], ids=["tensor", "legacy"])
def benchmark_file(request, tmp_path_factory):
    """The benchmark's own writer: scalars, and a histogram and a text every 50 steps."""
    folder = tmp_path_factory.mktemp("events")
    make_run.write_events(folder, 300, request.param, 50)
    return next(folder.glob("*tfevents*"))


@pytest.mark.parametrize("chunk", [4096, 1 << 20])
def test_clean_files_agree(benchmark_file, monkeypatch, chunk):
    bulk, scan, in_bulk = both(benchmark_file, monkeypatch, chunk)
    assert bulk == scan
    assert len(bulk[0]) == 6 and bulk[3] == 1 + 300 * 6 + 12  # the file version record too
    assert in_bulk >= 300 * 6  # the bulk reader did the reading


def damaged(data: bytes, at: int, how: str) -> bytes:
    if how == "flip":
        return data[:at] + bytes([data[at] ^ 0x40]) + data[at + 1:]
    if how == "cut":
        return data[:at]
    return data[:at] + b"\x00" * 7 + data[at:]  # inserted bytes


@pytest.mark.parametrize("how", ["flip", "cut", "insert"])
def test_damaged_files_agree(benchmark_file, tmp_path, monkeypatch, how):
    data = benchmark_file.read_bytes()
    records = frame_records(data).records
    # a scalar's length, its length CRC, its payload, its CRC; a histogram; a text
    histogram = next(o for o, p in records if b"scores/positive" in p)
    text = next(o for o, p in records if b"checkpoints/summary" in p)
    scalar = records[700][0]
    places = [scalar, scalar + 9, scalar + 20, scalar + 12 + len(records[700][1]) + 1,
              histogram + 40, text + 30, len(data) - 3]
    for at in places:
        path = tmp_path / f"events.out.tfevents.{at}.h"
        path.write_bytes(damaged(data, at, how))
        bulk, scan, _ = both(path, monkeypatch)
        assert bulk == scan, (how, at)
        if not (how == "cut" and at == scalar):  # a cut between records leaves no trace
            assert bulk[5], (how, at)  # the damage is reported


def test_a_scalar_record_hidden_inside_a_histogram_is_not_read_as_one(tmp_path, monkeypatch):
    """The pattern can match bytes inside another record; the text before that match then
    does not frame into whole records, and the scanner takes over."""
    scalar = event_pb2.Event(step=9, wall_time=1.0, summary=summary_pb2.Summary(
        value=[_scalar("val/f1", 0.5, False)])).SerializeToString()
    hidden = record(scalar)
    content = hidden + b"\x00" * (-len(hidden) % 24)
    histogram = make_run.histogram("scores/all", 3)
    histogram.tensor.tensor_content = content
    histogram.tensor.tensor_shape.dim[0].size = len(content) // 24
    writer = EventFileWriter(str(tmp_path))
    for step in range(1, 4):  # (step 0 is not written: protobuf leaves out zeros)
        writer.add_event(event_pb2.Event(step=step, wall_time=1.0, summary=summary_pb2.Summary(
            value=[_scalar("val/f1", step / 10, False)])))
    writer.add_event(event_pb2.Event(step=4, summary=summary_pb2.Summary(value=[histogram])))
    writer.add_event(event_pb2.Event(step=5, wall_time=1.0, summary=summary_pb2.Summary(
        value=[_scalar("val/f1", 0.4, False)])))
    writer.close()
    path = next(tmp_path.glob("*tfevents*"))
    assert len(event_bulk.PATTERNS[0].findall(path.read_bytes())) == 5  # 4 and the hidden one
    bulk, scan, _ = both(path, monkeypatch)
    assert bulk == scan
    assert bulk[0]["val/f1"][0] == [1, 2, 3, 5] and len(bulk[2]) == 1


def test_kinds_mixed_and_records_protobuf_must_read(tmp_path, monkeypatch):
    writer = EventFileWriter(str(tmp_path))
    for step in range(40):
        value = [_scalar("val/f1", step / 40, step % 3 == 0)]
        if step % 7 == 0:
            value.append(_scalar("val/recall", 0.5, False))  # two values: not the shape
        writer.add_event(event_pb2.Event(step=step, wall_time=1.0,
                                         summary=summary_pb2.Summary(value=value)))
    writer.close()
    path = next(tmp_path.glob("*tfevents*"))
    bad_event = record(b"\xff" * 20)  # framed right, no Event
    path.write_bytes(path.read_bytes() + bad_event + record(b""))
    bulk, scan, in_bulk = both(path, monkeypatch)
    assert bulk == scan and in_bulk > 0
    assert bulk[0]["val/f1"][0] == list(range(40))
    assert "not a TensorBoard Event" in bulk[5][0]


def test_steps_of_every_varint_width():
    steps = [0, 1, 127, 128, 16383, 16384, 2**35, 2**62, -1, -(2**40)]
    varints = []
    for step in steps:
        payload = event_pb2.Event(step=step).SerializeToString()
        varints.append(payload[1:])
    varints.append(b"\xff" * 9 + b"\x7f")  # bits beyond 64: dropped, as protobuf does
    assert list(event_bulk.steps_of(varints)) == steps + [-1]
    assert event_bulk.steps_of([]).dtype == np.int64


MUTATIONS = st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=1, max_size=6)),
                     min_size=1, max_size=4)


@settings(max_examples=int(os.environ.get("MWW_FUZZ_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # both() sets it each time
@given(MUTATIONS)
def test_mutated_files_agree(benchmark_file, tmp_path_factory, monkeypatch, mutations):
    data = bytearray(benchmark_file.read_bytes())
    for position, replacement in mutations:
        at = position % len(data)
        data[at:at + len(replacement)] = replacement
    path = tmp_path_factory.mktemp("ev") / "events.out.tfevents.1.h"
    path.write_bytes(bytes(data))
    bulk, scan, _ = both(path, monkeypatch)
    assert bulk == scan


def test_bytes_that_start_many_false_matches_cost_a_bounded_search(tmp_path, monkeypatch):
    """Hostile bytes full of places where a scalar record could start, with no NUL to end a
    tag: the tag's bounded length keeps the search linear (unbounded, 256 KiB of these took
    tens of seconds)."""
    unit = b"\t" + b"A" * 8 + b"\x10\x01*A\nA\nA"
    path = tmp_path / "events.out.tfevents.1.h"
    path.write_bytes(unit * (256 * 1024 // len(unit)))
    bulk, scan, in_bulk = both(path, monkeypatch, chunk=1 << 20)
    assert bulk == scan and in_bulk == 0
    assert "not a TensorBoard event file" in bulk[5][0]
