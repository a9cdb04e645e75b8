"""Encodings beyond the built-ins come only from registered plug-ins: a name
registered from Python or an installed ``cimdse.encodings`` entry point.
A ``module:function`` string is never imported."""

from __future__ import annotations

import sys
import textwrap

import pytest

from cimdse import encoding
from cimdse.encoding import (ENTRY_POINT_GROUP, EncodingError, available_encodings,
                             register_encoding, resolve_encoding, value_stats)
from cimdse.workload.distributions import Histogram

SIGNED = Histogram((0, 1, 2, 1, 0, 1, 0))


def all_ones(hist):
    return [((1, 1), 0.5), ((0, 1), 0.5)]


@pytest.fixture(autouse=True)
def no_plugins(monkeypatch):
    monkeypatch.setattr(encoding, "_PLUGINS", {})


def _module_with_marker(tmp_path, name: str) -> None:
    """A module on sys.path that leaves a marker file when it is imported."""
    marker = tmp_path / f"{name}.imported"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(f"""
        open({str(marker)!r}, "w").close()

        def code(hist):
            return [((1,), 1.0)]
    """))


@pytest.mark.parametrize("text", ["planted_enc:code", "planted_enc.code"])
def test_module_path_is_refused_and_never_imported(tmp_path, monkeypatch, text):
    _module_with_marker(tmp_path, "planted_enc")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(EncodingError) as info:
        resolve_encoding(text)
    message = str(info.value)
    assert f"unknown encoding {text!r}" in message
    assert "offset_if_signed" in message and "register_encoding" in message
    assert not (tmp_path / "planted_enc.imported").exists()
    assert "planted_enc" not in sys.modules


def test_sys_exit_is_an_unknown_name():
    with pytest.raises(EncodingError, match="unknown encoding 'sys:exit'"):
        resolve_encoding("sys:exit")


def test_registered_name_is_used_by_value_stats():
    register_encoding("all_ones", all_ones)
    assert "all_ones" in available_encodings()
    assert resolve_encoding("all_ones") == ("all_ones", all_ones)
    stats = value_stats(SIGNED, "all_ones", 2, 1)
    assert stats.p_one == pytest.approx([0.5, 1.0])
    assert stats.encoding == "all_ones"


@pytest.mark.parametrize("name, function, words", [
    ("my.mod:func", all_ones, "must be an identifier"),
    ("offset", all_ones, "built-in"),
    ("differential", all_ones, "built-in"),
    ("fine_name", "not callable", "must be a function"),
])
def test_register_refuses_bad_registrations(name, function, words):
    with pytest.raises(EncodingError, match=words):
        register_encoding(name, function)


def test_a_name_is_registered_once():
    register_encoding("all_ones", all_ones)
    register_encoding("all_ones", all_ones)  # the same function again is harmless
    with pytest.raises(EncodingError, match="registered twice"):
        register_encoding("all_ones", lambda hist: [((0,), 1.0)])


def _installed_package(tmp_path, entry: str, module: str) -> None:
    """A distribution on sys.path declaring ``entry`` in the encodings group."""
    info = tmp_path / "cimdse_test_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cimdse-test-plugin\n"
                                   "Version: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry}\n")
    (tmp_path / "cimdse_test_plugin.py").write_text(module)


def test_installed_entry_point_is_found_by_name(tmp_path, monkeypatch):
    _installed_package(tmp_path, "plugin_ones = cimdse_test_plugin:ones",
                       "def ones(hist):\n    return [((1, 1), 1.0)]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cimdse_test_plugin", raising=False)
    assert "plugin_ones" in available_encodings()
    name, function = resolve_encoding("plugin_ones")
    assert name == "plugin_ones" and function.__module__ == "cimdse_test_plugin"
    assert value_stats(SIGNED, "plugin_ones", 2, 1).p_one == pytest.approx([1.0, 1.0])
    sys.modules.pop("cimdse_test_plugin", None)


def test_broken_entry_point_is_an_encoding_error(tmp_path, monkeypatch):
    _installed_package(tmp_path, "plugin_broken = cimdse_test_plugin:missing",
                       "def ones(hist):\n    return [((1,), 1.0)]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cimdse_test_plugin", raising=False)
    with pytest.raises(EncodingError, match="cannot load encoding 'plugin_broken'"):
        resolve_encoding("plugin_broken")
    sys.modules.pop("cimdse_test_plugin", None)
