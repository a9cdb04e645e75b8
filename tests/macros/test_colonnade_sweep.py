"""Colonnade (Kim et al., JSSC 2021) over its published 0.7 V precision sweep:
energy per MAC for 1-16 bit inputs x weights (Figs. 16a, 16b) within 5 %
mean absolute error, from the calibration rows of its reference file."""

from pathlib import Path

import pytest

from cimdse.validation import REFERENCES, load_references, validate

CSV = Path(REFERENCES) / "colonnade_jssc_2021.csv"


@pytest.fixture(scope="module")
def energy_rows():
    refs = [r for r in load_references(CSV)
            if r.family == "energy_efficiency" and dict(r.overrides).get("VOLTAGE") == 0.7]
    assert len(refs) == 32
    return validate(refs).rows


def test_energy_per_mac_at_0v7_within_5_percent_mean(energy_rows):
    errors = [abs(r.error) for r in energy_rows]
    assert sum(errors) / len(errors) <= 0.05


def test_energy_per_mac_grows_with_input_bits(energy_rows):
    # Figs. 16a and 16b both hold the 1b x 1b point: one model value per width
    square = sorted({dict(r.ref.overrides)["INPUT_BITS"]: r.model for r in energy_rows
                     if dict(r.ref.overrides)["INPUT_BITS"] == dict(r.ref.overrides)["WEIGHT_BITS"]
                     }.items())
    assert len(square) == 16
    assert all(b[1] > a[1] for a, b in zip(square, square[1:]))
