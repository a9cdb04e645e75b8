"""Conformance of every built-in component model to the contract.

The contract's own checks (:func:`cimdse.testing.check_component_model`, the
same a plug-in runs) go over every built-in class; the built-ins' further
conventions follow: monotone value dependence per model, the technology
range, the ``energy_scale`` attribute, statistics given as a mapping.

Unknown-action policy: ``energy_pj`` raises ``ValueError`` for an action not
in ``ACTIONS``.
"""

from __future__ import annotations

import numpy as np
import pytest

from cimdse.components import ComponentAttributeError, model_infos
from cimdse.encoding import value_stats
from cimdse.testing import check_component_model
from cimdse.workload.distributions import Histogram, from_bit_probabilities

# the built-ins (not plug-ins, nor models other tests register in-process)
MODELS = {info.name: info.model for info in model_infos()
          if info.model.__module__.startswith("cimdse.components.")}
# constant and dummy take no energy_scale attribute (the node-level scale applies)
NO_SCALE_ATTRIBUTE = {"constant", "dummy"}


def example(cls) -> dict:
    fn = getattr(cls, "example_attributes", None)
    return fn() if fn else {}


def build(name, **overrides):
    cls = MODELS[name]
    return cls({**example(cls), **overrides})


def stats_p(p: float, bits: int = 4) -> "object":
    """ValueStats of ``bits``-bit codes whose bits are independent with P(1) = p."""
    return value_stats(from_bit_probabilities([p] * bits), "magnitude", bits, bits)


SAMPLE_STATS = {
    "Inputs": value_stats(Histogram((0, 0, 0, 3, 2, 1, 0)), "offset", 8, 4),
    "Weights": value_stats(Histogram((1,) * 15), "two_part_magnitude", 8, 2),
    "Outputs": value_stats(Histogram((1, 2, 3, 4, 3, 2, 1)), "offset", 8, 8),
}


def test_every_builtin_is_listed():
    assert len(MODELS) >= 30 and {"constant", "sar_adc", "rram_cell", "dac_c2c"} <= set(MODELS)


def test_builtins_declare_what_they_consume():
    """The declarations that replaced the class-name sets of the ActionTable
    builder and the value-level reference."""
    declared = {n: m.consumes for n, m in MODELS.items() if m.consumes != "statistics"}
    assert declared == {"rram_cell": "pair", "sram_cell": "pair", "dac_c2c": "input_sequence",
                        "dac_r2r": "input_sequence", "dac_pwm": "input_sequence",
                        "dac_pulse_count": "input_sequence", "sar_adc": "column_sum"}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_builtin_keeps_the_contract(name):
    """Described, constructible, finite non-negative numbers with and without
    statistics, ValueError for an unknown action, deterministic, the laws of
    technology / resolution / voltage, consumes consistent with the methods."""
    cls = MODELS[name]
    assert cls.name == name
    check_component_model(cls)


# (model, overrides, action, tensor, direction): energy must move monotonically
# with the mean value of ``tensor`` (+1 non-decreasing, -1 non-increasing), as
# P(bit = 1) of every code bit goes 0.05 -> 0.95. X-2X ladders only up to
# P = 0.5: a ladder draws the most current at mixed codes (inputs at V feed
# nodes near 0) and less again near all-ones, and the input register's
# toggle probability p(1-p) peaks at 1/2 -- both physical, not bugs.
LOW_HALF = (0.05, 0.2, 0.35, 0.5)
VALUE_DEPENDENT = [
    ("dac_c2c", {"resolution": 4}, "read", "Inputs", +1),
    ("dac_r2r", {"resolution": 4}, "read", "Inputs", +1),
    ("dac_pwm", {"resolution": 4}, "read", "Inputs", +1),
    ("dac_pulse_count", {"resolution": 4}, "read", "Inputs", +1),
    ("rram_cell", {}, "read", "Inputs", +1),
    ("rram_cell", {}, "read", "Weights", +1),          # higher conductance
    ("rram_cell", {"input_mode": "voltage"}, "read", "Inputs", +1),
    ("sram_cell", {}, "read", "Inputs", +1),
    ("sram_cell", {}, "read", "Weights", +1),
    ("row_driver", {}, "read", "Inputs", +1),
    ("row_driver", {}, "read", "Weights", +1),
    ("column_driver", {}, "read", "Weights", +1),
    ("capacitor", {"mode": "switch_from_zero"}, "read", "Inputs", +1),
    ("sar_adc", {"resolution": 4}, "read", "Outputs", -1),  # conventional switching
]


@pytest.mark.parametrize("name,overrides,action,tensor,direction", VALUE_DEPENDENT,
                         ids=[f"{v[0]}-{v[3]}-{i}" for i, v in enumerate(VALUE_DEPENDENT)])
def test_value_dependence_is_monotone(name, overrides, action, tensor, direction):
    model = build(name, **overrides)
    probs = LOW_HALF if name.startswith("dac_") and name.endswith(("c2c", "r2r")) \
        else (0.05, 0.3, 0.5, 0.7, 0.95)
    energies = [model.energy_pj(action, {tensor: stats_p(p)}) for p in probs]
    steps = np.diff(energies) * direction
    assert np.all(steps >= -1e-12 * max(energies)), energies
    assert energies[-1] != pytest.approx(energies[0]), "energy should depend on the values"


TECH_MODELS = sorted(n for n, cls in MODELS.items()
                     if any(a.name == "technology" for a in cls.attributes))


@pytest.mark.parametrize("name", TECH_MODELS)
def test_technology_outside_range_is_rejected(name):
    for node in (3, 250):
        with pytest.raises(ComponentAttributeError, match="technology"):
            build(name, technology=node)


@pytest.mark.parametrize("name", sorted(set(MODELS) - NO_SCALE_ATTRIBUTE))
def test_builtin_models_give_example_attributes_and_reject_bad_scales(name):
    assert isinstance(MODELS[name].example_attributes(), dict)
    with pytest.raises(ComponentAttributeError, match="energy_scale"):
        build(name, energy_scale=-1.0)


@pytest.mark.parametrize("name,overrides", [(v[0], v[1]) for v in VALUE_DEPENDENT],
                         ids=[f"{v[0]}-{i}" for i, v in enumerate(VALUE_DEPENDENT)])
def test_statistics_must_be_a_mapping(name, overrides):
    with pytest.raises(TypeError, match="mapping tensor name -> ValueStats"):
        build(name, **overrides).energy_pj("read", SAMPLE_STATS["Inputs"])


@pytest.mark.parametrize("name", TECH_MODELS)
def test_technology_changes_energy_or_area(name):
    """The checker holds energy and area non-decreasing in the node; a built-in's
    node also matters."""
    low, high = build(name, technology=7), build(name, technology=180)
    assert (high.energy_pj("read", SAMPLE_STATS) > low.energy_pj("read", SAMPLE_STATS)
            or high.area_um2() > low.area_um2())
