"""The photonic macros (Albireo, Lightning): peak structure and projections."""

from __future__ import annotations

import pytest

import cimdse

from macro_helpers import MACROS


def peak(name, **overrides):
    return cimdse.evaluate(cimdse.load(MACROS / f"{name}.yaml", overrides=overrides))


def test_albireo_fills_1215_macs_per_cycle_and_projections_order_energy():
    results = {s: peak("albireo_isca_2021", SCALING=s, CYCLE_SECONDS=0.2e-9)
               for s in ("conservative", "moderate", "aggressive")}
    for r in results.values():
        assert r.macs == 1215 and r.cycles == 1 and r.utilization == 1.0
    energy = {s: r.energy_pj for s, r in results.items()}
    assert energy["conservative"] > energy["moderate"] > energy["aggressive"]
    # the convolution window is shared: 3 filter rows x 5 columns read 7
    # distinct inputs, so 9 channels need 9 x 7 input conversions (not 9 x 15)
    counts = results["aggressive"].breakdown()
    reads = counts[(counts.component == "input_dac") & (counts.action == "read")]["count"].sum()
    assert reads == 9 * 7


def test_lightning_one_mac_and_full_grid():
    one = peak("lightning_sigc_2023", MAX_UTILIZATION=False)
    full = peak("lightning_sigc_2023")
    assert one.macs == 1 and full.macs == 24 * 24 and full.cycles == 1
    # per MAC, the full grid shares each input DAC over 24 outputs and each
    # ADC over 24 wavelengths
    e1, ef = one.breakdown(), full.breakdown()
    per = lambda df, c: df[df.component == c]["energy_pj"].sum()
    assert per(ef, "input_dac") / 576 == pytest.approx(per(e1, "input_dac") / 24, rel=1e-9)
    assert per(ef, "adc") / 576 == pytest.approx(per(e1, "adc") / 24, rel=1e-9)
