"""A network: an ordered tuple of layers, with totals and shape grouping."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator

from .errors import WorkloadError, suggest
from .problem import Layer


@dataclass(frozen=True)
class Network:
    """An ordered sequence of layers (each repeat of a layer listed explicitly)."""

    name: str
    layers: tuple[Layer, ...]
    source: str = ""

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise WorkloadError(f"network {self.name!r}: item {i} is a "
                                    f"{type(layer).__name__}, not a Layer")
        object.__setattr__(self, "layers", layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    @property
    def macs(self) -> int:
        """Total multiply-accumulates over all layers."""
        return sum(layer.macs for layer in self.layers)

    def layer(self, name: str) -> Layer:
        """The first layer called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = [layer.name for layer in self.layers]
        raise WorkloadError(f"network {self.name!r} has no layer {name!r}"
                            f"{suggest(name, names)}")

    def unique_shapes(self) -> dict[tuple, list[int]]:
        """``shape_key -> indices of the layers with that shape``, in first-seen
        order, so each distinct shape can be mapped once."""
        groups: dict[tuple, list[int]] = {}
        for index, layer in enumerate(self.layers):
            groups.setdefault(layer.shape_key(), []).append(index)
        return groups

    def without_activation_matmuls(self) -> "Network":
        """A copy without activation x activation matmuls (attention QK^T, AV);
        most CiMLoop experiments skip these ("From einsum") layers."""
        kept = tuple(layer for layer in self.layers if not layer.weights_are_activations)
        return replace(self, layers=kept)
