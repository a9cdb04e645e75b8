"""The plug-in keeps the component-model contract (run: pytest, with the package installed)."""

from cimdse.components import get_model
from cimdse.testing import check_component_model

from cimdse_example_adc import RampADC


def test_ramp_adc_conforms():
    check_component_model(RampADC)


def test_specs_name_it_by_its_entry_point():
    assert get_model("cimdse_example_adc.adc:RampADC") is RampADC
