import cProfile
import marshal
import pstats

import pytest

from pytest_mww.readers.profiles import MarshalError, read_profile, safe_unmarshal


def workload():
    return sorted(str(i) for i in range(2000))


@pytest.fixture
def prof(tmp_path):
    profiler = cProfile.Profile()
    profiler.runcall(workload)
    path = tmp_path / "full_step_100_1.prof"
    profiler.dump_stats(str(path))
    return path


def test_matches_pstats(prof):
    ours = read_profile(prof, "p")
    reference = pstats.Stats(str(prof))
    assert ours.problem is None
    assert ours.total_time == pytest.approx(reference.total_tt)
    assert len(ours.functions) == len(reference.stats)
    match = ours.matching("*test_profiles.py:*(workload)")
    assert len(match) == 1 and match[0].calls == 1
    cc, nc, tt, ct, _ = reference.stats[(match[0].file, match[0].line, "workload")]
    assert (match[0].tottime, match[0].cumtime) == (tt, ct)


@pytest.mark.parametrize("value", [
    {("a.py", 1, "f"): (1, 1, 0.5, 1.5, {("b.py", 2, "g"): (1, 1, 0.1, 0.2)})},
    {"x": (1, 2), "y": (None, True, False, 2**70, -3, 1.25, "é", b"z")},
    ("shared", "shared", "shared"),
])
def test_safe_unmarshal_equals_marshal(value):
    for version in (2, 3, 4):
        assert safe_unmarshal(marshal.dumps(value, version)) == value


def test_code_objects_are_refused():
    with pytest.raises(MarshalError, match="unexpected marshal type 'c'"):
        safe_unmarshal(marshal.dumps(compile("1", "x", "eval")))


@pytest.mark.parametrize("data, words", [
    (b"", "file ends"),
    (b"not marshal at all", "unexpected marshal type"),
    (marshal.dumps({"a": 1}), "entry 0 is not"),
    (marshal.dumps((1, 2)), "not pstats' dictionary"),
    (marshal.dumps([1, 2]), "unexpected marshal type '['"),
])
def test_hostile_and_damaged_files(tmp_path, data, words):
    path = tmp_path / "bad.prof"
    path.write_bytes(data)
    result = read_profile(path, "profiles/bad.prof")
    assert result.problem is not None and words in result.problem.message
    assert str(result.problem).startswith("profiles/bad.prof: is not a cProfile/pstats file")


def test_truncated_profile(prof):
    prof.write_bytes(prof.read_bytes()[:-10])
    assert "file ends inside a value" in read_profile(prof, "p").problem.message
