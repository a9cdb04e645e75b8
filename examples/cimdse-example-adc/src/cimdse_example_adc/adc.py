"""A single-slope (ramp) ADC that stops when its ramp crosses the input.

A ramp rises one LSB per clock step while a counter counts; the comparator
stops both when the ramp crosses the sampled bitline voltage. Converting to
output code ``c`` takes ``c + 1`` steps, so one conversion costs

    E(c) = conversion_energy + step_energy x (c + 1)

(sample-and-hold, comparator reset and readout in ``conversion_energy``;
ramp generator, counter and comparator per step in ``step_energy``;
illustrative constants, not fitted to silicon). Small column sums convert
cheaply: the ADC consumes column sums (``consumes = "column_sum"``).
"""

from __future__ import annotations

import numpy as np

from cimdse.bounds import AREA_UM2, CONVERTER_BITS, ENERGY_PJ, MAX_LINE_CELLS, MAX_SCALE, \
    non_negative, positive
from cimdse.components import Attribute, ComponentModel, check_action
from cimdse.encoding import column_sum_pmf, stats_of


class RampADC(ComponentModel):
    """Ramp ADC with early stop; ``read`` is one conversion.

    Codes: with ``rows`` > 0 and Inputs and Weights statistics, the column
    sum of ``rows`` (input slice x weight slice) products quantised to
    ``2^resolution`` codes, ``full_scale_fraction`` x the largest possible
    sum mapped to the top code (larger sums clip); else the Outputs
    statistics' mean code; else uniform codes. Area: ``bit_area`` per bit
    (counter and ramp). No leakage.
    """

    name = "ramp_adc"
    source = ("single-slope ADC with comparator-triggered stop, E = E_conv + E_step (code + 1) "
              "(illustrative constants)")
    consumes = "column_sum"
    attributes = (
        Attribute("resolution", "bits", "ADC resolution", 8, int, bounds=CONVERTER_BITS),
        Attribute("conversion_energy", "pJ", "energy of one conversion besides its ramp steps",
                  0.05, bounds=ENERGY_PJ),
        Attribute("step_energy", "pJ", "energy of one ramp step (ramp, counter, comparator)",
                  0.002, bounds=ENERGY_PJ),
        Attribute("bit_area", "um^2", "area per bit of resolution", 25.0, bounds=AREA_UM2),
        Attribute("rows", "-", "rows summed on the converted column (0: use Outputs)", 0, int,
                  bounds=non_negative(MAX_LINE_CELLS)),
        Attribute("full_scale_fraction", "-",
                  "full scale as a fraction of the largest possible column sum", 1.0,
                  bounds=positive(MAX_SCALE)),
    )

    def energy_pj(self, action: str, stats=None) -> float:
        check_action(self.name, action)
        if action != "read":
            return 0.0
        return self._conversion_pj(self.mean_code(stats))

    def column_sum_energy_pj(self, action, sums, input_full_scale, weight_full_scale) -> float:
        check_action(self.name, action)
        codes = self._codes(np.asarray(sums, dtype=float), input_full_scale, weight_full_scale)
        if action != "read" or codes.size == 0:
            return 0.0
        return self._conversion_pj(float(codes.mean()))

    def area_um2(self) -> float:
        return float(self.attrs["resolution"] * self.attrs["bit_area"])

    def mean_code(self, stats) -> float:
        """Mean output code of the conversions these statistics describe."""
        top = 2 ** self.attrs["resolution"] - 1
        ins, ws = stats_of(stats, "Inputs"), stats_of(stats, "Weights")
        if self.attrs["rows"] > 0 and ins is not None and ws is not None:
            values, pmf = column_sum_pmf(ins, ws, self.attrs["rows"])
            return float(pmf @ self._codes(values, ins.full_scale, ws.full_scale))
        outs = stats_of(stats, "Outputs")
        if outs is not None:
            return outs.mean_slice_value * top
        return top / 2

    def _codes(self, sums: np.ndarray, input_full_scale: int,
               weight_full_scale: int) -> np.ndarray:
        top = 2 ** self.attrs["resolution"] - 1
        full_scale = (self.attrs["rows"] * input_full_scale * weight_full_scale
                      * self.attrs["full_scale_fraction"])
        return np.clip(np.rint(sums / max(full_scale, 1e-30) * top), 0, top)

    def _conversion_pj(self, mean_code: float) -> float:
        a = self.attrs
        return float(a["conversion_energy"] + a["step_energy"] * (mean_code + 1))
