"""One entry point that turns a workload spec into a :class:`Network`."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .cimloop_import import load_cimloop_dir, load_cimloop_layer
from .errors import WorkloadError, suggest
from .network import Network
from .networks import ALIASES, NETWORKS, canonical_name, get_network, list_networks
from .problem import Layer

_log = logging.getLogger(__name__)

WorkloadSpec = str | os.PathLike | Network | Layer


def load_workload(spec: WorkloadSpec, batch: int = 1, seq_len: int | None = None) -> Network:
    """A network from a built-in name, a CiMLoop layer file, a directory of
    layer files, or an existing :class:`Network`/:class:`Layer`.

    Built-in names win over same-named paths. ``batch`` sets N (for files,
    where N is not fixed in the file); ``seq_len`` applies to built-in
    language models only and is ignored (with a warning) for files.
    """
    if isinstance(spec, Network):
        return spec
    if isinstance(spec, Layer):
        return Network(spec.name, (spec,), source=spec.source)
    if not isinstance(spec, (str, os.PathLike)):
        raise WorkloadError(f"workload must be a name, a path, a Network or a Layer, "
                            f"got {type(spec).__name__}")
    if isinstance(spec, str) and canonical_name(spec) is not None:
        return get_network(spec, batch=batch, seq_len=seq_len)
    path = Path(spec)
    if path.is_dir() or path.is_file():
        if seq_len is not None:
            _log.warning("seq_len=%s ignored for workload file %s", seq_len, path)
        if path.is_dir():
            return load_cimloop_dir(path, batch=batch)
        layer = load_cimloop_layer(path, batch=batch)
        return Network(layer.name, (layer,), source=str(path))
    raise WorkloadError(f"unknown workload {str(spec)!r}: not a built-in network and no "
                        f"such file or directory; built-ins: {', '.join(list_networks())}"
                        f"{suggest(str(spec), [*NETWORKS, *ALIASES])}")
