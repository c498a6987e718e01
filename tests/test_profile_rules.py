"""Profile budgets: pass, fail with the guide's diagnosis, damaged and missing files."""

import cProfile

import pytest

from pytest_mww.criteria import parse_criteria
from pytest_mww.profile_rules import diagnose, judge_profile, profile_files
from pytest_mww.readers.profiles import FunctionStats, Profile
from pytest_mww.run import load_run


def budget(body: str):
    return parse_criteria(f"profiles:\n  b: {body}\n", "c.yaml").profiles[0]


@pytest.fixture
def run(make_run):
    return load_run(make_run(), "r")


def judged(body, run):
    b = budget(body)
    return judge_profile(b, run, profile_files(b, run.root))


def test_within_budget(run):
    v = judged("{function: '*(train_step)', max_cumtime: 10, max_share: 1.0}", run)
    assert v.outcome == "passed" and "worst of 2 profiles" in v.headline
    assert "sample_run.py" in v.properties["metric"]


def test_over_budget_names_file_function_figure_limit_and_top5(run):
    v = judged("{function: '*(train_step)', max_cumtime: 0.000001}", run)
    assert v.outcome == "failed"
    assert v.headline.startswith("cumtime of sample_run.py:")
    assert "(train_step) = " in v.headline and "> 0.0000 s (worst of 2 profiles, " \
        "profiles/full_step_" in v.headline
    assert "top 5 by cumulative time:" in v.text and v.text.count(" calls  tottime ") == 5
    assert "diagnosis: cumtime is high but tottime low" in v.text
    assert "_features" in v.text or "_forward" in v.text or "_load_batch" in v.text


def test_median_and_worst_combine(make_run, tmp_path):
    folder = make_run()
    for stem, rounds in (("full_step_1", 1), ("full_step_2", 50), ("full_step_3", 2)):
        profiler = cProfile.Profile()
        profiler.runcall(lambda n=rounds: [sorted(range(2000)) for _ in range(n)])
        profiler.dump_stats(str(folder / "profiles" / f"{stem}_9.prof"))
    run = load_run(folder, "r")
    body = "{files: 'profiles/full_step_?_9.prof', function: '*(<lambda>)', max_ncalls: 1, " \
           "combine: %s}"
    worst = judged(body % "worst", run)
    median = judged(body % "median", run)
    assert worst.properties["observed"] == "1.0" and median.properties["observed"] == "1.0"
    cum = "{files: 'profiles/full_step_?_9.prof', function: '*(<lambda>)', max_cumtime: 100, " \
          "combine: %s}"
    assert float(judged(cum % "worst", run).properties["observed"]) > float(
        judged(cum % "median", run).properties["observed"])


def test_total_time_budget_without_function(run):
    v = judged("{max_total: 0.0000001}", run)
    assert v.outcome == "failed" and v.headline.startswith("profile total time of the whole")


def test_no_files_fails_or_skips(run):
    v = judged("{files: 'profiles/data_loading_*.prof', max_total: 1}", run)
    assert v.outcome == "failed" and "no profile file matches" in v.headline
    v = judged("{files: 'profiles/data_loading_*.prof', max_total: 1, on_missing: skip}", run)
    assert v.outcome == "skipped"


def test_function_not_found_lists_the_slowest(run):
    v = judged("{function: '*(nothing_like_this)', max_cumtime: 1}", run)
    assert v.outcome == "failed" and "no function matching" in v.headline
    assert "train_step" in v.text


@pytest.mark.parametrize("data", [b"garbage", b"", b"{\x00"])
def test_damaged_profile_is_not_judged(make_run, data):
    folder = make_run()
    next(folder.glob("profiles/*.prof")).write_bytes(data)
    v = judged("{function: '*(train_step)', max_cumtime: 10, on_missing: skip}",
               load_run(folder, "r"))
    assert v.outcome == "failed"  # damage is never skipped
    assert "not judged" in v.headline and "is not a cProfile/pstats file" in v.headline


def fn(name, calls, tt, ct, callers=()):
    return FunctionStats("m.py", 1, name, calls, calls, tt, ct, callers)


def test_the_guides_bottleneck_rules():
    caller = fn("step", 1, 0.01, 1.0)
    callee = fn("slow", 1, 0.9, 0.9, ("m.py:1(step)",))
    profile = Profile("p", [caller, callee, fn("tiny", 50_000, 0.05, 0.06)])
    assert "the time goes to the functions it calls" in diagnose(profile, caller)
    assert "m.py:1(slow)" in diagnose(profile, caller)
    assert "the function itself is slow" in diagnose(profile, callee)
    assert "needless loop" in diagnose(profile, profile.functions[2])


def test_each_file_is_its_own_item(pytester, make_run):
    run = make_run("good")
    crit = pytester.makefile(".yaml", c="profiles:\n  step:\n    function: '*(train_step)'\n"
                                        "    max_cumtime: 10\n    combine: each\n")
    result = pytester.runpytest("-p", "no:cacheprovider", f"--mww-run={run}",
                                f"--mww-criteria={crit}", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["mww::good::profile::step[[]full_step_1000_*[]]",
                                 "mww::good::profile::step[[]full_step_2000_*[]]"])


def test_files_outside_the_run_are_refused():
    from pytest_mww.criteria import CriteriaError
    with pytest.raises(CriteriaError, match="must stay inside the run folder"):
        budget("{files: '../../*.prof', max_total: 1}")
