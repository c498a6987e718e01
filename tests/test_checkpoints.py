import h5py
import numpy as np
import pytest

from pytest_mww.readers.checkpoints import read_checkpoint


def write(path, tensors):
    with h5py.File(path, "w") as handle:
        for name, value in tensors.items():
            handle.create_dataset(name, data=value)
    return path


def test_summaries_and_model_weights(tmp_path):
    path = write(tmp_path / "best_weights.weights.h5", {
        "layers/dense/vars/0": np.array([[0.5], [-2.0]], "f4"),
        "layers/dense/vars/1": np.array([0.1], "f4"),
        "optimizer/vars/3": np.zeros((2, 1), "f4"),
        "optimizer/vars/0": np.array(7, "i8")})
    ckpt = read_checkpoint(path, "c")
    assert ckpt.problem is None
    by_name = {t.name: t for t in ckpt.tensors}
    assert by_name["layers/dense/vars/0"].max_abs == 2.0
    assert by_name["optimizer/vars/3"].identical
    assert [t.name for t in ckpt.model_tensors] == ["layers/dense/vars/0"]


def test_first_non_finite_is_named(tmp_path):
    weights = np.ones((3, 2), "f4")
    weights[1, 1] = np.nan
    path = write(tmp_path / "w.weights.h5", {"a/vars/0": np.ones(4, "f4"),
                                              "b/vars/0": weights})
    bad = read_checkpoint(path, "c").first_non_finite()
    assert bad.name == "b/vars/0" and bad.first_bad == "index (1, 1) = nan"


@pytest.mark.parametrize("mangle, words", [
    (lambda p: p.write_bytes(b"definitely not hdf5" * 10), "is not an HDF5 file"),
    (lambda p: p.write_bytes(p.read_bytes()[:1500]), "cannot be"),
])
def test_damaged_files(tmp_path, mangle, words):
    path = write(tmp_path / "x.weights.h5", {"a/vars/0": np.ones((64, 64), "f4")})
    mangle(path)
    ckpt = read_checkpoint(path, "checkpoints/x.weights.h5")
    assert ckpt.problem is not None
    assert words in ckpt.problem.message or "truncated" in ckpt.problem.message


def test_tf_checkpoint_without_tensorflow_is_skipped(tmp_path):
    pytest.importorskip("numpy")
    try:
        import tensorflow  # noqa: F401
        pytest.skip("TensorFlow is installed here")
    except ImportError:
        pass
    ckpt = read_checkpoint(tmp_path / "best_fah_step_500.ckpt", "c")
    assert "pytest-mww[tf]" in ckpt.skipped
