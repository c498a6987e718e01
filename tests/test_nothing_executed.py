"""Nothing in a run folder is executed: the package source never reaches for an API that
could run code from data, and every reader has a size limit."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pytest_mww"
SOURCES = sorted(PACKAGE.rglob("*.py"))

FORBIDDEN_MODULES = {"pickle", "cPickle", "dill", "shelve", "marshal", "joblib"}
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_ATTRIBUTES = {"load_model", "model_from_json", "model_from_yaml", "unsafe_load",
                        "full_load"}


def tree(path):
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


@pytest.mark.parametrize("path", SOURCES, ids=[p.name for p in SOURCES])
def test_no_code_executing_api(path):
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            assert not {a.name.split(".")[0] for a in node.names} & FORBIDDEN_MODULES, path
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in FORBIDDEN_MODULES, path
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                assert func.id not in FORBIDDEN_CALLS, f"{path}:{node.lineno}"
            if isinstance(func, ast.Attribute):
                assert func.attr not in FORBIDDEN_ATTRIBUTES, f"{path}:{node.lineno}"
                if func.attr == "load" and isinstance(func.value, ast.Name) and \
                        func.value.id == "yaml":
                    pytest.fail(f"{path}:{node.lineno}: yaml.load; use yaml.safe_load")
                if func.attr in ("load", "loads") and isinstance(func.value, ast.Name) and \
                        func.value.id == "marshal":
                    pytest.fail(f"{path}:{node.lineno}: marshal on untrusted data")


def test_yaml_is_read_with_the_safe_loader_only():
    text = (PACKAGE / "criteria.py").read_text()
    assert "yaml.safe_load(" in text and "Loader=yaml.SafeLoader" in text
    assert "yaml.load(" not in text and "FullLoader" not in text and "UnsafeLoader" not in text


def test_every_reader_has_a_size_limit():
    from pytest_mww.criteria import MAX_CRITERIA_BYTES
    from pytest_mww.readers.checkpoints import MAX_TENSOR_BYTES
    from pytest_mww.readers.jsonfiles import MAX_JSON_BYTES
    from pytest_mww.readers.profiles import MAX_PROFILE_BYTES
    from pytest_mww.readers.records import MAX_RECORD_BYTES
    from pytest_mww.readers.terminal_log import MAX_LINE_CHARS, MAX_LOG_BYTES
    limits = [MAX_CRITERIA_BYTES, MAX_TENSOR_BYTES, MAX_JSON_BYTES, MAX_PROFILE_BYTES,
              MAX_RECORD_BYTES, MAX_LINE_CHARS, MAX_LOG_BYTES]
    assert all(isinstance(x, int) and x > 0 for x in limits)


def test_limits_give_clear_messages(tmp_path, monkeypatch):
    from pytest_mww.readers import jsonfiles, profiles
    monkeypatch.setattr(jsonfiles, "MAX_JSON_BYTES", 10)
    monkeypatch.setattr(profiles, "MAX_PROFILE_BYTES", 10)
    big = tmp_path / "x.json"
    big.write_text('{"a": ' + "1" * 100 + "}")
    assert "is larger than 10 bytes" in jsonfiles.read_json(big, "x.json").problem.message
    prof = tmp_path / "p.prof"
    prof.write_bytes(b"0" * 100)
    assert "larger than 10 bytes" in profiles.read_profile(prof, "p.prof").problem.message
