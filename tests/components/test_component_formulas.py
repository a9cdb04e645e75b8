"""One hand-computed check per component formula (the CiMLoop artifact (mit-emze/cimloop))."""

from __future__ import annotations

import numpy as np
import pytest

from cimdse.components import ComponentAttributeError, get_model
from cimdse.components.array import load_cell_file, parse_cell_text
from cimdse.components.converters import (adc_energy_pj, adc_resolution_shape,
                                          adc_survey_energy_pj, adc_thermal_energy_pj,
                                          ladder_code_energies, ladder_output)
from cimdse.components.library import list_entries, load_library
from cimdse.components.scaling import tech_area_factor, tech_energy_factor
from cimdse.encoding import uniform_stats, value_stats
from cimdse.workload.distributions import Histogram, from_bit_probabilities


def make(name, **attrs):
    return get_model(name)(attrs)


def point_mass(code: int, bits: int):
    """ValueStats whose every slice code is ``code`` (magnitude encoding)."""
    p = [(code >> (bits - 1 - i)) & 1 for i in range(bits)]
    return value_stats(from_bit_probabilities(p), "magnitude", bits, bits)


# -- ADC ---------------------------------------------------------------------------

def test_adc_survey_worked_checks():
    # at the node's nominal supply (no voltage) and 8 b the law is the survey regression
    jia = make("adc", resolution=8, technology=65, n_adcs=256, throughput=1.896e8)
    assert jia.energy_pj("read") == pytest.approx(6.49, abs=0.005)
    assert jia.area_um2() / 1e6 == pytest.approx(1.251, abs=0.001)
    calibrated = make("adc", resolution=8, technology=65, n_adcs=256, throughput=1.896e8,
                      energy_scale=0.275, area_scale=0.4)
    assert calibrated.energy_pj("read") == pytest.approx(1.79, abs=0.005)
    assert calibrated.area_um2() / 1e6 == pytest.approx(0.50, abs=0.005)
    wang = make("adc", resolution=8, technology=22, n_adcs=16, throughput=16 / 4.66e-9)
    assert wang.energy_pj("read") == pytest.approx(0.847, abs=0.0005)
    assert wang.energy_pj("read") * 3.15 == pytest.approx(2.67, abs=0.005)
    assert wang.energy_pj("write") == 0.0 and wang.leak_power_w() == 0.0


def test_adc_law_by_hand():
    # shape(b) = 0.5 b / 8 + 0.5 2^(b - 8)
    assert adc_resolution_shape(4) == pytest.approx(0.25 + 0.5 / 16)          # 0.28125
    assert adc_resolution_shape(10) == pytest.approx(0.625 + 2.0)
    # thermal: SNDR 98.0905 dB at 16 b, FOM_S 185 dB -> 10^-8.69095 / 2 J
    assert adc_thermal_energy_pj(16) == pytest.approx(10 ** -8.69095 / 2 * 1e12, rel=1e-5)
    assert adc_thermal_energy_pj(16) == pytest.approx(1018.6, abs=0.1)
    f = 1 / 4.66076e-9                                   # Wang: 22 nm, one ADC per column
    e8 = adc_survey_energy_pj(8, 22, f)
    assert e8 == pytest.approx(0.8472, abs=1e-4)
    assert adc_energy_pj(4, 22, f) == pytest.approx(e8 * 0.28125)               # 0.2383 pJ
    assert adc_energy_pj(12, 22, f) == pytest.approx(e8 * (0.75 + 8.0))         # 7.413 pJ
    assert adc_energy_pj(16, 22, f) == pytest.approx(1018.6, abs=0.1)           # thermal
    # supply: C V^2 about the node's nominal 0.9 V; the thermal bound does not scale
    assert adc_energy_pj(8, 22, f, voltage=1.0) == pytest.approx(e8 / 0.81)      # 1.046 pJ
    assert adc_energy_pj(16, 22, f, voltage=1.0) == pytest.approx(1018.6, abs=0.1)
    adc = make("adc", resolution=8, technology=65, n_adcs=256, throughput=1.896e8,
               voltage=0.85)
    assert adc.energy_pj("read") == pytest.approx(6.4946 * (0.85 / 1.1) ** 2, abs=1e-3)


@pytest.mark.parametrize("tech, f", [(7, 1 / 5.5e-9), (22, 1 / 4.66e-9), (65, 1e7),
                                     (32, 1.28e9)])
def test_adc_energy_and_area_non_decreasing_in_resolution(tech, f):
    bits = np.arange(1, 16.01, 0.25)
    energy = [make("adc", resolution=b, technology=tech, throughput=f).energy_pj("read")
              for b in bits]
    area = [make("adc", resolution=b, technology=tech, throughput=f).area_um2() for b in bits]
    assert np.all(np.diff(energy) >= 0) and np.all(np.diff(area) >= 0)
    # at least Walden's x2 per bit once the CDAC dominates (>= 10 b)
    assert energy[-1] / energy[bits.tolist().index(10.0)] >= 2 ** 6 * 0.5


def test_sar_adc_code_dependence_by_hand():
    # f = 1/2: all-zero codes D = 2*255, uniform 1.5*255, all-ones 255
    base = make("adc", resolution=8, throughput=1e8).energy_pj("read")
    sar = make("sar_adc", resolution=8, throughput=1e8, dac_energy_fraction=0.5)
    assert sar.energy_pj("read") == pytest.approx(base)                      # uniform default
    assert sar.energy_pj("read", {"Outputs": point_mass(0, 8)}) == pytest.approx(base * 7 / 6)
    assert sar.energy_pj("read", {"Outputs": point_mass(255, 8)}) == pytest.approx(base * 5 / 6)
    mono = make("sar_adc", resolution=8, throughput=1e8, switching="monotonic")
    assert mono.energy_pj("read", {"Outputs": point_mass(0, 8)}) == pytest.approx(base)


def test_sar_adc_column_sum_codes():
    # 1-bit inputs and weights always 1, 4 rows -> column sum 4 = full scale -> top code
    ones = point_mass(1, 1)
    sar = make("sar_adc", resolution=4, throughput=1e8, rows=4, dac_energy_fraction=1.0)
    pmf = sar.code_pmf({"Inputs": ones, "Weights": ones})
    assert pmf[15] == pytest.approx(1.0)
    assert sar.energy_pj("read", {"Inputs": ones, "Weights": ones}) == pytest.approx(
        sar.conversion_energy_pj() * 15 / 22.5)


# -- DAC ladders ------------------------------------------------------------------

def test_two_bit_ladder_by_hand():
    # G = [[4, -2], [-2, 3]] (LSB node first), det 8:
    # 01 -> v = (3/8, 2/8) V, E = V (V - 3V/8) = 5/8;  10 -> v = (2/8, 4/8), E = 1/2;
    # 11 -> v = (5/8, 6/8), E = 3/8 + 2/8 = 5/8
    assert ladder_code_energies(2) == pytest.approx([0, 5 / 8, 1 / 2, 5 / 8])
    assert [ladder_output(2, c) for c in range(4)] == pytest.approx([0, 0.25, 0.5, 0.75])
    assert ladder_output(8, 255) == pytest.approx(255 / 256)


def test_dac_c2c_and_r2r_average_over_uniform_codes():
    mean = (0 + 5 / 8 + 1 / 2 + 5 / 8) / 4
    quiet = {"flip_flop_energy": 0.0, "controller_energy_scale": 0.0, "resolution": 2,
             "voltage": 1.0}
    c2c = make("dac_c2c", unit_capacitance=1e-15, **quiet)
    assert c2c.energy_pj("read") == pytest.approx(mean * 1e-15 * 1e12)
    r2r = make("dac_r2r", unit_resistance=5000.0, cycle_seconds=1e-9, **quiet)
    assert r2r.energy_pj("read") == pytest.approx(mean * 1e-9 / (2 * 5000) * 1e12)
    # the Inputs slice PMF is the code PMF
    assert c2c.energy_pj("read", {"Inputs": point_mass(2, 2)}) == pytest.approx(0.5e-3)


def test_dac_controller_and_flip_flops():
    # (V tech)^2 N 8e-17 J: 32 nm, 1 V, 8 bits = 0.655 pJ (~0.08 pJ/bit)
    dac = make("dac_c2c", resolution=8, technology=32, voltage=1.0, unit_capacitance=0.0,
               flip_flop_energy=0.0)
    assert dac.energy_pj("read") == pytest.approx(32 ** 2 * 8 * 8e-17 * 1e12)
    ff = make("dac_c2c", resolution=8, unit_capacitance=0.0, controller_energy_scale=0.0,
              flip_flop_energy=0.01)
    assert ff.energy_pj("read", {"Inputs": uniform_stats(8)}) == pytest.approx(8 * 0.01 * 0.25)


def test_temporal_dacs():
    quiet = {"resolution": 2, "load_capacitance": 10e-15, "voltage": 1.0, "step_energy": 0.0}
    # uniform 2-bit codes: E[code] = 1.5, P(code > 0) = 3/4
    assert make("dac_pulse_count", **quiet).energy_pj("read") == pytest.approx(1.5 * 0.01)
    assert make("dac_pwm", **quiet).energy_pj("read") == pytest.approx(0.75 * 0.01)


# -- cells, drivers ---------------------------------------------------------------

def test_rram_read_is_g_v2_t():
    attrs = dict(resistance_on=1e3, resistance_off=1e6, read_voltage=0.2,
                 read_pulse_width=10e-9)
    always = {"Inputs": point_mass(1, 1), "Weights": point_mass(1, 1)}
    cell = make("rram_cell", **attrs)
    assert cell.energy_pj("read", always) == pytest.approx(1e-3 * 0.2 ** 2 * 10e-9 * 1e12)
    off = {"Inputs": point_mass(1, 1), "Weights": point_mass(0, 1)}
    assert cell.energy_pj("read", off) == pytest.approx(1e-6 * 0.04 * 10e-9 * 1e12)
    # temporal 2-bit input code 3 = three pulses; voltage mode: (3/3)^2 = 1 pulse at V
    three = {"Inputs": point_mass(3, 2), "Weights": point_mass(1, 1)}
    assert cell.energy_pj("read", three) == pytest.approx(3 * 0.4)
    assert make("rram_cell", input_mode="voltage", **attrs).energy_pj("read", three) == \
        pytest.approx(0.4)
    # 2 cells per operand read together
    assert make("rram_cell", width_cells=2, **attrs).energy_pj("read", always) == \
        pytest.approx(0.8)


def test_rram_cell_file_values_and_write():
    cell = make("rram_cell", cell_file="rram_example.cell")
    g_on, g_off = cell.conductances()
    assert (1 / g_on, 1 / g_off) == pytest.approx((250e3, 1e6))
    expected = 1.75 ** 2 * (g_on + g_off) / 2 * 8520e-9 * 1e12
    assert cell.energy_pj("write") == pytest.approx(expected)
    assert cell.area_um2() == pytest.approx(40 * 0.065 ** 2)
    # explicit attribute beats the file
    assert make("rram_cell", cell_file="rram_example.cell", resistance_on=1e3).conductances()[0] \
        == pytest.approx(1e-3)


def test_cell_file_parser():
    cell = parse_cell_text("# c\n-ResistanceOn (ohm): 6000\n-SetPulse (ns): 50\n"
                           "-MemCellType: RRAM\n-MinSenseVoltage (mV): 80\n")
    assert cell.si("ResistanceOn") == 6000 and cell.si("SetPulse") == pytest.approx(50e-9)
    assert cell.get("MemCellType") == "RRAM" and cell.si("MinSenseVoltage") == pytest.approx(0.08)
    with pytest.raises(ValueError, match="expected '-Key"):
        parse_cell_text("ResistanceOn = 3")
    assert load_cell_file("sram_example").get("CellArea") == 80
    with pytest.raises(ComponentAttributeError, match="rram_example.cell"):
        make("rram_cell", cell_file="nope.cell")


def test_sram_cell_interpolation():
    cell = make("sram_cell", cell_file="sram_example.cell", voltage=1.0, technology=65)
    e_hi = cell.cell_capacitance() * 1e12
    zero_w = {"Inputs": point_mass(1, 1), "Weights": point_mass(0, 1)}
    one_w = {"Inputs": point_mass(1, 1), "Weights": point_mass(1, 1)}
    assert cell.energy_pj("read", one_w) == pytest.approx(e_hi)
    assert cell.energy_pj("read", zero_w) == pytest.approx(0.1 * e_hi)
    assert cell.energy_pj("read", {"Inputs": point_mass(0, 1)}) == 0.0
    # C_nom = 1 fF/um x 10F + 0.2 fF/um x sqrt(80) F at 65 nm, x multiplier 0.1
    f_um = 0.065
    assert cell.cell_capacitance() == pytest.approx(
        0.1 * (1e-15 * 10 * f_um + 0.2e-15 * np.sqrt(80) * f_um))


def test_row_driver_neurosim_interpolation():
    drv = make("row_driver", cols=64, temporal_dac_bits=4, temporal_spiking=True)
    xbar, cbar = 0.25, 1.0
    stats = {"Inputs": value_stats(Histogram((0, 3, 1)), "magnitude", 1, 1),
             "Weights": point_mass(1, 1)}
    assert stats["Inputs"].mean_slice_value == pytest.approx(xbar)
    on = drv.e_on(cbar, 1.0)
    off = 0.05 * on
    assert drv.energy_pj("read", stats) == pytest.approx(off + (on - off) * xbar * 15)
    assert on == pytest.approx(1.25 * drv.line_capacitance() * 1e12 * 1.1)
    col = make("column_driver", rows=64)
    assert col.energy_pj("read", {"Weights": point_mass(0, 1)}) == pytest.approx(col.e_on(0, 1.0))


def test_driver_area_grows_with_the_line_it_drives():
    # 128 cells of a 40 F^2 cell at 65 nm: pitch sqrt(40) F, access width 4 F
    drv = make("row_driver", cols=128, cell_area=40, access_width=4, technology=65,
               driver_area=600, stage_effort=4)
    f_m = 65e-9
    c_line = 128 * (2e-10 * np.sqrt(40) * f_m + 1e-9 * 4 * f_m)
    # last stage C/4 of gate (1 fF/um), taper x 4/3, PMOS x 3, 8 F per unit width
    buffer_f2 = 3 * (c_line / 4 / 1e-9) * 4 / 3 / f_m * 8
    assert drv.buffer_area_f2() == pytest.approx(buffer_f2)
    assert drv.area_um2() == pytest.approx((600 + buffer_f2) * 0.065 ** 2)
    longer = make("row_driver", cols=256, cell_area=40, access_width=4, technology=65)
    assert longer.buffer_area_f2() == pytest.approx(2 * drv.buffer_area_f2())
    with pytest.raises(ValueError, match="stage_effort"):
        make("row_driver", stage_effort=1)


# -- capacitor, digital, storage, network ------------------------------------------

def test_capacitor_modes():
    two_level = {"Inputs": point_mass(0, 1)}
    coin = {"Inputs": value_stats(Histogram((0, 1, 1)), "magnitude", 1, 1)}
    c = 1e-15
    assert make("capacitor", capacitance=c, voltage=0.5).energy_pj("read") == \
        pytest.approx(c * 0.25 * 1e12)
    switch = make("capacitor", capacitance=c, voltage=1.0, mode="switch")
    assert switch.energy_pj("read", coin) == pytest.approx(0.25 * c * 1e12)   # p0 p1 C V^2
    assert switch.energy_pj("read", two_level) == 0.0
    reset = make("capacitor", capacitance=c, voltage=1.0, mode="switch_from_zero")
    assert reset.energy_pj("read", coin) == pytest.approx(0.5 * c * 1e12)
    assert make("capacitor", capacitance=c, stacked=True).area_um2() == 0.0
    assert make("capacitor", capacitance=2.3e-15, technology=22).area_um2() == pytest.approx(2.0)


def test_c2c_multiplier_ports():
    c, n, v = 1e-15, 4, 1.0
    coin = {"Inputs": value_stats(Histogram((0, 1, 1)), "magnitude", 1, 1)}   # 0 or V
    ladder = 3 * c * n                                   # N unit caps C + N caps 2C
    analog = make("c2c_multiplier", resolution=n, unit_capacitance=c, voltage=v)
    # rising transitions between two coin-flip levels: p0 p1 C_ladder V^2, seen as 1.67/N
    assert analog.energy_pj("read", coin) == pytest.approx(0.25 * ladder * 1.67 / n * 1e12)
    digital = make("c2c_multiplier", resolution=n, unit_capacitance=c, voltage=v,
                   port="digital")
    weights = {"Weights": point_mass(0b1010, 4), **coin}
    assert digital.energy_pj("read", weights) == 0.0     # constant bits never rise
    half = {"Weights": value_stats(from_bit_probabilities([0.5, 0.5]), "magnitude", 2, 2),
            **coin}
    a_rms = np.sqrt(0.5) * v                             # levels 0 and V, each 1/2
    # two operand bits, each p(1-p) = 1/4, on a 4-bit ladder: P(rise) = 2 x 1/4 / 4
    assert digital.energy_pj("read", half) == pytest.approx(ladder * v * a_rms / 8 * 1e12)
    # area: per bit a C and a 2C capacitor (each C/density + 1 um^2 border at 22 nm)
    # and 400 F^2 of switches
    area = make("c2c_multiplier", resolution=1, unit_capacitance=2.3e-15, technology=22)
    assert area.area_um2() == pytest.approx((1 + 1) + (2 + 1) + 400 * 0.022 ** 2)
    with pytest.raises(ComponentAttributeError, match="port"):
        make("c2c_multiplier", port="both")


def test_digital_references():
    assert make("adder", width=32, technology=40, voltage=0.9).energy_pj("read") == \
        pytest.approx(0.21)
    assert make("adder", width=16, technology=40, voltage=0.9).energy_pj("read") == \
        pytest.approx(0.105)
    assert make("register", width=1, technology=45, voltage=0.9).energy_pj("write") == \
        pytest.approx(0.009)
    assert make("comparator", width=32, technology=45, voltage=0.9).area_um2() == \
        pytest.approx(71)
    assert make("counter", width=32, technology=45, voltage=0.45).energy_pj("read") == \
        pytest.approx(0.25074 / 4)
    # adder tree of 4 x 8-bit: two 8-bit adders + one 9-bit adder = 25 adder bits
    tree = make("adder_tree", n_inputs=4, width=8, technology=40, voltage=0.9)
    assert tree.energy_pj("read") == pytest.approx(25 * 0.21 / 32)


def test_sram_buffer_horowitz_points():
    base = dict(width=64, technology=45, voltage=0.9, address_generator=False)
    assert make("sram_buffer", depth=1024, **base).energy_pj("read") == pytest.approx(10.0)
    assert make("sram_buffer", depth=4096, **base).energy_pj("read") == pytest.approx(20.0)
    assert make("sram_buffer", depth=1024, **base).area_um2() == \
        pytest.approx(64 * 1024 * 146 * 0.045 ** 2 / 0.7)
    two_port = make("sram_buffer", depth=1024, ports=2, **base)
    assert two_port.energy_pj("read") == pytest.approx(12.5)


def test_dram_pj_per_bit():
    assert make("dram", type="LPDDR4", width=64).energy_pj("read") == pytest.approx(8 * 64)
    assert make("dram", type="HBM2", width=256).energy_pj("write") == pytest.approx(3.9 * 256)
    assert make("dram", type="ddr4", width=1).energy_pj("update") == pytest.approx(44.8)
    assert make("dram", type="GDDR6", width=1).energy_pj("read") == pytest.approx(11.34)
    assert make("dram", pj_per_bit=2.0, type="mine", width=8).energy_pj("read") == 16.0
    with pytest.raises(ComponentAttributeError, match="GDDR5"):
        make("dram", type="GDDR7")


def test_router_and_link():
    assert make("router", width=256, technology=32, voltage=1.0).energy_pj("read") == \
        pytest.approx(20.74)
    assert make("router", width=256, technology=32).area_um2() == pytest.approx(37500)
    assert make("chip_link", width=128).energy_pj("read") == pytest.approx(26.0)


# -- table library -----------------------------------------------------------------

def test_library_ships_spec_entries():
    entries = list_entries()
    for name in ("jia_datapath", "jia_shift_add", "wan_variable_precision_adc",
                 "wan_shift_add", "wan_analog_integrator", "wan_analog_sample", "isaac_eDRAM",
                 "isaac_eDRAM_bus", "isaac_router_shared_by_four", "isaac_chip2chip_link",
                 "timely_psubBuf", "raella_quant_multiplier", "aladdin_adder",
                 "aladdin_comparator", "aladdin_counter", "aladdin_multiplier",
                 "aladdin_register"):
        assert name in entries
        assert all(row.source for row in load_library()[name])


def test_table_scaling_rules():
    ref = make("table", entry="jia_datapath")
    assert ref.energy_pj("read") == 12.0 and ref.area_um2() == 10535
    assert ref.energy_pj("leak") == pytest.approx(2.4)            # per 540 ns cycle
    assert ref.leak_power_w() == pytest.approx(2.4e-12 / 540e-9)
    assert ref.energy_pj("write") == 0.0
    half_v = make("table", entry="jia_datapath", voltage=0.6)
    assert half_v.energy_pj("read") == pytest.approx(3.0)
    assert half_v.energy_pj("leak") == pytest.approx(2.4)          # leak not voltage-scaled
    faster = make("table", entry="jia_datapath", cycle_seconds=270e-9)
    assert faster.energy_pj("leak") == pytest.approx(1.2)
    node = make("table", entry="jia_datapath", technology=22)
    assert node.energy_pj("read") == pytest.approx(12 * tech_energy_factor(65, 22))
    assert node.area_um2() == pytest.approx(10535 * tech_area_factor(65, 22))
    assert make("table", entry="aladdin_adder", width=16).energy_pj("read") == pytest.approx(0.105)
    steps = make("table", entry="wan_analog_integrator", n_steps=22)
    assert steps.energy_pj("read") == pytest.approx(0.25 * 22)
    assert make("table", entry="jia_shift_add", resolution=10).energy_pj("read") == \
        pytest.approx(2.25 * 4)
    edram = make("table", entry="isaac_eDRAM", depth=4096)
    assert edram.energy_pj("read") == pytest.approx(20.45 * 2 ** 0.78)
    assert edram.area_um2() == pytest.approx(83000 * 2)
    with pytest.raises(ComponentAttributeError, match="did you mean 'jia_datapath'"):
        make("table", entry="jia_datapth")


def test_user_library_overlay(tmp_path):
    lib = tmp_path / "mine.csv"
    lib.write_text("class,attributes,action,energy_pj,area_um2,source\n"
                   "my_mac,technology=28;width=8,read|compute,0.5,40,my paper\n")
    mac = make("table", entry="my_mac", library=str(lib), width=16)
    assert mac.energy_pj("compute") == pytest.approx(1.0)
    assert mac.area_um2() == pytest.approx(80)
    assert make("table", entry="jia_datapath", library=str(lib)).energy_pj("read") == 12.0


# -- multiplier / MAC (Horowitz ISSCC 2014, 45 nm, 0.9 V) -------------------------

def test_multiplier_and_mac_by_hand():
    ref = {"technology": 45, "voltage": 0.9}
    mult8 = make("multiplier", width=8, **ref)
    assert mult8.energy_pj("compute") == pytest.approx(0.2)       # Horowitz 8b multiply
    assert mult8.energy_pj("read") == pytest.approx(0.2)
    assert mult8.energy_pj("write") == 0.0
    assert mult8.area_um2() == pytest.approx(282)
    # 32b multiply: 0.2 pJ x 1024 / 64 = 3.2 pJ (Horowitz: 3.1 pJ)
    assert make("multiplier", width=32, **ref).energy_pj("read") == pytest.approx(3.2)
    # 8b x 4b: half the partial-product bits of 8b x 8b
    assert make("multiplier", width=8, width_b=4, **ref).energy_pj("read") == pytest.approx(0.1)
    # MAC: multiply + 16-bit accumulate, 0.2 + 0.1 x 16/32 = 0.25 pJ; area 282 + 137/2
    mac = make("mac", width=8, **ref)
    assert mac.energy_pj("compute") == pytest.approx(0.25)
    assert mac.area_um2() == pytest.approx(282 + 68.5)
    assert make("mac", width=8, accumulator_width=32, **ref).energy_pj("compute") == \
        pytest.approx(0.3)
    # node and supply scaling as every digital model: x node factor x (V / 0.9)^2
    moved = make("mac", width=8, technology=22, voltage=0.8)
    assert moved.energy_pj("compute") == pytest.approx(
        0.25 * tech_energy_factor(45, 22) * (0.8 / 0.9) ** 2)
    assert moved.area_um2() == pytest.approx(350.5 * tech_area_factor(45, 22))
