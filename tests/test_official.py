"""Official microWakeWord runs: layout, readers, streaming criteria and deploy checks."""

import json
import shutil

import pytest

from pytest_mww.checkpoint_rules import judge_checkpoint  # noqa: F401 - same package API
from pytest_mww.criteria import CriteriaError, parse_criteria
from pytest_mww.deploy_rules import judge_deploy
from pytest_mww.judge import judge
from pytest_mww.readers.deploy import read_tflite
from pytest_mww.readers.official import read_streaming_roc, read_training_config
from pytest_mww.run import load_run
from pytest_mww.sample_run import write_official_run, write_tflite

from conftest import REPO


@pytest.fixture
def official(tmp_path):
    return write_official_run(tmp_path / "train_dir")


def criterion(body: str):
    return parse_criteria(f"criteria:\n  c: {body}\n", "c.yaml").criteria[0]


def deploy(name: str, body: str = "true"):
    return parse_criteria(f"deploy:\n  {name}: {body}\n", "c.yaml").deploy[0]


def test_layout_and_values_of_an_official_run(official):
    run = load_run(official, "official")
    assert run.layout.kind == "official microWakeWord train_dir"
    assert "layout: official microWakeWord train_dir" in run.notes
    assert run.training_config.data["training_steps"] == [1000]  # !!python/tuple → list
    assert run.get("validation", "loss").point(-1).place.startswith("tag loss")
    assert run.get("train", "loss").raw_names == {"tb:train/loss", "log:loss"}
    fah = run.get("validation", "ambient_fa_per_hour")
    assert fah.point(-1).file == "train.log"
    assert run.ambient_hours["validation"].hours == pytest.approx(14, rel=1e-3)
    assert run.get("validation", "f1").sources[0].origin == "derived"
    assert set(run.rocs) == {"stream_state_internal", "stream_state_internal_quant"}


def test_a_folder_of_neither_kind(tmp_path):
    (tmp_path / "notes.md").write_text("hello")
    assert load_run(tmp_path, "x").layout.kind == "unrecognised folder"


def test_training_config_never_constructs_objects(tmp_path):
    path = tmp_path / "training_config.yaml"
    path.write_text("a: !!python/tuple [1, 2]\nb: !!python/object/apply:os.system [echo]\n")
    result = read_training_config(path, "training_config.yaml")
    assert result.data == {} and "could not determine a constructor" in result.problem.message
    path.write_text("steps: !!python/tuple\n- 10\n- 20\n")
    assert read_training_config(path, "c").data == {"steps": [10, 20]}


def test_streaming_roc_reader(tmp_path):
    path = tmp_path / "tflite_streaming_roc.txt"
    path.write_text("AUC 0.97\nCutoff 0.50: frr=0.0100; faph=1.9000\n"
                    "Cutoff 0.90: frr=0.0500; faph=0.4000\nCutoff 0.95: frr=0.0900; faph=0.1\n")
    curve = read_streaming_roc(path, "roc", "quant")
    assert curve.auc == 0.97 and not curve.problems
    assert curve.best_frr_within(0.5)[:3] == (0.9, 0.05, 0.4)
    assert curve.best_frr_within(0.05) is None
    assert curve.at_cutoff(0.95)[2] == 0.1


@pytest.mark.parametrize("text, words", [
    ("", "holds no 'Cutoff"),
    ("AUC 0.9\nCutoff 0.5 frr 0.1 faph 2\n", "line 2"),
    ("garbage\x00\xff", "is not an 'AUC x'"),
    ("Cutoff 0..5: frr=0.1; faph=2\n", "line 1"),  # no number: said, not raised
    ("AUC 0.9.1\n", "line 1"),
])
def test_damaged_roc_files(tmp_path, text, words):
    path = tmp_path / "tflite_streaming_roc.txt"
    path.write_text(text, errors="surrogateescape") if "\xff" not in text else \
        path.write_bytes(text.encode("latin-1"))
    curve = read_streaming_roc(path, "tflite_q/tflite_streaming_roc.txt", "q")
    assert curve.problems and words in str(curve.problems[0])


def test_streaming_criteria(official):
    run = load_run(official, "o")
    v = judge(criterion("{check: streaming, measure: frr_at_faph, faph: 0.5, max: 0.1}"), run)
    assert v.outcome == "passed" and "streaming FRR of stream_state_internal_quant at 0.5" \
        in v.headline
    v = judge(criterion("{check: streaming, measure: frr_at_faph, faph: 0.5, max: 0.01}"), run)
    assert v.outcome == "failed" and "tflite_streaming_roc.txt:" in v.text
    v = judge(criterion("{check: streaming, measure: auc, variant: float, min: 0.99}"), run)
    assert v.outcome == "failed" and v.headline.startswith(
        "streaming AUC of stream_state_internal = 0.9850")
    v = judge(criterion("{check: streaming, measure: quantization_loss, faph: 0.5, "
                        "max: 0.005}"), run)
    assert v.outcome == "failed" and "quantization loss" in v.headline
    v = judge(criterion("{check: streaming, measure: faph_at_cutoff, cutoff: 0.9, lt: 0.5}"),
              run)
    assert v.outcome == "passed" and "at cutoff 0.9" in v.headline
    roc = official / "tflite_stream_state_internal_quant" / "tflite_streaming_roc.txt"
    roc.write_text("AUC 0.9\nCutoff 0.5: frr=0.01; faph=1.5\nCutoff 0.9: frr=0.05; faph=0.3\n")
    v = judge(criterion("{check: streaming, measure: frr_at_faph, faph: 0.1, max: 1}"),
              load_run(official, "o"))
    assert v.outcome == "failed" and "no cutoff of stream_state_internal_quant reaches 0.1 " \
        "FA/h (lowest 0.3)" in v.headline


def test_streaming_criteria_without_roc_and_with_a_damaged_one(official):
    body = "{check: streaming, measure: auc, min: 0.5, on_missing: skip}"
    shutil.rmtree(official / "tflite_stream_state_internal_quant")
    assert judge(criterion(body), load_run(official, "o")).outcome == "skipped"
    (official / "tflite_stream_state_internal" / "tflite_streaming_roc.txt").write_text("x\n")
    v = judge(criterion(body.replace("min: 0.5", "min: 0.5, variant: float")),
              load_run(official, "o"))
    assert v.outcome == "failed" and "not judged" in v.headline  # damage is never skipped


def test_streaming_criteria_are_validated():
    with pytest.raises(CriteriaError, match="measure must be one of"):
        criterion("{check: streaming, measure: frr, max: 1}")
    with pytest.raises(CriteriaError, match="needs 'faph'"):
        criterion("{check: streaming, measure: frr_at_faph, max: 1}")


@pytest.mark.parametrize("name", ["manifest", "cutoff_sane", "tflite", "input_quantized",
                                  "operators", "size"])
def test_deploy_checks_pass_on_the_official_sample(official, name):
    assert judge_deploy(deploy(name), load_run(official, "o")).outcome == "passed"


def test_real_exported_model_of_run_c():
    run = load_run(REPO / "tests" / "data" / "run-c", "run-c")
    model = read_tflite(run.layout.tflites[0], "m")
    assert model.inputs[0].dtype == "int8" and model.inputs[0].shape == (1, 3, 40)
    assert "SPLIT_V" in model.operators and model.subgraphs == 2
    v = judge_deploy(deploy("cutoff_sane"), run)
    assert v.outcome == "failed"
    assert v.headline == ("probability_cutoff 1 in models/exported/hey_katya.json makes a "
                          "model that never fires: no probability can exceed it")
    assert judge_deploy(deploy("cutoff_agrees"), run).outcome == "passed"
    assert judge_deploy(deploy("operators"), run).outcome == "passed"


def manifest(run_dir):
    return run_dir / "tflite_stream_state_internal_quant" / "wakeword.json"


@pytest.mark.parametrize("edit, words", [
    (lambda d: d.pop("micro"), "missing keys: micro.probability_cutoff"),
    (lambda d: d.update(version=1), "version 1"),
    (lambda d: d.update(model="gone.tflite"), "does not exist beside the manifest"),
    (lambda d: d.update(model="../../etc/passwd"), "points outside the run folder"),
])
def test_damaged_manifests(official, edit, words):
    data = json.loads(manifest(official).read_text())
    edit(data)
    manifest(official).write_text(json.dumps(data))
    v = judge_deploy(deploy("manifest"), load_run(official, "o"))
    assert v.outcome == "failed" and words in v.text


def test_manifest_that_is_not_json(official):
    manifest(official).write_text("{not json")
    v = judge_deploy(deploy("manifest"), load_run(official, "o"))
    assert v.outcome == "failed" and "invalid JSON" in v.headline


@pytest.mark.parametrize("cutoff, words", [(0.0, "always fires"), (1.0, "never fires")])
def test_cutoffs_that_never_or_always_fire(official, cutoff, words):
    data = json.loads(manifest(official).read_text())
    data["micro"]["probability_cutoff"] = cutoff
    manifest(official).write_text(json.dumps(data))
    assert words in judge_deploy(deploy("cutoff_sane"), load_run(official, "o")).headline


def test_model_checks_fail_on_bad_models(official):
    model = official / "tflite_stream_state_internal_quant" / "stream_state_internal_quant.tflite"
    write_tflite(model, operators=("CONV_2D", "SOFTMAX", "LSTM"), input_type=0,
                 padding=600_000)
    run = load_run(official, "o")
    v = judge_deploy(deploy("operators"), run)
    assert v.outcome == "failed" and v.headline.endswith("does not register: LSTM, SOFTMAX")
    v = judge_deploy(deploy("input_quantized"), run)
    assert v.outcome == "failed" and "is float32, not quantized" in v.headline
    v = judge_deploy(deploy("size", "{max_kb: 100}"), run)
    assert v.outcome == "failed" and "over the budget of 100 KB" in v.headline
    model.write_bytes(b"not a flatbuffer at all")
    v = judge_deploy(deploy("tflite"), load_run(official, "o"))
    assert v.outcome == "failed" and "is not a valid TFLite flatbuffer" in v.headline


def test_which_checks_were_possible(tmp_path, make_run):
    run = load_run(make_run(), "r")  # a v2.0.0 sample without an exported model
    v = judge_deploy(deploy("manifest"), run)
    assert v.outcome == "failed" and "holds no ESPHome manifest" in v.headline
    assert judge_deploy(deploy("tflite", "{on_missing: skip}"), run).outcome == "skipped"


def test_operating_points_are_metrics():
    run = load_run(REPO / "tests" / "data" / "run-c", "run-c")
    assert run.get("test", "recall_at_fah_2").values[0] == pytest.approx(0.8596491)
    assert run.get("test", "threshold_at_fah_0.5").values[0] == 0.97
    v = judge(criterion("{metric: recall_at_fah_2, split: test, gt: 0.9}"), run)
    assert v.outcome == "failed" and "operating_points[3].recall" in v.text


def test_the_gate_on_the_official_sample(pytester):
    result = pytester.runpytest("-p", "no:cacheprovider",
                                f"--mww-run={REPO / 'examples' / 'run-official'}", "-rs")
    result.assert_outcomes(passed=22, skipped=12)
    result.stdout.fnmatch_lines(["*note: layout: official microWakeWord train_dir*"])


def test_console_given_with_an_option(pytester, tmp_path):
    run = write_official_run(tmp_path / "train_dir")
    console = tmp_path / "elsewhere.txt"
    (run / "train.log").rename(console)
    crit = pytester.makefile(".yaml", c="criteria:\n  fah: {metric: ambient_fa_per_hour, "
                                        "lt: 0.5, confidence: 0.95}\n")
    result = pytester.runpytest("-p", "no:cacheprovider", f"--mww-run={run}",
                                f"--mww-criteria={crit}")
    result.assert_outcomes(failed=1)  # no console: no FA/h at all
    result = pytester.runpytest("-p", "no:cacheprovider", f"--mww-run={run}",
                                f"--mww-criteria={crit}", f"--mww-console={console}")
    result.assert_outcomes(passed=1)  # 1 event over 14 h: the bound is 0.34 FA/h
    xml = pytester.path / "x.xml"
    pytester.runpytest("-p", "no:cacheprovider", f"--mww-run={run}", f"--mww-criteria={crit}",
                       f"--mww-console={console}", f"--junitxml={xml}")
    assert "bound(s) upper 0.34 (from 1 events over 14 h)" in xml.read_text()
    assert pytester.runpytest(f"--mww-run={run}", "--mww-console=/no/file").ret == 4
