"""Self-consistency of the statistical energy model: its averaging over the
operand distributions against a value-level resampling of the same
distributions with the same component models. This is not accuracy against
an independent simulator or silicon (that is :mod:`cimdse.validation`): both
sides share every component model and distribution, so the check bounds only
the error of the statistical averaging itself.

Per layer (paper Sec. IV-B / Fig. 6 methodology): the layer is mapped once
(:func:`cimdse.mapping.evaluate` with the statistical tables) and its exact
action counts are priced three ways, so mapping differences never enter the
comparison:

* **statistical**: counts x the layer's statistics-based ActionTable
  (:class:`~cimdse.mapping.actions.TableCache`);
* **value-level** (the reference): counts x per-action energies averaged
  over the actions of a sampled tile of actual operand values
  (:mod:`.simulate`); operands are drawn from the layer's distributions
  with a seeded generator (:func:`.operands.synthesize`); the tile has as
  many rows as the mapping fills on one bitline (compute instances / ADC
  instances), the rows the statistical pricing also uses
  (:meth:`~cimdse.mapping.actions.TableCache.for_mapping`);
* **fixed**: counts x one ActionTable for the whole network, built from
  value statistics averaged over *all* layers of the network
  (:func:`network_stats`: each layer weighted equally) and the unclamped
  ``rows`` -- a fixed-energy-per-action model (paper Fig. 6).

Every energy includes the same leakage (pJ per cycle x cycles x instances).
Errors are ``|E - E_value_level| / E_value_level`` (fractions).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from cimdse.encoding import EncodedHistogram
from cimdse.errors import CimdseError
from cimdse.mapping import SearchSettings, build_action_table
from cimdse.mapping import evaluate as map_network
from cimdse.pricing import TableCache, component_rows
from cimdse.statistics import EncodingConvention, LayerStats, layer_stats, stats_of_encoded
from cimdse.mapping.evaluate_layer import LayerResult, settings_from_design
from cimdse.spec import Design

from .operands import OperandSample, synthesize
from .simulate import value_level_energies

log = logging.getLogger(__name__)

#: Default tile: 256 input vectors x 64 weight columns x the ADC's rows
#: (ours: ~1e5-1e6 conversions per layer; the sampling noise of the mean
#: per-action energy is then well below 1 %).
DEFAULT_VECTORS = 256
DEFAULT_COLS = 64
#: Limits of :func:`exact_bits`: operand width (codes are int64) and padded
#: bits spelt out per entry (2**N codes each).
MAX_EXACT_BITS = 62
MAX_PADDED_BITS = 12


class AccuracyError(CimdseError, ValueError):
    """An accuracy comparison that cannot be set up as asked."""


@dataclass
class LayerAccuracy:
    name: str
    statistical_pj: float
    value_level_pj: float
    fixed_pj: float
    views: dict[str, str] = field(default_factory=dict)
    rows: int = 0          # rows per bitline the layer can fill (row capacity)
    mapped_rows: int = 0   # rows per bitline the mapping fills (priced; the reference's tile)

    @property
    def error(self) -> float:
        return abs(self.statistical_pj - self.value_level_pj) / self.value_level_pj

    @property
    def fixed_error(self) -> float:
        return abs(self.fixed_pj - self.value_level_pj) / self.value_level_pj

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "statistical_pj": self.statistical_pj,
                "value_level_pj": self.value_level_pj, "fixed_pj": self.fixed_pj,
                "error": self.error, "fixed_error": self.fixed_error,
                "rows": self.rows, "mapped_rows": self.mapped_rows}


@dataclass
class AccuracyReport:
    design: str
    workload: str
    layers: list[LayerAccuracy]
    views: dict[str, str]
    seconds: float = 0.0

    @property
    def avg_error(self) -> float:
        return float(np.mean([lr.error for lr in self.layers]))

    @property
    def max_error(self) -> float:
        return float(max(lr.error for lr in self.layers))

    @property
    def fixed_avg_error(self) -> float:
        return float(np.mean([lr.fixed_error for lr in self.layers]))

    @property
    def fixed_max_error(self) -> float:
        return float(max(lr.fixed_error for lr in self.layers))

    def to_dict(self) -> dict[str, Any]:
        return {"design": self.design, "workload": self.workload,
                "layers": [lr.to_dict() for lr in self.layers],
                "avg_error": self.avg_error, "max_error": self.max_error,
                "fixed_avg_error": self.fixed_avg_error,
                "fixed_max_error": self.fixed_max_error, "views": dict(self.views),
                "seconds": self.seconds}

    def summary(self) -> str:
        lines = [f"{self.design} on {self.workload}, {len(self.layers)} layers: "
                 f"self-consistency check of the statistical averaging against a value-level "
                 f"resampling of the same operand distributions (not accuracy against an "
                 f"independent simulator; see `cimdse validate` for published silicon)",
                 f"{'layer':<28}{'statistical pJ':>16}{'value-level pJ':>16}{'fixed pJ':>14}"
                 f"{'error':>9}{'fixed err':>11}"]
        for lr in self.layers:
            lines.append(f"{lr.name:<28}{lr.statistical_pj:>16.5g}{lr.value_level_pj:>16.5g}"
                         f"{lr.fixed_pj:>14.5g}{lr.error:>9.2%}{lr.fixed_error:>11.2%}")
        lines.append(f"statistical: average {self.avg_error:.2%}, max {self.max_error:.2%}; "
                     f"fixed-energy baseline: average {self.fixed_avg_error:.2%}, "
                     f"max {self.fixed_max_error:.2%}")
        return "\n".join(lines)


def network_stats(convention: EncodingConvention, layers, reduction: int) -> LayerStats:
    """Value statistics averaged over ``layers`` (equal weight per layer):
    per tensor, the mixture of the layers' *encoded* operands (each layer
    encoded with its own signedness, as the hardware would see it), then
    sliced -- the statistics of a fixed-energy-per-action model."""
    encoded = {t: [] for t in ("Inputs", "Weights", "Outputs")}
    for lyr in layers:
        one = layer_stats(convention, lyr, reduction=reduction)
        for t in encoded:
            encoded[t].append(one.encoded[t])
    bits = {"Inputs": convention.inputs.bits, "Weights": convention.weights.bits,
            "Outputs": convention.outputs.bits}
    mixed = {t: exact_mixture(encs, bits[t]) for t, encs in encoded.items()}
    return stats_of_encoded(convention, mixed, reduction, ("network", id(mixed)))


def exact_mixture(encoded: list[EncodedHistogram], bits: int) -> EncodedHistogram:
    """Equal-weight mixture of encoded histograms on ``bits`` bits, each made
    exact first (:func:`exact_bits`), equal codes merged."""
    parts = [exact_bits(e, bits) for e in encoded]
    codes = np.concatenate([_pack(p.bits) for p in parts])
    probs = np.concatenate([p.probabilities / len(parts) for p in parts])
    return _from_codes(codes, probs, bits, encoded[0].encoding, any(e.signed for e in encoded))


def exact_bits(enc: EncodedHistogram, bits: int) -> EncodedHistogram:
    """``enc`` on exactly ``bits`` bits, every entry a 0/1 code, with the same
    statistics. CiMLoop's rule (``VALUE_RESAMPLE: cimloop``) pads an entry
    narrower than ``bits`` with LSBs that are 1 with the entry's mean bit
    value; each padded entry becomes one exact entry per padding pattern,
    weighted by that pattern's probability (independent bits), and equal codes
    are merged. A wider entry is truncated to its ``bits`` MSBs."""
    pad = max(bits - enc.width, 0)
    if bits > MAX_EXACT_BITS or pad > MAX_PADDED_BITS:
        raise AccuracyError(f"the fixed-energy baseline cannot spell out a {enc.width}-bit "
                            f"encoding on {bits} bits (at most {MAX_EXACT_BITS} bits and "
                            f"{MAX_PADDED_BITS} padded); use --set VALUE_RESAMPLE=value")
    kept = enc.bits[:, :bits]
    mean = kept.mean(axis=1) if enc.width else np.zeros(len(kept))
    pattern = np.arange(2 ** pad, dtype=np.int64)                          # padded LSBs
    ones = ((pattern[:, None] >> np.arange(pad)) & 1).sum(axis=1)
    weight = mean[:, None] ** ones * (1.0 - mean[:, None]) ** (pad - ones)    # (entries, P)
    codes = (_pack(kept)[:, None] << pad) | pattern
    probs = enc.probabilities[:, None] * weight
    return _from_codes(codes.ravel(), probs.ravel(), bits, enc.encoding, enc.signed)


def _pack(bits: np.ndarray) -> np.ndarray:
    """(entries, width) 0/1 bits, MSB first -> (entries,) integer codes."""
    place = np.int64(1) << np.arange(bits.shape[1] - 1, -1, -1, dtype=np.int64)
    return bits.astype(np.int64) @ place


def _from_codes(codes: np.ndarray, probs: np.ndarray, bits: int, encoding: str,
                signed: bool) -> EncodedHistogram:
    """The histogram of integer ``codes`` (equal codes merged) as bit vectors."""
    keep = probs > 0
    unique, where = np.unique(codes[keep], return_inverse=True)
    merged = np.bincount(where.ravel(), weights=probs[keep], minlength=len(unique))
    rows = (unique[:, None] >> np.arange(bits - 1, -1, -1)) & 1
    return EncodedHistogram(rows.astype(np.uint8), merged, encoding, signed)


def _priced(counts: LayerResult, pj) -> float:
    total = 0.0
    for comp, acts in counts.actions.items():
        for action, n in acts.items():
            total += n * pj(comp, action)
    for comp, n in counts.leak_counts.items():
        total += n * pj(comp, "leak")
    return total


def accuracy(design: Design, workload: Any, *, layers: list[int] | None = None,
             vectors: int = DEFAULT_VECTORS, cols: int = DEFAULT_COLS, seed: int = 0,
             settings: SearchSettings | None = None,
             operands: Mapping[str, OperandSample] | None = None) -> AccuracyReport:
    """Per-layer statistical, value-level and fixed-energy energies of
    ``workload`` on ``design`` (see the module docstring). ``layers``
    restricts the comparison to some layer indices (the fixed baseline still
    averages every layer of the network). ``operands`` maps layer names to
    real operand tiles (:func:`.operands.from_arrays`) used instead of
    sampled ones; their rows should match the rows the mapping fills."""
    from cimdse.evaluate import workload_for
    from cimdse.workload import load_workload

    t0 = time.perf_counter()
    _check_tile(vectors, cols)
    settings = settings or settings_from_design(design)
    net = load_workload(workload_for(design, workload))
    chosen = list(net.layers) if layers is None else _chosen_layers(net, layers)
    cache = TableCache(design)
    convention = cache.convention
    counted = map_network(design, chosen, settings=settings, tables=cache)

    fixed_stats = network_stats(convention, net.layers, _max_rows(design))
    fixed = build_action_table(design, fixed_stats)

    row_nodes = [n.name for n in design.components if component_rows(n) is not None]
    references: dict[tuple, tuple[dict, dict]] = {}
    out, views = [], {}
    for i, (lyr, counts) in enumerate(zip(chosen, counted.layers)):
        stats = cache.stats(lyr)
        table = cache.for_mapping(lyr, counts.instances)
        if row_nodes:   # the rows the mapping fills on one bitline
            tile_rows = cache.filled_rows(counts.instances) or 1
        else:
            tile_rows = int(design.variables.get("ROWS", 128) or 128)
        if operands and counts.name in operands:      # real operand tile
            ref, views = value_level_energies(design, stats, operands[counts.name])
        else:                                          # sampled tile, shared by equal layers
            key = (stats.key, tile_rows)
            if key not in references:
                sample = synthesize(stats, convention, tile_rows, vectors, cols, seed + i)
                references[key] = value_level_energies(design, stats, sample)
            ref, views = references[key]
        result = LayerAccuracy(
            counts.name, _priced(counts, table.pj),
            _priced(counts, lambda c, a: ref.get((c, a), 0.0)),
            _priced(counts, fixed.pj), views, stats.reduction if row_nodes else 0,
            tile_rows if row_nodes else 0)
        log.info("layer %s: error %.3f, fixed %.3f", result.name, result.error,
                 result.fixed_error)
        out.append(result)
    return AccuracyReport(design.name, net.name, out, views, time.perf_counter() - t0)


def _check_tile(vectors: int, cols: int) -> None:
    for name, value in (("vectors", vectors), ("cols", cols)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise AccuracyError(f"--{name} must be a positive integer, got {value!r}")


def _chosen_layers(net, layers: list[int]) -> list:
    n = len(net.layers)
    bad = [i for i in layers if not -n <= i < n]
    if bad:
        raise AccuracyError(f"--layer {bad[0]} out of range: {net.name} has {n} layers "
                            f"(0..{n - 1})")
    return [net.layers[i] for i in layers]


def _max_rows(design: Design) -> int:
    rows = [component_rows(n) for n in design.components]
    rows = [r for r in rows if r is not None]
    return max(rows) if rows else 1




__all__ = ["AccuracyError", "AccuracyReport", "LayerAccuracy", "accuracy", "exact_bits",
           "exact_mixture", "network_stats", "DEFAULT_VECTORS", "DEFAULT_COLS"]
