"""Property tests: every reader takes any bytes without raising, and says what is wrong.

Bounded here (the normal suite); a long run is
    MWW_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py -p no:cacheprovider
"""

import os
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_mww.criteria import CriteriaError, parse_criteria
from pytest_mww.readers.events import read_event_file
from pytest_mww.readers.profiles import read_profile
from pytest_mww.readers.records import frame_records, masked_crc32c
from pytest_mww.readers.terminal_log import read_terminal_log
from pytest_mww.sample_run import SampleRun, _test_report, render_log

EXAMPLES = int(os.environ.get("MWW_FUZZ_EXAMPLES", "150"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def record(payload: bytes) -> bytes:
    header = struct.pack("<Q", len(payload))
    return (header + struct.pack("<I", masked_crc32c(header)) + payload
            + struct.pack("<I", masked_crc32c(payload)))


@FUZZ
@given(st.binary(max_size=4096))
def test_framing_never_raises(data):
    framing = frame_records(data)
    consumed = sum(16 + len(p) for _, p in framing.records)
    assert consumed <= len(data)
    if framing.corrupt is None and framing.truncated_tail is None:
        assert consumed == len(data)


@FUZZ
@given(st.lists(st.binary(max_size=200), max_size=20), st.binary(max_size=30))
def test_event_files_of_any_records(tmp_path_factory, payloads, tail):
    path = tmp_path_factory.mktemp("ev") / "events.out.tfevents.1.h"
    path.write_bytes(b"".join(record(p) for p in payloads) + tail)
    result = read_event_file(path, "e")
    for problem in result.problems:
        assert problem.file == "e" and problem.message
    assert result.records <= len(payloads)


def _valid_log() -> bytes:
    spec = SampleRun(steps=400, eval_every=100, checkpoint_every=200)
    return render_log(spec, 400, _test_report(spec)).encode()


VALID_LOG = _valid_log()


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID_LOG) - 1), st.binary(min_size=1,
                                                                           max_size=8)),
                max_size=10))
def test_mutated_logs_are_read(tmp_path_factory, mutations):
    data = bytearray(VALID_LOG)
    for position, replacement in mutations:
        data[position:position + len(replacement)] = replacement
    path = tmp_path_factory.mktemp("log") / "terminal_20261204_195001.log"
    path.write_bytes(bytes(data))
    report = read_terminal_log(path, "log")
    assert report.state in ("finished", "crashed", "killed")
    for series in report.series.values():
        assert len(series.steps) == len(series.values) == len(series.lines)


LONG_LOG = render_log(SampleRun(steps=3000, eval_every=100, checkpoint_every=1000), 3000,
                      _test_report(SampleRun(steps=3000))).encode()
LOG_BYTES = st.sampled_from([b"\n", b"|", b"+", b" ", b"-", b"\t", b"\xff", b"\xe2\x94\x82", b".",
                             b"nan", b",", b"Validation Results \xe2\x80\x94 Step 7/9\n", b"\r"])


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(LONG_LOG) - 1),
                          st.one_of(LOG_BYTES, st.binary(min_size=1, max_size=4))),
                max_size=12))
def test_bulk_tables_read_mutated_logs_as_the_line_parser_does(tmp_path_factory, monkeypatch,
                                                              mutations):
    """Whatever the damage, the bulk path of validation tables says what the per-table and
    line path says, in many small pieces."""
    from pytest_mww.readers import terminal_log

    from conftest import log_facts

    data = bytearray(LONG_LOG)
    for position, replacement in mutations:
        data[position:position + len(replacement)] = replacement
    path = tmp_path_factory.mktemp("log") / "terminal_20261204_195001.log"
    path.write_bytes(bytes(data))
    monkeypatch.setattr(terminal_log, "CHUNK_BYTES", 2048)
    facts = []
    for bulk in (True, False):
        monkeypatch.setattr(terminal_log, "FAST_COLUMNS", bulk)
        facts.append(log_facts(read_terminal_log(path, "log")))
    assert facts[0] == facts[1]


@FUZZ
@given(st.text(max_size=2000))
def test_any_text_as_a_log(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("log") / "terminal_x.log"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    read_terminal_log(path, "log")


@FUZZ
@given(st.text(max_size=600))
def test_criteria_loader_raises_only_criteria_errors(text):
    try:
        parse_criteria(text, "c.yaml")
    except CriteriaError as exc:
        assert str(exc).startswith("c.yaml")


YAML_PIECES = st.sampled_from([
    "criteria:", "\n  f1:", " {metric: f1, min: 0.5}", "\n    at: last:3", "\n    max: x",
    "\n    check: trend", "\n    window: 1", " &a", " *a", "\nprofiles:", "\ncheckpoints:",
    "\n  best_finite: true", "\nregressions:", "\n  - 1", ": [", "\n    metric: [a, b]"])


@FUZZ
@given(st.lists(YAML_PIECES, max_size=12))
def test_criteria_made_of_plausible_pieces(pieces):
    try:
        parse_criteria("".join(pieces), "c.yaml")
    except CriteriaError as exc:  # the only way it may fail
        assert exc.message


@FUZZ
@given(st.binary(max_size=2048))
def test_profile_loader_never_raises(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("prof") / "p.prof"
    path.write_bytes(data)
    profile = read_profile(path, "p.prof")
    assert profile.problem is not None or isinstance(profile.functions, list)


@FUZZ
@given(st.binary(max_size=4096))
def test_tflite_reader_never_raises(tmp_path_factory, data):
    from pytest_mww.readers.deploy import read_tflite
    path = tmp_path_factory.mktemp("tfl") / "m.tflite"
    path.write_bytes(data)
    model = read_tflite(path, "m.tflite")
    assert model.problem is not None or model.subgraphs > 0


def _valid_tflite() -> bytes:
    import tempfile
    from pathlib import Path

    from pytest_mww.sample_run import write_tflite
    with tempfile.TemporaryDirectory() as folder:
        return write_tflite(Path(folder) / "m.tflite").read_bytes()


VALID_TFLITE = _valid_tflite()


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID_TFLITE) - 1), st.integers(0, 255)),
                min_size=1, max_size=6))
def test_mutated_tflite_models(tmp_path_factory, flips):
    from pytest_mww.readers.deploy import read_tflite
    data = bytearray(VALID_TFLITE)
    for position, value in flips:
        data[position] = value
    path = tmp_path_factory.mktemp("tfl") / "m.tflite"
    path.write_bytes(bytes(data))
    read_tflite(path, "m.tflite")


@FUZZ
@given(st.text(max_size=800))
def test_roc_and_config_readers_take_any_text(tmp_path_factory, text):
    from pytest_mww.readers.official import read_streaming_roc, read_training_config
    folder = tmp_path_factory.mktemp("off")
    (folder / "roc.txt").write_text(text, encoding="utf-8", errors="surrogatepass")
    curve = read_streaming_roc(folder / "roc.txt", "roc.txt", "v")
    assert curve.rows or curve.problems
    (folder / "c.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    config = read_training_config(folder / "c.yaml", "c.yaml")
    assert isinstance(config.data, dict)
