"""sqnr_db as a sweep objective and constraint: the +inf of a digital
datapath ranks as the best value, the shipped energy-vs-SQNR sweep runs and
its front is drawn."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import numpy as np
import pytest

from dse_helpers import REPO

SWEEP = REPO / "configs" / "sweeps" / "energy_vs_sqnr.yaml"

BODY = """
name: s
spec: fig5_macro.yaml
workloads: [{name: resnet18, layers: [layer2.0.downsample.0]}]
parameters:
  ADC_BITS: {type: int, low: 4, high: 12}
objectives: {energy_pj: minimize, sqnr_db: maximize}
constraints: ["sqnr_db >= 30"]
sampler: {name: random}
budget: {trials: 4}
"""


def _row(sweep, record):
    from cimdse.dse.rows import design_row
    result = {"design_id": "d", "status": "ok", "error": None, "record": record,
              "eval_s": 0.0, "worker": "w", "started_at": datetime.now(timezone.utc)}
    return design_row(sweep, "s", 0, {"ADC_BITS": 8}, result)


@pytest.mark.parametrize("sqnr, status", [(math.inf, "ok"), (31.0, "ok"), (29.0, "infeasible"),
                                          (-math.inf, "error"), (math.nan, "error"),
                                          (None, "error")])
def test_sqnr_objective_and_constraint(write_sweep, sqnr, status):
    """A digital design's +inf is the best SQNR: it satisfies sqnr_db >= 30
    and ranks; -inf, NaN or a missing value cannot be ranked."""
    from cimdse.dse.parser import load_sweep
    sweep = load_sweep(write_sweep(BODY))
    row = _row(sweep, {"energy_pj": 1.0, "sqnr_db": sqnr})
    assert row["status"] == status, row["error"]


def test_infinite_best_values_are_on_the_front():
    from cimdse.dse.pareto import (default_reference, hypervolume, is_nondominated,
                                   nondominated_sort, parse_objectives)
    points = np.array([[1.0, math.inf], [2.0, 30.0], [0.5, 10.0], [3.0, -math.inf],
                       [math.inf, 50.0]])
    maximize = [False, True]
    assert is_nondominated(points, maximize).tolist() == [True, False, True, False, False]
    assert nondominated_sort(points, maximize).tolist() == [0, 1, 0, -1, -1]
    ref = default_reference(points[:3], maximize)
    assert np.all(np.isfinite(ref))
    assert hypervolume(points[:3], ref, maximize) == hypervolume(points[1:3], ref, maximize)
    assert parse_objectives("energy_pj,sqnr_db:max") == {"energy_pj": "minimize",
                                                         "sqnr_db": "maximize"}
    assert parse_objectives(["energy_pj", "sqnr_db"])["sqnr_db"] == "maximize"


def test_several_workloads_keep_the_worst_sqnr():
    from cimdse.dse.evaluation import combine_records
    got = combine_records([{"energy_pj": 1.0, "macs": 2, "sqnr_db": 20.0},
                           {"energy_pj": 2.0, "macs": 2, "sqnr_db": 12.5}])
    assert got["sqnr_db"] == 12.5 and got["energy_pj"] == 3.0


def test_shipped_energy_vs_sqnr_sweep(tmp_path, capsys):
    """The shipped sweep, cut to one 1x1 layer and 6 trials: every design has
    a finite sqnr_db, per layer too; the front over energy and SQNR is drawn
    by ``cimdse pareto DIR --objectives energy_pj,sqnr_db:max --plot``."""
    pytest.importorskip("matplotlib")
    from cimdse.cli import main
    from cimdse.dse import read_layers, read_results, run_sweep
    from cimdse.dse.parser import load_sweep
    text = SWEEP.read_text()
    shipped = load_sweep(SWEEP)
    assert [o.column for o in shipped.objectives] == ["energy_pj", "sqnr_db"]
    assert {p.name for p in shipped.parameters} == {"ADC_BITS", "ROWS", "BITS_PER_CELL",
                                                    "programming_sigma"}
    text = text.replace("spec: ../examples/fig5_macro.yaml",
                        f"spec: {REPO / 'configs' / 'examples' / 'fig5_macro.yaml'}")
    text = text.replace("layers: [conv1, layer1.0.conv1, layer3.0.conv1]",
                        "layers: [layer2.0.downsample.0]")
    path = tmp_path / "energy_vs_sqnr.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    summary = run_sweep(path, out, trials=6, executor="serial")
    assert summary.counts.get("ok", 0) >= 1
    designs = read_results(out)
    ok = designs[designs["status"] == "ok"]
    assert np.isfinite(ok["sqnr_db"]).all() and len(ok) == len(designs)
    layers = read_layers(out)
    assert np.isfinite(layers["sqnr_db"]).all()
    capsys.readouterr()
    plot = tmp_path / "front.png"
    assert main(["pareto", str(out), "--objectives", "energy_pj,sqnr_db:max",
                 "--plot", str(plot)]) == 0
    printed = capsys.readouterr().out
    assert "sqnr_db (maximize)" in printed and plot.stat().st_size > 0

    # the constraint the sweep file suggests (at 15 dB, which these 6 designs
    # straddle), judged on real designs
    path.write_text(text.replace("# constraints:\n#   - sqnr_db >= 30",
                                 "constraints:\n  - sqnr_db >= 15"))
    run_sweep(path, tmp_path / "constrained", trials=6, executor="serial")
    judged = read_results(tmp_path / "constrained")
    assert set(judged["status"]) == {"ok", "infeasible"}
    assert ((judged["status"] == "ok") == (judged["sqnr_db"] >= 15)).all()
