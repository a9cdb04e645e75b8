"""Decoder-only language models for inference: prefill and decode.

A model is a :class:`DecoderConfig` (width, blocks, query and key/value
heads, MLP width, gated or plain MLP, vocabulary); presets follow the
published configurations: GPT-2 small (Radford et al. 2019), Llama 3.2 1B
and Llama 3 8B (Meta, ``config.json`` of the released checkpoints: grouped-
query attention with 8 key/value heads, SwiGLU MLP).

Two phases of generating text:

* **prefill** (:func:`prefill`): the prompt of ``seq_len`` tokens in one
  pass; every weight layer sees ``seq_len`` tokens, the attention products
  are ``seq_len x seq_len`` per head (counted densely, as hardware computing
  them densely does), and the LM head runs for the last token only (the one
  whose logits pick the first generated token).
* **decode** (:func:`decode`): one generated token at a context of ``context``
  tokens; every weight layer sees one token (the weights are read once per
  token: the regime where CiM's weight-stationary economics are decided), and
  attention reads the KV cache: the new token's query against ``context``
  cached keys, its probabilities against ``context`` cached values.

Grouped-query attention shares each key/value head among ``heads // kv_heads``
query heads. An attention product is one layer per key/value head group
(``G = kv_heads``) whose rows are the group's query heads times the tokens, so
the cached keys and values (the products' "Weights" operand, an activation)
are the tensor of ``kv_heads`` heads that is really stored and read.

:func:`kv_cache` gives the cache traffic of a decode step: the elements
written (the new token's keys and values, every block) and read, and the
elements resident at that context. Embedding lookups, normalisation, softmax,
rotary embeddings and residual adds have no MACs and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from .distributions import default_distributions
from .errors import WorkloadError
from .network import Network
from .problem import Layer, linear, matmul

_SOURCE = "builtin"


@dataclass(frozen=True)
class DecoderConfig:
    """Shape of a decoder-only transformer (all counts per model)."""

    name: str
    width: int            # d_model
    blocks: int
    heads: int            # query heads
    kv_heads: int         # key/value heads (== heads: multi-head attention)
    head_dim: int
    mlp_width: int
    gated_mlp: bool       # SwiGLU (gate, up, down) instead of (fc, proj)
    vocab: int

    def __post_init__(self) -> None:
        for field_name in ("width", "blocks", "heads", "kv_heads", "head_dim", "mlp_width",
                           "vocab"):
            value = getattr(self, field_name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise WorkloadError(f"{self.name}: {field_name} must be a positive integer, "
                                    f"got {value!r}")
        if self.heads % self.kv_heads:
            raise WorkloadError(f"{self.name}: {self.heads} query heads cannot be grouped "
                                f"over {self.kv_heads} key/value heads")

    @property
    def queries_per_kv_head(self) -> int:
        return self.heads // self.kv_heads

    @property
    def weight_macs_per_token(self) -> int:
        """MACs of every weight layer for one token (attention products excluded)."""
        attention = self.width * self.head_dim * (2 * self.heads + 2 * self.kv_heads)
        mlp = (3 if self.gated_mlp else 2) * self.width * self.mlp_width
        return self.blocks * (attention + mlp) + self.width * self.vocab


GPT2 = DecoderConfig("gpt2", width=768, blocks=12, heads=12, kv_heads=12, head_dim=64,
                     mlp_width=3072, gated_mlp=False, vocab=50257)
LLAMA_3_2_1B = DecoderConfig("llama3_2_1b", width=2048, blocks=16, heads=32, kv_heads=8,
                             head_dim=64, mlp_width=8192, gated_mlp=True, vocab=128256)
LLAMA_3_8B = DecoderConfig("llama3_8b", width=4096, blocks=32, heads=32, kv_heads=8,
                           head_dim=128, mlp_width=14336, gated_mlp=True, vocab=128256)
#: The shipped configurations by name.
CONFIGS: dict[str, DecoderConfig] = {c.name: c for c in (GPT2, LLAMA_3_2_1B, LLAMA_3_8B)}


@dataclass(frozen=True)
class KVCacheTraffic:
    """Key/value cache elements of one decode step of ``batch`` sequences at a
    context of ``context`` tokens (elements, not bytes: one per value)."""

    written: int          # the new token's keys and values, every block
    read: int             # every cached key and value the attention reads
    resident: int         # cached after the step (context + the new token)


def _positive(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise WorkloadError(f"{what} must be a positive integer, got {value!r}")
    return value


def _dressed(layer: Layer, position: str) -> Layer:
    return layer.with_distributions(default_distributions(layer.kind, position))


def _block(cfg: DecoderConfig, prefix: str, queries: int, keys: int, batch: int) -> list[Layer]:
    """One block for ``queries`` new tokens attending to ``keys`` tokens."""
    def fc(name: str, c_in: int, c_out: int, position: str) -> Layer:
        return _dressed(linear(f"{prefix}.{name}", c_in, c_out, tokens=queries, N=batch,
                               source=_SOURCE), position)
    rows = cfg.queries_per_kv_head * queries
    qk = matmul(f"{prefix}.attn.qk", rows, cfg.head_dim, keys, heads=cfg.kv_heads,
                batch=batch, source=_SOURCE)
    av = matmul(f"{prefix}.attn.av", rows, keys, cfg.head_dim, heads=cfg.kv_heads,
                batch=batch, source=_SOURCE)
    q_width, kv_width = cfg.heads * cfg.head_dim, cfg.kv_heads * cfg.head_dim
    layers = [fc("attn.q_proj", cfg.width, q_width, "signed"),
              fc("attn.k_proj", cfg.width, kv_width, "signed"),
              fc("attn.v_proj", cfg.width, kv_width, "signed"),
              _dressed(qk, "signed"), _dressed(av, "softmax"),
              fc("attn.o_proj", q_width, cfg.width, "signed")]
    if cfg.gated_mlp:
        layers += [fc("mlp.gate_proj", cfg.width, cfg.mlp_width, "signed"),
                   fc("mlp.up_proj", cfg.width, cfg.mlp_width, "signed"),
                   fc("mlp.down_proj", cfg.mlp_width, cfg.width, "gelu")]
    else:
        layers += [fc("mlp.fc", cfg.width, cfg.mlp_width, "signed"),
                   fc("mlp.proj", cfg.mlp_width, cfg.width, "gelu")]
    return layers


def _network(cfg: DecoderConfig, phase: str, queries: int, keys: int, batch: int) -> Network:
    layers: list[Layer] = []
    for block in range(cfg.blocks):
        layers += _block(cfg, f"layers.{block}", queries, keys, batch)
    layers.append(_dressed(linear("lm_head", cfg.width, cfg.vocab, tokens=1, N=batch,
                                  source=_SOURCE), "signed"))
    return Network(f"{cfg.name}_{phase}", tuple(layers), source=_SOURCE)


def prefill(cfg: DecoderConfig, seq_len: int = 2048, batch: int = 1) -> Network:
    """The prompt pass: ``seq_len`` tokens through every block, then the LM
    head for the last token."""
    _positive(seq_len, f"{cfg.name} prefill: seq_len")
    _positive(batch, f"{cfg.name} prefill: batch")
    return _network(cfg, "prefill", seq_len, seq_len, batch)


def decode(cfg: DecoderConfig, context: int = 2048, batch: int = 1) -> Network:
    """One generated token per sequence at a context of ``context`` tokens
    (the new token attends to the ``context`` cached ones and itself)."""
    _positive(context, f"{cfg.name} decode: context")
    _positive(batch, f"{cfg.name} decode: batch")
    return _network(cfg, "decode", 1, context + 1, batch)


def kv_cache(cfg: DecoderConfig, context: int = 2048, batch: int = 1) -> KVCacheTraffic:
    """Cache elements of one decode step (see :class:`KVCacheTraffic`)."""
    _positive(context, f"{cfg.name} kv_cache: context")
    _positive(batch, f"{cfg.name} kv_cache: batch")
    per_token = 2 * cfg.blocks * cfg.kv_heads * cfg.head_dim * batch
    return KVCacheTraffic(written=per_token, read=per_token * (context + 1),
                          resident=per_token * (context + 1))


def _builder(cfg: DecoderConfig, phase: str):
    """A registry entry ``(batch, seq_len) -> Network`` for one phase;
    ``seq_len`` is the prompt (prefill) or the context (decode)."""
    build = prefill if phase == "prefill" else decode

    def network(batch: int = 1, seq_len: int = 2048) -> Network:
        return build(cfg, seq_len, batch)
    network.__name__ = f"{cfg.name}_{phase}"
    network.__doc__ = (f"{cfg.name} {phase}: " + ("seq_len prompt tokens" if phase == "prefill"
                       else "one token at a context of seq_len tokens") + f" ({cfg.blocks} "
                       f"blocks x {9 if cfg.gated_mlp else 8} layers + LM head).")
    return network


#: Registry entries: ``<model>_prefill`` and ``<model>_decode`` for every config.
NETWORKS = {f"{cfg.name}_{phase}": _builder(cfg, phase)
            for cfg in CONFIGS.values() for phase in ("prefill", "decode")}
