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
