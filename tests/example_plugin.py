"""The example component plug-in (examples/cimdse-example-adc), installed for the tests.

``pip install --target`` puts the package and its ``dist-info`` (the
``cimdse.components`` entry point) in a temporary directory, built from a copy
of the example so the build's files stay out of the work tree. The directory
goes on ``sys.path`` (this process) and on ``PYTHONPATH`` (subprocesses and the
Ray workers of a local Ray started after it): everywhere, the package is
installed as a user's would be, and found only through its entry point.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "cimdse-example-adc"
CLASS = "cimdse_example_adc.adc:RampADC"
SPEC = EXAMPLE / "ramp_adc_macro.yaml"
SWEEP = EXAMPLE / "sweep.yaml"


@functools.cache
def install_example_plugin() -> Path:
    """The directory the example plug-in is installed in (once per session)."""
    work = Path(tempfile.mkdtemp(prefix="cimdse-example-plugin-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    source, target = work / "source", work / "site"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    env = {**os.environ, "PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                           "--target", str(target), str(source)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"installing {EXAMPLE.name} failed:\n{done.stdout}\n{done.stderr}")
    sys.path.insert(0, str(target))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(target), os.environ.get("PYTHONPATH")) if p)
    return target
