"""Spec values that reach a model or the mapper: located errors, never nonsense."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import cimdse
from cimdse.cli import main
from cimdse.spec import SpecError

REPO = Path(__file__).resolve().parents[2]
FIG5 = REPO / "configs" / "examples" / "fig5_macro.yaml"
WANG = REPO / "configs" / "macros" / "wang_vlsi_2022.yaml"
SHIPPED = sorted((REPO / "configs" / "macros").glob("*.yaml")) + [FIG5]

SPEC = """
variables:
  ROWS: 4
  WEIGHT_BITS: 8
arch:
  nodes:
  - !Container
    name: chip
    attributes: {technology: 22, voltage: 0.9, lanes: 2}
  - !Component
    name: adc
    class: adc
    attributes: {resolution: 6, n_adcs: lanes * ROWS}
    no_coalesce: [Outputs]
  - !Component
    name: acc
    class: adder
    coalesce: [Outputs]
  - !Component
    name: cell
    class: constant
    spatial: {meshY: ROWS}
    attributes: {compute_energy: 0.1, size: 1}
    temporal_reuse: [Weights]
"""


def write(tmp_path: Path, text: str = SPEC) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def load_error(path: Path, **overrides) -> SpecError:
    with pytest.raises(SpecError) as info:
        cimdse.load(path, overrides=overrides)
    return info.value


def test_the_small_spec_loads(tmp_path):
    design = cimdse.load(write(tmp_path))
    assert design.node("adc").attributes["n_adcs"] == 8 and design.notes == ()


@pytest.mark.parametrize("key, value, path, words", [
    ("WEIGHT_BITS", 1e-30, "variables.WEIGHT_BITS", "integer"),
    ("WEIGHT_BITS", 1e9, "variables.WEIGHT_BITS", "[1, 16]"),
    ("WEIGHT_BITS", float("inf"), "variables.WEIGHT_BITS", "finite"),
    ("WEIGHT_BITS", True, "variables.WEIGHT_BITS", "must be a number"),
    ("adc.n_adcs", 1e308, "arch.nodes[1].attributes.n_adcs", "[1, 1048576]"),
    ("adc.resolution", 64, "arch.nodes[1].attributes.resolution", "[1, 16]"),
    ("adc.area_scale", float("inf"), "arch.nodes[1].area_scale", "finite"),
    ("adc.energy_scale", 1e12, "arch.nodes[1].energy_scale", "at most 1e+09"),
    ("cell.spatial.meshY", float("inf"), "arch.nodes[3].spatial.meshY", "positive integer"),
    ("mapper.timeout_s", float("inf"), "mapper.timeout_s", "finite"),
])
def test_out_of_range_values_are_located(tmp_path, key, value, path, words):
    err = load_error(write(tmp_path), **{key: value})
    assert words in err.message
    assert err.path == path or err.path.endswith(path)


@pytest.mark.parametrize("name", ["ARRAY_ROWS", "ARRAY_COLS"])
@pytest.mark.parametrize("value, words", [(float("-inf"), "finite"), (0, "[1, 1048576]"),
                                          (64.5, "integer")])
def test_shared_array_size_variables_are_bounded(name, value, words):
    """Fig. 5 reads ROWS/COLS itself; the shared names the system blocks read
    are checked all the same."""
    err = load_error(FIG5, **{name: value})
    assert words in err.message and err.path == f"variables.{name}"


@pytest.mark.parametrize("value, words", [
    ("''", "must be a number, got ''"),
    ("[]", "must be a number"),
    ("2 ** 4096", "range of a float"),
    (".inf", "finite"),
    ("-1", "[0, 4.5036e+15]"),
])
def test_capacity_the_mapper_reads_is_checked_on_any_class(tmp_path, value, words):
    """``size`` of a 'constant' cell: no model declares it, the mapper reads it."""
    err = load_error(write(tmp_path, SPEC.replace("size: 1}", f"size: {value}}}")))
    assert "attribute 'size' (read by the mapper)" in err.message and words in err.message
    assert (err.line, err.path) == (22, "arch.nodes[3].attributes.size")


@pytest.mark.parametrize("key, value, words", [
    ("cell.read_bandwidth", 0, "(0, 1.09951e+12]"),
    ("cell.datawidth", "'wide'", "must be a number"),
    ("cell.depth", 2 ** 41, "[0, 1.09951e+12]"),
])
def test_other_mapper_attributes_are_checked(tmp_path, key, value, words):
    err = load_error(write(tmp_path), **{key: value})
    assert "(read by the mapper)" in err.message and words in err.message


def test_inherited_supply_out_of_range_points_at_the_container(tmp_path):
    err = load_error(write(tmp_path), **{"chip.voltage": 5.0})
    assert err.path == "--set chip.voltage" or err.path == "arch.nodes[0].attributes.voltage"
    assert "nominal supply at 22 nm" in err.message


def test_inherited_supply_from_a_file_is_located_at_its_line(tmp_path):
    err = load_error(write(tmp_path, SPEC.replace("voltage: 0.9", "voltage: 7")))
    assert err.line == 8 and err.path == "arch.nodes[0].attributes.voltage"


def test_soft_band_supply_is_noted_on_the_design(tmp_path, caplog):
    design = cimdse.load(write(tmp_path, SPEC.replace("voltage: 0.9", "voltage: 1.5")))
    assert design.notes and "extrapolated" in design.notes[0]
    assert any("extrapolated" in r.message for r in caplog.records)


# ------------------------------------------------------------- unknown attribute names

def test_misspelt_attribute_in_a_spec_suggests_the_real_one(tmp_path):
    err = load_error(write(tmp_path, SPEC.replace("resolution: 6", "resolutoin: 6")))
    assert err.line == 12 and err.path == "arch.nodes[1].attributes.resolutoin"
    assert err.suggestion == "resolution" and "class 'adc'" in err.message


def test_misspelt_attribute_from_set_is_named_as_given(tmp_path):
    err = load_error(write(tmp_path), **{"adc.resolutoin": 4})
    assert err.path == "--set adc.resolutoin" and err.suggestion == "resolution"


def test_container_attribute_no_model_reads_is_an_error(tmp_path):
    err = load_error(write(tmp_path, SPEC.replace("lanes: 2}", "lanes: 2, technolgy: 7}")))
    assert "container 'chip'" in err.message and err.suggestion == "technology"


def test_consumed_attributes_are_kept(tmp_path):
    """Inherited names, names an expression uses and names the mapper reads."""
    design = cimdse.load(write(tmp_path))
    assert design.node("cell").attributes["size"] == 1          # the mapper's capacity
    assert design.node("cell").attributes["lanes"] == 2         # used by adc.n_adcs
    assert design.node("cell").attributes["technology"] == 22   # a name models read


def test_a_misspelt_sweep_binding_fails_at_once(tmp_path):
    from cimdse.dse.checks import check_bindings
    from cimdse.dse.parser import load_sweep
    (tmp_path / "fig5_macro.yaml").write_text(FIG5.read_text())
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(textwrap.dedent("""
        name: typo
        spec: fig5_macro.yaml
        workloads: [resnet18]
        parameters:
          r_on: {type: float, low: 1.0e3, high: 1.0e5, bind: cell.r_onn}
        objectives: [energy_pj]
        sampler: tpe
        """).lstrip("\n"))
    with pytest.raises(SpecError) as info:
        check_bindings(load_sweep(sweep_file))
    assert info.value.path == "parameters.r_on.bind" and info.value.line == 5
    assert "r_onn" in info.value.message and info.value.suggestion == "r_on"


# ------------------------------------------------------------- the CLI on shipped macros

@pytest.mark.parametrize("spec", SHIPPED, ids=lambda p: p.stem)
def test_cli_voltage_50_is_one_located_line(spec, capsys):
    assert main(["evaluate", str(spec), "--set", "VOLTAGE=50"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    # located in the spec or in a macro file it includes (basic_analog_neurosim
    # includes basic_analog, whose macro container sets the voltage)
    located = [f"error: {p}:" for p in SHIPPED]
    assert any(err[0].startswith(loc) for loc in located) and "voltage" in err[0]
    assert "nominal supply" in err[0]


@pytest.mark.parametrize("setting, words", [
    ("ARRAY_ROWS=1e9", "[1, 1048576]"),
    ("adc.resolutoin=4", "did you mean 'resolution'"),
    ("ADC_AREA_SCALE=.nan", "NaN"),
    ("OUTPUT_BITS=1e9", "[1, 16]"),
    ("INPUT_BITS_PER_SLICE=.inf", "finite"),
    ("DAC_UNIT_RESISTANCE=0", "(0, 1e+12] ohm"),
])
def test_cli_bad_values_on_wang_exit_2_quickly(setting, words, capsys):
    assert main(["evaluate", str(WANG), "--set", setting]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0] and "Traceback" not in err[0]
