"""Regressions against a baseline: the comparison rules and the create/update workflow."""

import json
import math
import xml.etree.ElementTree as ET

import pytest

from pytest_mww.baseline import (
    Baseline,
    compare,
    poisson_rate_p_value,
    relative_change,
    snapshot,
)
from pytest_mww.criteria import parse_criteria
from pytest_mww.run import load_run


def criteria(body: str):
    return parse_criteria(f"regressions:\n  r: {body}\n", "c.yaml")


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    from pytest_mww.sample_run import SampleRun, write_run
    return load_run(write_run(tmp_path_factory.mktemp("b") / "good", SampleRun()), "good")


def against(run, body: str, baseline_value: float, **entry):
    crit = criteria(body)
    values = snapshot(run, crit)["values"]
    if baseline_value is not None:
        values["r"]["value"] = baseline_value
    values["r"].update(**entry)
    base = Baseline("base.json", {"run": "old"}, values)
    return compare(crit.regressions[0], run, base, crit)


FAH = "{metric: ambient_fa_per_hour, allowed: 0.1, allowed_pct: 20}"


def test_same_value_passes(good):
    v = against(good, FAH, None)
    assert v.outcome == "passed" and "not worse than the baseline: 0.24 → 0.24 (+0.00, " \
        "+0.0%)" in v.headline


def test_improvement_never_fails(good):
    v = against(good, "{metric: ambient_fa_per_hour, allowed: 0}", 50.0, hours=4.2)
    assert v.outcome == "passed" and "(-49.76, -99.5%)" in v.headline


def test_regression_beyond_allowance_fails_with_the_exact_first_line(good):
    # candidate 0.24 FA/h (1 event over 4.2 h) against a baseline of 0.0 would be within one
    # event; use FA/h on the test split (420 h: 1 event = 0.0024 FA/h)
    v = against(good, "{metric: ambient_fa_per_hour, split: test, allowed: 0.01, "
                      "allowed_pct: 20}", 0.03, hours=420.0, events=12.6)
    assert v.outcome == "failed"
    assert v.headline == ("ambient_fa_per_hour regressed: 0.03 → 0.07 (+0.04, +138.1%), "
                          "allowed +0.01 / +20%")
    assert "1 false activation = 0.00 FA/h here (420 h" in v.text
    assert "Poisson 95% upper bound" in v.text
    p = v.properties
    assert p["baseline"] == "0.03" and float(p["observed"]) == pytest.approx(30 / 420)
    assert float(p["delta"]) == pytest.approx(30 / 420 - 0.03)
    assert p["delta_pct"] == "+138.1%" and p["allowed"] == "+0.01 / +20%"


def test_regression_within_tolerance(good):
    v = against(good, "{metric: f1, allowed: 0.02}", 0.96)
    assert v.outcome == "passed" and "changed within tolerance" in v.headline
    v = against(good, "{metric: f1, allowed_pct: 2}", 0.96)  # 2% of 0.96 = 0.0192 ≥ 0.01
    assert v.outcome == "passed"
    v = against(good, "{metric: f1, allowed: 0.001, allowed_pct: 0.5}", 0.96)
    assert v.outcome == "failed" and "regressed: 0.9600 → 0.9500" in v.headline


def test_one_event_change_is_within_resolution(good):
    # validation: 4.2 h, so 1 event = 0.238 FA/h; the baseline had 0 events
    v = against(good, "{metric: ambient_fa_per_hour, allowed: 0}", 0.0, hours=4.2, events=0)
    assert v.outcome == "passed"
    assert "a change of +1 false activation(s) is within the data's resolution" in v.headline
    v = against(good, "{metric: ambient_fa_per_hour, allowed: 0}", -0.01, hours=4.2)
    assert v.outcome == "failed"  # more than one event


def test_zero_baseline(good):
    assert relative_change(0.5, 0.0) == math.inf and relative_change(0.0, 0.0) == 0.0
    assert relative_change(1.5, -3.0) == pytest.approx(1.5)
    v = against(good, "{metric: f1, allowed_pct: 50}", 0.0)
    assert v.outcome == "passed"  # an improvement from 0
    v = against(good, "{metric: ambient_fa_per_hour, split: test, allowed_pct: 50}", 0.0,
                hours=420.0, events=0)
    assert v.outcome == "failed"
    assert "n/a: the baseline is 0" in v.headline and "allowed +50%" in v.headline


def test_missing_metric_in_baseline(good):
    crit = criteria("{metric: f1}")
    base = Baseline("base.json", {}, {"something_else": {"value": 1.0}})
    v = compare(crit.regressions[0], good, base, crit)
    assert v.outcome == "failed"
    assert v.headline.startswith("baseline base.json has no value for r:")


def test_significance_test():
    # 2 vs 4 events over equal hours: not significant; 0 vs 12: significant
    assert poisson_rate_p_value(2, 10, 4, 10) > 0.05
    assert poisson_rate_p_value(0, 10, 12, 10) < 0.001
    assert poisson_rate_p_value(5, 10, 0, 10) == 1.0


def test_significance_lets_a_noisy_rise_pass(good):
    body = "{metric: ambient_fa_per_hour, split: test, allowed: 0, significance: 0.05}"
    v = against(good, body, 27 / 420, hours=420.0, events=27)  # 27 → 30 events
    assert v.outcome == "passed" and "not significant: p =" in v.headline


def test_hours_that_differ_warn_loudly(good):
    v = against(good, FAH, None, hours=8.4)
    assert v.alerts and "ambient hours differ: baseline 8.4 h, candidate 4.2 h" in v.alerts[0]


def test_gap_regression(good):
    v = against(good, "{check: gap, metric: [loss, auc_roc], allowed: 0.001}", -0.05)
    assert v.outcome == "failed" and v.headline.startswith("gap on auc_roc regressed:")


# --- workflow through pytest --------------------------------------------------------------

CRIT = """regressions:
  fa_per_hour: {metric: ambient_fa_per_hour, allowed: 0.1, allowed_pct: 20}
  test_recall: {metric: recall, split: test, allowed: 0.01}
"""


def gate(pytester, *args):
    crit = pytester.path / "crit.yaml"
    if not crit.exists():
        crit.write_text(CRIT)
    return pytester.runpytest("-p", "no:cacheprovider", f"--mww-criteria={crit}", *args)


def test_created_baseline_then_compare_then_update(pytester, make_run):
    good, bad = make_run("good"), make_run("bad", kind="overfit")
    base = pytester.path / "baseline.json"
    result = gate(pytester, f"--mww-run={good}", f"--mww-baseline={base}")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*mww: baseline of good written to*baseline.json",
                                 "*regression::fa_per_hour - baseline created at*"])
    data = json.loads(base.read_text())
    assert list(data) == sorted(data) and data["provenance"]["run"] == "good"
    assert set(data["values"]) == {"fa_per_hour", "test_recall"}

    result = gate(pytester, f"--mww-run={good}", f"--mww-baseline={base}")
    result.assert_outcomes(passed=2)
    assert json.loads(base.read_text()) == data  # compare mode never writes

    xml = pytester.path / "r.xml"
    result = gate(pytester, f"--mww-run={bad}", f"--mww-baseline={base}", f"--junitxml={xml}",
                  "-o", "junit_family=xunit1")
    result.assert_outcomes(failed=2)
    case = next(c for c in ET.parse(xml).getroot().iter("testcase")
                if c.get("name") == "fa_per_hour")
    assert case.get("classname") == "mww.bad.regression"
    assert case.find("failure").get("message").startswith(
        "ambient_fa_per_hour regressed: 0.24 → 4.29 (+4.05, +1700.0%), allowed +0.1 / +20%")
    props = {p.get("name") for p in case.iter("property")}
    assert {"baseline", "observed", "delta", "delta_pct", "allowed"} <= props

    result = gate(pytester, f"--mww-run={bad}", f"--mww-baseline={base}",
                  "--mww-update-baseline")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*baseline updated at*without --mww-update-baseline*"])
    assert json.loads(base.read_text())["provenance"]["run"] == "bad"


def test_run_folder_as_baseline_and_per_run_names(pytester, make_run):
    good, bad = make_run("good"), make_run("bad", kind="overfit")
    result = gate(pytester, f"--mww-run={good}", f"--mww-run={bad}",
                  f"--mww-baseline=bad={good}", "-v")
    result.assert_outcomes(failed=2)  # only bad is compared, and both entries regressed
    result.stdout.fnmatch_lines(["*mww::bad::regression::fa_per_hour FAILED*"])
    assert "mww::good::regression" not in result.stdout.str()


def test_save_baseline_writes_without_comparing(pytester, make_run):
    good = make_run("good")
    out = pytester.path / "saved.json"
    result = gate(pytester, f"--mww-run={good}", f"--mww-save-baseline={out}")
    assert result.ret == 5 or result.ret == 0
    assert json.loads(out.read_text())["values"]["fa_per_hour"]["hours"] == 4.2


@pytest.mark.parametrize("content, words", [
    ("{not json", "invalid JSON"),
    ('{"format": "something else"}', "not a pytest-mww baseline file"),
])
def test_unusable_baseline_is_a_usage_error(pytester, make_run, content, words):
    base = pytester.path / "b.json"
    base.write_text(content)
    result = gate(pytester, f"--mww-run={make_run()}", f"--mww-baseline={base}")
    assert result.ret == 4
    result.stderr.fnmatch_lines([f"*{words}*"])


def test_baseline_in_missing_folder_and_unknown_run_name(pytester, make_run):
    run = make_run("good")
    result = gate(pytester, f"--mww-run={run}", "--mww-baseline=/no/such/dir/b.json")
    assert result.ret == 4
    result = gate(pytester, f"--mww-run={run}", f"--mww-baseline=nosuch={run}")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*no --mww-run named 'nosuch'*"])


def test_xdist_writes_once_and_matches_serial(pytester, make_run):
    pytest.importorskip("xdist")
    good, bad = make_run("good"), make_run("bad", kind="overfit")
    serial, parallel = pytester.path / "serial.json", pytester.path / "parallel.json"
    args = [f"--mww-run={good}", f"--mww-run={bad}"]
    # only good has a baseline (to be created); bad has none, so no regression items
    gate(pytester, *args, f"--mww-baseline=good={serial}").assert_outcomes(failed=2)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--mww-criteria={pytester.path / 'crit.yaml'}", *args,
        f"--mww-baseline=good={parallel}", "-n", "2")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*mww: baseline of good written to*parallel.json"])
    assert result.stdout.str().count("baseline of good written") == 1
    drop = lambda d: {**d, "provenance": {k: v for k, v in d["provenance"].items()  # noqa: E731
                                          if k != "created"}}
    assert drop(json.loads(parallel.read_text())) == drop(json.loads(serial.read_text()))
    compare_serial = gate(pytester, *args, f"--mww-baseline={serial}")
    compare_parallel = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--mww-criteria={pytester.path / 'crit.yaml'}", *args,
        f"--mww-baseline={serial}", "-n", "2")
    compare_serial.assert_outcomes(passed=2, failed=2)
    assert compare_serial.parseoutcomes() == compare_parallel.parseoutcomes()


def test_whole_run_differences_are_said(good):
    from pytest_mww.baseline import run_alerts

    crit = criteria("{metric: f1}")
    data = snapshot(good, crit)
    prov = dict(data["provenance"], test_samples=999, criteria_sha256="0" * 64,
                test_per_category={"negative": 10, "positive": 5})
    prov["ambient_hours"] = {"validation": 1.0, "test": 420.0}
    base = Baseline("b.json", prov, {**data["values"], "old_metric": {"value": 1}})
    alerts = " | ".join(run_alerts(good, base, crit))
    assert "test-set sizes differ: baseline 999 samples, candidate 3060" in alerts
    assert "test-set categories differ" in alerts
    assert "the criteria file changed" in alerts
    assert "validation ambient hours differ: baseline 1 h, candidate 4.2 h" in alerts
    assert "no regression uses any more: old_metric" in alerts
