"""Writing a profile as a workload directory.

The directory (new, or empty) holds:

* one layer file per layer, ``NN-<layer name>.yaml``, in CiMLoop's layer
  format (:mod:`cimdse.workload.cimloop_export`), so ``--workload DIR`` and
  ``load_workload(DIR)`` read it; with ``cimloop_format`` each file also
  carries CiMLoop's ``problem_base`` include, ready for a CiMLoop workload
  folder;
* ``profile.json``: the model, bit width and sample count, and per layer its
  file, op, dims, padding, each tensor's scale (real value of one LSB) and
  the kept tensor files with their axes;
* with kept tensors, ``NN-<layer name>.<Tensor>.npy`` (integer codes).

A layer reads back named ``NN-<layer name>.<module type>``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ..workload.cimloop_export import write_cimloop_dir
from .errors import ProfileError
from .result import Profile

MANIFEST = "profile.json"
FORMAT = "cimdse-profile"
FORMAT_VERSION = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_MAX_STEM_NAME = 60


def _stems(profile: Profile) -> list[str]:
    width = max(2, len(str(len(profile.layers) - 1)))
    stems = []
    for index, lp in enumerate(profile.layers):
        safe = _UNSAFE.sub("_", lp.name).strip("._-")[:_MAX_STEM_NAME] or lp.op
        stems.append(f"{index:0{width}d}-{safe}")
    return stems


def check_target(directory: str | Path) -> Path:
    """``directory`` if a profile can be written there: absent, or an empty
    directory (a workload directory is read whole, so other layer files in
    it would join the network)."""
    directory = Path(directory)
    if directory.exists() or directory.is_symlink():
        if not directory.is_dir():
            raise ProfileError(f"{directory}: exists and is not a directory")
        if any(directory.iterdir()):
            raise ProfileError(f"{directory}: not empty; write the workload to a new or "
                               f"empty directory")
    return directory


def _layer_entry(lp, stem: str, file: str, tensor_files: dict[str, str]) -> dict:
    layer = lp.layer
    axes = lp.axes
    return {
        "file": file, "name": layer.name, "op": lp.op, "kind": layer.kind,
        "weights_are_activations": layer.weights_are_activations,
        "dims": {d: layer.dims[d] for d in ("N", "G", "C", "M", "R", "S", "P", "Q")},
        "stride": list(layer.stride), "dilation": list(layer.dilation),
        "padding": {k: list(v) for k, v in lp.padding.items()} if lp.padding else None,
        "macs": layer.macs,
        "scale": dict(lp.scales),
        "tensors": {t: {"file": tensor_files[t], "axes": list(axes[t]),
                        "shape": list(array.shape), "dtype": str(array.dtype)}
                    for t, array in lp.tensors.items()},
        "kept": lp.kept,
    }


def write_profile(profile: Profile, directory: str | Path, cimloop_format: bool = False) -> Path:
    """Write ``profile`` into ``directory`` (see the module docstring); returns it."""
    directory = check_target(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stems = _stems(profile)
    files = write_cimloop_dir(profile.network, directory, stems=stems, dnn_name=profile.name,
                              cimloop_header=cimloop_format)
    entries = []
    for lp, stem, path in zip(profile.layers, stems, files):
        tensor_files = {}
        for tensor, array in lp.tensors.items():
            tensor_files[tensor] = f"{stem}.{tensor}.npy"
            np.save(directory / tensor_files[tensor], array, allow_pickle=False)
        entries.append(_layer_entry(lp, stem, path.name, tensor_files))
    manifest = {
        "format": FORMAT, "version": FORMAT_VERSION,
        "model": profile.name, "source": profile.source,
        "bits": profile.bits,
        "quantisation": "symmetric per tensor: code = round(value / scale), "
                        "scale = max|value| / (2^(bits-1) - 1)",
        "samples": profile.samples, "inferences": profile.runs,
        "cimloop_format": bool(cimloop_format),
        "keep_bytes_per_layer": profile.keep_bytes,
        "layers": entries,
        "skipped": [{"op": u.op, "name": u.name, "place": u.place, "reason": u.reason}
                    for u in profile.skipped],
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return directory
