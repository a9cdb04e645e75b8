"""The `cimdse` command: check prints the tree; listings work."""

from __future__ import annotations

import json
from pathlib import Path

from cimdse.cli import main

REPO = Path(__file__).resolve().parents[1]
FIG5 = REPO / "configs" / "examples" / "fig5_macro.yaml"


def test_check_prints_tree_with_instance_counts(capsys):
    assert main(["check", str(FIG5)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    cell = next(line for line in lines if line.lstrip().startswith("cell "))
    assert "x16384" in cell and "mesh 1x128" in cell
    column = next(line for line in lines if line.lstrip().startswith("column "))
    assert "x128" in column
    # nesting: cell is indented below column, column below macro
    indent = {line.split()[0]: len(line) - len(line.lstrip()) for line in lines
              if line.strip() and line.split()[0] in ("buffer", "macro", "column", "cell")}
    assert indent["buffer"] == indent["macro"] < indent["column"] < indent["cell"]
    assert "technology=65" in out  # resolved container attributes are shown
    dac = next(line for line in lines if line.lstrip().startswith("dac_bank "))
    assert "area scale 128" in dac     # scales and copies other than 1 are shown


def test_check_set_override_changes_counts(capsys):
    assert main(["check", str(FIG5), "--set", "ROWS=64", "--set", "COLS=32"]) == 0
    out = capsys.readouterr().out
    assert "x2048" in out  # 64 rows x 32 columns of cells


def test_check_bad_override_exits_2(capsys):
    assert main(["check", str(FIG5), "--set", "ROWZ=64"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'ROWS'" in err


def test_components_lists_constant(capsys):
    assert main(["components", "--json"]) == 0
    models = json.loads(capsys.readouterr().out)
    assert "constant" in models
    assert {row["attribute"] for row in models["constant"]["attributes"]} >= {"read_energy", "area"}


def test_help_without_command(capsys):
    assert main([]) == 0
    assert "check" in capsys.readouterr().out


def test_workloads_lists_seven_networks(capsys):
    assert main(["workloads", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    for name in ("resnet18", "resnet50", "vgg16", "mobilenet_v3_large", "vit_b16", "gpt2", "bert_base"):
        assert name in rows
    assert rows["resnet18"]["layers"] == 21
    assert abs(rows["resnet18"]["macs"] - 1.814e9) / 1.814e9 < 0.01
    assert abs(rows["vgg16"]["macs"] - 15.47e9) / 15.47e9 < 0.01
