"""What profiling a model produces: its layers with their real operand
histograms, each tensor's quantisation scale, the kept tensor samples, and
the ops that were skipped (by request, never silently).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from ..workload import Layer, Network
from .probe import operand_axes


@dataclass(frozen=True)
class Unmapped:
    """An op that carries MACs but that cimdse cannot map.

    ``place`` says what ``name`` names: an ONNX ``node`` or a PyTorch
    ``module`` (the innermost module that made the call).
    """

    op: str
    name: str
    reason: str
    place: str = "node"

    def __str__(self) -> str:
        return f"{self.op} {self.place} '{self.name}' ({self.reason})"


@dataclass(frozen=True, eq=False)
class LayerProfile:
    """One profiled layer.

    ``layer`` carries the histograms (``distributions``) at the profile's
    bit width. ``scales`` is each tensor's real value of one LSB, in the
    tensor's own unit (0 for an all-zero tensor). ``tensors`` holds the kept
    samples as integer codes, laid out as the einsum's ranks (see
    :func:`cimdse.profile.probe.operand_axes`), with ``kept`` saying how
    much of the layer they cover. ``padding`` is a convolution's zero
    padding per spatial axis as its windows reach it (``{"H": (before,
    after), "W": ...}``, see :class:`cimdse.profile.probe.Mapped`).
    """

    layer: Layer
    op: str
    scales: Mapping[str, float]
    padding: Mapping[str, tuple[int, int]] | None = None
    tensors: Mapping[str, np.ndarray] = field(default_factory=dict)
    kept: str = ""

    @property
    def name(self) -> str:
        return self.layer.name

    @property
    def axes(self) -> dict[str, tuple[str, ...]]:
        """Axis names of the kept tensor arrays."""
        return operand_axes(self.layer)


@dataclass(frozen=True, eq=False)
class Profile:
    """A profiled model: ``samples`` inputs run in ``runs`` inferences, every
    tensor quantised symmetrically per tensor to ``bits``."""

    name: str
    source: str
    bits: int
    samples: int
    runs: int
    layers: tuple[LayerProfile, ...]
    skipped: tuple[Unmapped, ...] = ()
    keep_bytes: int = 0

    @property
    def network(self) -> Network:
        """The layers as a workload (one inference; N of a layer is the
        model's own batch in one run)."""
        return Network(self.name, tuple(lp.layer for lp in self.layers), source=self.source)

    def summary(self) -> str:
        """A few lines: the network, then one line per layer."""
        network = self.network
        lines = [f"{self.name}: {len(self.layers)} layers, {network.macs:,} MACs per inference, "
                 f"profiled on {self.samples} samples at {self.bits} b"]
        width = max(len(lp.name) for lp in self.layers)
        lines.append(f"  {'#':>3}  {'layer':<{width}}  {'op':<8}{'kind':<10}{'MACs':>12}  "
                     f"dims{'':<34}zero in/w/out")
        for index, lp in enumerate(self.layers):
            dims = " ".join(f"{d}={v}" for d, v in lp.layer.dims.items()
                            if v != 1 and d not in ("X", "Y"))
            if lp.layer.stride != (1, 1):
                dims += f" stride={lp.layer.stride[0]}x{lp.layer.stride[1]}"
            zeros = "/".join(f"{lp.layer.distributions[t].zero_mass:.0%}"
                             for t in ("Inputs", "Weights", "Outputs"))
            lines.append(f"  {index:>3}  {lp.name:<{width}}  {lp.op:<8}{lp.layer.kind:<10}"
                         f"{lp.layer.macs:>12,}  {dims:<38}{zeros}")
        for op in self.skipped:
            lines.append(f"  skipped: {op}")
        return "\n".join(lines)

    def write(self, directory: str | Path, cimloop_format: bool = False) -> Path:
        """Write the workload directory (see :func:`cimdse.profile.writer.write_profile`)."""
        from .writer import write_profile
        return write_profile(self, directory, cimloop_format=cimloop_format)
