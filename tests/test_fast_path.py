"""The bytes-level fast path for scalar events agrees with protobuf on every record."""

import importlib.util
import math
import struct

import pytest
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from pytest_mww.readers.events import decode_fast, decode_slow, read_event_file
from pytest_mww.readers.records import frame_records, masked_crc32c
from pytest_mww.sample_run import _scalar

from conftest import REPO

spec = importlib.util.spec_from_file_location("make_run", REPO / "bench" / "make_run.py")
make_run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_run)

# varints of 1, 2, 3, 5 and 10 bytes (negative), and the edges between them
STEPS = [0, 1, 127, 128, 16383, 16384, 2097151, 2097152, 2**35, 2**62, -1, -(2**40)]


def protobuf_only(path):
    """Every scalar point as protobuf decodes it, in record order."""
    points = []
    for index, (_, payload) in enumerate(frame_records(path.read_bytes()).records):
        for tag, series in decode_slow(payload, index).series.items():
            points += [(tag, s, v, r) for s, v, r in zip(series.steps, series.values,
                                                           series.records, strict=True)]
    return points


def scanned(path):
    result = read_event_file(path, "x")
    assert not result.problems
    return sorted(((tag, s, v, r) for tag, series in result.series.items()
                   for s, v, r in zip(series.steps, series.values, series.records,
                                      strict=True)), key=lambda p: p[3])


def same(a, b):
    return len(a) == len(b) and all(
        x[:2] == y[:2] and x[3] == y[3] and (x[2] == y[2] or (math.isnan(x[2]) and
                                                               math.isnan(y[2])))
        for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("legacy", [False, True])
def test_benchmark_runs_agree_record_by_record(tmp_path, legacy):
    folder = tmp_path / "events"
    make_run.write_events(folder, 400, legacy, 100)  # the benchmark's own writer
    path = next(folder.glob("*tfevents*"))
    records = frame_records(path.read_bytes()).records
    fast_hits = 0
    for index, (_, payload) in enumerate(records):
        fast = decode_fast(payload, index)
        if fast is None:
            continue
        fast_hits += 1
        slow = decode_slow(payload, index)
        assert {t: (list(s.steps), list(s.values)) for t, s in fast.series.items()} == \
            {t: (list(s.steps), list(s.values)) for t, s in slow.series.items()}
    assert fast_hits == 400 * 6
    assert same(scanned(path), protobuf_only(path))


@pytest.mark.parametrize("legacy", [False, True])
def test_every_varint_width_and_special_values(tmp_path, legacy):
    writer = EventFileWriter(str(tmp_path))
    values = [0.5, float("nan"), float("inf"), -float("inf"), -0.0, 1e-38, 3.4e38]
    for i, step in enumerate(STEPS):
        tag = "val/" + "x" * (i * 11)  # tag lengths up to 121 bytes
        writer.add_event(event_pb2.Event(step=step, wall_time=1.0, summary=summary_pb2.Summary(
            value=[_scalar(tag, values[i % len(values)], legacy)])))
    writer.add_event(event_pb2.Event(step=5, summary=summary_pb2.Summary(
        value=[_scalar("val/" + "y" * 200, 0.25, legacy)])))  # a two-byte tag length
    writer.close()
    path = next(tmp_path.glob("*tfevents*"))
    assert same(scanned(path), protobuf_only(path))
    assert [p[1] for p in scanned(path)] == STEPS + [5]


def test_a_record_that_only_looks_like_a_scalar_goes_to_protobuf(tmp_path):
    # a valid Event whose summary holds two values: not the fixed shape
    writer = EventFileWriter(str(tmp_path))
    writer.add_event(event_pb2.Event(step=3, summary=summary_pb2.Summary(value=[
        _scalar("a", 1.0, True), _scalar("b", 2.0, False)])))
    writer.close()
    path = next(tmp_path.glob("*tfevents*"))
    payload = frame_records(path.read_bytes()).records[1][1]
    assert decode_fast(payload) is None
    assert [(p[0], p[2]) for p in scanned(path)] == [("a", 1.0), ("b", 2.0)]


def test_lengths_that_do_not_add_up_are_left_to_protobuf():
    good = bytes(event_pb2.Event(step=7, wall_time=1.0, summary=summary_pb2.Summary(
        value=[_scalar("val/f1", 0.5, False)])).SerializeToString())
    assert decode_fast(good) is not None
    index = good.index(b"val/f1") - 1
    broken = good[:index] + bytes([good[index] + 1]) + good[index + 1:]  # tag length off by one
    assert decode_fast(broken) is None
    assert struct.unpack("<f", good[-17:-13])[0] == 0.5


def test_a_ten_byte_step_with_bits_beyond_64_reads_as_protobuf_reads_it(tmp_path):
    good = event_pb2.Event(step=-1, wall_time=1.0, summary=summary_pb2.Summary(
        value=[_scalar("val/f1", 0.5, False)])).SerializeToString()
    at = good.index(b"\x10") + 1 + 9  # the tenth byte of the step's varint
    payload = good[:at] + b"\x7f" + good[at + 1:]
    header = struct.pack("<Q", len(payload))
    path = tmp_path / "events.out.tfevents.1.h"
    path.write_bytes(header + struct.pack("<I", masked_crc32c(header)) + payload
                     + struct.pack("<I", masked_crc32c(payload)))
    assert event_pb2.Event.FromString(payload).step == -1
    assert scanned(path) == [("val/f1", -1, 0.5, 0)]
