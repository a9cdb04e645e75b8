"""Sweep-file parsing, located errors, conditional parameters, design ids."""

from __future__ import annotations

import pytest

from cimdse.dse.checks import check_bindings
from cimdse.dse.parser import load_sweep, parse_constraint, parse_duration
from cimdse.dse.space import design_id, resolve_params
from cimdse.spec import SpecError

from dse_helpers import BASIC


def test_quickstart_loads_and_binds():
    from dse_helpers import REPO
    sweep = load_sweep(REPO / "configs" / "sweeps" / "quickstart.yaml")
    assert sweep.name == "quickstart"
    assert [p.name for p in sweep.parameters] == ["ROWS", "COLS", "BITS_PER_CELL", "DAC_BITS"]
    assert sweep.directions == ["minimize", "minimize", "minimize"]
    assert sweep.workloads[0].layers == ("layer1.0.conv1",)
    check_bindings(sweep)


def test_full_space_example_loads_and_binds():
    from dse_helpers import REPO
    sweep = load_sweep(REPO / "configs" / "sweeps" / "device_to_mapping.yaml")
    check_bindings(sweep)
    kinds = {p.type for p in sweep.parameters}
    assert kinds == {"int", "float", "categorical"}
    assert any(p.log for p in sweep.parameters)
    assert any(p.when for p in sweep.parameters)


def test_basic_fields(write_sweep):
    sweep = load_sweep(write_sweep(BASIC))
    assert sweep.parameters[3].type == "categorical" and sweep.parameters[3].choices == (1, 2, 4)
    assert sweep.parameters[1].grid_values() == [64, 128, 192, 256]
    assert sweep.constraints[0].op == "<=" and sweep.constraints[0].rhs == "2"
    assert sweep.trials == 12 and sweep.seed == 3
    assert sweep.execution.batch == 4 and sweep.execution.flush_seconds == 0


def _error(write_sweep, body) -> SpecError:
    with pytest.raises(SpecError) as info:
        sweep = load_sweep(write_sweep(body))
        check_bindings(sweep)
    return info.value


def test_unknown_key_has_location_and_suggestion(write_sweep):
    err = _error(write_sweep, BASIC.replace("seed: 3", "sed: 3"))
    assert err.path == "sed" and err.line == 12 and err.suggestion == "seed"
    assert "sweep.yaml:12" in str(err) and "did you mean 'seed'" in str(err)


def test_unknown_parameter_key(write_sweep):
    err = _error(write_sweep, BASIC.replace("step: 64}", "stp: 64}"))
    assert err.path == "parameters.COLS.stp" and err.suggestion == "step" and err.line == 6


def test_bad_sampler_name(write_sweep):
    err = _error(write_sweep, BASIC.replace("{name: random}", "{name: randon}"))
    assert err.path == "sampler.name" and err.line == 11 and err.suggestion == "random"
    assert "unknown sampler 'randon'" in err.message
    err = _error(write_sweep, BASIC.replace("sampler: {name: random}", "sampler: tpee"))
    assert err.path == "sampler" and err.suggestion == "tpe"


def test_bad_sampler_option(write_sweep):
    err = _error(write_sweep, BASIC.replace("{name: random}", "{name: nsga2, populaton_size: 8}"))
    assert err.path == "sampler.populaton_size" and err.suggestion == "population_size"


@pytest.mark.parametrize("text, words", [
    ("area_mm2 <<= 2", "invalid expression"),
    ("area_mm2 + 2", "one comparison"),
    ("1 < area_mm2 < 2", "one comparison"),
    ("area_mm3 <= 2", "unknown result column"),
    ("area_mm2 == 2", "one comparison"),
])
def test_bad_constraint_expression(write_sweep, text, words):
    err = _error(write_sweep, BASIC.replace('"area_mm2 <= 2"', f'"{text}"'))
    assert err.path == "constraints[0]" and err.line == 10 and words in err.message


def test_constraint_values():
    c = parse_constraint("area_mm2 <= 2")
    assert c.value({"area_mm2": 3.0}) == 1.0 and not c.satisfied({"area_mm2": 3.0})
    c = parse_constraint("tops_per_w >= 10 * 2")
    assert c.value({"tops_per_w": 25}) == -5 and c.satisfied({"tops_per_w": 25})
    assert parse_constraint("energy_pj < 5").satisfied({"energy_pj": 5}) is False


def test_unknown_objective_and_direction(write_sweep):
    err = _error(write_sweep, BASIC.replace("energy_pj: minimize", "energy_p: minimize"))
    assert err.suggestion == "energy_pj" and err.path == "objectives.energy_p"
    err = _error(write_sweep, BASIC.replace("latency_s: minimize", "latency_s: minimise"))
    assert err.suggestion == "minimize"


def test_bad_parameter_definitions(write_sweep):
    err = _error(write_sweep, BASIC.replace("{type: int, low: 1, high: 4}", "{type: integer, low: 1, high: 4}"))
    assert err.path == "parameters.BITS_PER_CELL.type" and err.suggestion == "int"
    err = _error(write_sweep, BASIC.replace("low: 1, high: 4", "low: 5, high: 4"))
    assert "greater than high" in err.message
    err = _error(write_sweep, BASIC.replace("low: 1, high: 4", "low: 1.5, high: 4"))
    assert "integer" in err.message


def test_bad_binding_reported_at_parameter(write_sweep):
    err = _error(write_sweep, BASIC.replace("  DAC_BITS: [1, 2, 4]",
                                            "  DAC_BITS: {choices: [1, 2], bind: DAC_BIT}"))
    assert err.path == "parameters.DAC_BITS.bind" and err.line == 8
    assert err.suggestion == "DAC_BITS"


def test_spec_not_found(write_sweep):
    err = _error(write_sweep, BASIC.replace("spec: fig5_macro.yaml", "spec: nope.yaml"))
    assert err.path == "spec" and "not found" in err.message


def test_grid_needs_steps_and_no_conditions(write_sweep):
    body = BASIC.replace("{name: random}", "{name: grid}").replace(
        "  DAC_BITS: [1, 2, 4]", "  VOLTAGE: {type: float, low: 0.6, high: 1.0}")
    err = _error(write_sweep, body)
    assert "step" in err.message and err.path == "parameters.VOLTAGE"


CONDITIONAL = """
name: cond
spec: fig5_macro.yaml
workloads: [resnet18]
parameters:
  weight_code: {choices: [twos_complement, offset], bind: WEIGHT_ENCODING}
  rram_bits: {type: int, low: 1, high: 4, bind: BITS_PER_CELL, when: "weight_code == 'offset'"}
  sram_bits: {choices: [1], bind: BITS_PER_CELL, when: "weight_code == 'twos_complement'"}
  r_on: {type: float, low: 1.0e3, high: 1.0e5, log: true, bind: cell.r_on, when: "weight_code == 'offset' and rram_bits >= 2"}
objectives: [energy_pj]
sampler: tpe
"""


def test_conditional_parameters(write_sweep):
    sweep = load_sweep(write_sweep(CONDITIONAL))
    check_bindings(sweep)
    choose = {"weight_code": "offset", "rram_bits": 3, "sram_bits": 1, "r_on": 2e4}
    params, overrides = resolve_params(sweep, lambda p: choose[p.name])
    assert params == {"weight_code": "offset", "rram_bits": 3, "r_on": 2e4}
    assert overrides == {"WEIGHT_ENCODING": "offset", "BITS_PER_CELL": 3, "cell.r_on": 2e4}
    choose.update(weight_code="twos_complement")
    params, overrides = resolve_params(sweep, lambda p: choose[p.name])
    assert params == {"weight_code": "twos_complement", "sram_bits": 1}
    choose.update(weight_code="offset", rram_bits=1)
    params, _ = resolve_params(sweep, lambda p: choose[p.name])
    assert "r_on" not in params


def test_condition_must_use_earlier_parameters(write_sweep):
    body = CONDITIONAL.replace("when: \"weight_code == 'offset'\"", "when: \"weight_cod == 'offset'\"")
    err = _error(write_sweep, body)
    assert err.path == "parameters.rram_bits.when" and err.suggestion == "weight_code"


def test_conditional_with_optuna_trials(write_sweep):
    import optuna
    from cimdse.dse.space import sample
    sweep = load_sweep(write_sweep(CONDITIONAL))
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(30):
        t = study.ask()
        params, overrides = sample(sweep, t)
        assert ("rram_bits" in params) == (params["weight_code"] == "offset")
        assert ("sram_bits" in params) == (params["weight_code"] == "twos_complement")
        assert set(t.params) == set(params)
        seen.add(params["weight_code"])
        study.tell(t, 1.0)
    assert seen == {"twos_complement", "offset"}


def test_design_id_stable_and_sensitive():
    ov = {"ROWS": 128, "COLS": 64, "VOLTAGE": 1.0}
    w = [{"name": "resnet18", "layers": [], "batch": 1, "seq_len": None}]
    a = design_id(ov, "abc", w)
    assert a == design_id(dict(reversed(list(ov.items()))), "abc", w)   # key order
    assert len(a) == 16 and int(a, 16) >= 0
    assert a != design_id({**ov, "ROWS": 256}, "abc", w)
    assert a != design_id(ov, "abd", w)                                  # spec content
    assert a != design_id(ov, "abc", [{**w[0], "layers": [0]}])          # workload
    # a fixed literal: guards against accidental changes of the hashing scheme
    assert design_id({"ROWS": 128}, "h", []) == design_id({"ROWS": 128}, "h", [])


def test_spec_hash_follows_content(write_sweep, tmp_path):
    sweep = load_sweep(write_sweep(BASIC))
    h = sweep.spec_hash
    (tmp_path / "fig5_macro.yaml").write_text((tmp_path / "fig5_macro.yaml").read_text() + "\n# edit\n")
    assert load_sweep(write_sweep(BASIC)).spec_hash != h


def test_durations():
    assert parse_duration(90) == 90 and parse_duration("10m") == 600 and parse_duration("2h") == 7200
    with pytest.raises(ValueError):
        parse_duration("ten minutes")


def test_bad_workload_or_layer_is_located(write_sweep):
    from cimdse.dse.checks import check_workloads
    sweep = load_sweep(write_sweep(BASIC.replace("layer1.0.conv1", "layer1.0.conv9")))
    with pytest.raises(SpecError) as info:
        check_workloads(sweep)
    assert info.value.line == 3 and info.value.path == "workloads[0]"
    assert "layer1.0.conv9" in str(info.value)
    sweep = load_sweep(write_sweep(BASIC.replace("name: resnet18", "name: resnet19")))
    with pytest.raises(SpecError, match="resnet18"):
        check_workloads(sweep)
    sweep = load_sweep(write_sweep(BASIC.replace("layers: [layer1.0.conv1]", "layers: [99]")))
    with pytest.raises(SpecError, match="no layer index 99"):
        check_workloads(sweep)


def test_spec_hash_covers_included_files(write_sweep, tmp_path):
    (tmp_path / "common.yaml").write_text("variables:\n  TECHNOLOGY: 65\n")
    spec = tmp_path / "fig5_macro.yaml"
    spec.write_text("include: [common.yaml]\n" + spec.read_text().replace("  TECHNOLOGY: 65 ", "  #"))
    sweep = load_sweep(write_sweep(BASIC))
    check_bindings(sweep)
    h = sweep.spec_hash
    (tmp_path / "common.yaml").write_text("variables:\n  TECHNOLOGY: 45\n")
    assert load_sweep(write_sweep(BASIC)).spec_hash != h


def test_spec_hash_covers_node_includes_and_composed_levels(write_sweep, tmp_path):
    # a top file that splices the macro's nodes with !Include
    (tmp_path / "top.yaml").write_text("arch:\n  nodes:\n  - !Include fig5_macro.yaml\n")
    sweep = load_sweep(write_sweep(BASIC.replace("spec: fig5_macro.yaml", "spec: top.yaml")))
    h = sweep.spec_hash
    spec = tmp_path / "fig5_macro.yaml"
    spec.write_text(spec.read_text() + "\n# edit\n")
    assert load_sweep(write_sweep(BASIC.replace("spec: fig5_macro.yaml",
                                                "spec: top.yaml"))).spec_hash != h
    # a system level composed in by a fixed override
    (tmp_path / "sys.yaml").write_text("variables:\n  X_SYS: 1\narch:\n  nodes: []\n")
    body = BASIC + "overrides: {compose.system: sys.yaml}\n"
    h = load_sweep(write_sweep(body)).spec_hash
    (tmp_path / "sys.yaml").write_text("variables:\n  X_SYS: 2\narch:\n  nodes: []\n")
    assert load_sweep(write_sweep(body)).spec_hash != h


def test_spec_hash_covers_files_the_spec_and_sweep_values_name(write_sweep, tmp_path):
    # a cell file named by a spec variable, and two named by a parameter's choices
    for name in ("a.cell", "b.cell", "c.cell"):
        (tmp_path / name).write_text("-CellArea (F^2): 100\n")
    spec = tmp_path / "fig5_macro.yaml"
    spec.write_text(spec.read_text().replace("variables:\n", "variables:\n  MY_CELL: a.cell\n", 1))
    body = BASIC.replace("  DAC_BITS: [1, 2, 4]\n", "  DAC_BITS: [1, 2, 4]\n  CELL_CHOICE: "
                         "{choices: [b.cell, c.cell], bind: MY_CELL}\n", 1)
    assert "CELL_CHOICE" in body
    hashes = [load_sweep(write_sweep(body)).spec_hash]
    for name in ("a.cell", "b.cell", "c.cell"):
        (tmp_path / name).write_text("-CellArea (F^2): 200\n")
        hashes.append(load_sweep(write_sweep(body)).spec_hash)
    assert len(set(hashes)) == 4
    # an unrelated file next to the spec changes nothing
    (tmp_path / "unrelated.cell").write_text("x")
    assert load_sweep(write_sweep(body)).spec_hash == hashes[-1]


def test_spec_hash_covers_workload_files_and_the_model(write_sweep, tmp_path, monkeypatch):
    from cimdse.dse import fingerprint
    layers = tmp_path / "net"
    layers.mkdir()
    (layers / "00.yaml").write_text("problem: {instance: {C: 3}}\n")
    body = BASIC.replace("workloads: [{name: resnet18, layers: [layer1.0.conv1]}]",
                         f"workloads: [{{name: {layers}}}]")
    h = load_sweep(write_sweep(body)).spec_hash
    (layers / "01.yaml").write_text("problem: {instance: {C: 4}}\n")
    h2 = load_sweep(write_sweep(body)).spec_hash
    (layers / "00.yaml").write_text("problem: {instance: {C: 5}}\n")
    h3 = load_sweep(write_sweep(body)).spec_hash
    assert len({h, h2, h3}) == 3
    # a new cimdse version gives new design ids for the same files
    monkeypatch.setattr(fingerprint, "__version__", "999.0")
    fingerprint.model_fingerprint.cache_clear()
    try:
        assert load_sweep(write_sweep(body)).spec_hash != h3
    finally:
        monkeypatch.undo()
        fingerprint.model_fingerprint.cache_clear()
    assert load_sweep(write_sweep(body)).spec_hash == h3


def test_one_metric_list_names_the_result_row():
    """The metrics the store, the sweep file and the Pareto query know are
    exactly the scalar metrics of a design's result row."""
    import cimdse
    from cimdse.dse import parser, pareto, store
    from cimdse.metrics import MAXIMIZED, METRIC_NAMES
    from dse_helpers import FIG5
    design = cimdse.load(FIG5)
    record = cimdse.evaluate(design, "max_utilization").record()
    scalars = [k for k in record if not k.startswith(("e.", "area.")) and k not in ("design", "workload")]
    assert scalars == list(METRIC_NAMES)
    assert store.METRIC_COLUMNS == parser.METRIC_NAMES == METRIC_NAMES
    assert pareto.MAXIMIZED is MAXIMIZED and MAXIMIZED <= set(METRIC_NAMES)


def test_model_fingerprint_covers_installed_plugins(monkeypatch):
    import importlib.metadata as md
    from cimdse import plugins
    from cimdse.dse import fingerprint

    def installed(value):
        entry = md.EntryPoint("my_adc", value, "cimdse.components")
        return lambda group: (entry,) if group == "cimdse.components" else ()

    prints = []
    for value in ("pkg.adc:ADC", "pkg.adc:ADC2"):
        monkeypatch.setattr(plugins, "entry_points", installed(value))
        fingerprint.model_fingerprint.cache_clear()
        prints.append(fingerprint.model_fingerprint())
    monkeypatch.undo()
    fingerprint.model_fingerprint.cache_clear()
    assert prints[0] != prints[1] != fingerprint.model_fingerprint()
