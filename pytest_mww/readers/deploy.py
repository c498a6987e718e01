"""What ESPHome loads: the manifest JSON and the streaming ``.tflite`` flatbuffer.

The flatbuffer is read with the ``tflite`` package (generated flatbuffer accessors, no
interpreter): operators, input and output tensors, size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..problems import Problem

MAX_TFLITE_BYTES = 64 * 1024 * 1024

# The operators ESPHome's micro_wake_word component registers for streaming models
# (StreamingModel::register_streaming_ops_ in esphome/components/micro_wake_word).
# A model using any other operator fails to load on the device.
ESPHOME_OPERATORS = frozenset({
    "CALL_ONCE", "VAR_HANDLE", "RESHAPE", "READ_VARIABLE", "STRIDED_SLICE", "CONCATENATION",
    "ASSIGN_VARIABLE", "CONV_2D", "MUL", "ADD", "MEAN", "FULLY_CONNECTED", "LOGISTIC",
    "QUANTIZE", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "PAD", "PACK",
    "SPLIT_V",
})
TENSOR_TYPES = {0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 9: "int8"}


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    dtype: str


@dataclass
class TfliteModel:
    path: str
    size: int = 0
    operators: list[str] = field(default_factory=list)
    inputs: list[TensorInfo] = field(default_factory=list)
    outputs: list[TensorInfo] = field(default_factory=list)
    subgraphs: int = 0
    problem: Problem | None = None


def read_tflite(path: Path, display: str) -> TfliteModel:
    model = TfliteModel(display)
    try:
        model.size = path.stat().st_size
        if model.size > MAX_TFLITE_BYTES:
            raise ValueError(f"is larger than {MAX_TFLITE_BYTES} bytes")
        data = path.read_bytes()
        _parse(data, model)
    except OSError as exc:
        model.problem = Problem(display, "", f"cannot be read: {exc.strerror or exc}",
                                source="tflite")
    except Exception as exc:  # flatbuffer accessors raise many errors on damaged bytes
        model.problem = Problem(display, "", f"is not a valid TFLite flatbuffer: "
                                             f"{type(exc).__name__}: {exc}", source="tflite")
    return model


def _parse(data: bytes, model: TfliteModel) -> None:
    import tflite

    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ValueError("the file identifier is not 'TFL3'")
    root = tflite.Model.GetRootAsModel(data, 0)
    codes = []
    for i in range(root.OperatorCodesLength()):
        code = root.OperatorCodes(i)
        number = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        codes.append(tflite.opcode2name(number))
    model.subgraphs = root.SubgraphsLength()
    if not model.subgraphs:
        raise ValueError("the model has no subgraph")
    used = set()
    for s in range(model.subgraphs):
        graph = root.Subgraphs(s)
        for o in range(graph.OperatorsLength()):
            index = graph.Operators(o).OpcodeIndex()
            if not 0 <= index < len(codes):
                raise ValueError(f"operator {o} of subgraph {s} names opcode {index}, of "
                                 f"{len(codes)}")
            used.add(codes[index])
    model.operators = sorted(used or set(codes))
    graph = root.Subgraphs(0)
    model.inputs = [_tensor(graph, graph.Inputs(i)) for i in range(graph.InputsLength())]
    model.outputs = [_tensor(graph, graph.Outputs(i)) for i in range(graph.OutputsLength())]


def _tensor(graph, index: int) -> TensorInfo:
    tensor = graph.Tensors(index)
    shape = tuple(int(tensor.Shape(i)) for i in range(tensor.ShapeLength()))
    name = (tensor.Name() or b"").decode("utf-8", "replace")
    return TensorInfo(name, shape, TENSOR_TYPES.get(tensor.Type(), f"type {tensor.Type()}"))
