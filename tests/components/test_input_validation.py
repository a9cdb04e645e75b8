"""Component attributes: type, finiteness and range checked before any formula."""

from __future__ import annotations

import datetime
import math
from pathlib import Path

import pytest

import cimdse
from cimdse.bounds import (MAX_CONVERTER_BITS, MAX_LINE_CELLS, Range, RangeError, SupplyRange,
                           check_number, number_text)
from cimdse.components import ComponentAttributeError, get_model, list_models
from cimdse.components.scaling import nominal_supply_v
from cimdse.spec import SpecError

FIG5 = Path(__file__).resolve().parents[2] / "configs" / "examples" / "fig5_macro.yaml"


def make(cls: str, **attrs):
    model = get_model(cls)
    return model({**model.example_attributes(), **attrs})


@pytest.mark.parametrize("cls, attrs, field, words", [
    ("adc", {"n_adcs": math.nan}, "n_adcs", "finite"),
    ("adc", {"n_adcs": 1e308}, "n_adcs", f"[1, {MAX_LINE_CELLS}]"),
    ("adc", {"resolution": 0.0}, "resolution", f"[1, {MAX_CONVERTER_BITS}]"),
    ("row_driver", {"cols": -math.inf}, "cols", "finite"),
    ("dac_r2r", {"unit_resistance": 0}, "unit_resistance", "(0, 1e+12] ohm"),
    ("adc", {"area_scale": math.inf}, "area_scale", "finite"),
    ("adc", {"energy_scale": -1}, "energy_scale", "[0, 1e+09]"),
    ("adc", {"resolution": True}, "resolution", "must be a number"),
    ("adc", {"technology": datetime.date(2020, 1, 1)}, "technology", "must be a number"),
    ("adc", {"throughput": "fast"}, "throughput", "must be a number"),
    ("adder", {"width": 8.5}, "width", "integer"),
    ("sar_adc", {"dac_energy_fraction": 1.5}, "dac_energy_fraction", "[0, 1]"),
    ("row_driver", {"stage_effort": 1}, "stage_effort", "(1, 100]"),
    ("adder", {"technology": 5}, "technology", "[7, 180] nm"),
])
def test_bad_attribute_is_named_with_its_range(cls, attrs, field, words):
    with pytest.raises(ComponentAttributeError) as info:
        make(cls, **attrs)
    assert info.value.field == field
    assert words in str(info.value) and f"'{field}'" in str(info.value)


def _numeric_bounded(model):
    return [a for a in model.attributes if a.kind in (int, float) and a.bounds is not None]


@pytest.mark.parametrize("name", sorted(n for n in list_models()))
def test_every_bounded_attribute_rejects_nan_and_infinity(name):
    model = list_models()[name]
    for attr in _numeric_bounded(model):
        for bad in (math.nan, math.inf, -math.inf):
            with pytest.raises(ComponentAttributeError) as info:
                model({**model.example_attributes(), attr.name: bad})
            assert info.value.field == attr.name


@pytest.mark.parametrize("name", sorted(n for n in list_models()))
def test_every_numeric_attribute_declares_a_range(name):
    """The ranges are declared once, with the attributes: none is left open."""
    model = list_models()[name]
    for attr in model.attributes:
        if attr.kind in (int, float):
            assert attr.bounds is not None, f"{name}.{attr.name} has no valid range"
    rows = {r["attribute"]: r for r in model.describe()}
    for attr in _numeric_bounded(model):
        assert rows[attr.name]["range"] == attr.bounds.describe() != ""


def test_range_text_and_checks():
    assert Range(1, 16).describe() == "[1, 16]"
    assert Range(0, 1e12, low_open=True).describe() == "(0, 1e+12]"
    assert Range(None, 1.0).describe() == "(-inf, 1]"
    assert Range(0, 1, low_open=True).check(0.0) is not None
    assert Range(0, 1, low_open=True).check(1.0) is None


def test_integers_beyond_the_float_range_are_range_errors():
    """An expression such as ``2 ** 4096`` is a valid integer no float holds."""
    assert number_text(2 ** 4096) == "1.04439e+1233" and number_text(-10 ** 400) == "-1e+400"
    with pytest.raises(RangeError, match=r"range of a float .*, got 1.04439e\+1233"):
        check_number(2 ** 4096)
    assert Range(1, 16).check(2 ** 4096) == "must be within [1, 16]"
    with pytest.raises(ComponentAttributeError) as info:
        make("adc", throughput=2 ** 4096)
    assert info.value.field == "throughput" and "range of a float" in str(info.value)


def test_huge_integer_variable_is_a_located_range_error(tmp_path):
    spec = tmp_path / "fig5.yaml"
    spec.write_text(FIG5.read_text().replace("  OUTPUT_BITS: 8", "  OUTPUT_BITS: 2 ** 4096"))
    with pytest.raises(SpecError, match=r"\[1, 16\], got 1.04439e\+1233") as info:
        cimdse.load(spec)
    assert info.value.path == "variables.OUTPUT_BITS"


def test_nominal_supply_follows_the_node():
    assert nominal_supply_v(65) == pytest.approx(1.1)
    assert nominal_supply_v(7) == pytest.approx(0.7)
    assert 0.9 <= nominal_supply_v(22) <= 0.9 + 1e-12   # between 32 nm and 20 nm, both 0.9 V
    assert nominal_supply_v(None) == pytest.approx(1.8)


@pytest.mark.parametrize("volts", [5.0, 50.0, 0.2, 0.0, -1.0])
def test_supply_far_from_nominal_is_an_error(volts):
    """0.25-2 x V_nom: the 22 nm nominal is 0.9 V, so 5 V and 0.2 V are out."""
    with pytest.raises(ComponentAttributeError, match="nominal supply at 22 nm") as info:
        make("adder", technology=22, voltage=volts)
    assert info.value.field == "voltage"


def test_supply_in_the_soft_band_warns_and_keeps_the_value():
    hot = make("adder", technology=22, voltage=1.5)       # 1.67 x 0.9 V
    assert hot.attrs["voltage"] == 1.5
    assert len(hot.warnings) == 1 and "extrapolated" in hot.warnings[0]
    assert make("adder", technology=22, voltage=0.9).warnings == ()
    assert make("adder", technology=22, voltage=0.4).warnings   # near threshold


def test_swing_voltage_may_be_low_but_not_above_the_supply_range():
    assert make("capacitor", technology=65, voltage=0.05).warnings == ()
    with pytest.raises(ComponentAttributeError, match="voltage"):
        make("capacitor", technology=65, voltage=2.5)       # > 2 x 1.1 V


def test_supply_range_uses_the_widest_nominal_without_a_node():
    band = SupplyRange(nominal_supply_v)
    assert band.check(3.5, {}) is None and band.check(3.7, {}) is not None
