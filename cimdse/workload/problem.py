"""One DNN layer as an einsum: dimension bounds, tensor projections, sizes.

Canonical dimensions (Timeloop's CNN-layer names)::

    N batch          G groups / heads       C reduction (input channels)
    M output channels / columns             R, S filter width, height
    P, Q output width, height               X input slices, Y weight slices

Tensor projections, one bracket per tensor rank. They follow CiMLoop's
``problem_base.yaml`` exactly for the sliding window: P and R run along the
axis whose coefficients are ``Wstride``/``Wdilation``; Q and S along the one
with ``Hstride``/``Hdilation``::

    Weights[G][M][C][R][S][Y]
    Inputs [N][G][C][P*Wstride + R*Wdilation][Q*Hstride + S*Hdilation][X]
    Outputs[N][G][M][P][Q]

``X`` (input slices) indexes Inputs only and ``Y`` (weight slices) Weights
only, so both are reduction dimensions; they are 1 unless encoding code sets
them with :meth:`Layer.with_slices`. ``stride`` and ``dilation`` are
``(h, w)`` pairs: ``stride[0]`` is ``Hstride`` (Q/S axis), ``stride[1]`` is
``Wstride`` (P/R axis).

How each layer type maps onto the einsum:

* convolution ``Out[n,m,q,p] = sum_{c,s,r} In[n,c,h(q,s),w(p,r)] W[m,c,s,r]``:
  N=batch, C=in channels, M=out channels, P/Q=output width/height, R/S=
  filter width/height. Grouped: G=groups, C and M per group. Depthwise
  (groups == in == out channels): G=channels, C=M=1.
* linear ``Out[n,p,m] = sum_c In[n,p,c] W[m,c]``: C=in features, M=out
  features, P=tokens, N=batch.
* activation x activation matmul ``Out[b,h,i,j] = sum_k A[b,h,i,k] B[b,h,k,j]``
  (attention QK^T and AV): N=b, G=h (heads), P=i (rows of A), C=k (inner),
  M=j (columns of B). A is "Inputs", B is "Weights" (an activation, so
  ``weights_are_activations`` is True).
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, replace
from typing import Any, Mapping

from ._frozen import FrozenMap
from .distributions import Histogram, default_distributions
from .errors import WorkloadError, suggest
from .kinds import KINDS

DIMS: tuple[str, ...] = ("N", "G", "C", "M", "R", "S", "P", "Q")
SLICE_DIMS: tuple[str, ...] = ("X", "Y")
ALL_DIMS: tuple[str, ...] = DIMS + SLICE_DIMS
TENSORS: tuple[str, ...] = ("Inputs", "Weights", "Outputs")
COEFFICIENTS: tuple[str, ...] = ("Hstride", "Wstride", "Hdilation", "Wdilation")


@dataclass(frozen=True)
class ProjectionTerm:
    """One term ``dim * coefficient`` of a tensor rank (coefficient None = 1)."""

    dim: str
    coefficient: str | None = None


def _rank(*terms: tuple[str, str | None] | str) -> tuple[ProjectionTerm, ...]:
    return tuple(ProjectionTerm(t) if isinstance(t, str) else ProjectionTerm(*t)
                 for t in terms)


_PROJECTIONS: dict[str, tuple[tuple[ProjectionTerm, ...], ...]] = {
    "Weights": (_rank("G"), _rank("M"), _rank("C"), _rank("R"), _rank("S"),
                _rank("Y")),
    "Inputs": (_rank("N"), _rank("G"), _rank("C"),
               _rank(("P", "Wstride"), ("R", "Wdilation")),
               _rank(("Q", "Hstride"), ("S", "Hdilation")),
               _rank("X")),
    "Outputs": (_rank("N"), _rank("G"), _rank("M"), _rank("P"), _rank("Q")),
}


def tensor_projection(tensor: str) -> tuple[tuple[ProjectionTerm, ...], ...]:
    """The ranks of ``tensor``, each a tuple of (dim, coefficient-name) terms.

    A rank's extent for a tile with bounds ``t`` is
    ``sum(coef * (t[dim] - 1) for each term) + 1``; see :meth:`Layer.footprint`.
    """
    _check_tensor(tensor)
    return _PROJECTIONS[tensor]


def _check_tensor(tensor: str) -> None:
    if tensor not in _PROJECTIONS:
        raise WorkloadError(f"unknown tensor {tensor!r}; expected one of "
                            f"{', '.join(TENSORS)}{suggest(tensor, TENSORS)}")


def _positive_int(value: Any, what: str) -> int:
    try:
        if isinstance(value, bool):
            raise TypeError
        value = operator.index(value)
    except TypeError:
        raise WorkloadError(f"{what} must be a positive integer, got {value!r}") from None
    if value < 1:
        raise WorkloadError(f"{what} must be a positive integer, got {value}")
    return value


def _pair(value: Any, what: str) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise WorkloadError(f"{what} must be an int or an (h, w) pair, got {value!r}")
        return (_positive_int(value[0], what), _positive_int(value[1], what))
    v = _positive_int(value, what)
    return (v, v)


def _complete_dims(dims: Mapping[str, Any], layer: str) -> FrozenMap[int]:
    if not isinstance(dims, Mapping):
        raise WorkloadError(f"layer {layer!r}: dims must be a mapping, got {type(dims).__name__}")
    for name in dims:
        if name not in ALL_DIMS:
            raise WorkloadError(f"layer {layer!r}: unknown dimension {name!r}; valid: "
                                f"{', '.join(ALL_DIMS)}{suggest(str(name), ALL_DIMS)}")
    return FrozenMap({d: _positive_int(dims.get(d, 1), f"layer {layer!r}: dimension {d}")
                      for d in ALL_DIMS})


def _frozen_distributions(dists: Mapping[str, Histogram] | None,
                          layer: str) -> FrozenMap[Histogram] | None:
    if dists is None:
        return None
    for tensor, hist in dists.items():
        if tensor not in TENSORS:
            raise WorkloadError(f"layer {layer!r}: distributions has unknown tensor "
                                f"{tensor!r}{suggest(str(tensor), TENSORS)}")
        if not isinstance(hist, Histogram):
            raise WorkloadError(f"layer {layer!r}: distribution of {tensor} must be a "
                                f"Histogram, got {type(hist).__name__}")
    return FrozenMap({t: dists[t] for t in TENSORS if t in dists})


@dataclass(frozen=True)
class Layer:
    """A layer as an einsum over the canonical dims (see module docstring).

    ``dims`` always holds all of :data:`ALL_DIMS` after construction (missing
    ones default to 1). ``distributions`` maps tensor name -> Histogram
    (or is None when unknown). ``source`` says where the layer came from.
    """

    name: str
    dims: Mapping[str, int]
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    kind: str = "conv"
    weights_are_activations: bool = False
    distributions: Mapping[str, Histogram] | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise WorkloadError(f"layer name must be a non-empty string, got {self.name!r}")
        set_ = object.__setattr__
        set_(self, "dims", _complete_dims(self.dims, self.name))
        set_(self, "stride", _pair(self.stride, f"layer {self.name!r}: stride"))
        set_(self, "dilation", _pair(self.dilation, f"layer {self.name!r}: dilation"))
        if self.kind not in KINDS:
            raise WorkloadError(f"layer {self.name!r}: unknown kind {self.kind!r}; valid: "
                                f"{', '.join(KINDS)}{suggest(str(self.kind), KINDS)}")
        set_(self, "weights_are_activations", bool(self.weights_are_activations))
        set_(self, "distributions", _frozen_distributions(self.distributions, self.name))

    # -- sizes -------------------------------------------------------------
    @property
    def macs(self) -> int:
        """Multiply-accumulates: N*G*C*M*R*S*P*Q (slices X, Y excluded)."""
        return math.prod(self.dims[d] for d in DIMS)

    @property
    def coefficients(self) -> dict[str, int]:
        """Projection coefficients by name (``Hstride``, ``Wstride``, ...)."""
        return {"Hstride": self.stride[0], "Wstride": self.stride[1],
                "Hdilation": self.dilation[0], "Wdilation": self.dilation[1]}

    def relevant_dims(self, tensor: str) -> frozenset[str]:
        """Dims that index ``tensor`` (the others are reuse dims for it)."""
        return frozenset(t.dim for rank in tensor_projection(tensor) for t in rank)

    def footprint(self, tensor: str, tile: Mapping[str, int] | None = None) -> int:
        """Elements of ``tensor`` touched by a tile (dims missing from ``tile`` = 1).

        Without ``tile`` the full layer is used, slices included.
        """
        bounds = self.dims if tile is None else tile
        coefs = self.coefficients
        extent = 1
        for rank in tensor_projection(tensor):
            extent *= 1 + sum((coefs[t.coefficient] if t.coefficient else 1)
                              * (bounds.get(t.dim, 1) - 1) for t in rank)
        return extent

    def tensor_size(self, tensor: str, include_slices: bool = False) -> int:
        """Size of ``tensor`` in elements; inputs include the sliding-window halo,
        e.g. width ``(P-1)*Wstride + (R-1)*Wdilation + 1``. Slices (X, Y) count
        only with ``include_slices``."""
        bounds = dict(self.dims)
        if not include_slices:
            bounds.update(X=1, Y=1)
        return self.footprint(tensor, bounds)

    # -- identity and variants ---------------------------------------------
    def shape_key(self) -> tuple:
        """Hashable key of everything that affects mapping (not distributions)."""
        return (self.kind, tuple(self.dims[d] for d in ALL_DIMS), self.stride,
                self.dilation, self.weights_are_activations)

    def with_slices(self, x: int = 1, y: int = 1) -> "Layer":
        """A copy with X input slices and Y weight slices."""
        return self.with_dims(X=x, Y=y)

    def with_dims(self, **updates: int) -> "Layer":
        """A copy with some dimension bounds replaced."""
        return replace(self, dims={**self.dims, **updates})

    def resolved_distributions(self, position: str = "relu") -> dict[str, Histogram]:
        """This layer's distributions, with :func:`default_distributions` for
        ``position`` filling in any tensor that has none."""
        resolved = default_distributions(self.kind, position)
        resolved.update(self.distributions or {})
        return resolved

    def with_distributions(self, distributions: Mapping[str, Histogram] | None) -> "Layer":
        """A copy carrying other per-tensor value distributions."""
        return replace(self, distributions=distributions)


# -- constructors ------------------------------------------------------------

def conv2d(name: str, C: int, M: int, P: int, Q: int, R: int, S: int,
           stride: int | tuple[int, int] = 1, dilation: int | tuple[int, int] = 1,
           groups: int = 1, N: int = 1, distributions: Mapping[str, Histogram] | None = None,
           source: str = "") -> Layer:
    """A 2-D convolution. ``C``/``M`` are the *total* input/output channels,
    ``P``/``Q`` output width/height, ``R``/``S`` filter width/height.

    ``groups > 1`` sets G=groups with C and M per group; when each group has
    one input channel (``groups == C``) the kind is ``"depthwise"``.
    """
    groups = _positive_int(groups, f"layer {name!r}: groups")
    for what, channels in (("C", C), ("M", M)):
        if _positive_int(channels, f"layer {name!r}: {what}") % groups:
            raise WorkloadError(f"layer {name!r}: {what}={channels} is not divisible "
                                f"by groups={groups}")
    kind = "depthwise" if groups > 1 and C == groups else "conv"
    dims = dict(N=N, G=groups, C=C // groups, M=M // groups, P=P, Q=Q, R=R, S=S)
    return Layer(name, dims, stride=stride, dilation=dilation, kind=kind,
                 distributions=distributions, source=source)


def linear(name: str, in_features: int, out_features: int, tokens: int = 1, N: int = 1,
           distributions: Mapping[str, Histogram] | None = None, source: str = "") -> Layer:
    """A fully connected layer applied to ``tokens`` positions (P) per sample."""
    dims = dict(N=N, C=in_features, M=out_features, P=tokens)
    return Layer(name, dims, kind="linear", distributions=distributions, source=source)


def matmul(name: str, M: int, K: int, N_cols: int, heads: int = 1, batch: int = 1,
           distributions: Mapping[str, Histogram] | None = None, source: str = "") -> Layer:
    """An activation x activation product ``(M x K) @ (K x N_cols)`` per head.

    Canonical dims: P=M (rows), C=K (inner), M=N_cols, G=heads x batch, N=1.
    The right operand is the "Weights" tensor but is an activation, one per
    sample (the keys and values of each sequence), so the batch is folded
    into the groups: the einsum's Weights are not indexed by N, and with
    N=batch every sample would share one right operand.
    """
    dims = dict(N=1, G=heads * batch, P=M, C=K, M=N_cols)
    return Layer(name, dims, kind="matmul", weights_are_activations=True,
                 distributions=distributions, source=source)
