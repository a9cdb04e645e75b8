"""Import CiMLoop/Timeloop workload YAML (one layer per file) as layers.

A CiMLoop layer file looks like::

    {{include_text('../problem_base.yaml')}}
    problem:
      <<<: *problem_base
      instance: {C: 64, M: 128, P: 28, Q: 28, R: 3, S: 3, HStride: 2, WStride: 2}
      name: Conv2d            # PyTorch module type
      dnn_name: resnet18
      notes: Conv2d           # "From einsum" marks attention matmuls
      histograms: {Inputs: [...], Weights: [...], Outputs: [...]}

How it is read:

* Jinja lines (``{{ ... }}``, ``{% ... %}``, ``{# ... #}``) are dropped, so
  the included ``problem_base.yaml`` text is *not* pulled in; an alias to an
  anchor that no longer exists (``*problem_base``) reads as an empty mapping.
  Every default the base would supply is a default here too (dims 1, strides
  and dilations 1).
* ``<<<`` (timeloopfe's recursive merge) and ``<<`` merge their mapping under
  the local keys.
* ``instance`` may sit under ``problem`` or at the top level. Dims C, M, R, S,
  N, P, Q, G default to 1; ``N`` given as a variable name (``BATCH_SIZE``)
  takes the ``batch`` argument. Strides/dilations are accepted in any case
  (``HStride``, ``Hstride``, ...). ``X``, ``Y``, ``Z`` in these files are
  *encoded bit counts*, not slice counts, and ``H``, ``W`` are unused: all
  are ignored, so imported layers have X = Y = 1.
* ``notes`` containing "einsum" -> ``kind="matmul"``,
  ``weights_are_activations=True``; module ``Linear``/``Conv1D`` -> linear;
  grouped convs with one channel per group -> depthwise; else conv.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

import yaml

from .distributions import Histogram
from .errors import WorkloadError, suggest
from .network import Network
from .problem import TENSORS, Layer

_JINJA_LINE = re.compile(r"^\s*(\{\{.*\}\}|\{%.*%\}|\{#.*#\})\s*$")
_DIM_KEYS = ("C", "M", "R", "S", "N", "P", "Q", "G")
_IGNORED_KEYS = ("X", "Y", "Z", "H", "W")
_COEFFICIENT_KEYS = {"hstride": ("stride", 0), "wstride": ("stride", 1),
                     "hdilation": ("dilation", 0), "wdilation": ("dilation", 1)}
_INSTANCE_KEYS = (*_DIM_KEYS, *_IGNORED_KEYS, "Hstride", "Wstride", "Hdilation", "Wdilation")
_MERGE_KEYS = ("<<<", "<<")


class _CimloopLoader(yaml.SafeLoader):
    """SafeLoader on which an alias to an unknown anchor is an empty mapping."""

    def compose_node(self, parent, index):  # noqa: D102 (yaml API)
        if self.check_event(yaml.AliasEvent) and self.peek_event().anchor not in self.anchors:
            event = self.get_event()
            return yaml.MappingNode("tag:yaml.org,2002:map", [], event.start_mark,
                                    event.end_mark)
        return super().compose_node(parent, index)


def _deep_merge(base: Any, local: Mapping) -> dict:
    merged = dict(base) if isinstance(base, Mapping) else {}
    for key, value in local.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            value = _deep_merge(merged[key], value)
        merged[key] = value
    return merged


def _resolve_merges(node: Any) -> Any:
    if isinstance(node, list):
        return [_resolve_merges(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    local = {k: _resolve_merges(v) for k, v in node.items() if k not in _MERGE_KEYS}
    for key in _MERGE_KEYS:
        bases = node.get(key, [])
        for base in (bases if isinstance(bases, list) else [bases]):
            local = _deep_merge(_resolve_merges(base), local)
    return local


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise WorkloadError(f"{path}: cannot read workload file: {err.strerror}") from None
    text = "\n".join("" if _JINJA_LINE.match(line) else line for line in text.splitlines())
    try:
        data = yaml.load(text, Loader=_CimloopLoader)
    except yaml.YAMLError as err:
        raise WorkloadError(f"{path}: invalid YAML: {err}") from None
    if not isinstance(data, Mapping):
        raise WorkloadError(f"{path}: expected a mapping with 'problem' or 'instance' "
                            f"at the top level")
    return _resolve_merges(data)


def _problem_section(data: Mapping, path: Path) -> tuple[Mapping, str]:
    if "instance" in data:
        return data, ""
    problem = data.get("problem")
    if not isinstance(problem, Mapping):
        raise WorkloadError(f"{path}: no 'problem' mapping or top-level 'instance'")
    if not isinstance(problem.get("instance"), Mapping):
        raise WorkloadError(f"{path}: problem.instance: missing or not a mapping")
    return problem, "problem."


def _instance_key(key: Any, path: Path, where: str) -> str:
    key = str(key)
    if key in _DIM_KEYS or key in _IGNORED_KEYS or key.lower() in _COEFFICIENT_KEYS:
        return key
    raise WorkloadError(f"{path}: {where}{key}: unknown instance key; valid: "
                        f"{', '.join(_INSTANCE_KEYS)}{suggest(key, _INSTANCE_KEYS)}")


def _positive(value: Any, path: Path, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise WorkloadError(f"{path}: {where}: must be a positive integer, got {value!r}")
    return value


def _parse_instance(instance: Mapping, path: Path, prefix: str, batch: int) -> dict:
    where = f"{prefix}instance."
    dims: dict[str, int] = {"N": batch}
    pairs = {"stride": [1, 1], "dilation": [1, 1]}
    for raw_key, value in instance.items():
        key = _instance_key(raw_key, path, where)
        if key in _IGNORED_KEYS:
            continue
        if key == "N" and isinstance(value, str):
            continue  # a variable such as BATCH_SIZE: use `batch`
        number = _positive(value, path, where + key)
        if key in _DIM_KEYS:
            dims[key] = number
        else:
            field, axis = _COEFFICIENT_KEYS[key.lower()]
            pairs[field][axis] = number
    return {"dims": dims, "stride": tuple(pairs["stride"]),
            "dilation": tuple(pairs["dilation"])}


def _parse_histograms(raw: Any, path: Path, prefix: str) -> dict[str, Histogram] | None:
    if raw is None:
        return None
    where = f"{prefix}histograms"
    if not isinstance(raw, Mapping):
        raise WorkloadError(f"{path}: {where}: expected a mapping of tensor -> list")
    histograms = {}
    for tensor, values in raw.items():
        if tensor not in TENSORS:
            raise WorkloadError(f"{path}: {where}.{tensor}: unknown tensor; valid: "
                                f"{', '.join(TENSORS)}{suggest(str(tensor), TENSORS)}")
        if not isinstance(values, list):
            raise WorkloadError(f"{path}: {where}.{tensor}: expected a list of probabilities")
        try:
            histograms[tensor] = Histogram(tuple(values))
        except WorkloadError as err:
            raise WorkloadError(f"{path}: {where}.{tensor}: {err}") from None
    return histograms


def _kind(module: str, notes: str, dims: Mapping[str, int]) -> str:
    if "einsum" in notes.lower():
        return "matmul"
    if module.lower() in ("linear", "conv1d"):
        return "linear"
    if dims.get("G", 1) > 1 and dims.get("C", 1) == 1:
        return "depthwise"
    return "conv"


def _read_layer(path: Path, batch: int) -> tuple[Layer, str | None]:
    problem, prefix = _problem_section(_read_yaml(path), path)
    shape = _parse_instance(problem["instance"], path, prefix, batch)
    module, notes = str(problem.get("name") or ""), str(problem.get("notes") or "")
    kind = _kind(module, notes, shape["dims"])
    layer = Layer(name=f"{path.stem}.{module}" if module else path.stem, kind=kind,
                  weights_are_activations=kind == "matmul",
                  distributions=_parse_histograms(problem.get("histograms"), path, prefix),
                  source=str(path), **shape)
    dnn_name = problem.get("dnn_name")
    return layer, str(dnn_name) if dnn_name else None


def load_cimloop_layer(path: str | Path, batch: int = 1) -> Layer:
    """One CiMLoop/Timeloop layer file as a :class:`Layer`.

    The layer is named ``<file stem>.<module type>`` (e.g. ``07.Conv2d``);
    ``batch`` is N unless the file sets N to a number.
    """
    return _read_layer(Path(path), batch)[0]


def _natural_key(path: Path) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def load_cimloop_dir(path: str | Path, batch: int = 1) -> Network:
    """Every ``*.yaml``/``*.yml`` layer file of a directory, in name order
    (numbers compared numerically), ``problem_base.yaml`` skipped.

    The network is named after the files' ``dnn_name`` (else the directory).
    """
    directory = Path(path)
    if not directory.is_dir():
        raise WorkloadError(f"{directory}: not a directory")
    files = sorted((p for p in directory.iterdir()
                    if p.suffix in (".yaml", ".yml") and p.name != "problem_base.yaml"
                    and p.is_file()), key=_natural_key)
    if not files:
        raise WorkloadError(f"{directory}: no layer files (*.yaml) found")
    read = [_read_layer(f, batch) for f in files]
    name = next((dnn for _, dnn in read if dnn), directory.name)
    return Network(name, tuple(layer for layer, _ in read), source=str(directory))
