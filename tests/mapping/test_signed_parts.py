"""Signed operands split into a positive and a negative part (SIGNED_*_PARTS)."""

from __future__ import annotations

from pathlib import Path

import pytest

import cimdse
from cimdse.evaluate import evaluate
from cimdse.statistics import EncodingConvention, layer_stats, signed_parts
from cimdse.workload import load_workload

SINANGIL = Path(__file__).resolve().parents[2] / "configs" / "macros" / "sinangil_jssc_2021.yaml"
UNSPLIT = {"SIGNED_INPUT_PARTS": 1, "SIGNED_WEIGHT_PARTS": 1}


@pytest.fixture(scope="module")
def resnet():
    return load_workload("resnet18")


def test_parts_follow_each_layers_signedness(resnet):
    design = cimdse.load(SINANGIL)
    # conv1 sees normalised (signed) pixels, later layers post-ReLU inputs;
    # every layer's weights are signed
    assert signed_parts(design, resnet.layers[0]) == (2, 2)
    assert signed_parts(design, resnet.layers[1]) == (1, 2)
    assert signed_parts(cimdse.load(SINANGIL, UNSPLIT), resnet.layers[1]) == (1, 1)


def test_a_signed_weight_takes_two_4_bit_slices(resnet):
    conv = EncodingConvention.from_design(cimdse.load(SINANGIL))
    stats = layer_stats(conv, resnet.layers[1])
    # 4b weights x 2 parts = 8 encoded bits in 4-bit cim units: 2 slices;
    # 4b post-ReLU inputs stay one 4-bit pulse train
    assert len(stats.weights) == 2 and len(stats.inputs) == 1


@pytest.mark.parametrize("layer, factor", [(0, 4), (1, 2)])
def test_signed_operands_double_activations_and_conversions(layer, factor):
    # CiMLoop's Sinangil: ENCODED bits x 2 per signed operand, so conv1
    # (signed inputs and weights) does 4x the conversions of a sign-dropping
    # magnitude encoding and a post-ReLU layer 2x
    split = evaluate(cimdse.load(SINANGIL), "resnet18", layer=layer).layers[0]
    plain = evaluate(cimdse.load(SINANGIL, UNSPLIT), "resnet18", layer=layer).layers[0]
    assert split.actions["adc"]["read"] == factor * plain.actions["adc"]["read"]
    assert split.actions["cell"]["read"] == factor * plain.actions["cell"]["read"]
    assert split.cycles == factor * plain.cycles
