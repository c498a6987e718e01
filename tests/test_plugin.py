"""End to end: pytest itself run on sample runs through pytester."""

import shutil
import xml.etree.ElementTree as ET

import pytest

from conftest import REPO, event_file

EXAMPLE = str(REPO / "example_criteria.yaml")


def gate(pytester, *args):
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def junit(pytester, *args):
    xml = pytester.path / "gate.xml"
    result = gate(pytester, *args, f"--junitxml={xml}", "-o", "junit_family=xunit1")
    return result, ET.parse(xml).getroot()


def cases(root):
    return {c.get("name"): c for c in root.iter("testcase")}


def props(case):
    return {p.get("name"): p.get("value") for p in case.iter("property")}


def test_good_run_passes_every_example_criterion(pytester, make_run):
    run = make_run("good")
    result = gate(pytester, f"--mww-run={run}", f"--mww-criteria={EXAMPLE}", "-v")
    # 20 criteria (the 2 streaming ones skip: no ROC files in a v2.0.0 run), 2 profile
    # budgets (no data_loading_*.prof: skipped), 5 checkpoint checks, 7 deploy checks
    # (skipped: the sample exports no model)
    result.assert_outcomes(passed=24, skipped=10)
    result.stdout.fnmatch_lines(["*mww::good::fa_per_hour PASSED*", "*mww gate: good*",
                                 "*fa_per_hour*0.24*< 0.5*PASSED*1 events / 4.2 h*"])
    assert result.ret == 0


def test_two_word_option_form_works_too(pytester, make_run):
    run = make_run("good")
    result = gate(pytester, "--mww-run", str(run), "-q")
    result.assert_outcomes(passed=24, skipped=10)
    assert not (run / ".pytest_cache").exists()


def test_bad_run_fails_with_standalone_first_lines_and_junit(pytester, make_run):
    run = make_run("bad", kind="overfit")
    result, root = junit(pytester, f"--mww-run={run}")
    # the quality criteria fail; training health, profiles and checkpoints are fine, and
    # the final training loss (0.005) is only a warning
    result.assert_outcomes(failed=12, passed=12, skipped=10, warnings=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        "*FAILED mww::bad::fa_per_hour - ambient_fa_per_hour (validation, final, step 2*"])
    case = cases(root)["fa_per_hour"]
    assert case.get("classname") == "mww.bad"
    failure = case.find("failure")
    assert failure.get("message") == ("ambient_fa_per_hour (validation, final, step 2000) = "
                                      "4.29 is not below 0.5")
    assert "rests on 4.2 h of ambient audio" in failure.text
    p = props(case)
    assert float(p["observed"]) == pytest.approx(18 / 4.2, rel=1e-6)
    assert p["metric"] == "ambient_fa_per_hour (validation)" and p["threshold"] == "< 0.5"
    assert p["step"] == "2000" and "tag val/ambient_false_positives_per_hour" in p["source"]
    assert case.get("file", "").endswith("example_criteria.yaml") and case.get("line")


def test_xunit2_keeps_properties_but_drops_file_and_line(pytester, make_run):
    run = make_run("good")
    xml = pytester.path / "x2.xml"
    gate(pytester, f"--mww-run={run}", f"--junitxml={xml}", "-o", "junit_family=xunit2")
    case = cases(ET.parse(xml).getroot())["f1"]
    assert case.get("file") is None
    assert props(case)["metric"] == "f1 (validation)"


def test_k_selects_criteria_and_node_ids_carry_run_and_criterion(pytester, make_run):
    run = make_run("good")
    result = gate(pytester, f"--mww-run={run}", "-k", "fa_per_hour", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["mww::good::fa_per_hour", "mww::good::fa_per_hour_at_best",
                                 "mww::good::test_fa_per_hour"])
    assert "mww::good::f1" not in result.stdout.str()


def test_runs_sharing_a_folder_name_get_distinct_ids(pytester, tmp_path, make_run):
    first, second = make_run("run"), make_run("run", kind="overfit")
    result = gate(pytester, f"--mww-run={first}", f"--mww-run={second}", "--collect-only",
                  "-q")
    ids = [line for line in result.stdout.lines if line.startswith("mww::")]
    assert len(ids) == 68 and len({i.split("::")[1] for i in ids}) == 2


def test_malformed_criteria_is_one_collection_error(pytester, make_run):
    run = make_run("good")
    bad = pytester.makefile(".yaml", criteria="criteria:\n  f1:\n    metric: f1\n"
                                              "    at: lastt\n    min: 0.9\n")
    xml = pytester.path / "gate.xml"
    result = gate(pytester, f"--mww-run={run}", f"--mww-criteria={bad}", f"--junitxml={xml}")
    assert result.ret == 2
    result.stdout.fnmatch_lines([
        "*criteria file error: criteria.yaml:4: criterion 'f1': unknown aggregation 'lastt'*",
        "*1 error*"])
    assert "Traceback" not in result.stdout.str()
    assert ET.parse(xml).getroot().find(".//error") is not None


def test_missing_path_is_a_usage_error(pytester):
    result = gate(pytester, "--mww-run=does/not/exist")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--mww-run does/not/exist: no such folder*"])


def test_folder_without_run_is_one_failing_item(pytester, tmp_path):
    empty = tmp_path / "nothing"
    empty.mkdir()
    result, root = junit(pytester, f"--mww-run={empty}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*FAILED mww::nothing::run - no microWakeWord run found in*"])
    assert "logs/terminal_*.log" in cases(root)["run"].find("failure").text


def test_missing_metric_fails_and_skip_when_asked(pytester, make_run):
    run = make_run("good")
    crit = pytester.makefile(".yaml", c="criteria:\n  a: {metric: f1_scor, min: 0.9}\n"
                                        "  b: {metric: nonsense, min: 1, on_missing: skip}\n")
    result = gate(pytester, f"--mww-run={run}", f"--mww-criteria={crit}", "-rs")
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*did you mean*", "*SKIPPED*metric 'nonsense'*"])


def test_truncated_event_file_still_judges(pytester, make_run):
    run = make_run("good")
    path = event_file(run)
    path.write_bytes(path.read_bytes()[:-9])
    result = gate(pytester, f"--mww-run={run}")
    result.assert_outcomes(passed=24, skipped=10)
    result.stdout.fnmatch_lines(["*note:*last record is cut off*bytes dropped*"])


def test_corrupt_event_file_fails_tensorboard_criteria_only(pytester, make_run):
    run = make_run("good")
    path = event_file(run)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    result, root = junit(pytester, f"--mww-run={run}")
    failed = {name: case.find("failure").get("message") for name, case in cases(root).items()
              if case.find("failure") is not None}
    # every criterion on the train and validation splits, and nothing else
    assert len(failed) == 12
    assert all("not judged: TensorBoard data of good is damaged" in m for m in failed.values())
    assert not [n for n in failed if n.startswith("test_") or n in ("best_finite", "finished")]
    result.stdout.fnmatch_lines(["*FAILED mww::good::f1 - f1 not judged: TensorBoard data*"])


def test_tty_log_and_guide_vocabulary(pytester, make_run):
    tty = make_run("tty", tty_log=True)
    guide = make_run("guide", guide_form=True, legacy_scalars=True)
    result = gate(pytester, f"--mww-run={tty}", f"--mww-run={guide}", "-rfs")
    # skipped: tty's validation accuracy (only in the lost log tables) and both runs'
    # data_loading budget. The guide-form log prints best_fah_step_2000.ckpt, a file the
    # sample folder does not hold, so best_path fails there.
    result.assert_outcomes(passed=46, failed=1, skipped=3 + 2 * 9)
    result.stdout.fnmatch_lines(["FAILED mww::guide::checkpoint::best_path*",
                                 "SKIPPED*example_criteria.yaml:*metric 'accuracy'*run tty"])


def test_nan_in_the_log_fails(pytester, tmp_path):
    run = tmp_path / "nanrun"
    (run / "logs").mkdir(parents=True)
    (run / "logs" / "terminal_20261204_195001.log").write_text(
        "Training Log Started: 2026-12-04T19:50:01\n📊 Validation Results — Step 200/200\n"
        "| F1 Score | nan |\n", encoding="utf-8")
    crit = pytester.makefile(".yaml", c="criteria:\n  f1: {metric: f1, min: 0.9}\n")
    result = gate(pytester, f"--mww-run={run}", f"--mww-criteria={crit}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*f1 (validation, final, step 200) = nan is not a number*"])


def test_plugin_is_inert_without_mww_run(pytester):
    pytester.makepyfile("def test_plain():\n    assert True\n"
                        "def test_fixture(mww_run):\n    pass\n")
    result = gate(pytester, "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*no --mww-run given*"])
    assert "mww gate" not in result.stdout.str()


def test_mww_run_fixture_hands_the_run_model_to_python_tests(pytester, make_run):
    run = make_run("good")
    pytester.makepyfile("""
        def test_lr_decays(mww_run):
            lr = mww_run.get("train", "learning_rate").points
            assert lr[-1].value < lr[0].value
            assert mww_run.name == "good"
    """)
    result = gate(pytester, f"--mww-run={run}", "-v")
    result.stdout.fnmatch_lines(["*test_lr_decays[[]good[]] PASSED*"])
    result.assert_outcomes(passed=25, skipped=10)


def test_nothing_inside_a_run_folder_is_collected(pytester, make_run):
    run = make_run("good")
    (run / "test_evil.py").write_text("raise SystemExit('executed!')\n")
    shutil.copytree(run, pytester.path / "inside")
    result = gate(pytester, f"--mww-run={pytester.path / 'inside'}", str(pytester.path))
    result.assert_outcomes(passed=24, skipped=10)


def test_ini_file_inside_a_run_folder_is_refused(pytester, make_run):
    run = make_run("good")
    (run / "pytest.ini").write_text("[pytest]\naddopts = -q\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--mww-run", str(run))
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*inside the run folder*untrusted*--mww-run=*"])


def test_criteria_from_ini(pytester, make_run):
    run = make_run("good")
    pytester.makefile(".yaml", mine="criteria:\n  only_f1: {metric: f1, gt: 0.9}\n")
    pytester.makeini("[pytest]\nmww_criteria = mine.yaml\n")
    result = gate(pytester, f"--mww-run={run}", "-v")
    result.stdout.fnmatch_lines(["*mww::good::only_f1 PASSED*"])
    result.assert_outcomes(passed=1)


def test_internal_error_is_a_failure_not_a_traceback(pytester, make_run):
    run = make_run("good")
    pytester.makeconftest("import pytest_mww.plugin as p\n"
                          "def boom(*args):\n    raise ZeroDivisionError('boom')\n"
                          "p.judge = boom\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--mww-run={run}")
    result.assert_outcomes(failed=20, passed=6, skipped=8)  # every YAML criterion
    result.stdout.fnmatch_lines(["*not judged: internal error ZeroDivisionError: boom*"])
    assert "Traceback" not in result.stdout.str()
