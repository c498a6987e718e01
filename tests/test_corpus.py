"""Invariants over the corpus of damaged and hostile runs (tests/corpus.py).

No traceback reaches the user; nothing whose data is missing or damaged passes; a damaged
file never hides the other sources; the session completes and the JUnit file is written.
"""

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import corpus
import pytest


@dataclass
class Session:
    ret: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    runs = corpus.build(folder / "runs")
    criteria = folder / "corpus.yaml"
    criteria.write_text(corpus.CRITERIA)
    xml = folder / "corpus.xml"
    empty = folder / "empty"
    empty.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--mww-criteria={criteria}",
         f"--junitxml={xml}", "-o", "junit_family=xunit1",
         *[f"--mww-run={run}" for run in runs.values()], str(empty)],
        capture_output=True, text=True, cwd=empty, timeout=600)
    result = Session(done.returncode, done.stdout, done.stderr)
    cases = {}
    for case in ET.parse(xml).getroot().iter("testcase"):
        run, _, item = case.get("classname").removeprefix("mww.").partition(".")
        name = f"{item.replace('.', '::')}::{case.get('name')}" if item else case.get("name")
        failure = case.find("failure")
        outcome = "failed" if failure is not None else (
            "skipped" if case.find("skipped") is not None else "passed")
        text = failure.text if failure is not None else ""
        cases.setdefault(run, {})[name] = (outcome, text)
    return result, cases, xml


def test_the_corpus_is_big_enough():
    assert len(corpus.CASES) + len(corpus.YAML_CASES) >= 40


def test_session_completes_without_traceback_and_writes_junit(session):
    result, cases, xml = session
    assert result.ret == 1  # some criteria fail, nothing crashed
    assert xml.exists()
    assert "Traceback" not in result.stdout + result.stderr
    assert len(cases) == len(corpus.CASES)


@pytest.mark.parametrize("case", corpus.CASES, ids=[c.name for c in corpus.CASES])
def test_case_outcomes(session, case):
    result, cases, _ = session
    items = cases[case.name]
    expected_items = {case.only_item} if case.only_item else set(corpus.ITEMS)
    assert set(items) == expected_items
    for item, (outcome, text) in items.items():
        must_fail = item in case.fail or item == case.only_item
        assert outcome == ("failed" if must_fail else "passed"), (item, outcome, text[:300])
        if must_fail:
            assert text.splitlines()[0], "a failure has a first line"
    if case.message:
        run_output = "\n".join(text for _, text in items.values())
        section = result.stdout.split(f"mww gate: {case.name} ")[-1].split("mww gate:")[0]
        assert case.message in run_output or case.message in section


@pytest.mark.parametrize("name, text, message", corpus.YAML_CASES,
                         ids=[c[0] for c in corpus.YAML_CASES])
def test_bad_criteria_files(pytester, name, text, message):
    run = corpus.sample(pytester.path / "run")
    criteria = pytester.path / f"{name}.yaml"
    criteria.write_text(text)
    xml = pytester.path / "gate.xml"
    result = pytester.runpytest("-p", "no:cacheprovider", f"--mww-run={run}",
                                f"--mww-criteria={criteria}", f"--junitxml={xml}")
    assert result.ret == 2
    assert message in result.stdout.str()
    assert "Traceback" not in result.stdout.str()
    assert ET.parse(xml).getroot().find(".//error") is not None


def test_a_path_that_does_not_exist_stays_a_usage_error(pytester):
    result = pytester.runpytest("-p", "no:cacheprovider", "--mww-run=/no/such/run")
    assert result.ret == 4
