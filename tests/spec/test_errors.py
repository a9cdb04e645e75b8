"""One test per class of spec error: each names file, line, field path and,
where one exists, the suggested fix."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import cimdse
from cimdse.spec import SpecError

from guards import line_of

REPO = Path(__file__).resolve().parents[2]
FIG5 = REPO / "configs" / "examples" / "fig5_macro.yaml"


def write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def load_error(path: Path, **kwargs) -> SpecError:
    with pytest.raises(SpecError) as info:
        cimdse.load(path, **kwargs)
    return info.value


def test_misspelled_directive_names_file_line_path_and_fix(tmp_path):
    text = FIG5.read_text().replace("temporal_reuse: [Weights]", "temporal_resue: [Weights]")
    path = write(tmp_path, text)
    err = load_error(path)
    assert err.file == str(path)
    assert err.line == line_of(path, "temporal_resue")
    assert err.path == "arch.nodes[6].temporal_resue"
    assert err.suggestion == "temporal_reuse"
    message = str(err)
    assert str(path) in message and f":{err.line}:" in message
    assert "arch.nodes[6].temporal_resue" in message and "did you mean 'temporal_reuse'?" in message


def test_cli_prints_one_message_and_exits_2(tmp_path):
    text = FIG5.read_text().replace("temporal_reuse: [Weights]", "temporal_resue: [Weights]")
    path = write(tmp_path, text)
    proc = subprocess.run([sys.executable, "-m", "cimdse.cli", "check", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "temporal_reuse" in lines[0] and str(path) in lines[0]


def test_unknown_top_level_key(tmp_path):
    path = write(tmp_path, """
        variabels: {A: 1}
        arch: {nodes: [!Component {name: x, class: dummy}]}
        """)
    err = load_error(path)
    assert (err.line, err.path, err.suggestion) == (1, "variabels", "variables")


def test_expression_sandbox_rejects_import_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = write(tmp_path, f"""
        variables:
          X: "__import__('os').system('touch {marker}')"
        arch: {{nodes: [!Component {{name: x, class: dummy}}]}}
        """)
    err = load_error(path)
    assert err.path == "variables.X" and err.line == 2
    assert "not allowed" in str(err)
    assert not marker.exists()


@pytest.mark.parametrize("expr, words", [
    ("(1).__class__", "attribute access"),
    ("__builtins__", "not allowed"),
    ("open('f')", "function 'open' is not allowed"),
    ("[x for x in range(3)]", "not allowed"),
    ("(lambda: 1)()", "not allowed"),
    ("2 ** 100000", "power too large"),
    ("'a' * 10000000", "too large"),
])
def test_expression_sandbox_forbidden_constructs(tmp_path, expr, words):
    path = write(tmp_path, f"""
        variables:
          X: {json.dumps(expr)}
        arch: {{nodes: [!Component {{name: x, class: dummy}}]}}
        """)
    err = load_error(path)
    assert words in str(err) and err.path == "variables.X"


def test_undefined_variable_suggests_nearest(tmp_path):
    path = write(tmp_path, """
        variables:
          ROWS: 128
          COLS: ROWZ * 2
        arch: {nodes: [!Component {name: x, class: dummy}]}
        """)
    err = load_error(path)
    assert (err.line, err.path, err.suggestion) == (3, "variables.COLS", "ROWS")
    assert "undefined variable 'ROWZ'" in str(err)


def test_expression_runtime_error(tmp_path):
    path = write(tmp_path, """
        variables:
          A: 0
          B: 1 / A
        arch: {nodes: [!Component {name: x, class: dummy}]}
        """)
    err = load_error(path)
    assert err.path == "variables.B" and err.line == 3 and "ZeroDivisionError" in str(err)


def test_variable_cycle_names_the_chain(tmp_path):
    path = write(tmp_path, """
        variables:
          A: B + 1
          B: C + 1
          C: A + 1
        arch: {nodes: [!Component {name: x, class: dummy}]}
        """)
    err = load_error(path)
    assert "variable cycle: A -> B -> C -> A" in str(err)
    assert err.path == "variables.A" and err.line == 2


def test_attribute_cycle(tmp_path):
    path = write(tmp_path, """
        arch:
          nodes:
          - !Component
            name: x
            class: constant
            attributes: {read_energy: write_energy, write_energy: read_energy}
        """)
    err = load_error(path)
    assert "attribute cycle" in str(err) and err.path.startswith("arch.nodes[0].attributes.")


def test_wrong_type_of_spatial_mesh(tmp_path):
    path = write(tmp_path, """
        variables: {N: 2.5}
        arch:
          nodes:
          - !Container {name: c, spatial: {meshX: N}}
          - !Component {name: x, class: dummy}
        """)
    err = load_error(path)
    assert err.path == "arch.nodes[0].spatial.meshX" and err.line == 4
    assert "positive integer" in str(err)


def test_wrong_type_of_component_attribute(tmp_path):
    path = write(tmp_path, """
        arch:
          nodes:
          - !Component
            name: x
            class: constant
            attributes:
              read_energy: lots
        """)
    err = load_error(path)
    assert err.path == "arch.nodes[0].attributes.read_energy" and err.line == 7
    assert "must be a number" in str(err)


def test_missing_required_key_and_attribute(tmp_path):
    path = write(tmp_path, """
        arch:
          nodes:
          - !Component {class: dummy}
        """)
    err = load_error(path)
    assert err.path == "arch.nodes[0].name" and err.line == 3 and "missing required key 'name'" in str(err)
    path = write(tmp_path, """
        arch:
          nodes:
          - !Component {name: x}
        """)
    err = load_error(path)
    assert err.path == "arch.nodes[0].class" and "missing required key 'class'" in str(err)


def test_missing_required_component_attribute(tmp_path):
    from cimdse.components import REQUIRED, Attribute, ComponentModel, register

    @register
    class _NeedsRows(ComponentModel):
        name = "test_needs_rows"
        source = "test"
        attributes = (Attribute("rows", "count", "array rows", REQUIRED, int),)

        def energy_pj(self, action, stats=None):
            return 0.0

        def area_um2(self):
            return 0.0

    path = write(tmp_path, """
        arch:
          nodes:
          - !Component
            name: x
            class: test_needs_rows
            attributes: {cols: 3}
        """)
    err = load_error(path)
    assert "requires attribute 'rows'" in str(err)
    assert err.path == "arch.nodes[0].attributes" and err.line == 6


def test_unknown_component_class_suggests(tmp_path):
    path = write(tmp_path, """
        arch:
          nodes:
          - !Component {name: x, class: constnt}
        """)
    err = load_error(path)
    assert err.path == "arch.nodes[0].class" and "did you mean 'constant'" in str(err)


def test_duplicate_node_names(tmp_path):
    path = write(tmp_path, """
        arch:
          nodes:
          - !Component {name: x, class: dummy}
          - !Component
            name: x
            class: dummy
        """)
    err = load_error(path)
    assert err.path == "arch.nodes[1].name" and err.line == 5 and "duplicate node name 'x'" in str(err)


def test_duplicate_yaml_key(tmp_path):
    path = write(tmp_path, """
        variables:
          A: 1
          A: 2
        arch: {nodes: [!Component {name: x, class: dummy}]}
        """)
    err = load_error(path)
    assert err.line == 3 and "duplicate key 'A'" in str(err)


def test_unknown_tensor_name_suggests(tmp_path):
    path = write(tmp_path, """
        arch:
          nodes:
          - !Component
            name: x
            class: dummy
            temporal_reuse: [Inputs, Weight]
        """)
    err = load_error(path)
    assert err.path == "arch.nodes[0].temporal_reuse[1]" and err.line == 6
    assert err.suggestion == "Weights"


def test_tensor_in_two_directives(tmp_path):
    path = write(tmp_path, """
        arch:
          nodes:
          - !Component
            name: x
            class: dummy
            temporal_reuse: [Inputs]
            no_coalesce: [Inputs]
        """)
    err = load_error(path)
    assert err.path == "arch.nodes[0].no_coalesce" and err.line == 7


def test_unknown_dim_in_constraints(tmp_path):
    path = write(tmp_path, """
        arch:
          nodes:
          - !Component
            name: x
            class: dummy
            constraints:
              temporal: {factors: ["K=4"], loop_order: [C, M]}
        """)
    err = load_error(path)
    assert "unknown dim 'K'" in str(err) and err.path == "arch.nodes[0].constraints.temporal.factors"


def test_container_directive_key_rejected(tmp_path):
    path = write(tmp_path, """
        arch:
          nodes:
          - !Container
            name: c
            temporal_reuse: [Inputs]
          - !Component {name: x, class: dummy}
        """)
    err = load_error(path)
    assert err.path == "arch.nodes[0].temporal_reuse" and err.line == 5


def test_unknown_tag_suggests(tmp_path):
    path = write(tmp_path, """
        arch:
          nodes:
          - !Componet {name: x, class: dummy}
        """)
    err = load_error(path)
    assert err.line == 3 and err.suggestion == "!Component"


def test_yaml_syntax_error_has_line(tmp_path):
    path = write(tmp_path, "variables:\n  A: [1, 2\narch: {}\n")
    err = load_error(path)
    assert err.file == str(path) and err.line is not None and "YAML syntax error" in str(err)


def test_missing_include_names_including_file(tmp_path):
    path = write(tmp_path, "include: [nothere.yaml]\n")
    err = load_error(path)
    assert err.file == str(path) and err.line == 1 and err.path == "include[0]"


def test_include_cycle(tmp_path):
    write(tmp_path, "include: [b.yaml]\n", "a.yaml")
    write(tmp_path, "include: [a.yaml]\n", "b.yaml")
    err = load_error(tmp_path / "a.yaml")
    assert "include cycle" in str(err)


def test_override_unknown_variable_suggests(tmp_path):
    err = load_error(FIG5, overrides={"ROWZ": 3})
    assert err.path == "--set ROWZ" and err.suggestion == "ROWS"


def test_bad_mapper_metric(tmp_path):
    err = load_error(FIG5, overrides={"mapper.metric": "edpp"})
    assert err.suggestion == "edp" and err.path == "mapper.metric"


def test_no_component(tmp_path):
    path = write(tmp_path, "arch: {nodes: [!Container {name: c}]}\n")
    assert "no enabled !Component" in str(load_error(path))
