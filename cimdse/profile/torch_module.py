"""The PyTorch front door: profile an in-memory ``nn.Module`` from Python.

Only a module object is accepted, never a file: a pickled model
(``torch.load``) can run arbitrary code, so loading one is the caller's
decision, not cimdse's.

The module runs in eval mode under ``no_grad``, one sample at a time (the
first axis of every input indexes samples), with its training flags
restored afterwards. Forward hooks on every submodule track which module is
running; a ``TorchFunctionMode`` sees each torch function the forward pass
calls and records the MAC-carrying ones:

* mapped: ``linear`` (``nn.Linear``), ``conv1d`` / ``conv2d`` (``nn.Conv1d``,
  ``nn.Conv2d``, grouped and depthwise, any padding), and the matrix
  products ``matmul`` / ``@`` / ``mm`` / ``bmm`` / ``addmm`` / ``baddbmm``
  (a parameter or buffer operand, or a view of one, is a weight; otherwise
  both are activations, as in attention), and the two products inside
  ``scaled_dot_product_attention`` (QK^T and AV, named ``<module>.qk`` and
  ``<module>.av``; the probabilities AV multiplies are recomputed from q, k,
  the mask and the scale);
* reported (:data:`UNMAPPED_FUNCTIONS`): transposed and 3-D convolutions,
  einsum, recurrent cells, fused attention and the other products. The
  calls *inside* a mapped or reported function are not seen separately.

A call made by a ``torch.nn`` layer (``nn.Linear``, ``nn.Conv2d``,
``nn.MultiheadAttention``, ...) is named after that module (``features.0``),
with the module's type as its op; one made in the ``forward`` of any other
module is named ``<module>.<function>`` (``blocks.0.attn.matmul``).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .errors import ProfileError, first_line
from .keep import parse_size
from .probe import Call, ConvForm, MatmulForm, transposed_product
from .profiler import profile
from .quantize import check_bits
from .result import Profile, Unmapped

_CONVS = {"conv1d": 1, "conv2d": 2}
_PRODUCTS = ("matmul", "__matmul__", "__rmatmul__", "mm", "bmm", "addmm", "baddbmm")
_OTHERS = ("linear", "scaled_dot_product_attention")
#: MAC-carrying torch functions cimdse cannot map, with the reason reported.
UNMAPPED_FUNCTIONS: dict[str, str] = {
    "conv3d": "3-D convolution", "convolution": "generic convolution",
    "_convolution": "generic convolution",
    "conv_transpose1d": "transposed convolution", "conv_transpose2d": "transposed convolution",
    "conv_transpose3d": "transposed convolution",
    "bilinear": "bilinear form", "einsum": "einsum", "tensordot": "tensordot",
    "addbmm": "summed batched product", "addmv": "matrix-vector product",
    "mv": "matrix-vector product", "dot": "dot product", "vdot": "dot product",
    "inner": "inner product", "chain_matmul": "chained product", "multi_dot": "chained product",
    "multi_head_attention_forward": "fused attention",
    "_native_multi_head_attention": "fused attention",
    "_transformer_encoder_layer_fwd": "fused transformer layer",
    "lstm": "recurrent cell", "gru": "recurrent cell", "rnn_tanh": "recurrent cell",
    "rnn_relu": "recurrent cell", "lstm_cell": "recurrent cell", "gru_cell": "recurrent cell",
    "rnn_tanh_cell": "recurrent cell", "rnn_relu_cell": "recurrent cell",
}


def _torch():
    try:
        import torch
    except ImportError:
        raise ProfileError("profiling a PyTorch module needs torch: "
                           "pip install 'cimdse[torch]'") from None
    return torch


def _arg(args: Sequence, kwargs: dict, index: int, name: str, default: Any = None) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _per_axis(value: Any, rank: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * rank
    values = tuple(int(v) for v in value)
    return values * rank if len(values) == 1 else values


class _Recording:
    """What one forward pass called, attributed to the innermost module."""

    def __init__(self, capture: "TorchCapture"):
        self.capture = capture
        self.stack: list[Any] = []
        self.calls: list[Call] = []
        self.unmapped: dict[tuple[str, str], Unmapped] = {}

    def _where(self, function: str) -> tuple[str, str]:
        """(layer name, op) of a call of ``function`` in the running module."""
        module = self.stack[-1] if self.stack else self.capture.module
        module_name = self.capture.names.get(id(module), "")
        op = "matmul" if function in ("__matmul__", "__rmatmul__") else function
        if type(module).__module__.startswith("torch.nn."):
            # a torch.nn layer (Linear, Conv2d, MultiheadAttention, ...): the layer is the module
            return module_name or type(module).__name__, type(module).__name__
        return (f"{module_name}.{op}" if module_name else op), op

    def record(self, function: str, args: Sequence, kwargs: dict, out: Any) -> None:
        if function in UNMAPPED_FUNCTIONS:
            name, op = self._where(function)
            self.unmapped.setdefault((op, name), Unmapped(op, name, UNMAPPED_FUNCTIONS[function],
                                                          "module"))
            return
        if function == "scaled_dot_product_attention":
            self.calls += self._attention(args, kwargs, out)
            return
        name, op = self._where(function)
        if function == "linear":
            x, w = _arg(args, kwargs, 0, "input"), _arg(args, kwargs, 1, "weight")
            self.calls.append(Call(name, op, MatmulForm(True), _array(x), _array(w).T,
                                   _array(out)))
        elif function in _CONVS:
            self.calls.append(self._conv(name, op, _CONVS[function], args, kwargs, out))
        else:
            self.calls.append(self._product(name, op, function, args, kwargs, out))

    def _conv(self, name: str, op: str, rank: int, args, kwargs, out) -> Call:
        x, w = _array(_arg(args, kwargs, 0, "input")), _array(_arg(args, kwargs, 1, "weight"))
        y = _array(out)
        if x.ndim == rank + 1:  # an unbatched input
            x, y = x[None], y[None]
        stride = _per_axis(_arg(args, kwargs, 3, "stride", 1), rank)
        padding = _arg(args, kwargs, 4, "padding", 0)
        dilation = _per_axis(_arg(args, kwargs, 5, "dilation", 1), rank)
        groups = int(_arg(args, kwargs, 6, "groups", 1))
        if padding == "valid":
            pads = (0,) * rank
        elif padding == "same":  # torch puts the odd zero after
            pads = tuple(d * (k - 1) // 2 for d, k in zip(dilation, w.shape[2:]))
        else:
            pads = _per_axis(padding, rank)
        return Call(name, op, ConvForm(groups, stride, dilation, pads), x, w, y)

    def _attention(self, args, kwargs, out) -> list[Call]:
        """The two products inside ``scaled_dot_product_attention``: QK^T
        and AV, with the attention probabilities recomputed from q and k."""
        q, k, v = (_array(_arg(args, kwargs, i, n))
                   for i, n in enumerate(("query", "key", "value")))
        mask = _arg(args, kwargs, 3, "attn_mask")
        dropout = float(_arg(args, kwargs, 4, "dropout_p", 0.0))
        causal = bool(_arg(args, kwargs, 5, "is_causal", False))
        scale = kwargs.get("scale") or 1 / np.sqrt(q.shape[-1])
        qk_name, _ = self._where("qk")
        av_name, _ = self._where("av")
        op = "scaled_dot_product_attention"
        if dropout:  # the probabilities it multiplies are not the ones q and k give
            name, _ = self._where(op)
            self.unmapped.setdefault((op, name), Unmapped(op, name, "attention dropout is on",
                                                          "module"))
            return []
        if k.ndim >= 3 and k.shape[-3] != q.shape[-3]:  # grouped-query attention
            k, v = (np.repeat(t, q.shape[-3] // t.shape[-3], axis=-3) for t in (k, v))
        scores = q.astype(np.float64) @ k.swapaxes(-1, -2)
        logits = scores * scale
        if causal:
            logits = np.where(np.tril(np.ones(logits.shape[-2:], bool)), logits, -np.inf)
        if mask is not None:
            mask = _array(mask)
            logits = np.where(mask, logits, -np.inf) if mask.dtype == bool else logits + mask
        probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
        probs /= probs.sum(axis=-1, keepdims=True)
        return [Call(qk_name, op, MatmulForm(False), q, k.swapaxes(-1, -2), scores),
                Call(av_name, op, MatmulForm(False), probs, v, _array(out))]

    def _product(self, name: str, op: str, function: str, args, kwargs, out) -> Call:
        if function in ("addmm", "baddbmm"):
            a, b = _arg(args, kwargs, 1, "mat1"), _arg(args, kwargs, 2, "mat2")
            alpha = kwargs.get("alpha", 1)
        elif function == "__rmatmul__":
            a, b, alpha = args[1], args[0], 1
        else:
            a, b, alpha = args[0], args[1], 1
        a_weight, b_weight = self.capture.is_weight(a), self.capture.is_weight(b)
        a, b, y = _array(a), _array(b), _array(out)
        if alpha != 1:
            b = b * alpha
        if a_weight and not b_weight:
            a, b, y = transposed_product(a, b, y)
            b_weight = True
        return Call(name, op, MatmulForm(b_weight), a, b, y)


def _array(tensor: Any) -> np.ndarray:
    torch = _torch()
    if not isinstance(tensor, torch.Tensor):
        return np.asarray(tensor)
    tensor = tensor.detach().cpu()
    if tensor.is_floating_point() and tensor.dtype not in (torch.float32, torch.float64):
        tensor = tensor.float()
    return tensor.numpy()


def _recorder_mode(recording: _Recording):
    torch = _torch()

    class _Mode(torch.overrides.TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            function = getattr(func, "__name__", "")
            if function in _CONVS or function in _PRODUCTS or function in _OTHERS \
                    or function in UNMAPPED_FUNCTIONS:
                recording.record(function, args, kwargs, out)
            return out

    return _Mode()


class TorchCapture:
    """A module and its samples as a :class:`~cimdse.profile.profiler.Capture`."""

    place = "module"

    def __init__(self, module: Any, inputs: Any, name: str | None = None):
        torch = _torch()
        if not isinstance(module, torch.nn.Module):
            raise ProfileError(f"profile_module takes an in-memory torch.nn.Module (load a "
                               f"saved model yourself, from a source you trust), got "
                               f"{type(module).__name__}")
        self.module = module
        self.name = name or type(module).__name__
        self.source = f"torch:{type(module).__name__}"
        self.names = {id(m): n for n, m in module.named_modules()}
        self._weights = {id(t) for t in (*module.parameters(), *module.buffers())}
        self._inputs = self._tensors(inputs)
        self.runs = self.samples = len(self._inputs[0])

    def _tensors(self, inputs: Any) -> list:
        torch = _torch()
        items = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
        floating = [p for p in self.module.parameters() if p.is_floating_point()]
        device = floating[0].device if floating else torch.device("cpu")
        dtype = floating[0].dtype if floating else torch.get_default_dtype()
        tensors = []
        for item in items:
            if isinstance(item, np.ndarray):
                item = torch.from_numpy(np.ascontiguousarray(item))
            if not isinstance(item, torch.Tensor) or item.ndim == 0 or len(item) == 0:
                raise ProfileError("inputs: give a tensor or array (or a tuple of them, one per "
                                   "forward argument) with samples along its first axis")
            if item.is_floating_point():  # float64 samples for a float32 model
                item = item.to(dtype)
            tensors.append(item.to(device))
        if len({len(t) for t in tensors}) != 1:
            raise ProfileError("inputs: the forward arguments hold different numbers of samples")
        return tensors

    def is_weight(self, tensor: Any) -> bool:
        """A parameter or buffer of the module, or a view of one."""
        while tensor is not None:
            if id(tensor) in self._weights:
                return True
            tensor = getattr(tensor, "_base", None)
        return False

    def static_unmapped(self) -> list[Unmapped]:
        return []

    def run(self, index: int) -> tuple[list[Call], list[Unmapped]]:
        torch = _torch()
        recording = _Recording(self)

        def enter(submodule, _args) -> None:
            recording.stack.append(submodule)

        def leave(_submodule, _args, _out) -> None:  # None: the output stays the module's
            recording.stack.pop()

        handles = []
        for submodule in self.module.modules():
            handles.append(submodule.register_forward_pre_hook(enter))
            handles.append(submodule.register_forward_hook(leave))
        try:
            with torch.no_grad(), _recorder_mode(recording):
                self.module(*(t[index:index + 1] for t in self._inputs))
        except (RuntimeError, ValueError, TypeError, IndexError) as err:
            raise ProfileError(f"{self.name}: the module failed on sample {index}: "
                               f"{first_line(err)}") from None
        finally:
            for handle in handles:
                handle.remove()
        return recording.calls, list(recording.unmapped.values())


def profile_module(module: Any, inputs: Any, *, bits: int = 8, keep_tensors: int | str = 0,
                   skip_unsupported: bool = False, name: str | None = None) -> Profile:
    """Profile a PyTorch module on sample ``inputs`` (a tensor or array, or a
    tuple of them, one per forward argument; samples along the first axis).

    Options as :func:`cimdse.profile.profile_onnx`. The module is run in eval
    mode and left in the training state it had.
    """
    bits, keep = check_bits(bits), parse_size(keep_tensors)
    capture = TorchCapture(module, inputs, name=name)
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        return profile(capture, bits=bits, keep_bytes=keep, skip_unsupported=skip_unsupported)
    finally:
        for submodule, training in modes:
            submodule.training = training
