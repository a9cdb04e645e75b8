"""Node-list composition: !Include splicing, variable precedence, errors, compose keys."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import cimdse
from cimdse.spec import SpecError

REPO = Path(__file__).resolve().parents[2]
WANG = REPO / "configs" / "macros" / "wang_vlsi_2022.yaml"
SYSTEMS = REPO / "configs" / "systems"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def component(name: str, extra: str = "") -> str:
    return f"""
  - !Component
    name: {name}
    class: constant
    attributes: {{read_energy: 1.0{extra}}}
    temporal_reuse: [Inputs, Weights, Outputs]"""


def test_include_splices_nodes_in_place(tmp_path):
    write(tmp_path, "blocks/mid.yaml", "arch:\n  nodes:" + component("b1") + component("b2"))
    spec = write(tmp_path, "top.yaml", "arch:\n  nodes:" + component("a")
                 + "\n  - !Include blocks/mid.yaml" + component("c") + "\n")
    design = cimdse.load(spec)
    assert [n.name for n in design.nodes] == ["a", "b1", "b2", "c"]
    assert design.node("b1").location.file.endswith("mid.yaml")


def test_nested_include_is_relative_to_the_including_file(tmp_path):
    write(tmp_path, "blocks/inner.yaml", "arch:\n  nodes:" + component("inner"))
    write(tmp_path, "blocks/outer.yaml", "arch:\n  nodes:\n  - !Include inner.yaml"
          + component("outer"))
    spec = write(tmp_path, "top.yaml", "arch:\n  nodes:\n  - !Include blocks/outer.yaml"
                 + component("leaf"))
    assert [n.name for n in cimdse.load(spec).nodes] == ["inner", "outer", "leaf"]


def test_including_file_variables_win(tmp_path):
    write(tmp_path, "a.yaml", """
        variables: {X: 1, ONLY_A: 5, SHARED: 10}
        arch:
          nodes:
          - !Component
            name: a
            class: constant
            attributes: {read_energy: X + ONLY_A}
            temporal_reuse: [Inputs, Weights, Outputs]
        """)
    write(tmp_path, "b.yaml", "variables: {SHARED: 20}\narch:\n  nodes:" + component("b"))
    spec = write(tmp_path, "top.yaml", """
        variables: {X: 2}
        arch:
          nodes:
          - !Include a.yaml
          - !Include b.yaml
        """)
    design = cimdse.load(spec)
    assert design.variables["X"] == 2                  # the including file wins
    assert design.variables["SHARED"] == 20            # later includes override earlier ones
    assert design.node("a").attributes["read_energy"] == 7
    assert cimdse.load(spec, {"X": 3}).node("a").attributes["read_energy"] == 8


def test_include_cycle_is_located(tmp_path):
    write(tmp_path, "a.yaml", "arch:\n  nodes:\n  - !Include b.yaml" + component("a"))
    write(tmp_path, "b.yaml", "arch:\n  nodes:\n  - !Include a.yaml" + component("b"))
    with pytest.raises(SpecError, match="include cycle: a.yaml -> b.yaml -> a.yaml") as info:
        cimdse.load(tmp_path / "a.yaml")
    err = info.value
    assert err.file.endswith("b.yaml") and err.line == 3 and err.path == "arch.nodes[0]"


def test_missing_include_is_located(tmp_path):
    spec = write(tmp_path, "top.yaml", "arch:\n  nodes:" + component("a")
                 + "\n  - !Include nothere.yaml\n")
    with pytest.raises(SpecError, match="included file not found: nothere.yaml") as info:
        cimdse.load(spec)
    err = info.value
    assert err.file == str(spec.resolve()) and err.line == 8 and err.path == "arch.nodes[1]"


def test_include_without_nodes_and_bad_tag(tmp_path):
    write(tmp_path, "vars.yaml", "variables: {X: 1}\n")
    spec = write(tmp_path, "top.yaml", "arch:\n  nodes:\n  - !Include vars.yaml" + component("a"))
    with pytest.raises(SpecError, match="no 'arch.nodes'"):
        cimdse.load(spec)
    bad = write(tmp_path, "bad.yaml", "arch:\n  nodes:\n  - !Inclde vars.yaml\n")
    with pytest.raises(SpecError, match="did you mean '!Include'"):
        cimdse.load(bad)


def test_compose_keywords_equal_the_file_composition():
    by_file = cimdse.load(SYSTEMS / "examples" / "wang_fetch_all_lpddr4.yaml")
    by_args = cimdse.load(WANG, system="fetch_all_lpddr4", chip="glb_routers", tile="io_buffers")
    by_keys = cimdse.load(WANG, {"compose.system": str(SYSTEMS / "system" / "fetch_all_lpddr4.yaml"),
                                 "compose.chip": "glb_routers", "compose.tile": "io_buffers"})
    names = [n.name for n in by_file.nodes]
    assert names[:3] == ["system", "dram", "chip_in_system"]
    for other in (by_args, by_keys):
        assert [n.name for n in other.nodes] == names
        assert [n.instances for n in other.nodes] == [n.instances for n in by_file.nodes]
    assert by_args.name == "wang_vlsi_2022"
    assert by_keys.overrides["compose.chip"] == "glb_routers"


def test_missing_levels_default_to_none():
    design = cimdse.load(WANG, tile="io_buffers")
    names = [n.name for n in design.nodes]
    assert names[:5] == ["system", "chip_in_system", "chip", "tile_in_chip", "tile"]
    assert design.node("macro").instances == 8


def test_compose_errors():
    with pytest.raises(SpecError, match="no system named 'fetch_al'") as info:
        cimdse.load(WANG, system="fetch_al")
    assert info.value.suggestion.startswith("fetch_all")
    with pytest.raises(SpecError, match="unknown composition key") as info:
        cimdse.load(WANG, {"compose.sytem": "none"})
    assert info.value.suggestion == "compose.system"
    with pytest.raises(SpecError, match="tile file not found"):
        cimdse.load(WANG, tile="nothere.yaml")


def test_cli_composition(capsys):
    from cimdse.cli import main
    assert main(["check", str(WANG), "--system", "fetch_weights_hbm2", "--chip", "glb"]) == 0
    out = capsys.readouterr().out
    assert "dram [component dram]" in out and "type=HBM2" in out and "glb [component" in out
