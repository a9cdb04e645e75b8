"""Laws every shipped macro obeys, whatever its calibration.

Parametrized over every ``configs/macros/*.yaml`` found at collection time
(a new macro is checked as soon as its file exists) and the Fig. 5 example,
each on its max-utilization workload:

* energy per MAC falls as the array gets more rows at fixed ADC bits (the
  converters and column periphery are amortised over more products);
* the energy of every ADC the spec instantiates is non-decreasing in its
  resolution over 1-16 bits, and so is its area;
* energy rises with the supply voltage (+10 %);
* TOPS = 2 x MACs / latency;
* utilization <= 1;
* area grows with rows and with columns.

A macro that legitimately cannot satisfy a law is listed in
:data:`EXCEPTIONS` with the reason; its case is a strict xfail, so the
exception is removed the day the law starts to hold.
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

import cimdse
from cimdse.components import get_model

REPO = Path(__file__).resolve().parents[2]
SPECS = {p.stem: p for p in sorted((REPO / "configs" / "macros").glob("*.yaml"))}
SPECS["fig5_macro"] = REPO / "configs" / "examples" / "fig5_macro.yaml"
NAMES = sorted(SPECS)

#: geometry variables (rows, cols) and the ADC-bits variable to pin, where a
#: spec names them differently from the shared ARRAY_ROWS / ARRAY_COLS
GEOMETRY = {"fig5_macro": ("ROWS", "COLS", "ADC_BITS")}
ADC_CLASSES = ("adc", "sar_adc")

_PHOTONIC = ("photonic: the array is wavelengths x modulators fixed by the optical design; "
             "ARRAY_ROWS / ARRAY_COLS only report it, so doubling them changes nothing")
#: (macro, law) -> why the macro cannot satisfy the law
EXCEPTIONS = {
    ("colonnade_jssc_2021", "energy_per_mac_falls_with_rows"):
        "digital bit-serial CiM: no converter or analog periphery to amortise over rows; "
        "every MAC costs its own full-adder operations, and the accumulation guard bits "
        "(ceil(log2 rows)) and the adder critical path grow with the rows",
    ("albireo_isca_2021", "energy_per_mac_falls_with_rows"): _PHOTONIC,
    ("albireo_isca_2021", "area_grows_with_rows_and_cols"): _PHOTONIC,
    ("lightning_sigc_2023", "energy_per_mac_falls_with_rows"): _PHOTONIC,
    ("lightning_sigc_2023", "area_grows_with_rows_and_cols"): _PHOTONIC,
}


def cases(law: str):
    out = []
    for name in NAMES:
        reason = EXCEPTIONS.get((name, law))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(name, id=name, marks=marks))
    return out


@lru_cache(maxsize=None)
def peak(name: str, overrides: tuple = ()):
    logging.disable(logging.WARNING)
    try:
        return cimdse.evaluate(SPECS[name], overrides=dict(overrides))
    finally:
        logging.disable(logging.NOTSET)


@lru_cache(maxsize=None)
def design(name: str):
    return cimdse.load(SPECS[name])


def geometry(name: str) -> tuple[str, str, str | None]:
    rows, cols, adc = GEOMETRY.get(name, ("ARRAY_ROWS", "ARRAY_COLS", "ADC_RESOLUTION"))
    return rows, cols, adc if design(name).variables.get(adc) is not None else None


def scaled(name: str, key: str, factor: float) -> tuple:
    """Overrides that multiply variable ``key`` and pin the ADC bits."""
    v = design(name).variables
    _rows, _cols, adc = geometry(name)
    over = {key: type(v[key])(v[key] * factor)}
    if adc is not None and key != adc:
        over[adc] = v[adc]
    return tuple(sorted(over.items()))


@pytest.mark.parametrize("name", cases("energy_per_mac_falls_with_rows"))
def test_energy_per_mac_falls_with_rows(name):
    rows, _cols, _adc = geometry(name)
    assert peak(name, scaled(name, rows, 2)).energy_per_mac_fj < peak(name).energy_per_mac_fj


#: macros with no ADC model (class adc / sar_adc) for the ADC law to check, and why
NO_ADC_MODEL = {
    "colonnade_jssc_2021": "digital CiM: no ADC",
    "digital_baseline": "digital accelerator: no ADC",
    "wan_nature_2022": "the neuron's ADC is NeuRRAM's measured energy per counted step (a "
                       "library entry x n_steps): its resolution law is the step count, "
                       "checked by the Wan Fig. 12b energy-vs-bits reference rows",
}


def _adc_nodes(name: str):
    return [n for n in design(name).components if n.cls in ADC_CLASSES]


@pytest.mark.parametrize("name", cases("adc_energy_rises_with_bits"))
def test_adc_energy_and_area_rise_with_bits(name):
    nodes = _adc_nodes(name)
    assert bool(nodes) != (name in NO_ADC_MODEL), NO_ADC_MODEL.get(name, "no ADC model found")
    for node in nodes:
        attrs = dict(node.attributes)
        models = [get_model(node.cls)({**attrs, "resolution": b})
                  for b in np.arange(1, 16.01, 0.5)]
        energy = [m.energy_pj("read") for m in models]
        area = [m.area_um2() for m in models]
        assert np.all(np.diff(energy) >= 0), (node.name, energy)
        assert np.all(np.diff(area) >= 0), (node.name, area)
        assert energy[-1] > energy[0] and area[-1] > area[0]


@pytest.mark.parametrize("name", cases("energy_rises_with_voltage"))
def test_energy_rises_with_voltage(name):
    assert peak(name, scaled(name, "VOLTAGE", 1.1)).energy_pj > peak(name).energy_pj


@pytest.mark.parametrize("name", cases("tops_and_utilization"))
def test_tops_is_two_macs_per_latency_and_utilization_at_most_one(name):
    rows, cols, _adc = geometry(name)
    for over in ((), scaled(name, rows, 2), scaled(name, cols, 2)):
        r = peak(name, over)
        assert math.isclose(r.tops, 2 * r.macs / r.latency_s / 1e12, rel_tol=1e-12)
        assert 0 < r.utilization <= 1 + 1e-12


@pytest.mark.parametrize("name", cases("area_grows_with_rows_and_cols"))
def test_area_grows_with_rows_and_cols(name):
    rows, cols, _adc = geometry(name)
    base = peak(name).area_mm2
    assert peak(name, scaled(name, rows, 2)).area_mm2 > base
    assert peak(name, scaled(name, cols, 2)).area_mm2 > base


def test_every_exception_names_a_shipped_macro_and_a_law():
    laws = {"energy_per_mac_falls_with_rows", "adc_energy_rises_with_bits",
            "energy_rises_with_voltage", "tops_and_utilization",
            "area_grows_with_rows_and_cols"}
    for (name, law), reason in EXCEPTIONS.items():
        assert name in SPECS and law in laws and len(reason) > 40
