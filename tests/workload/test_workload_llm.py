"""Decoder-only LLM workloads: prefill, decode, grouped-query attention and
KV-cache traffic against hand-computed counts."""

from __future__ import annotations

import pytest

from cimdse.workload import WorkloadError, get_network
from cimdse.workload.llm import (GPT2, LLAMA_3_2_1B, LLAMA_3_8B, DecoderConfig, decode,
                                 kv_cache, prefill)


def _macs(net) -> int:
    return sum(layer.macs for layer in net.layers)


def test_weight_macs_per_token_of_the_presets():
    # Llama 3.2 1B, per block: q 2048*2048 + k, v 2048*512 each + o 2048*2048
    # + gate, up, down 3 * 2048*8192 = 60 817 408; x 16 blocks + LM head
    # 2048 * 128256 = 262 668 288
    assert LLAMA_3_2_1B.weight_macs_per_token == 16 * 60_817_408 + 262_668_288
    # Llama 3 8B, per block: 2 * 4096*4096 + 2 * 4096*1024 + 3 * 4096*14336
    assert LLAMA_3_8B.weight_macs_per_token == 32 * 218_103_808 + 4096 * 128256
    # GPT-2 small: 12 d^2 per block + the tied LM head (124 M parameters)
    assert GPT2.weight_macs_per_token == 12 * 12 * 768 ** 2 + 768 * 50257


def test_decode_is_one_token_and_attention_over_the_cache():
    context = 1000
    net = decode(LLAMA_3_2_1B, context=context)
    assert len(net.layers) == 16 * 9 + 1
    # attention per block: qk and av, 32 query heads x 64 x (context + 1) each
    attention = 16 * 2 * 32 * 64 * (context + 1)
    assert _macs(net) == LLAMA_3_2_1B.weight_macs_per_token + attention
    fc = {layer.name: layer for layer in net.layers}
    assert fc["layers.0.attn.q_proj"].dims["P"] == 1          # one new token
    assert fc["lm_head"].dims["P"] == 1


def test_grouped_query_attention_stores_kv_heads_only():
    net = decode(LLAMA_3_2_1B, context=511, batch=2)
    qk = next(layer for layer in net.layers if layer.name == "layers.3.attn.qk")
    av = next(layer for layer in net.layers if layer.name == "layers.3.attn.av")
    # 8 key/value heads x 64 x 512 cached keys per sequence (not 32 heads)
    assert qk.tensor_size("Weights") == 2 * 8 * 64 * 512
    assert av.tensor_size("Weights") == 2 * 8 * 512 * 64
    # the 4 query heads of a group are the rows against one key head; each of
    # the 2 sequences has its own cache (groups = kv heads x sequences)
    assert qk.dims["G"] == 2 * 8 and qk.dims["P"] == 4 and qk.tensor_size("Inputs") == 2 * 32 * 64
    assert qk.weights_are_activations and av.weights_are_activations


def test_prefill_counts_the_prompt_and_the_last_token_head():
    seq = 128
    net = prefill(LLAMA_3_8B, seq_len=seq)
    head = 4096 * 128256
    blocks = LLAMA_3_8B.weight_macs_per_token - head
    attention = 32 * 2 * 32 * 128 * seq * seq
    assert _macs(net) == blocks * seq + attention + head


def test_kv_cache_traffic_of_a_decode_step():
    step = kv_cache(LLAMA_3_2_1B, context=100, batch=3)
    per_token = 2 * 16 * 8 * 64 * 3           # keys and values, every block, 3 sequences
    assert step.written == per_token
    assert step.read == step.resident == per_token * 101


def test_registry_names_and_seq_len():
    net = get_network("llama3_8b_decode", seq_len=64)
    assert net.name == "llama3_8b_decode" and _macs(net) == _macs(decode(LLAMA_3_8B, 64))
    assert get_network("llama-3.2-1b-decode".replace(".", "_")).name == "llama3_2_1b_decode"
    assert _macs(get_network("gpt2_decode", seq_len=10)) == (
        GPT2.weight_macs_per_token + 12 * 2 * 12 * 64 * 11)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_lengths_are_clear_errors(bad):
    with pytest.raises(WorkloadError, match="positive integer"):
        decode(GPT2, context=bad)
    with pytest.raises(WorkloadError, match="positive integer"):
        prefill(GPT2, seq_len=bad)


def test_heads_must_group_over_kv_heads():
    with pytest.raises(WorkloadError, match="cannot be grouped"):
        DecoderConfig("x", width=64, blocks=1, heads=6, kv_heads=4, head_dim=16,
                      mlp_width=128, gated_mlp=True, vocab=10)
