"""Registry of built-in networks: names, aliases and :func:`get_network`."""

from __future__ import annotations

import inspect
from typing import Callable

from . import cnns, llm, transformers
from .errors import WorkloadError, suggest
from .network import Network

NETWORKS: dict[str, Callable[..., Network]] = {
    "alexnet": cnns.alexnet,
    "bert_base": transformers.bert_base,
    "gpt2": transformers.gpt2,
    "mobilenet_v3_large": cnns.mobilenet_v3_large,
    "resnet18": cnns.resnet18,
    "resnet50": cnns.resnet50,
    "vgg16": cnns.vgg16,
    "vit_b16": transformers.vit_b16,
    **llm.NETWORKS,
}

#: Other spellings accepted by :func:`get_network` (after lower-casing and
#: turning '-' into '_'), including CiMLoop's directory names.
ALIASES: dict[str, str] = {
    "bert": "bert_base",
    "gpt2_small": "gpt2",
    "mobilenet_v3": "mobilenet_v3_large",
    "mobilenetv3": "mobilenet_v3_large",
    "vgg_16": "vgg16",
    "resnet_18": "resnet18",
    "resnet_50": "resnet50",
    "vit": "vit_b16",
    "vit_b_16": "vit_b16",
    "vision_transformer": "vit_b16",
    "llama_3_2_1b_prefill": "llama3_2_1b_prefill",
    "llama_3_2_1b_decode": "llama3_2_1b_decode",
    "llama_3_8b_prefill": "llama3_8b_prefill",
    "llama_3_8b_decode": "llama3_8b_decode",
}


def list_networks() -> list[str]:
    """Canonical names of the built-in networks, sorted."""
    return sorted(NETWORKS)


def canonical_name(name: str) -> str | None:
    """The registry name for ``name`` or an alias of it, else None."""
    key = str(name).strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    return key if key in NETWORKS else None


def get_network(name: str, batch: int = 1, seq_len: int | None = None) -> Network:
    """Build a built-in network with batch size ``batch`` (dimension N).

    ``seq_len`` (tokens) applies to language models only; None keeps the
    network's documented default.
    """
    key = canonical_name(name)
    if key is None:
        raise WorkloadError(f"unknown network {name!r}; built-ins: "
                            f"{', '.join(list_networks())}"
                            f"{suggest(str(name), [*NETWORKS, *ALIASES])}")
    builder = NETWORKS[key]
    kwargs: dict[str, int] = {"batch": batch}
    if seq_len is not None:
        if "seq_len" not in inspect.signature(builder).parameters:
            raise WorkloadError(f"network {key!r} has no seq_len parameter "
                                f"(its token count is fixed by its input)")
        kwargs["seq_len"] = seq_len
    return builder(**kwargs)
