"""One MAC-carrying call a model made, and how it maps onto a cimdse layer.

Front doors (ONNX, PyTorch) report each convolution or matrix product they
capture as a :class:`Call` in one of two canonical forms, whatever the
framework's own argument conventions:

* :class:`ConvForm`: ``x [N, C_in, *spatial]``, ``w [M_total, C_in/groups,
  *kernel]``, ``y [N, M_total, *out]`` with 1 or 2 spatial axes (height
  before width, as in NCHW), its groups, strides, dilations and the zero
  padding in front of each spatial axis.
* :class:`MatmulForm`: ``a [..., P, K] @ b [..., K, M] = y [..., P, M]``
  (numpy broadcasting of the leading dims), and whether ``b`` is a weight
  (a constant of the model) or an activation. A linear layer is this form
  with ``b = W^T``.

:func:`layer_of` turns the first sample's call into the layer (einsum dims,
strides, dilations; see :mod:`cimdse.workload.problem`) and
:func:`einsum_operands` every sample's arrays into the einsum's tensors,
axis for axis::

    Inputs  [N, G, C, W, H]     W = P*Wstride + R*Wdilation, H = Q*Hstride + S*Hdilation
    Weights [G, M, C, R, S]     ([N, G, M, C, R, S] when the weights are activations)
    Outputs [N, G, M, P, Q]

A convolution's Inputs tensor is the einsum's: the layer input with its
zero padding, cut to the extent the windows reach (a stride that never
reaches the last rows drops them), so its histogram counts the padding zeros
the array is fed. A call that fits neither layout raises
:class:`Unmappable` with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..workload import Layer

INPUT_AXES = ("N", "G", "C", "W", "H")
WEIGHT_AXES = ("G", "M", "C", "R", "S")
ACTIVATION_WEIGHT_AXES = ("N", *WEIGHT_AXES)
OUTPUT_AXES = ("N", "G", "M", "P", "Q")


class Unmappable(Exception):
    """A captured call carries MACs but fits no cimdse layer (message: why)."""


@dataclass(frozen=True)
class ConvForm:
    """A 1-D or 2-D convolution's attributes, per spatial axis (h, w order)."""

    groups: int
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    pads_begin: tuple[int, ...]


@dataclass(frozen=True)
class MatmulForm:
    """A (batched) matrix product; ``weights_constant``: ``b`` is a weight."""

    weights_constant: bool


@dataclass(frozen=True, eq=False)
class Call:
    """One captured call: who made it, its form and its three operands."""

    name: str
    op: str
    form: ConvForm | MatmulForm
    x: np.ndarray
    w: np.ndarray
    y: np.ndarray

    def key(self) -> tuple:
        """What must be the same for this call on every sample."""
        return (self.name, self.op, self.form, self.x.shape, self.w.shape, self.y.shape)


@dataclass(frozen=True)
class Mapped:
    """The layer a call maps to, and the zero padding of a convolution's
    spatial axes as its windows reach it (``{"H": (before, after), "W":
    ...}``): ``after`` is the padding behind the input that some window
    covers, less than the model's own when a stride never reaches its last
    rows, and negative when even input rows are never reached."""

    layer: Layer
    padding: Mapping[str, tuple[int, int]] | None = None

    @property
    def weights_per_sample(self) -> bool:
        return self.layer.weights_are_activations


def layer_of(call: Call, source: str = "") -> Mapped:
    """The layer ``call`` maps to (raises :class:`Unmappable`)."""
    if isinstance(call.form, ConvForm):
        return _conv_layer(call, source)
    return _matmul_layer(call, source)


def einsum_operands(call: Call, mapped: Mapped) -> dict[str, np.ndarray]:
    """``call``'s operands as the einsum's Inputs, Weights and Outputs."""
    if isinstance(call.form, ConvForm):
        return _conv_operands(call, mapped.layer)
    return _matmul_operands(call, mapped.layer)


# -- convolution -----------------------------------------------------------------

def _spatial(call: Call) -> int:
    rank = call.x.ndim - 2
    if rank not in (1, 2) or call.w.ndim != rank + 2 or call.y.ndim != rank + 2:
        raise Unmappable(f"{max(rank, 0)}-D convolution (cimdse maps 1-D and 2-D)")
    return rank


def _extent(out: int, kernel: int, stride: int, dilation: int) -> int:
    return (out - 1) * stride + (kernel - 1) * dilation + 1


def _conv_layer(call: Call, source: str) -> Mapped:
    form = call.form
    rank = _spatial(call)
    n, c_in = call.x.shape[:2]
    m_total, c_group = call.w.shape[:2]
    groups = form.groups
    if groups < 1 or c_in % groups or m_total % groups or c_group != c_in // groups:
        raise Unmappable(f"weights {call.w.shape} do not fit input {call.x.shape} "
                         f"with {groups} groups")
    kernel, out, size = call.w.shape[2:], call.y.shape[2:], call.x.shape[2:]
    if any(p < 0 for p in form.pads_begin) or len(form.pads_begin) != rank:
        raise Unmappable(f"padding {form.pads_begin} (cimdse maps zero padding >= 0)")
    padding = {}
    for axis, name in zip(range(rank), ("H", "W")[-rank:]):
        begin = form.pads_begin[axis]
        reach = _extent(out[axis], kernel[axis], form.stride[axis], form.dilation[axis])
        padding[name] = (int(begin), int(reach - size[axis] - begin))
    # P/R run along the width (last) axis, Q/S along the height
    r, s = kernel[-1], (kernel[0] if rank == 2 else 1)
    p, q = out[-1], (out[0] if rank == 2 else 1)
    stride = (form.stride[0] if rank == 2 else 1, form.stride[-1])
    dilation = (form.dilation[0] if rank == 2 else 1, form.dilation[-1])
    c, m = c_in // groups, m_total // groups
    kind = "depthwise" if groups > 1 and c == 1 else "conv"
    layer = Layer(call.name, dict(N=n, G=groups, C=c, M=m, R=r, S=s, P=p, Q=q),
                  stride=stride, dilation=dilation, kind=kind, source=source)
    return Mapped(layer, padding)


def _window(x: np.ndarray, axis: int, begin: int, reach: int) -> np.ndarray:
    """``x`` along ``axis`` with ``begin`` zeros in front, padded or cut to ``reach``."""
    end = reach - x.shape[axis] - begin
    pads = [(0, 0)] * x.ndim
    pads[axis] = (begin, max(end, 0))
    x = np.pad(x, pads)
    return x.take(np.arange(reach), axis=axis) if end < 0 else x


def _conv_operands(call: Call, layer: Layer) -> dict[str, np.ndarray]:
    d = layer.dims
    rank = call.x.ndim - 2
    x = call.x
    for axis in range(rank):
        begin = call.form.pads_begin[axis]
        kernel = call.w.shape[2 + axis]
        reach = _extent(call.y.shape[2 + axis], kernel, call.form.stride[axis],
                        call.form.dilation[axis])
        x = _window(x, 2 + axis, begin, reach)
    x = x.reshape(d["N"], d["G"], d["C"], *x.shape[2:])
    w = call.w.reshape(d["G"], d["M"], d["C"], *call.w.shape[2:])
    y = call.y.reshape(d["N"], d["G"], d["M"], *call.y.shape[2:])
    if rank == 2:  # NCHW order -> the einsum's (width, height) ranks
        x, w, y = (a.swapaxes(-1, -2) for a in (x, w, y))
    else:
        x, w, y = (a[..., None] for a in (x, w, y))
    return {"Inputs": x, "Weights": w, "Outputs": y}


# -- matrix products ---------------------------------------------------------------

def _promoted(call: Call) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """``a`` and ``b`` with 1-D operands promoted to matrices, and the leading
    (batch) shape they broadcast to."""
    a = call.x[None, :] if call.x.ndim == 1 else call.x
    b = call.w[:, None] if call.w.ndim == 1 else call.w
    if a.shape[-1] != b.shape[-2]:
        raise Unmappable(f"operands {call.x.shape} and {call.w.shape} do not multiply")
    try:
        lead = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise Unmappable(f"operands {call.x.shape} and {call.w.shape} do not broadcast") from None
    return a, b, lead


def _matmul_layout(call: Call) -> tuple[str, tuple[int, ...], dict[str, int]]:
    """('shared' | 'grouped', leading shape, dims) of a matrix product."""
    a, b, lead = _promoted(call)
    rows, inner, cols = a.shape[-2], a.shape[-1], b.shape[-1]
    b_lead = (1,) * (len(lead) - (b.ndim - 2)) + b.shape[:-2]
    if math.prod(b_lead) == 1:  # one right operand for every row of every batch entry
        return "shared", lead, dict(C=inner, M=cols, P=math.prod(lead) * rows)
    if tuple(b_lead) != tuple(lead):
        raise Unmappable(f"right operand {call.w.shape} is broadcast over part of the "
                         f"batch dims {tuple(lead)}")
    if call.form.weights_constant:
        return "grouped", lead, dict(G=math.prod(lead), C=inner, M=cols, P=rows)
    # activation x activation: batch = all but the last leading dim, heads = the last
    return "grouped", lead, dict(N=math.prod(lead[:-1]), G=lead[-1], C=inner, M=cols, P=rows)


def _matmul_layer(call: Call, source: str) -> Mapped:
    _, _, dims = _matmul_layout(call)
    constant = call.form.weights_constant
    layer = Layer(call.name, dims, kind="linear" if constant else "matmul",
                  weights_are_activations=not constant, source=source)
    expected = math.prod(dims.values())
    if call.y.size != expected // dims["C"]:
        raise Unmappable(f"output {call.y.shape} does not match operands "
                         f"{call.x.shape} @ {call.w.shape}")
    return Mapped(layer)


def _matmul_operands(call: Call, layer: Layer) -> dict[str, np.ndarray]:
    d = layer.dims
    layout, lead, _ = _matmul_layout(call)
    a, b, _ = _promoted(call)
    n, g, k, m = d["N"], d["G"], d["C"], d["M"]
    a = np.broadcast_to(a, (*lead, *a.shape[-2:]))
    x = a.reshape(n, g, -1, k).swapaxes(-1, -2)[..., None]       # [N, G, C, P, 1]
    y = call.y.reshape(n, g, -1, m).swapaxes(-1, -2)[..., None]  # [N, G, M, P, 1]
    if layout == "shared":
        w = b.reshape(k, m).T[None, :, :, None, None]            # [1, M, C, 1, 1]
        if layer.weights_are_activations:
            w = w[None]
    elif layer.weights_are_activations:
        w = b.reshape(n, g, k, m).swapaxes(-1, -2)[..., None, None]
    else:
        w = b.reshape(g, k, m).swapaxes(-1, -2)[..., None, None]
    return {"Inputs": x, "Weights": w, "Outputs": y}


def operand_axes(layer: Layer) -> dict[str, tuple[str, ...]]:
    """The axis names of each einsum operand array of ``layer``."""
    weights = ACTIVATION_WEIGHT_AXES if layer.weights_are_activations else WEIGHT_AXES
    return {"Inputs": INPUT_AXES, "Weights": weights, "Outputs": OUTPUT_AXES}


def transposed_product(a: np.ndarray, b: np.ndarray,
                       y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``a @ b = y`` as ``b^T @ a^T = y^T`` (1-D operands promoted first), for
    a product whose constant operand is on the left."""
    if b.ndim == 1:
        b, y = b[:, None], y[..., None]
    if a.ndim == 1:
        a, y = a[None, :], y[..., None, :]
    return b.swapaxes(-1, -2), a.swapaxes(-1, -2), y.swapaxes(-1, -2)
