import math

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from pytest_mww.readers.events import read_event_file
from pytest_mww.sample_run import _scalar, _text

from conftest import event_file


def write(tmp_path, events):
    writer = EventFileWriter(str(tmp_path))
    for step, values in events:
        writer.add_event(event_pb2.Event(step=step, wall_time=1.0,
                                         summary=summary_pb2.Summary(value=values)))
    writer.close()
    return next(tmp_path.glob("*tfevents*"))


def test_reads_tf2_tensor_scalars_and_legacy_simple_values(tmp_path):
    path = write(tmp_path, [(10, [_scalar("val/f1_score", 0.5, legacy=False)]),
                            (20, [_scalar("val/f1_score", 0.75, legacy=True)]),
                            (20, [_text("checkpoints/summary", "Checkpoint at step 20")])])
    result = read_event_file(path, "e")
    assert [(p.tag, p.step, p.value) for p in result.scalars] == [
        ("val/f1_score", 10, 0.5), ("val/f1_score", 20, 0.75)]
    assert result.texts[0].text == "Checkpoint at step 20"
    assert result.problems == []


def test_every_point_is_read_no_reservoir_sampling(tmp_path):
    path = write(tmp_path, [(s, [_scalar("train/loss", s / 10000, legacy=False)])
                            for s in range(5000)])
    result = read_event_file(path, "e")
    assert len(result.scalars) == 5000
    assert result.scalars[-1].value == 4999 / 10000 or math.isclose(
        result.scalars[-1].value, 0.4999, rel_tol=1e-6)


def test_nan_is_kept_as_nan(tmp_path):
    path = write(tmp_path, [(1, [_scalar("val/f1_score", float("nan"), legacy=False)])])
    assert math.isnan(read_event_file(path, "e").scalars[0].value)


def test_truncated_file_is_a_warning_and_keeps_complete_records(make_run):
    path = event_file(make_run())
    full = read_event_file(path, "e")
    path.write_bytes(path.read_bytes()[:-7])
    cut = read_event_file(path, "e")
    assert len(cut.scalars) < len(full.scalars)
    assert cut.scalars == full.scalars[: len(cut.scalars)]
    assert not cut.damaged
    assert "cut off" in cut.problems[0].message and "bytes dropped" in cut.problems[0].message


def test_corrupt_middle_names_the_offset_and_marks_damage(make_run):
    path = event_file(make_run())
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    result = read_event_file(path, "logs/x")
    assert result.damaged
    assert "offset" in result.problems[0].place
    assert "corrupt record" in result.problems[0].message


def test_not_an_event_file(tmp_path):
    path = tmp_path / "events.out.tfevents.1.host"
    path.write_text("hello world, certainly not protobuf records\n")
    result = read_event_file(path, "bogus")
    assert result.damaged and "not a TensorBoard event file" in result.problems[0].message


def test_empty_file_is_a_warning(tmp_path):
    path = tmp_path / "events.out.tfevents.1.host"
    path.write_bytes(b"")
    result = read_event_file(path, "empty")
    assert not result.damaged and "empty" in result.problems[0].message


def test_histograms_legacy_and_tf2(tmp_path):
    import struct

    from tensorboard.compat.proto import (
        summary_pb2,
        tensor_pb2,
        tensor_shape_pb2,
        types_pb2,
    )

    legacy = summary_pb2.Summary.Value(
        tag="dense/kernel", histo=summary_pb2.HistogramProto(min=-0.5, max=0.7, num=10))
    shape = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(
        size=2), tensor_shape_pb2.TensorShapeProto.Dim(size=3)])
    tf2 = summary_pb2.Summary.Value(
        tag="conv/kernel",
        tensor=tensor_pb2.TensorProto(dtype=types_pb2.DT_DOUBLE, tensor_shape=shape,
                                      tensor_content=struct.pack("<6d", -1, 0, 3, 0, 2, 5)),
        metadata=summary_pb2.SummaryMetadata(
            plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="histograms")))
    path = write(tmp_path, [(5, [legacy, tf2])])
    result = read_event_file(path, "e")
    got = {(h.tag, h.low, h.high, h.count) for h in result.histograms}
    assert got == {("dense/kernel", -0.5, 0.7, 10.0), ("conv/kernel", -1.0, 2.0, 8.0)}
