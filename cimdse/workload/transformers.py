"""Built-in transformers written from their published architectures.

ViT-B/16 (Dosovitskiy et al. 2021), GPT-2 small (Radford et al. 2019, 124 M)
and BERT-base (Devlin et al. 2019): model width d = 768, 12 blocks, 12
heads of 64, MLP width 4d. Per block and token the weight layers do
``4 d^2 + 2 * 4 d^2 = 12 d^2`` MACs; the attention products QK^T and AV
(``kind="matmul"``, ``weights_are_activations=True``) do ``T * d`` each per
token (T tokens). Embedding lookups, LayerNorm, softmax and residual adds
have no MACs and are left out.

Sequence lengths: ViT's tokens are fixed by the image, (224/16)^2 + 1 class
token = 197. GPT-2 defaults to its full context (1024) and BERT to its
maximum position count (512).
"""

from __future__ import annotations

from .distributions import default_distributions
from .errors import WorkloadError
from .network import Network
from .problem import Layer, conv2d, linear, matmul

_SOURCE = "builtin"
_WIDTH, _BLOCKS, _HEADS, _MLP = 768, 12, 12, 3072
GPT2_VOCAB = 50257


def _dressed(layer: Layer, position: str) -> Layer:
    return layer.with_distributions(default_distributions(layer.kind, position))


def _fc(name: str, c_in: int, c_out: int, tokens: int, batch: int, position: str) -> Layer:
    return _dressed(linear(name, c_in, c_out, tokens=tokens, N=batch, source=_SOURCE), position)


def _attention_products(prefix: str, tokens: int, batch: int) -> list[Layer]:
    head = _WIDTH // _HEADS
    qk = matmul(f"{prefix}.qk", tokens, head, tokens, heads=_HEADS, batch=batch,
                source=_SOURCE)
    av = matmul(f"{prefix}.av", tokens, tokens, head, heads=_HEADS, batch=batch,
                source=_SOURCE)
    return [_dressed(qk, "signed"), _dressed(av, "softmax")]


def _encoder_block(prefix: str, tokens: int, batch: int) -> list[Layer]:
    """HF-style block: separate query/key/value, attention output, 2-layer MLP."""
    def fc(name, c_in, c_out, position):
        return _fc(f"{prefix}.{name}", c_in, c_out, tokens, batch, position)
    return [fc("attention.query", _WIDTH, _WIDTH, "signed"),
            fc("attention.key", _WIDTH, _WIDTH, "signed"),
            fc("attention.value", _WIDTH, _WIDTH, "signed"),
            *_attention_products(f"{prefix}.attention", tokens, batch),
            fc("attention.output", _WIDTH, _WIDTH, "signed"),
            fc("intermediate", _WIDTH, _MLP, "signed"),
            fc("output", _MLP, _WIDTH, "gelu")]


def _check_tokens(seq_len: int, what: str) -> int:
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len < 1:
        raise WorkloadError(f"{what}: seq_len must be a positive integer, got {seq_len!r}")
    return seq_len


def vit_b16(batch: int = 1, image_size: int = 224) -> Network:
    """ViT-B/16: patch conv + 12 x (6 FCs + 2 attention matmuls) + head = 98
    layers; 16.85 G MACs without the attention matmuls, 17.56 G with them."""
    if image_size % 16:
        raise WorkloadError(f"vit_b16: image_size {image_size} is not a multiple of 16")
    patches = image_size // 16
    tokens = patches * patches + 1
    stem = conv2d("patch_embed", 3, _WIDTH, patches, patches, 16, 16, stride=16, N=batch,
                  source=_SOURCE)
    layers = [_dressed(stem, "image")]
    for block in range(_BLOCKS):
        layers += _encoder_block(f"encoder.layer.{block}", tokens, batch)
    layers.append(_fc("classifier", _WIDTH, 1000, 1, batch, "signed"))
    return Network("vit_b16", tuple(layers), source=_SOURCE)


def bert_base(batch: int = 1, seq_len: int = 512) -> Network:
    """BERT-base encoder + pooler: 12 x 8 + 1 = 97 layers."""
    tokens = _check_tokens(seq_len, "bert_base")
    layers: list[Layer] = []
    for block in range(_BLOCKS):
        layers += _encoder_block(f"encoder.layer.{block}", tokens, batch)
    layers.append(_fc("pooler.dense", _WIDTH, _WIDTH, 1, batch, "signed"))
    return Network("bert_base", tuple(layers), source=_SOURCE)


def gpt2(batch: int = 1, seq_len: int = 1024) -> Network:
    """GPT-2 small (124 M): 12 x (c_attn, qk, av, c_proj, c_fc, c_proj) + the
    LM head (tied to the token embedding, 768 -> 50257) = 73 layers.

    Attention is causal, but the dense T x T products are counted in full,
    as hardware computing them densely does.
    """
    tokens = _check_tokens(seq_len, "gpt2")
    layers: list[Layer] = []
    for block in range(_BLOCKS):
        prefix = f"h.{block}"
        def fc(name, c_in, c_out, position):
            return _fc(f"{prefix}.{name}", c_in, c_out, tokens, batch, position)
        layers += [fc("attn.c_attn", _WIDTH, 3 * _WIDTH, "signed"),
                   *_attention_products(f"{prefix}.attn", tokens, batch),
                   fc("attn.c_proj", _WIDTH, _WIDTH, "signed"),
                   fc("mlp.c_fc", _WIDTH, _MLP, "signed"),
                   fc("mlp.c_proj", _MLP, _WIDTH, "gelu")]
    layers.append(_fc("lm_head", _WIDTH, GPT2_VOCAB, tokens, batch, "signed"))
    return Network("gpt2", tuple(layers), source=_SOURCE)
