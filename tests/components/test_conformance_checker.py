"""The conformance checker finds each broken rule of the component-model
contract (one small broken model per rule) and passes a model that keeps them."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cimdse.bounds import CONVERTER_BITS, non_negative
from cimdse.components import Attribute, ComponentModel, check_action
from cimdse.encoding import stats_of
from cimdse.testing import ConformanceError, check_component_model


class Good(ComponentModel):
    """A fixed read energy that grows with resolution; 1 um^2 per bit."""

    name = "good"
    source = "test"
    attributes = (Attribute("resolution", "bits", "resolution", 4, int, bounds=CONVERTER_BITS),)

    def energy_pj(self, action, stats=None):
        check_action(self.name, action)
        return 0.1 * self.attrs["resolution"] if action == "read" else 0.0

    def area_um2(self):
        return float(self.attrs["resolution"])


def _problems(cls) -> str:
    with pytest.raises(ConformanceError) as info:
        check_component_model(cls)
    assert isinstance(info.value, AssertionError) and info.value.problems
    return str(info.value)


def test_a_model_that_keeps_the_contract_passes():
    check_component_model(Good)
    check_component_model(Good, {"resolution": 6})


def test_not_a_model():
    with pytest.raises(ConformanceError, match="not a subclass of ComponentModel"):
        check_component_model(dict)


def test_description_is_required():
    class Bare(Good):
        name = ""
        source = " "
        attributes = (Attribute("resolution", "", "", 4, int),)
    text = _problems(Bare)
    assert "'name' must be a non-empty identifier" in text
    assert "'source'" in text and "needs a unit and a doc" in text


def test_not_constructible_from_its_example():
    class Needs(Good):
        attributes = Good.attributes + (Attribute("width", "bits", "word width"),)
    assert "not constructible from its example attributes" in _problems(Needs)


def test_negative_energy():
    class Negative(Good):
        def energy_pj(self, action, stats=None):
            check_action(self.name, action)
            return -1.0
    assert "energy_pj('read') with no statistics must be finite and >= 0" in _problems(Negative)


def test_nan_area_and_integer_energy():
    class Sloppy(Good):
        def energy_pj(self, action, stats=None):
            check_action(self.name, action)
            return 0

        def area_um2(self):
            return float("nan")
    text = _problems(Sloppy)
    assert "must return a float, got 0" in text and "area_um2() must be finite" in text


def test_unknown_action_must_raise_value_error():
    class Lenient(Good):
        def energy_pj(self, action, stats=None):
            return 0.0
    assert "energy_pj('fly') must raise ValueError" in _problems(Lenient)


def test_nondeterministic():
    counter = itertools.count()

    class Drifting(Good):
        def area_um2(self):
            return float(next(counter))
    assert "not deterministic" in _problems(Drifting)


def test_energy_falling_with_resolution():
    class Falling(Good):
        def energy_pj(self, action, stats=None):
            check_action(self.name, action)
            return 1.0 / self.attrs["resolution"] if action == "read" else 0.0
    assert "must be non-decreasing in 'resolution'" in _problems(Falling)


def test_area_falling_with_technology():
    class Shrinking(Good):
        attributes = Good.attributes + (
            Attribute("technology", "nm", "node", 65.0, bounds=non_negative(250)),)

        def area_um2(self):
            return 1e4 / self.attrs["technology"]
    assert "area_um2() must be non-decreasing in 'technology'" in _problems(Shrinking)


def test_consumes_must_be_known():
    class Odd(Good):
        consumes = "vibes"
    assert "'consumes' is 'vibes'" in _problems(Odd)


def test_declared_pairs_must_change_the_energy():
    class Deaf(Good):
        consumes = "pair"
    assert "consumes 'pair', but no energy changes" in _problems(Deaf)


def test_sequence_methods_only_for_sequences():
    class Stray(Good):
        def transition_energy_pj(self, action, previous, code):
            return 0.0
    assert "transition_energy_pj is only used for 'input_sequence'" in _problems(Stray)


def test_a_transition_to_the_same_code_is_free():
    class Toggling(Good):
        consumes = "input_sequence"

        def energy_pj(self, action, stats=None):
            check_action(self.name, action)
            ins = stats_of(stats, "Inputs")
            return float(ins.mean_slice_value) if ins is not None and action == "read" else 0.0

        def transition_energy_pj(self, action, previous, code):
            return 0.5
    assert "transition_energy_pj('read', 0, 0) must be 0" in _problems(Toggling)


class SumADC(Good):
    """Energy = mean code of the column sum (full scale: rows x products x fraction)."""

    consumes = "column_sum"
    attributes = Good.attributes + (
        Attribute("rows", "-", "rows summed", 0, int, bounds=non_negative(1024)),
        Attribute("full_scale_fraction", "-", "full scale fraction", 1.0,
                  bounds=non_negative(10)),
    )

    def _full_scale(self, fs_in, fs_w):
        return self.attrs["rows"] * fs_in * fs_w * self.attrs["full_scale_fraction"]

    def energy_pj(self, action, stats=None):
        check_action(self.name, action)
        ins, ws = stats_of(stats, "Inputs"), stats_of(stats, "Weights")
        if action != "read" or not (self.attrs["rows"] and ins and ws):
            return 0.1 if action == "read" else 0.0
        mean = self.attrs["rows"] * ins.mean_slice_code * ws.mean_slice_code
        return 0.1 + min(mean / self._full_scale(ins.full_scale, ws.full_scale), 1.0)

    def column_sum_energy_pj(self, action, sums, input_full_scale, weight_full_scale):
        check_action(self.name, action)
        if action != "read":
            return 0.0
        top = self._full_scale(input_full_scale, weight_full_scale)
        return 0.1 + float(np.mean(np.minimum(np.asarray(sums) / top, 1.0)))


def test_a_column_sum_model_that_keeps_the_contract_passes():
    check_component_model(SumADC)


def test_column_sums_need_rows_and_full_scale():
    class NoRows(SumADC):
        attributes = Good.attributes
    assert "must declare the attributes 'rows' (int) and 'full_scale_fraction'" in \
        _problems(NoRows)


def test_column_sums_need_their_method():
    class NoMethod(SumADC):
        column_sum_energy_pj = ComponentModel.column_sum_energy_pj
    assert "must implement column_sum_energy_pj" in _problems(NoMethod)


def test_both_pricings_of_a_certain_sum_agree():
    class Disagrees(SumADC):
        def column_sum_energy_pj(self, action, sums, input_full_scale, weight_full_scale):
            return 2 * super().column_sum_energy_pj(action, sums, input_full_scale,
                                                    weight_full_scale)
    assert "both must quantise a sum alike" in _problems(Disagrees)


def test_the_designed_full_scale_stays_when_rows_are_clamped():
    class FixedRows(SumADC):
        def _full_scale(self, fs_in, fs_w):  # as if always 64 rows
            return 64 * fs_in * fs_w * self.attrs["full_scale_fraction"]
    assert "the full scale is rows x full_scale_fraction" in _problems(FixedRows)


def test_declared_column_sums_must_change_the_energy():
    class Flat(SumADC):
        def energy_pj(self, action, stats=None):
            check_action(self.name, action)
            return 0.1 if action == "read" else 0.0

        def column_sum_energy_pj(self, action, sums, input_full_scale, weight_full_scale):
            return self.energy_pj(action)
    assert "no energy changes with the column-sum distribution" in _problems(Flat)
