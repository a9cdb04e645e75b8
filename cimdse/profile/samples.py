"""Reading sample inputs from a file, as untrusted data.

``.npy`` holds one array (for a model with one input); ``.npz`` one array
per model input, keyed by the input's name. Arrays are read without pickle
(an object array is refused, so a sample file never runs code), from a
regular file of at most :data:`MAX_SAMPLE_BYTES` (an ``.npz`` also unpacks to
at most that).
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import numpy as np

from .errors import ProfileError, first_line

#: Largest sample file read (1 GiB).
MAX_SAMPLE_BYTES = 1 << 30


def _check_file(path: Path, limit: int, what: str) -> None:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ProfileError(f"{path}: {what} not found") from None
    except OSError as err:
        raise ProfileError(f"{path}: cannot read {what}: {err.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ProfileError(f"{path}: {what} is not a regular file")
    if info.st_size > limit:
        raise ProfileError(f"{path}: {info.st_size} bytes, more than the limit of {limit} "
                           f"bytes for {what}")


def check_file(path: str | Path, limit: int, what: str) -> Path:
    """``path`` if it is a regular file of at most ``limit`` bytes."""
    path = Path(path)
    _check_file(path, limit, what)
    return path


def load_samples(path: str | Path,
                 max_bytes: int = MAX_SAMPLE_BYTES) -> np.ndarray | dict[str, np.ndarray]:
    """The array of a ``.npy`` file, or the ``name -> array`` of a ``.npz``."""
    path = check_file(path, max_bytes, "sample file")
    try:
        if zipfile.is_zipfile(path):  # .npz: bound what it unpacks to as well
            with zipfile.ZipFile(path) as archive:
                unpacked = sum(member.file_size for member in archive.infolist())
            if unpacked > max_bytes:
                raise ProfileError(f"{path}: unpacks to {unpacked} bytes, more than the limit "
                                   f"of {max_bytes} bytes for sample file")
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                return {name: _numeric(loaded[name], path, name) for name in loaded.files}
        return _numeric(loaded, path, None)
    except ProfileError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise ProfileError(f"{path}: not a numpy .npy/.npz sample file ({first_line(err)})") \
            from None


def _numeric(array: np.ndarray, path: Path, name: str | None) -> np.ndarray:
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        where = f"{path}[{name}]" if name else str(path)
        raise ProfileError(f"{where}: samples must be a numeric array, got dtype "
                           f"{getattr(array, 'dtype', type(array).__name__)}")
    return array
