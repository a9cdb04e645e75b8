"""Where the shipped configs are found.

The project's ``configs/`` directory (``macros``, ``systems``, ``sweeps``,
``examples``) travels inside the package as ``cimdse/configs``: in a checkout
that is a link to the top-level ``configs/``, in an installed wheel it is
package data. A ``configs/<subdir>`` in the current directory or one of its
parents (a checkout, or a user's own project) takes precedence, so an edited
copy wins over the installed one.
"""

from __future__ import annotations

from pathlib import Path

CONFIGS = "configs"


def shipped_configs() -> Path:
    """The ``configs`` directory that came with the installed package."""
    return (Path(__file__).parent / CONFIGS).resolve()


def find_configs(subdir: str, start: str | Path | None = None) -> Path:
    """``configs/<subdir>`` in ``start`` (default: the current directory) or
    the nearest parent that has one, else the shipped one (which may not
    exist if the package was installed without its data)."""
    here = Path(start or Path.cwd()).resolve()
    for base in (here, *here.parents):
        candidate = base / CONFIGS / subdir
        if candidate.is_dir():
            return candidate
    return shipped_configs() / subdir


__all__ = ["CONFIGS", "find_configs", "shipped_configs"]
