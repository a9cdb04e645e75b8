"""What the error model reads of a design: its analog datapath.

A :class:`Datapath` is taken from the resolved components of a
:class:`~cimdse.spec.Design` by what their models are, never by their names:

* **the ADC**: the first (outermost) component whose model converts column
  sums (``consumes = "column_sum"``, e.g. ``sar_adc`` or a plug-in) or is a
  built-in survey ADC (``adc``). Its ``resolution`` is the converter's
  bits; the rows it converts are its ``rows`` attribute when it has one
  (> 0), else the product of the fanouts below it that reduce Outputs
  (``spatial_reuse: [Outputs]``: the rows, folded columns or wavelengths a
  bitline sums); its full scale is ``full_scale_fraction`` x those rows x
  the largest input-slice x weight-slice product. A design without an ADC
  sums its products digitally and exactly: its datapath adds no error.
* **the DACs**: components whose model converts input slice codes
  (``consumes = "input_sequence"``) with a ``resolution``; the narrowest one
  rounds input slices wider than it.
* **the device**: the last component whose model multiplies an input by a
  stored weight (``consumes = "pair"``, the memory cell), with its
  ``programming_sigma`` (relative sigma of a programmed conductance,
  frozen per cell) and ``read_noise_sigma`` (relative sigma of one read);
  0 when the cell's model does not declare them.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from cimdse.components import get_model
from cimdse.components.converters import ADC
from cimdse.components.registry import UnknownComponentClass
from cimdse.pricing import component_model
from cimdse.spec.model import Design, Node

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Converter:
    """The ADC: ``bits`` (None: a column-sum model without a resolution,
    taken as ideal), the ``rows`` its line sums as designed, and its full
    scale as a fraction of the largest sum of those rows."""

    name: str
    bits: int | None
    rows: int
    full_scale_fraction: float = 1.0

    def top(self, input_full_scale: int, weight_full_scale: int) -> float:
        """Full scale in column-sum LSBs (the SAR model's ``top``)."""
        return self.rows * input_full_scale * weight_full_scale * self.full_scale_fraction


@dataclass(frozen=True)
class Device:
    """Variation of the cell multiplying input by weight: relative sigmas of
    the programmed conductance (frozen per cell) and of one read."""

    name: str = ""
    programming_sigma: float = 0.0
    read_noise_sigma: float = 0.0

    @property
    def noisy(self) -> bool:
        return self.programming_sigma > 0 or self.read_noise_sigma > 0


@dataclass(frozen=True)
class Datapath:
    """The analog datapath of a design (see the module docstring)."""

    adc: Converter | None
    dac_bits: int | None = None
    device: Device = Device()
    notes: tuple[str, ...] = ()

    @property
    def analog(self) -> bool:
        return self.adc is not None


def datapath_of(design: Design) -> Datapath:
    """The :class:`Datapath` of ``design``."""
    nodes = list(design.nodes)
    components = [n for n in nodes if n.is_component]
    adcs = [n for n in components if _is_adc(n)]
    notes: list[str] = []
    if not adcs:
        return Datapath(None, None, _device(components), ())
    node = adcs[0]
    if len(adcs) > 1:
        log.debug("design %s has several ADCs (%s); the error model converts with '%s'",
                  design.name, ", ".join(n.name for n in adcs), node.name)
    attrs = component_model(node).attrs
    bits = attrs.get("resolution")
    if bits is None:
        notes.append(f"ADC '{node.name}' declares no resolution: its conversions are taken "
                     "as exact in sqnr_db")
    rows = int(attrs.get("rows") or 0) or _rows_below(nodes, node)
    fraction = float(attrs.get("full_scale_fraction") or 1.0)
    adc = Converter(node.name, None if bits is None else max(1, int(round(bits))), rows,
                    fraction)
    return Datapath(adc, _dac_bits(components), _device(components), tuple(notes))


def _model(node: Node):
    try:
        return get_model(node.cls)
    except UnknownComponentClass:
        return None


def _is_adc(node: Node) -> bool:
    model = _model(node)
    return model is not None and (model.consumes == "column_sum" or issubclass(model, ADC))


def _rows_below(nodes: list[Node], adc: Node) -> int:
    """Product of the Outputs-reducing fanouts after ``adc`` in the chain."""
    below = nodes[nodes.index(adc) + 1:]
    return math.prod(n.fanout for n in below if n.fanout > 1 and "Outputs" in n.spatial_reuse)


def _dac_bits(components: list[Node]) -> int | None:
    bits = []
    for node in components:
        model = _model(node)
        if model is not None and model.consumes == "input_sequence":
            resolution = component_model(node).attrs.get("resolution")
            if resolution is not None:
                bits.append(max(1, int(round(resolution))))
    return min(bits) if bits else None


def _device(components: list[Node]) -> Device:
    for node in reversed(components):
        model = _model(node)
        if model is not None and model.consumes == "pair":
            attrs = component_model(node).attrs
            return Device(node.name, float(attrs.get("programming_sigma") or 0.0),
                          float(attrs.get("read_noise_sigma") or 0.0))
    return Device()


__all__ = ["Converter", "Datapath", "Device", "datapath_of"]
