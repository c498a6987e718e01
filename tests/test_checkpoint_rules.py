"""Checkpoint checks: pass, fail, damaged and missing files for each."""

import json

import h5py
import numpy as np
import pytest

from pytest_mww.checkpoint_rules import judge_checkpoint
from pytest_mww.criteria import parse_criteria
from pytest_mww.run import load_run


def check(name: str, body: str = "true"):
    return parse_criteria(f"checkpoints:\n  {name}: {body}\n", "c.yaml").checkpoints[0]


def judged(name, folder, body="true"):
    return judge_checkpoint(check(name, body), load_run(folder, "r"))


def rewrite(path, tensors):
    path.unlink()
    with h5py.File(path, "w") as handle:
        for name, value in tensors.items():
            handle.create_dataset(name, data=value)


@pytest.fixture
def folder(make_run):
    return make_run()


@pytest.mark.parametrize("name", ["best_finite", "best_path", "best_step", "final_exists",
                                  "weight_health"])
def test_healthy_sample_passes(folder, name):
    assert judged(name, folder).outcome == "passed"


def test_best_finite_names_the_first_non_finite_tensor(folder):
    bad = np.ones((4, 4), "f4")
    bad[2, 3] = np.inf
    rewrite(folder / "checkpoints" / "best_weights.weights.h5",
            {"layers/dense/vars/0": np.ones((4, 1), "f4"), "blocks/conv/vars/0": bad})
    v = judged("best_finite", folder)
    assert v.outcome == "failed"
    assert v.headline == ("best checkpoint checkpoints/best_weights.weights.h5 holds non-finite "
                          "weights: blocks/conv/vars/0 (4, 4) has index (2, 3) = inf")


@pytest.mark.parametrize("name", ["best_finite", "weight_health"])
def test_damaged_and_missing_best(folder, name):
    path = folder / "checkpoints" / "best_weights.weights.h5"
    path.write_bytes(path.read_bytes()[:900])
    v = judged(name, folder)
    assert v.outcome == "failed" and "not judged" in v.headline
    assert "checkpoints/best_weights.weights.h5" in v.headline
    path.unlink()
    v = judged(name, folder)
    assert v.outcome == "failed" and v.headline == "no best checkpoint in run r"
    assert judged(name, folder, "{on_missing: skip}").outcome == "skipped"


def test_best_path_outside_the_run_is_not_opened(folder):
    log = next(folder.glob("logs/terminal_*.log"))
    log.write_text(log.read_text(encoding="utf-8").replace(
        "   → ./checkpoints/best_weights.weights.h5", "   → ../../etc/passwd"), encoding="utf-8")
    v = judged("best_path", folder)
    assert v.outcome == "failed"
    assert v.headline == "best-weights path '../../etc/passwd' points outside the run folder; " \
                         "not opened"


def test_best_path_missing_file(folder):
    (folder / "checkpoints" / "best_weights.weights.h5").unlink()
    v = judged("best_path", folder)
    assert v.outcome == "failed" and "does not exist in the run folder" in v.headline


def test_best_path_unrecorded(folder):
    log = next(folder.glob("logs/terminal_*.log"))
    text = log.read_text(encoding="utf-8")
    text = text.replace("   → ./checkpoints/best_weights.weights.h5\n", "")
    text = text.replace("│ |  Best Weights  |  ./checkpoints/best_weights.weights.h5  | │\n", "")
    log.write_text(text, encoding="utf-8")
    for event in folder.glob("logs/run_*/*"):
        event.unlink()
    v = judged("best_path", folder)
    assert v.outcome == "failed" and "records no best-weights path" in v.headline


def test_best_step_disagreement(folder):
    sidecar = folder / "checkpoints" / "best_weights.weights.metadata.json"
    data = json.loads(sidecar.read_text())
    data["probability_cutoff_step"] = 750
    sidecar.write_text(json.dumps(data))
    v = judged("best_step", folder)
    assert v.outcome == "failed"
    assert v.headline == "sources disagree on the best checkpoint's step: 750, 2000"
    assert "stale" in v.text


def test_best_step_unrecorded(make_run):
    folder = make_run(checkpoint_every=10_000, checkpoints=False)
    v = judged("best_step", folder)
    assert v.outcome == "failed" and "records no best-checkpoint step" in v.headline


def test_final_missing_and_damaged(folder):
    final = folder / "checkpoints" / "final_weights.weights.h5"
    final.write_bytes(b"not hdf5 at all" * 20)
    v = judged("final_exists", folder)
    assert v.outcome == "failed" and "is not an HDF5 file" in v.headline
    final.unlink()
    v = judged("final_exists", folder)
    assert v.outcome == "failed" and v.headline == ("run r has no final checkpoint: training "
                                                    "did not finish")


@pytest.mark.parametrize("weights, words", [
    (np.full((8, 8), 1e-9, "f4") * np.arange(64, dtype="f4").reshape(8, 8), "vanishing"),
    (np.arange(64, dtype="f4").reshape(8, 8) * 1e5, "exploding"),
    (np.full((8, 8), 0.25, "f4"), "all weights identical"),
])
def test_weight_health_findings(folder, weights, words):
    rewrite(folder / "checkpoints" / "best_weights.weights.h5", {
        "layers/dense/vars/0": np.linspace(-1, 1, 64, dtype="f4").reshape(64, 1),
        "blocks/conv/vars/0": weights,
        "layers/dense/vars/1": np.zeros(1, "f4"),  # one element: not evidence
        "optimizer/vars/5": np.zeros((8, 8), "f4")})  # optimizer slot: not judged
    v = judged("weight_health", folder)
    assert v.outcome == "failed"
    assert v.headline.startswith("1 of 2 weight tensors look unhealthy: blocks/conv/vars/0")
    assert words in v.headline


def test_weight_health_options(folder):
    v = judged("weight_health", folder, "{exploding_above: 0.001}")
    assert v.outcome == "failed" and "exploding" in v.headline
    v = judged("weight_health", folder, "{exploding_above: 0.001, severity: warn}")
    assert v.outcome == "warned"


def test_unknown_check_name():
    from pytest_mww.criteria import CriteriaError
    with pytest.raises(CriteriaError, match="unknown checkpoint check 'best_finit'.*did you "
                                            "mean 'best_finite'"):
        check("best_finit")


def test_weight_histograms_in_tensorboard_are_judged(folder):
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(next(folder.glob("logs/run_*"))))
    histo = summary_pb2.HistogramProto(min=0.3, max=0.3, num=64)
    scores = summary_pb2.HistogramProto(min=0.0, max=0.0, num=64)  # not weights: ignored
    writer.add_event(event_pb2.Event(step=2000, summary=summary_pb2.Summary(value=[
        summary_pb2.Summary.Value(tag="dense/kernel", histo=histo),
        summary_pb2.Summary.Value(tag="scores/positive", histo=scores)])))
    writer.close()
    v = judged("weight_health", folder)
    assert v.outcome == "failed"
    assert "histogram dense/kernel@2000 has all weights identical" in v.headline
    assert "scores/positive" not in v.text


def test_tensorflow_checkpoints_are_skipped_without_tensorflow(make_run):
    try:
        import tensorflow  # noqa: F401
        pytest.skip("TensorFlow is installed here")
    except ImportError:
        pass
    folder = make_run(checkpoints=False)
    (folder / "checkpoints").mkdir()
    (folder / "checkpoints" / "best_fah_step_200.ckpt.index").write_bytes(b"tf checkpoint")
    v = judged("best_finite", folder)
    assert v.outcome == "skipped"
    assert "needs TensorFlow: pip install 'pytest-mww[tf]'" in v.headline
