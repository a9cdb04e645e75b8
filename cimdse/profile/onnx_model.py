"""The ONNX front door: profile a model file with onnx and onnxruntime.

The model is data, read as untrusted input: a regular file of at most
:data:`MAX_MODEL_BYTES`, parsed by onnx, checked by onnx's checker, with
its weights inside the file (external data files are refused, so a model
never makes cimdse read other files). No custom-op library is ever loaded;
onnxruntime runs it on its CPU kernels with graph optimisations off, so
every node computes what the file says.

What is captured: every ``Conv`` (1-D, 2-D, grouped, depthwise), ``Gemm``
and ``MatMul`` (batched, with a weight or an activation as either operand)
of the main graph, after local functions are inlined. Their activation
operands and outputs become extra graph outputs; constant operands (an
initializer, or a value computed from initializers only, such as a
transposed or dequantised weight) are weights. Every other op that carries
MACs -- transposed or integer convolutions, einsums, recurrent cells,
fused attention, any MAC op inside an If/Loop/Scan body -- is reported by op
type and node name (:data:`UNMAPPED_OPS`).

Samples: the first axis of every model input is its batch. A sample array
of the input's rank runs one sample at a time (or, when the model's batch
is a fixed B, B at a time); an array with one more axis is a stack of
complete inputs, one per run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .errors import ProfileError, first_line
from .keep import parse_size
from .probe import Call, ConvForm, MatmulForm, transposed_product
from .profiler import profile
from .quantize import check_bits
from .result import Profile, Unmapped
from .samples import check_file

_log = logging.getLogger(__name__)

#: Largest model file read (1 GiB).
MAX_MODEL_BYTES = 1 << 30

MAPPED_OPS = ("Conv", "Gemm", "MatMul")
#: Ops that carry MACs cimdse cannot map, with the reason reported.
UNMAPPED_OPS: dict[str, str] = {
    "ConvTranspose": "transposed convolution",
    "ConvInteger": "integer convolution of a pre-quantised model",
    "QLinearConv": "integer convolution of a pre-quantised model",
    "MatMulInteger": "integer matrix product of a pre-quantised model",
    "QLinearMatMul": "integer matrix product of a pre-quantised model",
    "DeformConv": "deformable convolution",
    "Einsum": "einsum",
    "LSTM": "recurrent cell", "GRU": "recurrent cell", "RNN": "recurrent cell",
    "Attention": "fused attention", "MultiHeadAttention": "fused attention",
    "GroupQueryAttention": "fused attention", "QAttention": "fused attention",
    "FusedConv": "fused convolution", "FusedGemm": "fused matrix product",
    "FusedMatMul": "fused matrix product", "QGemm": "integer matrix product",
    "MatMulNBits": "weight-compressed matrix product",
    "DynamicQuantizeMatMul": "integer matrix product",
}
_RANDOM_OPS = ("RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
               "Multinomial", "Bernoulli")
_DEFAULT_DOMAINS = ("", "ai.onnx")


def _libraries():
    try:
        import onnx
        import onnxruntime
    except ImportError:
        raise ProfileError("profiling an ONNX model needs onnx and onnxruntime: "
                           "pip install 'cimdse[onnx]'") from None
    return onnx, onnxruntime


# -- loading ---------------------------------------------------------------------

def _graphs(graph) -> list:
    """``graph`` and every subgraph inside its nodes' attributes."""
    out = [graph]
    for node in graph.node:
        for attr in node.attribute:
            for sub in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                out += _graphs(sub)
    return out


def _tensors(graph) -> list:
    tensors = list(graph.initializer) + [s.values for s in graph.sparse_initializer]
    for node in graph.node:
        for attr in node.attribute:
            tensors += ([attr.t] if attr.HasField("t") else []) + list(attr.tensors)
    return tensors


def load_model(model: Any, max_bytes: int = MAX_MODEL_BYTES):
    """A checked ``onnx.ModelProto`` with its local functions inlined, from a
    file path or a ``ModelProto`` (copied, never changed)."""
    onnx, _ = _libraries()
    if isinstance(model, onnx.ModelProto):
        where, proto = model.graph.name or "model", onnx.ModelProto()
        proto.CopyFrom(model)
    else:
        path = check_file(model, max_bytes, "ONNX model")
        where = str(path)
        try:
            proto = onnx.load_model_from_string(path.read_bytes())
        except Exception as err:  # protobuf's DecodeError and friends
            raise ProfileError(f"{where}: not an ONNX model ({first_line(err)})") from None
    if not proto.HasField("graph") or not proto.graph.node:
        raise ProfileError(f"{where}: not an ONNX model (no graph nodes)")
    for graph in _graphs(proto.graph):
        for tensor in _tensors(graph):
            if tensor.data_location == onnx.TensorProto.EXTERNAL:
                raise ProfileError(f"{where}: tensor '{tensor.name}' is stored in an external "
                                   f"data file; save the model with its weights inside")
    try:
        onnx.checker.check_model(proto)
        if proto.functions:
            proto = onnx.inliner.inline_local_functions(proto)
    except Exception as err:
        raise ProfileError(f"{where}: invalid ONNX model: {first_line(err)}") from None
    return proto


# -- the graph's MAC nodes -----------------------------------------------------------

@dataclass(frozen=True)
class _Node:
    """A mapped node: its name, op and the tensor names of its operands."""

    name: str
    op: str
    inputs: tuple[str, ...]
    output: str
    attrs: Mapping[str, Any]
    constant: tuple[bool, ...]


def _node_name(node, index: int) -> str:
    return node.name or f"{node.op_type}_{index}"


def _constants(graph, initializers: set[str]) -> set[str]:
    """Names of the values computed from initializers only (nodes are in
    topological order, as ONNX requires)."""
    constant = set(initializers)
    for node in graph.node:
        has_subgraph = any(a.HasField("g") or a.graphs for a in node.attribute)
        used = [name for name in node.input if name]
        if node.op_type == "Constant" or (used and all(n in constant for n in used)
                                          and not has_subgraph and node.op_type not in _RANDOM_OPS):
            constant.update(o for o in node.output if o)
    return constant


def _inner_mac_ops(graph, parent: str, parent_op: str) -> list[Unmapped]:
    found = []
    for sub in _graphs(graph)[1:]:
        for index, node in enumerate(sub.node):
            if node.op_type in MAPPED_OPS or node.op_type in UNMAPPED_OPS:
                found.append(Unmapped(node.op_type, _node_name(node, index),
                                      f"inside the body of {parent_op} node '{parent}'"))
    return found


def _scan(graph) -> tuple[list[_Node], list[Unmapped]]:
    onnx, _ = _libraries()
    initializers = {t.name: t for t in graph.initializer}
    constant = _constants(graph, set(initializers))
    nodes, unmapped = [], []
    for index, node in enumerate(graph.node):
        name = _node_name(node, index)
        sub = onnx.GraphProto()
        sub.node.append(node)
        unmapped += _inner_mac_ops(sub, name, node.op_type)
        if node.op_type in MAPPED_OPS and node.domain in _DEFAULT_DOMAINS:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
            operands = tuple(node.input[:2])
            flags = tuple(n in constant for n in operands)
            if node.op_type == "Conv" and not flags[1]:
                unmapped.append(Unmapped("Conv", name, "weights computed at run time"))
                continue
            rank = len(initializers[operands[1]].dims) if operands[1] in initializers else None
            if node.op_type == "Conv" and rank is not None and rank not in (3, 4):
                unmapped.append(Unmapped("Conv", name, f"{rank - 2}-D convolution (cimdse "
                                                       f"maps 1-D and 2-D)"))
                continue
            nodes.append(_Node(name, node.op_type, tuple(node.input), node.output[0], attrs,
                               flags))
        elif node.op_type in UNMAPPED_OPS:
            unmapped.append(Unmapped(node.op_type, name, UNMAPPED_OPS[node.op_type]))
    return nodes, unmapped


# -- turning captured tensors into calls ------------------------------------------------

def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _conv_call(node: _Node, x: np.ndarray, w: np.ndarray, y: np.ndarray) -> Call:
    rank = max(x.ndim - 2, 0)
    a = node.attrs
    stride = tuple(a.get("strides") or (1,) * rank)
    dilation = tuple(a.get("dilations") or (1,) * rank)
    auto_pad = _text(a.get("auto_pad", "NOTSET"))
    if auto_pad in ("SAME_UPPER", "SAME_LOWER") and len(stride) == rank == y.ndim - 2:
        begin = []
        for axis in range(rank):
            reach = (y.shape[2 + axis] - 1) * stride[axis] \
                + (w.shape[2 + axis] - 1) * dilation[axis] + 1
            total = max(0, reach - x.shape[2 + axis])
            begin.append(total // 2 if auto_pad == "SAME_UPPER" else total - total // 2)
        pads = tuple(begin)
    elif auto_pad == "VALID":
        pads = (0,) * rank
    else:
        pads = tuple((a.get("pads") or (0,) * 2 * rank)[:rank])
    form = ConvForm(int(a.get("group", 1)), stride, dilation, pads)
    return Call(node.name, node.op, form, x, w, y)


def _product_call(node: _Node, a: np.ndarray, b: np.ndarray, y: np.ndarray) -> Call:
    if node.op == "Gemm":
        attrs = node.attrs
        a = a.T if attrs.get("transA", 0) else a
        b = b.T if attrs.get("transB", 0) else b
        alpha = float(attrs.get("alpha", 1.0))
        b = b * alpha if alpha != 1.0 else b
    a_constant, b_constant = node.constant
    if a_constant and not b_constant:
        a, b, y = transposed_product(a, b, y)
        b_constant = True
    return Call(node.name, node.op, MatmulForm(bool(b_constant)), a, b, y)


# -- samples ----------------------------------------------------------------------------

def _dims(value_info) -> tuple[int | str, ...] | None:
    tensor = value_info.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") and d.dim_value > 0
                 else (d.dim_param or "?") for d in tensor.shape.dim)


def _shape_text(dims: tuple[int | str, ...]) -> str:
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def _fits(shape: tuple[int, ...], dims: tuple[int | str, ...]) -> bool:
    return len(shape) == len(dims) and all(isinstance(d, str) or d == s
                                           for s, d in zip(shape, dims))


def _split(array: np.ndarray, dims: tuple[int | str, ...] | None, name: str,
           where: str) -> list[np.ndarray]:
    """The per-run arrays of one model input."""
    if dims is None:
        return [array[i:i + 1] for i in range(len(array))] if array.ndim else [array]
    if array.ndim == len(dims) + 1 and _fits(array.shape[1:], dims) and len(array):
        return list(array)
    if array.ndim == len(dims) and len(dims) and len(array) \
            and _fits(array.shape[1:], dims[1:]):
        batch = dims[0] if isinstance(dims[0], int) else 1
        if len(array) % batch == 0:
            return [array[i:i + batch] for i in range(0, len(array), batch)]
    raise ProfileError(f"{where}: samples of shape {tuple(array.shape)} do not fit model input "
                       f"'{name}' of shape {_shape_text(dims)}; give an array of that shape "
                       f"(samples along the first axis) or a stack of such arrays")


def _cast(array: np.ndarray, dtype: np.dtype, name: str, where: str) -> np.ndarray:
    if array.dtype == dtype:
        return array
    if np.issubdtype(dtype, np.integer) and not np.issubdtype(array.dtype, np.integer):
        raise ProfileError(f"{where}: model input '{name}' takes {dtype} values, the samples "
                           f"are {array.dtype}")
    return array.astype(dtype)


class OnnxCapture:
    """An ONNX model and its samples as a :class:`~cimdse.profile.profiler.Capture`."""

    place = "node"

    def __init__(self, model: Any, inputs: np.ndarray | Mapping[str, np.ndarray],
                 name: str | None = None, max_bytes: int = MAX_MODEL_BYTES,
                 samples_name: str = "inputs"):
        onnx, ort = _libraries()
        proto = load_model(model, max_bytes)
        is_file = not isinstance(model, onnx.ModelProto)
        self.source = Path(model).name if is_file else (proto.graph.name or "model")
        self.name = name or (Path(model).stem if is_file else proto.graph.name) or "model"
        graph = proto.graph
        self._nodes, self._unmapped = _scan(graph)
        initializers = {t.name: t for t in graph.initializer}
        self._weights = {n: onnx.numpy_helper.to_array(initializers[n])
                         for node in self._nodes for n in node.inputs[:2] if n in initializers}
        self._feeds = self._runs_of(graph, initializers, inputs, samples_name)
        self.runs = len(self._feeds)
        first = next(iter(self._feeds[0].values()))
        self.samples = self.runs * (len(first) if first.ndim else 1)
        self._wanted = sorted({n for node in self._nodes for n in (*node.inputs[:2], node.output)
                               if n not in initializers})
        _log.info("%s: %d mapped nodes, %d tensors captured per run", self.source,
                  len(self._nodes), len(self._wanted))
        present = {o.name for o in graph.output}
        for tensor in self._wanted:
            if tensor not in present:
                graph.output.append(onnx.ValueInfoProto(name=tensor))
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(proto.SerializeToString(), options,
                                                 providers=["CPUExecutionProvider"])
        except Exception as err:
            raise ProfileError(f"{self.source}: onnxruntime cannot run the model: "
                               f"{first_line(err)}") from None

    def _runs_of(self, graph, initializers, inputs, samples_name: str) -> list[dict]:
        onnx, _ = _libraries()
        feeds = [i for i in graph.input if i.name not in initializers]
        if not isinstance(inputs, Mapping):
            if len(feeds) != 1:
                raise ProfileError(f"{samples_name}: the model has {len(feeds)} inputs "
                                   f"({', '.join(i.name for i in feeds)}); give one array per "
                                   f"input name (an .npz file)")
            inputs = {feeds[0].name: inputs}
        names = [i.name for i in feeds]
        missing, extra = set(names) - set(inputs), set(inputs) - set(names)
        if missing or extra:
            raise ProfileError(f"{samples_name}: the model's inputs are {', '.join(names)}; "
                               f"got arrays for {', '.join(sorted(inputs)) or 'none'}")
        split = {}
        for feed in feeds:
            array = np.asarray(inputs[feed.name])
            dtype = onnx.helper.tensor_dtype_to_np_dtype(feed.type.tensor_type.elem_type)
            array = _cast(array, np.dtype(dtype), feed.name, samples_name)
            split[feed.name] = _split(array, _dims(feed), feed.name, samples_name)
        counts = {len(runs) for runs in split.values()}
        if len(counts) != 1:
            raise ProfileError(f"{samples_name}: the model inputs' arrays hold different "
                               f"numbers of samples")
        return [{n: runs[i] for n, runs in split.items()} for i in range(counts.pop())]

    def static_unmapped(self) -> list[Unmapped]:
        return list(self._unmapped)

    def run(self, index: int) -> tuple[list[Call], list[Unmapped]]:
        try:
            values = self._session.run(self._wanted, self._feeds[index])
        except Exception as err:
            raise ProfileError(f"{self.source}: onnxruntime failed on sample {index}: "
                               f"{first_line(err)}") from None
        got = dict(zip(self._wanted, values))
        got.update(self._weights)
        calls = []
        for node in self._nodes:
            x, w = (np.asarray(got[n]) for n in node.inputs[:2])
            y = np.asarray(got[node.output])
            make = _conv_call if node.op == "Conv" else _product_call
            calls.append(make(node, x, w, y))
        return calls, []


def profile_onnx(model: Any, inputs: np.ndarray | Mapping[str, np.ndarray], *,
                 bits: int = 8, keep_tensors: int | str = 0, skip_unsupported: bool = False,
                 name: str | None = None, max_bytes: int = MAX_MODEL_BYTES,
                 samples_name: str = "inputs") -> Profile:
    """Profile an ONNX model (a file path or an ``onnx.ModelProto``) on
    sample ``inputs`` (an array for a one-input model, else ``name ->
    array``): every mapped layer with its operand histograms at ``bits``.

    ``keep_tensors``: bytes of real tensor values to keep per layer (an int
    or a size such as ``"4M"``; 0 keeps none). ``skip_unsupported``: profile
    the other layers when some op carries MACs cimdse cannot map (they are
    logged and listed in ``Profile.skipped``) instead of raising.
    ``samples_name`` names the samples in error messages (their file).
    """
    bits, keep = check_bits(bits), parse_size(keep_tensors)
    capture = OnnxCapture(model, inputs, name=name, max_bytes=max_bytes,
                          samples_name=samples_name)
    return profile(capture, bits=bits, keep_bytes=keep, skip_unsupported=skip_unsupported)
