"""Spec loading: tags, directives, inheritance, variables, includes, overrides."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import cimdse
from cimdse.spec import SpecError, parse_set

REPO = Path(__file__).resolve().parents[2]
FIG5 = REPO / "configs" / "examples" / "fig5_macro.yaml"


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


MINIMAL = """
variables:
  ROWS: 4
  COLS: 2 * ROWS
arch:
  nodes:
  - !Component
    name: buf
    class: constant
    attributes: {depth: ROWS * COLS, read_energy: 1.5}
    temporal_reuse: [Inputs, Outputs]
  - !Container
    name: array
    attributes: {technology: 22, voltage: 0.8}
  - !Component
    name: dac
    class: constant
    no_coalesce: [Inputs]
  - !Component
    name: adder
    class: constant
    coalesce: [Outputs]
  - !Container
    name: column
    spatial: {meshX: COLS}
    spatial_reuse: [Inputs]
    constraints:
      spatial: {factors: ["M<=COLS"], no_iteration_over: [Inputs]}
      max_utilization: {M: COLS}
  - !Component
    name: cell
    class: constant
    spatial: {meshY: ROWS}
    spatial_reuse: [Outputs]
    attributes: {compute_energy: voltage ** 2}
    temporal_reuse: [Weights]
    constraints:
      temporal: {factors_only: [C, M], loop_order: [M, C], factors: {C: 2}}
"""


def test_fig5_example_resolves_with_instance_counts():
    design = cimdse.load(FIG5)
    counts = {n.name: n.instances for n in design.nodes}
    rows, cols = design.variables["ROWS"], design.variables["COLS"]
    assert counts == {"buffer": 1, "macro": 1, "adder": 1, "dac_bank": 1,
                      "column": cols, "adc": cols, "cell": rows * cols}
    assert [n.name for n in design.components] == ["buffer", "adder", "dac_bank", "adc", "cell"]


def test_tags_directives_and_bypass(tmp_path):
    design = cimdse.load(write(tmp_path, MINIMAL))
    buf, array, dac, adder, column, cell = design.nodes
    assert array.is_container and buf.is_component
    assert buf.temporal_reuse == {"Inputs", "Outputs"} and buf.bypasses("Weights")
    assert dac.no_coalesce == {"Inputs"} and dac.bypasses("Outputs")
    assert adder.coalesce == {"Outputs"}
    assert column.spatial_reuse == {"Inputs"} and column.fanout == 8
    assert cell.spatial_reuse == {"Outputs"} and cell.mesh_y == 4
    # spatial_reuse defaults to every tensor when not written
    assert buf.spatial_reuse == {"Inputs", "Weights", "Outputs"}


def test_attributes_inherit_and_evaluate(tmp_path):
    design = cimdse.load(write(tmp_path, MINIMAL))
    cell = design.node("cell")
    assert cell.attributes["technology"] == 22
    assert cell.attributes["compute_energy"] == pytest.approx(0.64)  # voltage ** 2
    assert design.node("buf").attributes["depth"] == 32  # ROWS * COLS
    assert "technology" not in design.node("buf").attributes  # only descendants inherit
    assert cell.parents == ("array", "column")


def test_constraints_parse(tmp_path):
    design = cimdse.load(write(tmp_path, MINIMAL))
    column, cell = design.node("column"), design.node("cell")
    assert [str(f) for f in column.constraints.spatial.factors] == ["M<=8"]
    assert column.constraints.spatial.no_iteration_over == ("Inputs",)
    assert dict(column.constraints.max_utilization) == {"M": 8}
    temporal = cell.constraints.temporal
    assert temporal.factors_only == ("C", "M") and temporal.loop_order == ("M", "C")
    assert [str(f) for f in temporal.factors] == ["C=2"]
    assert temporal.factors[0].allows(2) and not temporal.factors[0].allows(3)


def test_enabled_false_removes_node(tmp_path):
    text = MINIMAL.replace("    name: adder\n", "    name: adder\n    enabled: ROWS > 100\n")
    design = cimdse.load(write(tmp_path, text))
    assert "adder" not in [n.name for n in design.nodes]


def test_variables_forward_reference_and_math(tmp_path):
    path = write(tmp_path, """
        variables:
          A: B + 1
          B: ceil(log2(9))
          C: max(A, B) if A > 2 else min(A, B)
          ENC: offset
          CELL: rram.cell.yaml
          TEXT: "'quoted'"
        arch:
          nodes:
          - !Component {name: x, class: dummy}
        """)
    values = cimdse.load(path).variables
    assert values["B"] == 4 and values["A"] == 5 and values["C"] == 5
    assert values["ENC"] == "offset" and values["CELL"] == "rram.cell.yaml"
    assert values["TEXT"] == "quoted"


def test_include_later_files_override(tmp_path):
    write(tmp_path, """
        variables: {ROWS: 4, COLS: 8, BITS: 2}
        arch:
          nodes:
          - !Component {name: x, class: dummy}
        """, "base.yaml")
    write(tmp_path, "variables: {COLS: 16}\n", "wide.yaml")
    sub = tmp_path / "sub"
    sub.mkdir()
    path = write(sub, """
        include: [../base.yaml, ../wide.yaml]
        variables: {BITS: 3}
        """)
    design = cimdse.load(path)
    assert dict(design.variables) == {"ROWS": 4, "COLS": 16, "BITS": 3}
    assert [n.name for n in design.nodes] == ["x"]


def test_overrides_variables_and_node_attributes(tmp_path):
    path = write(tmp_path, MINIMAL)
    design = cimdse.load(path, overrides={"ROWS": 8, "cell.compute_energy": 2.0,
                                          "column.spatial.meshX": 4,
                                          "mapper.metric": "energy"})
    assert design.variables["COLS"] == 16  # dependent variable re-evaluated
    assert design.node("cell").attributes["compute_energy"] == 2.0
    assert design.node("column").fanout == 4
    assert design.node("cell").instances == 4 * 8
    assert design.mapper.metric == "energy"


def test_parse_set_types_values_with_yaml():
    assert parse_set(["A=3", "B=0.5", "C=true", "D=[1, 2]", "E=offset", "F=1e-9"]) == {
        "A": 3, "B": 0.5, "C": True, "D": [1, 2], "E": "offset", "F": "1e-9"}
    with pytest.raises(SpecError, match="KEY=VALUE"):
        parse_set(["novalue"])


def test_override_string_expression_is_evaluated(tmp_path):
    design = cimdse.load(write(tmp_path, MINIMAL), overrides=parse_set(["F=1e-9"]) and {"ROWS": "2 * 3"})
    assert design.variables["ROWS"] == 6


def test_design_is_frozen(tmp_path):
    design = cimdse.load(write(tmp_path, MINIMAL))
    with pytest.raises(TypeError):
        design.variables["ROWS"] = 3  # type: ignore[index]
    with pytest.raises(AttributeError):
        design.name = "other"  # type: ignore[misc]


def test_copies_is_an_expression_and_must_be_non_negative(tmp_path):
    text = MINIMAL.replace("    name: dac\n", "    name: dac\n    copies: ROWS / 2\n")
    nodes = {n.name: n for n in cimdse.load(write(tmp_path, text)).nodes}
    assert nodes["dac"].copies == 2.0 and nodes["adder"].copies == 1.0
    bad = MINIMAL.replace("    name: dac\n", "    name: dac\n    copies: -1\n")
    with pytest.raises(SpecError, match="'copies' must be a non-negative number"):
        cimdse.load(write(tmp_path, bad))
