from pathlib import Path

import pytest

from pytest_mww.criteria import CriteriaError, load_criteria, parse_criteria

from conftest import REPO


def parse(text):
    return parse_criteria(text, "c.yaml")


def error(text) -> CriteriaError:
    with pytest.raises(CriteriaError) as info:
        parse(text)
    return info.value


def test_example_file_parses_and_the_packaged_copy_is_identical():
    root = REPO / "example_criteria.yaml"
    packaged = REPO / "pytest_mww" / "example_criteria.yaml"
    assert root.read_bytes() == packaged.read_bytes()
    names = [c.name for c in load_criteria(root).criteria]
    assert {"fa_per_hour", "f1", "recall", "precision", "accuracy", "overfitting_gap",
            "val_loss_stability"} <= set(names)


def test_fields_and_lines():
    c = parse("criteria:\n  fa:\n    metric: ambient_fa_per_hour\n    at: last:3\n"
              "    max: 0.5\n    gt: 0.0\n").criteria[0]
    assert (c.name, c.line, c.split, str(c.at), c.on_missing) == (
        "fa", 2, "validation", "last:3", "fail")
    assert [str(b) for b in c.bounds] == ["max 0.5", "> 0"]


def test_defaults_apply():
    c = parse("defaults: {split: test, on_missing: skip}\n"
              "criteria:\n  f1: {metric: f1, min: 0.9}\n").criteria[0]
    assert (c.split, c.on_missing) == ("test", "skip")


def test_unknown_aggregation_names_line_and_choices():
    e = error("criteria:\n  f1:\n    metric: f1\n    at: lastt\n    min: 0.9\n")
    assert e.line == 4
    assert "unknown aggregation 'lastt' (expected final, best, min, max, step:N, last:N)" \
        in str(e)
    assert str(e).startswith("c.yaml:4:")


def test_unknown_key_suggests():
    e = error("criteria:\n  f1:\n    metric: f1\n    mni: 0.9\n")
    assert e.line == 4 and "unknown key in criterion 'f1' 'mni'" in str(e)
    assert "did you mean 'min'?" in str(e)


def test_duplicate_keys_are_an_error():
    e = error("criteria:\n  f1: {metric: f1, min: 0.9}\n  f1: {metric: f1, min: 0.8}\n")
    assert e.line == 3 and "duplicate key 'f1' (first at line 2)" in str(e)


@pytest.mark.parametrize("text, words", [
    ("criteria: [", "not valid YAML"),
    ("", "is empty"),
    ("- a\n- b\n", "must be a mapping"),
    ("version: 1\n", "no 'criteria:' section"),
    ("criteria:\n  f1: {metric: f1}\n", "has no bound"),
    ("criteria:\n  f1: {metric: f1, min: high}\n", "'min' must be a number"),
    ("criteria:\n  f1: {min: 0.9}\n", "'metric' must be"),
    ("criteria:\n  f1: {metric: f1, min: 0.9, split: vali}\n", "unknown split 'vali'"),
    ("criteria:\n  f1: {metric: f1, min: 0.9, on_missing: maybe}\n", "on_missing"),
    ("criteria:\n  t: {check: trend, metric: f1}\n", "needs max_worsening"),
    ("criteria:\n  t: {check: trend, metric: f1, window: 1, max_spread: 1}\n", "'window'"),
    ("criteria:\n  t: {check: curve, metric: f1}\n", "unknown check 'curve'"),
    ("criteria:\n  'a b': {metric: f1, min: 1}\n", "may hold only"),
    ("criterias:\n  f1: {metric: f1, min: 1}\n", "did you mean 'criteria'?"),
])
def test_malformed_files_give_one_clear_error(text, words):
    assert words in str(error(text))


def test_alias_bomb_is_cheap():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(12))
    e = error(bomb + "criteria:\n  f1: {metric: f1, min: 1}\n")
    assert "unknown top-level key 'a'" in str(e)


def test_unreadable_file(tmp_path: Path):
    (tmp_path / "c.yaml").write_bytes(b"criteria: \xff\xfe")
    with pytest.raises(CriteriaError, match="not UTF-8"):
        load_criteria(tmp_path / "c.yaml")
