"""experiments/validation_figure.py: the README table and figure from a
`cimdse validate --json` report (a hand-made one: fast)."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import pytest

from cimdse.validation import Row, Validation, read_references

REPO = Path(__file__).resolve().parents[2]

CSV = """\
macro,source_paper,metric,reference_value,unit,family,quantity,role,derived_from
toy,Fig. 1,adc energy,30.0,pJ,energy_breakdown,energy_pj,calibration,
toy,Fig. 1,dac energy,50.0,pJ,energy_breakdown,energy_pj,prediction,
toy,Fig. 2,cell area,10.0,um^2,area_breakdown,area_um2,prediction,Table 3
"""


def _script():
    sys.path.insert(0, str(REPO / "experiments"))
    try:
        return importlib.import_module("validation_figure")
    finally:
        sys.path.pop(0)


@pytest.fixture
def report() -> dict:
    refs = read_references(CSV)
    rows = [Row(refs[0], 33.0, 0.1), Row(refs[1], 46.0, -0.08), Row(refs[2], 10.0, 0.0)]
    return json.loads(json.dumps(Validation(rows).to_dict()))


def test_table_puts_prediction_and_calibration_apart(report):
    lines = _script().table(report).splitlines()
    assert "prediction rows" in lines[0] and "calibration rows" in lines[0]
    assert "| **all macros** | energy breakdown | 8.0 % (1) | 10.0 % (1) | - | 5 % (**over**) |" \
        in lines
    assert "| toy | area breakdown | - | - | 1 | 5 % |" in lines


def test_docs_rewrites_only_the_marked_table(report, tmp_path):
    script = _script()
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{script.START}\nold table\n{script.END}\nafter\n")
    script.rewrite_readme(report, readme)
    text = readme.read_text()
    assert text.startswith("before\n") and text.endswith("after\n")
    assert "old table" not in text and "| toy | energy breakdown | 8.0 % (1)" in text
    readme.write_text("no markers")
    with pytest.raises(SystemExit, match="markers"):
        script.rewrite_readme(report, readme)


def test_figure_is_written(report, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "validation.png"
    _script().plot(report, path)
    assert path.stat().st_size > 10_000
