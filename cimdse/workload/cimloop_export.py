"""Write layers as CiMLoop/Timeloop layer files (one layer per file), the
format :mod:`.cimloop_import` reads, so a written directory is a workload
``load_workload`` and ``--workload`` accept.

What a file holds, and how it reads back:

* ``problem.instance``: the dims that differ from 1 among C, M, R, S, P, Q
  and G (N only when it is not 1, so a batch-1 layer takes the loader's
  ``batch``); strides spelled ``HStride``/``WStride`` as in CiMLoop's
  files, dilations ``Hdilation``/``Wdilation``. Slice dims (X, Y) are set by
  encoding code, not by a workload, and are not written.
* ``problem.name``: the module type, chosen so the loader finds the layer's
  kind again: ``Conv2d`` (conv and depthwise: depthwise is G > 1 with one
  input channel per group), ``Linear``, or ``MatMul`` with notes
  ``From einsum`` (an activation x activation product).
* ``problem.histograms``: every tensor's probabilities at full float
  precision, so the loaded histograms equal the written ones.

With ``cimloop_header`` the file starts as CiMLoop's own files do (a Jinja
line including ``../problem_base.yaml`` and a ``<<<: *problem_base``
merge), ready for a CiMLoop workload folder; cimdse drops both on reading.
Without it the file is plain YAML.

A layer is named ``<file stem>.<module type>`` when read back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

import yaml

from .errors import WorkloadError
from .network import Network
from .problem import TENSORS, Layer

CIMLOOP_HEADER = "{{include_text('../problem_base.yaml')}}"
_HISTOGRAM_NOTE = (
    "# Histograms are symmetric and zero-centred (the centre bin is the probability\n"
    "# of zero), normalised to sum to 1, with 2^N-1 bins for N-bit operands.\n")
_DIM_ORDER = ("C", "M", "R", "S", "P", "Q", "G")


def _module(layer: Layer) -> tuple[str, str]:
    """(module type, notes) that the loader reads back as ``layer.kind``."""
    depthwise_shape = layer.dims["G"] > 1 and layer.dims["C"] == 1
    if layer.kind == "matmul":
        return "MatMul", "From einsum"
    if layer.weights_are_activations:
        raise WorkloadError(f"layer {layer.name!r}: a {layer.kind} layer whose weights are "
                            f"activations has no CiMLoop form (only matmul layers do)")
    if layer.kind == "linear":
        return "Linear", "Linear"
    if (layer.kind == "depthwise") != depthwise_shape:
        raise WorkloadError(f"layer {layer.name!r}: kind {layer.kind!r} with G={layer.dims['G']}"
                            f", C={layer.dims['C']} would read back as "
                            f"{'depthwise' if depthwise_shape else 'conv'}")
    return "Conv2d", "Conv2d"


def _instance(layer: Layer) -> dict[str, int]:
    dims = layer.dims
    instance = {d: int(dims[d]) for d in _DIM_ORDER if dims[d] != 1}
    if dims["N"] != 1:
        instance["N"] = int(dims["N"])
    for key, value in (("HStride", layer.stride[0]), ("WStride", layer.stride[1]),
                       ("Hdilation", layer.dilation[0]), ("Wdilation", layer.dilation[1])):
        if value != 1:
            instance[key] = int(value)
    return instance


def _flow(mapping: dict) -> str:
    return yaml.safe_dump(mapping, default_flow_style=True, sort_keys=False,
                          width=float("inf")).strip()


def layer_text(layer: Layer, dnn_name: str = "", cimloop_header: bool = False) -> str:
    """The text of ``layer``'s layer file (see the module docstring)."""
    module, notes = _module(layer)
    lines = [CIMLOOP_HEADER] if cimloop_header else []
    lines.append("problem:")
    if cimloop_header:
        lines.append("  <<<: *problem_base")
    lines.append(f"  instance: {_flow(_instance(layer))}")
    lines.append("")
    lines.append(f"  name: {module}")
    if dnn_name:
        lines.append(f"  dnn_name: {json.dumps(str(dnn_name))}")
    lines.append(f"  notes: {notes}")
    if layer.distributions:
        lines += ["  " + line for line in _HISTOGRAM_NOTE.splitlines()]
        lines.append("  histograms:")
        for tensor in TENSORS:
            if tensor in layer.distributions:
                values = yaml.safe_dump(list(layer.distributions[tensor].probabilities),
                                        default_flow_style=True, width=float("inf")).strip()
                lines.append(f"    {tensor + ':':<8} {values}")
    return "\n".join(lines) + "\n"


def write_cimloop_layer(layer: Layer, path: str | Path, dnn_name: str = "",
                        cimloop_header: bool = False) -> Path:
    """Write one layer file; returns its path."""
    path = Path(path)
    path.write_text(layer_text(layer, dnn_name, cimloop_header), encoding="utf-8")
    return path


def write_cimloop_dir(network: Network | Iterable[Layer], directory: str | Path,
                      stems: Iterable[str] | None = None, dnn_name: str | None = None,
                      cimloop_header: bool = False) -> tuple[Path, ...]:
    """Write every layer as ``<stem>.yaml`` in ``directory`` (created if
    missing); stems default to the layer index, zero-padded, so name order
    is layer order. ``dnn_name`` defaults to the network's name. Returns the
    written paths in layer order."""
    layers = tuple(network)
    if dnn_name is None:
        dnn_name = network.name if isinstance(network, Network) else ""
    width = max(2, len(str(len(layers) - 1)))
    stems = [f"{i:0{width}d}" for i in range(len(layers))] if stems is None else list(stems)
    if len(stems) != len(layers) or len(set(stems)) != len(stems):
        raise WorkloadError(f"need {len(layers)} distinct file stems, got {stems!r}")
    for layer in layers:
        _module(layer)  # refuse before writing anything
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return tuple(write_cimloop_layer(layer, directory / f"{stem}.yaml", dnn_name, cimloop_header)
                 for layer, stem in zip(layers, stems))
