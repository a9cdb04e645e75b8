"""Component classes come only from the registry: built-ins by name, plug-ins by
the value of an installed ``cimdse.components`` entry point. A ``module:Class``
no installed package declares is a located spec error, and is never imported."""

from __future__ import annotations

import logging
import sys
import textwrap
from pathlib import Path

import pytest

import cimdse
from cimdse.cli import main
from cimdse.components import (ENTRY_POINT_GROUP, ComponentPluginError, UnknownComponentClass,
                               get_model, list_models, model_infos)
from cimdse.components import registry
from cimdse.spec import SpecError
from cimdse.testing import check_component_model

from guards import line_of

REPO = Path(__file__).resolve().parents[2]
FIG5 = REPO / "configs" / "examples" / "fig5_macro.yaml"
MODULE = "cimdse_registry_probe"

PLUGIN = textwrap.dedent('''
    open(__file__ + ".imported", "w").close()

    from cimdse.components import Attribute, ComponentModel, check_action


    class Flat(ComponentModel):
        name = "flat"
        source = "test: a fixed read energy"
        attributes = (Attribute("read_energy", "pJ", "energy of one read", 1.0),)

        def energy_pj(self, action, stats=None):
            check_action(self.name, action)
            return float(self.attrs["read_energy"]) if action == "read" else 0.0

        def area_um2(self):
            return 2.0


    class Misnamed(Flat):
        name = "other"


    NOT_A_CLASS = 3
''')


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    """Each test discovers plug-ins afresh and forgets them afterwards."""
    monkeypatch.setattr(registry, "_INSTALLED", {})
    monkeypatch.setattr(registry, "_SEEN", {})
    monkeypatch.setattr(registry, "_REPORTED", set())
    yield
    sys.modules.pop(MODULE, None)


def _install(tmp_path, monkeypatch, *entries: str) -> Path:
    """A distribution on sys.path declaring ``entries`` in the components group."""
    info = tmp_path / "cimdse_registry_probe-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cimdse-registry-probe\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n" + "\n".join(entries) + "\n")
    (tmp_path / f"{MODULE}.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    return tmp_path / f"{MODULE}.py.imported"


def _spec(tmp_path, cls: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(FIG5.read_text().replace("class: sar_adc ", f"class: {cls} ")
                    .replace("attributes:\n      resolution: ADC_BITS",
                             "attributes:\n      read_energy: 0.5\n      resolution: ADC_BITS"))
    return path


def test_an_installed_plugin_is_found_by_its_entry_point_value(tmp_path, monkeypatch):
    imported = _install(tmp_path, monkeypatch, f"flat = {MODULE}:Flat")
    assert not imported.exists()                   # discovery alone imports nothing
    model = get_model(f"{MODULE}:Flat")
    assert imported.exists() and model.__name__ == "Flat" and model.name == "flat"
    check_component_model(model)
    info = next(i for i in model_infos() if i.name == f"{MODULE}:Flat")
    assert info.package == "cimdse-registry-probe 1.0" and info.entry_point == "flat"
    assert list_models()[f"{MODULE}:Flat"] is model
    assert {i.package for i in model_infos() if i.model.__module__.startswith("cimdse.")} == \
        {f"cimdse {cimdse.__version__}"}


def test_a_spec_and_cimdse_check_accept_a_plugin_class(tmp_path, monkeypatch, capsys):
    _install(tmp_path, monkeypatch, f"flat = {MODULE}:Flat")
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent(f"""
        arch:
          nodes:
          - !Component
            name: buffer
            class: constant
            attributes: {{depth: 64, width: 8}}
            temporal_reuse: ['*']
          - !Component
            name: part
            class: {MODULE}:Flat
            attributes: {{read_energy: 0.25}}
            temporal_reuse: ['*']
    """))
    design = cimdse.load(spec)
    assert design.components[1].cls == f"{MODULE}:Flat"
    assert main(["check", str(spec)]) == 0
    assert f"part [component {MODULE}:Flat]" in capsys.readouterr().out


def test_an_unregistered_module_path_is_a_located_error_and_never_imported(tmp_path,
                                                                          monkeypatch):
    imported = _install(tmp_path, monkeypatch)     # the module is importable, not declared
    spec = _spec(tmp_path, f"{MODULE}:Flat")
    with pytest.raises(SpecError) as info:
        cimdse.load(spec)
    err = info.value
    assert err.file == str(spec) and err.line == line_of(spec, f"class: {MODULE}:Flat")
    assert err.path == "arch.nodes[5].class"
    assert "no installed package declares it in the 'cimdse.components' entry-point group" \
        in str(err)
    assert not imported.exists() and MODULE not in sys.modules


@pytest.mark.parametrize("text", ["os:system", "subprocess:Popen", "builtins:eval"])
def test_standard_library_paths_are_unknown_classes(text):
    with pytest.raises(UnknownComponentClass, match="never imported from a module path"):
        get_model(text)


def test_a_typo_and_an_entry_point_name_suggest_the_class(tmp_path, monkeypatch):
    _install(tmp_path, monkeypatch, f"flat = {MODULE}:Flat")
    err = _load_error(_spec(tmp_path, "sar_adcc"))
    assert err.suggestion == "sar_adc" and "did you mean 'sar_adc'?" in str(err)
    err = _load_error(_spec(tmp_path, "flat"))     # the entry point's name, not its value
    assert err.suggestion == f"{MODULE}:Flat"


def _load_error(spec: Path) -> SpecError:
    with pytest.raises(SpecError) as info:
        cimdse.load(spec)
    return info.value


@pytest.mark.parametrize("entry, words", [
    (f"broken = {MODULE}:Missing", "cannot load component class"),
    (f"three = {MODULE}:NOT_A_CLASS", "not a subclass of cimdse.components.ComponentModel"),
    (f"misnamed = {MODULE}:Misnamed", "a plug-in's 'name' is the name of its entry point"),
])
def test_a_broken_plugin_is_a_located_spec_error(tmp_path, monkeypatch, entry, words):
    _install(tmp_path, monkeypatch, entry)
    value = entry.split(" = ")[1]
    with pytest.raises(ComponentPluginError, match=words):
        get_model(value)
    err = _load_error(_spec(tmp_path, value))
    assert words in str(err) and err.path == "arch.nodes[5].class"


def test_listing_leaves_out_a_broken_plugin_with_a_warning(tmp_path, monkeypatch, caplog):
    _install(tmp_path, monkeypatch, f"flat = {MODULE}:Flat", f"broken = {MODULE}:Missing")
    with caplog.at_level(logging.WARNING, logger="cimdse.components.registry"):
        names = set(list_models())
    assert f"{MODULE}:Flat" in names and f"{MODULE}:Missing" not in names
    assert "cannot load component class" in caplog.text
    assert {"sar_adc", "constant"} <= names        # the built-ins are always there


def test_cli_lists_plugins_with_their_package(tmp_path, monkeypatch, capsys):
    import json
    _install(tmp_path, monkeypatch, f"flat = {MODULE}:Flat")
    assert main(["components", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[f"{MODULE}:Flat"]["package"] == "cimdse-registry-probe 1.0"
    assert listed[f"{MODULE}:Flat"]["entry_point"] == "flat"
    assert listed["sar_adc"]["consumes"] == "column_sum"
    assert main(["components"]) == 0
    text = capsys.readouterr().out
    assert f"{MODULE}:Flat: test: a fixed read energy" in text
    assert "[cimdse-registry-probe 1.0, entry point flat; consumes statistics]" in text
