"""Installable as a package: the wheel carries the shipped ``configs/`` and the
installed CLI finds them from a directory outside any checkout.

The wheel is built from a copy of this checkout (the build's own files stay
out of the work tree) and installed, with its dependencies, into a new
virtual environment in a temporary directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cimdse.shipped import shipped_configs

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"
NOT_BUILD_INPUTS = shutil.ignore_patterns(".git", "results", "build", "dist", "*.egg-info",
                                          "__pycache__", ".pytest_cache", ".hypothesis")


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{cmd} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    shutil.copytree(REPO, source, symlinks=True, ignore=NOT_BUILD_INPUTS)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp / "dist"),
          str(source)], cwd=tmp)
    (built,) = (tmp / "dist").glob("cimdse-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict[str, str]:
    """Environment of a fresh venv (outside the checkout) with the wheel installed."""
    venv = tmp_path_factory.mktemp("venv") / "env"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=venv.parent)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "CIMDSE_MACROS", "CIMDSE_SYSTEMS")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv),
               PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    _run([str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)], cwd=venv.parent,
         env=env, timeout=600)
    return env


@pytest.fixture
def outside(tmp_path) -> Path:
    """A working directory with no configs/ in it or above it."""
    assert not any((base / "configs").exists() for base in (tmp_path, *tmp_path.parents))
    return tmp_path


def _cimdse(env: dict[str, str], cwd: Path, *args: str) -> str:
    return _run(["cimdse", *args], cwd=cwd, env=env).stdout


def test_checkout_links_the_shipped_configs():
    assert (REPO / "cimdse" / "configs").is_symlink()
    assert shipped_configs() == CONFIGS.resolve()


def test_wheel_carries_every_shipped_config(wheel):
    expected = {f"cimdse/configs/{p.relative_to(CONFIGS).as_posix()}"
                for p in CONFIGS.rglob("*") if p.is_file()}
    with zipfile.ZipFile(wheel) as archive:
        packed = {name for name in archive.namelist() if name.startswith("cimdse/configs/")}
    assert packed == expected
    assert "cimdse/configs/sweeps/quickstart.yaml" in packed


def test_installed_package_is_the_wheel(installed, outside):
    where = _run(["python", "-c", "import cimdse; print(cimdse.__file__)"], cwd=outside,
                 env=installed).stdout.strip()
    assert Path(where).is_relative_to(installed["VIRTUAL_ENV"])


def test_installed_cli_lists_the_shipped_macros(installed, outside):
    rows = json.loads(_cimdse(installed, outside, "macros", "--json"))
    names = {row["name"] for row in rows}
    assert names == {p.stem for p in (CONFIGS / "macros").glob("*.yaml")}
    assert all(Path(row["file"]).is_relative_to(installed["VIRTUAL_ENV"]) for row in rows)


def test_installed_cli_validates_against_the_shipped_figures(installed, outside):
    # two macros evaluated from the wheel's figures, and one whose rows need the
    # profiled workloads (the full validation runs in tests/macros)
    report = json.loads(_cimdse(installed, outside, "validate", "--macro", "jia_jssc_2020",
                                "--macro", "wang_vlsi_2022", "--macro",
                                "basic_analog_neurosim", "--json"))
    assert report["overall"]["n"] > 0
    # only rows on CiMLoop's profiled workloads, which are not shipped, may be skipped
    assert all(s["reason"].startswith("workload file ../shared/") for s in report["skipped"])
    assert {row["macro"] for row in report["rows"]} >= {"jia_jssc_2020", "wang_vlsi_2022"}


def test_installed_cli_evaluates_a_macro_in_a_shipped_system(installed, outside):
    result = json.loads(_cimdse(installed, outside, "evaluate", "wang_vlsi_2022",
                                "--system", "fetch_all_lpddr4", "--json"))
    components = set(result["breakdown"]["energy_pj"])
    assert result["energy_pj"] > 0
    assert any("dram" in name.lower() for name in components), sorted(components)
