"""Profiling, whatever the front door: run the model sample by sample, map
every captured call to a layer, quantise its tensors and count their codes.

A front door is a :class:`Capture`: it says how many inferences (runs) its
samples make and returns, for one run, the calls it captured in order (see
:mod:`.probe`) and any MAC-carrying op it saw but cannot hand over. The
first run fixes the layers; every later run must make the same calls with
the same shapes.

Two passes over the runs: the first finds each tensor's largest magnitude
(its scale, :mod:`.quantize`), the second counts its codes and keeps the
bounded samples (:mod:`.keep`). Runs whose captured tensors fit
:data:`CACHE_BYTES` are kept between the passes instead of run again, so a
small model runs once and a large one needs memory for one run only.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Protocol, Sequence

import numpy as np

from ..workload import TENSORS
from .errors import ProfileError
from .keep import KeepPlan, plan
from .probe import Call, Mapped, Unmappable, einsum_operands, layer_of
from .quantize import check_bits, codes, counts, histogram, scale_of
from .result import LayerProfile, Profile, Unmapped

_log = logging.getLogger(__name__)

#: Captured tensors of the runs held between the two passes, at most.
CACHE_BYTES = 256 << 20
_SHOWN_UNMAPPED = 6


class Capture(Protocol):
    """A model with its samples, ready to run one inference at a time."""

    name: str       # the model's name (the network's)
    source: str     # where it came from (each layer's source)
    place: str      # what a call's name names: "node" or "module"
    runs: int       # inferences the samples make
    samples: int    # samples in all (runs x the model's own batch)

    def static_unmapped(self) -> Sequence[Unmapped]:
        """MAC-carrying ops found without running the model."""

    def run(self, index: int) -> tuple[list[Call], list[Unmapped]]:
        """The calls of inference ``index`` and the ops it could not hand over."""


def _unique(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name}_{count}")
    return out


def _unmapped_message(capture: Capture, unmapped: Sequence[Unmapped]) -> str:
    shown = "; ".join(str(u) for u in unmapped[:_SHOWN_UNMAPPED])
    more = len(unmapped) - _SHOWN_UNMAPPED
    return (f"{capture.name}: {len(unmapped)} op{'s' if len(unmapped) > 1 else ''} "
            f"carr{'y' if len(unmapped) > 1 else 'ies'} MACs cimdse cannot map: {shown}"
            f"{f' and {more} more' if more > 0 else ''}; nothing was profiled "
            f"(skip_unsupported / --skip-unsupported profiles the other layers)")


class _Runs:
    """The runs of a capture, checked against the first and cached within budget."""

    def __init__(self, capture: Capture):
        self._capture = capture
        self._cache: dict[int, list[Call]] = {}
        self._cached_bytes = 0
        self.first, self.dynamic_unmapped = capture.run(0)
        self._keys = [call.key() for call in self.first]
        self._store(0, self.first)

    def _store(self, index: int, calls: list[Call]) -> None:
        size = sum(a.nbytes for c in calls for a in (c.x, c.w, c.y))
        if self._cached_bytes + size <= CACHE_BYTES:
            self._cache[index] = calls
            self._cached_bytes += size

    def get(self, index: int) -> list[Call]:
        if index in self._cache:
            return self._cache[index]
        calls, _ = self._capture.run(index)
        keys = [call.key() for call in calls]
        if keys != self._keys:
            raise ProfileError(f"{self._capture.name}: sample {index} makes other calls or "
                               f"shapes than sample 0 ({_first_difference(self._keys, keys)}); "
                               f"profile samples of one shape")
        self._store(index, calls)
        return calls


def _first_difference(a: list[tuple], b: list[tuple]) -> str:
    for old, new in zip(a, b):
        if old != new:
            return f"'{old[0]}' {old[3]} then '{new[0]}' {new[3]}"
    return f"{len(a)} calls then {len(b)}"


def _check_finite(call: Call, arrays: dict[str, np.ndarray], place: str) -> None:
    for tensor, array in arrays.items():
        if not np.all(np.isfinite(array)):
            raise ProfileError(f"{call.op} {place} '{call.name}': its {tensor} hold NaN or "
                               f"infinite values")


def _raw(call: Call) -> dict[str, np.ndarray]:
    return {"Inputs": call.x, "Weights": call.w, "Outputs": call.y}


def _cut(tensor: str, array: np.ndarray, columns: int, per_sample_weights: bool) -> np.ndarray:
    if tensor == "Inputs":
        return array
    axis = 2 if tensor == "Outputs" or per_sample_weights else 1
    return array[(slice(None),) * axis + (slice(0, columns),)]


def profile(capture: Capture, bits: int = 8, keep_bytes: int = 0,
            skip_unsupported: bool = False) -> Profile:
    """Profile ``capture`` (see the module docstring)."""
    bits = check_bits(bits)
    unmapped = list(capture.static_unmapped())
    if unmapped and not skip_unsupported:  # before running anything
        raise ProfileError(_unmapped_message(capture, unmapped))
    runs = _Runs(capture)
    unmapped += runs.dynamic_unmapped
    names = _unique([call.name for call in runs.first])
    mapped: list[tuple[int, Mapped]] = []
    for index, (call, name) in enumerate(zip(runs.first, names)):
        try:
            found = layer_of(call, capture.source)
        except Unmappable as err:
            unmapped.append(Unmapped(call.op, call.name, str(err), capture.place))
            continue
        mapped.append((index, replace(found, layer=replace(found.layer, name=name))))
    if unmapped and not skip_unsupported:
        raise ProfileError(_unmapped_message(capture, unmapped))
    for op in unmapped:
        _log.warning("skipped %s: it carries MACs cimdse cannot map", op)
    if not mapped:
        raise ProfileError(f"{capture.name}: no convolution or matrix product cimdse can map")
    _log.info("%s: %d layers, %d inferences", capture.name, len(mapped), capture.runs)

    max_abs = {index: dict.fromkeys(TENSORS, 0.0) for index, _ in mapped}
    for run in range(capture.runs):
        calls = runs.get(run)
        for index, found in mapped:
            arrays = _raw(calls[index])
            if run and not found.weights_per_sample:
                del arrays["Weights"]
            _check_finite(calls[index], arrays, capture.place)
            for tensor, array in arrays.items():
                if array.size:
                    peak = float(np.max(np.abs(array)))
                    max_abs[index][tensor] = max(max_abs[index][tensor], peak)
    scales = {index: {t: scale_of(v, bits) for t, v in per.items()}
              for index, per in max_abs.items()}

    itemsize = 1 if bits <= 8 else 2
    code_counts = {index: {} for index, _ in mapped}
    kept: dict[int, dict[str, list[np.ndarray]]] = {index: {} for index, _ in mapped}
    plans: dict[int, KeepPlan] = {}
    for run in range(capture.runs):
        calls = runs.get(run)
        for index, found in mapped:
            operands = einsum_operands(calls[index], found)
            per_sample = found.weights_per_sample
            if run == 0:
                plans[index] = plan({t: a.shape for t, a in operands.items()},
                                    found.layer.dims["M"], per_sample, capture.runs, itemsize,
                                    keep_bytes)
            for tensor, array in operands.items():
                if tensor == "Weights" and run and not per_sample:
                    continue
                code_array = codes(array, scales[index][tensor], bits)
                seen = counts(code_array, bits)
                code_counts[index][tensor] = code_counts[index].get(tensor, 0) + seen
                keep = plans[index]
                if run < keep.runs:
                    kept[index].setdefault(tensor, []).append(
                        _cut(tensor, code_array, keep.columns, per_sample))

    layers = []
    for index, found in mapped:
        distributions = {t: histogram(code_counts[index][t]) for t in TENSORS}
        tensors = {t: np.concatenate(parts) if len(parts) > 1 else parts[0]
                   for t, parts in kept[index].items()}
        call = runs.first[index]
        layers.append(LayerProfile(found.layer.with_distributions(distributions), call.op,
                                   scales[index], found.padding, tensors,
                                   plans[index].describe() if keep_bytes else ""))
    return Profile(capture.name, capture.source, bits, capture.samples, capture.runs,
                   tuple(layers), tuple(unmapped), keep_bytes)
