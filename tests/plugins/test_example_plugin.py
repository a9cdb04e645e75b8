"""The example plug-in package (examples/cimdse-example-adc), pip-installed for
the session (:mod:`example_plugin`), used the ways a user would: listed and
run from the CLI, in a fresh process, in ``accuracy`` and in a sweep on local
Ray, whose workers find the class through the package's entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import cimdse
from cimdse.cli import main
from cimdse.components import get_model, model_infos
from cimdse.mapping import build_action_table
from cimdse.pricing import component_rows
from cimdse.statistics import layer_stats
from cimdse.testing import check_component_model
from cimdse.workload.distributions import default_distributions, relu

from example_plugin import CLASS, SPEC, SWEEP

pytestmark = pytest.mark.usefixtures("example_plugin")


def test_it_is_found_through_its_entry_point_only(example_plugin):
    info = next(i for i in model_infos() if i.name == CLASS)
    assert info.package == "cimdse-example-adc 0.1.0" and info.entry_point == "ramp_adc"
    model = get_model(CLASS)
    assert model.__module__ == "cimdse_example_adc.adc"
    assert model.consumes == "column_sum"
    assert sys.modules["cimdse_example_adc"].__file__.startswith(str(example_plugin))


def test_it_keeps_the_contract():
    check_component_model(get_model(CLASS))


def test_cimdse_components_lists_it_with_its_package(capsys):
    assert main(["components", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[CLASS]["package"] == "cimdse-example-adc 0.1.0"
    assert listed[CLASS]["consumes"] == "column_sum"
    assert {row["attribute"] for row in listed[CLASS]["attributes"]} >= {"rows", "step_energy"}
    assert listed["sar_adc"]["package"].startswith("cimdse ")


def test_cimdse_check_accepts_it(capsys):
    assert main(["check", str(SPEC)]) == 0
    assert f"adc [component {CLASS}] x128" in capsys.readouterr().out


def test_cimdse_evaluate_runs_it_in_a_fresh_process(tmp_path):
    done = subprocess.run([sys.executable, "-m", "cimdse.cli", "evaluate", str(SPEC),
                           "--workload", "resnet18", "--layer", "3", "--json"],
                          cwd=tmp_path, env=dict(os.environ), capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["energy_pj"] > 0 and result["breakdown"]["energy_pj"]["adc"] > 0


def _adc_read_pj(design, input_scale: float) -> float:
    dists = {**default_distributions("conv", "relu"), "Inputs": relu(8, scale=input_scale)}
    stats = layer_stats(design, distributions=dists, reduction=128)
    return build_action_table(design, stats).pj("adc", "read")


def test_its_energy_follows_the_column_sums():
    """The builder prices it on column sums of the rows a layer fills (it
    declares them), so larger inputs -- larger sums, higher codes, more ramp
    steps -- cost more per conversion."""
    design = cimdse.load(SPEC)
    adc = next(n for n in design.components if n.name == "adc")
    assert component_rows(adc) == 128 and component_rows(adc, 96) == 96
    small, large = _adc_read_pj(design, 0.05), _adc_read_pj(design, 0.5)
    assert 0.05 < small < large
    top = 2 ** adc.attributes["resolution"] - 1
    assert large < 0.05 + 0.002 * (top + 1)       # below the full-scale conversion


def test_cimdse_accuracy_prices_its_column_sums(capsys):
    assert main(["accuracy", str(SPEC), "--workload", "resnet18", "--layer", "3",
                 "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["views"]["adc"] == "column_sum"
    assert report["max_error"] < 0.01


def test_a_sweep_on_local_ray_evaluates_it_on_the_workers(tmp_path):
    from cimdse.dse import read_results, run_sweep
    run_sweep(SWEEP, tmp_path / "out", trials=2, executor="ray", num_cpus=2)
    designs = read_results(tmp_path / "out")
    assert len(designs) == 2 and (designs["status"] == "ok").all(), designs["error"].tolist()
    assert (designs["e.adc"] > 0).all()
    # evaluated by Ray workers (host:pid@node), not by this process
    workers = designs["worker"].tolist()
    assert all("@" in w and not w.split("@")[0].endswith(f":{os.getpid()}") for w in workers)
