"""Checkpoint files → per-tensor summaries, without executing anything.

microwakeword_trainer v2.0.0 writes Keras 3 ``.weights.h5`` files (run-format.md §4): plain
HDF5 read with h5py. The guide's ``.ckpt`` TensorFlow checkpoints are read only when the
optional ``tf`` extra is installed (``tf.train.load_checkpoint`` reads tensors; it never
builds a model or calls custom objects).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..problems import Problem

MAX_TENSOR_BYTES = 1024 * 1024 * 1024
OPTIMIZER_PREFIXES = ("optimizer/", "optimizer_", "_CHECKPOINTABLE_OBJECT_GRAPH",
                      "save_counter")


@dataclass(frozen=True)
class Tensor:
    name: str
    shape: tuple[int, ...]
    finite: bool
    max_abs: float  # over the finite values
    identical: bool
    first_bad: str = ""  # "index (3, 0) = nan"

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1

    @property
    def is_model_weight(self) -> bool:
        """Optimizer state and one-element tensors are no evidence of weight health."""
        return self.size > 1 and not self.name.startswith(OPTIMIZER_PREFIXES)


@dataclass
class Checkpoint:
    path: str
    tensors: list[Tensor] = field(default_factory=list)
    problem: Problem | None = None
    skipped: str = ""  # why it was not read (no TensorFlow for .ckpt)

    @property
    def model_tensors(self) -> list[Tensor]:
        return [t for t in self.tensors if t.is_model_weight]

    def first_non_finite(self) -> Tensor | None:
        return next((t for t in self.tensors if not t.finite), None)


def summarise(name: str, array: np.ndarray) -> Tensor | None:
    if array.dtype.kind not in "fiub":
        return None
    values = np.asarray(array, dtype=np.float64) if array.dtype.kind != "f" else array
    flat = values.reshape(-1)
    finite_mask = np.isfinite(flat)
    finite = bool(finite_mask.all())
    first_bad = ""
    if not finite:
        index = int(np.argmin(finite_mask))
        where = np.unravel_index(index, array.shape) if array.shape else ()
        first_bad = f"index {tuple(int(i) for i in where)} = {flat[index]}"
    good = flat[finite_mask]
    max_abs = float(np.abs(good).max()) if good.size else 0.0
    identical = bool(flat.size > 1 and finite and (flat == flat[0]).all())
    return Tensor(name, tuple(int(d) for d in array.shape), finite, max_abs, identical, first_bad)


def read_checkpoint(path: Path, display: str) -> Checkpoint:
    if path.name.endswith(".h5") or path.suffix in (".hdf5", ".keras"):
        return _read_h5(path, display)
    return _read_tf(path, display)


def _read_h5(path: Path, display: str) -> Checkpoint:
    import h5py

    result = Checkpoint(display)
    try:
        with h5py.File(path, "r") as handle:
            names: list[str] = []
            handle.visititems(lambda name, obj: names.append(name)
                              if isinstance(obj, h5py.Dataset) else None)
            for name in names:
                dataset = handle[name]
                if dataset.size * dataset.dtype.itemsize > MAX_TENSOR_BYTES:
                    raise OSError(f"dataset {name} is larger than {MAX_TENSOR_BYTES} bytes")
                try:
                    summary = summarise(name, dataset[()])
                except (OSError, ValueError, TypeError) as exc:
                    result.problem = _problem(display, f"dataset {name} cannot be read: {exc}")
                    return result
                if summary is not None:
                    result.tensors.append(summary)
    except OSError as exc:
        text = str(exc)
        what = "is not an HDF5 file" if "signature" in text else f"cannot be opened: {text}"
        if "truncated" in text:
            what = f"is truncated: {text}"
        result.problem = _problem(display, what)
    return result


def _read_tf(path: Path, display: str) -> Checkpoint:
    result = Checkpoint(display)
    try:
        import tensorflow as tf  # optional extra
    except ImportError:
        result.skipped = ("reading TensorFlow checkpoints needs TensorFlow: "
                          "pip install 'pytest-mww[tf]'")
        return result
    prefix = str(path)
    for suffix in (".index", ".data-00000-of-00001"):
        if prefix.endswith(suffix):
            prefix = prefix[: -len(suffix)]
    try:
        reader = tf.train.load_checkpoint(prefix)
        for name in sorted(reader.get_variable_to_shape_map()):
            summary = summarise(name, np.asarray(reader.get_tensor(name)))
            if summary is not None:
                result.tensors.append(summary)
    except Exception as exc:  # TensorFlow raises many error types for damaged files
        result.problem = _problem(display, f"is not a readable TensorFlow checkpoint: {exc}")
    return result


def _problem(file: str, message: str) -> Problem:
    return Problem(file, "", message, severity="error", source="checkpoint")
