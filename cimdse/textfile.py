"""Bounded reading of the text files a spec names (specs, includes, cell files).

A spec, an included file or a cell file may come from someone else, so it is
read as untrusted input: it must be a regular file (not a directory, a FIFO
or a device such as ``/dev/zero``), at most :data:`MAX_TEXT_FILE_BYTES`
long, and UTF-8 text. Anything else is a :class:`TextFileError` that says
what is wrong and where, never what the file contains.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import CimdseError

#: Largest text file a spec may name (256 KiB; the shipped specs are < 16 kB).
MAX_TEXT_FILE_BYTES = 256 * 1024

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class TextFileError(CimdseError, ValueError):
    """A file is missing, not a regular file, too large or not UTF-8 text.

    ``line``/``column`` (1-based) point at the offending byte when known.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class MissingTextFile(TextFileError):
    """The file does not exist."""


def check_regular_file(path: Path) -> None:
    """Raise TextFileError unless ``path`` names a regular file within the size cap."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise MissingTextFile("file not found") from None
    except OSError as err:
        raise TextFileError(f"cannot read it: {err.strerror}") from None
    _check_stat(info)


def _check_stat(info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise TextFileError("a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise TextFileError("not a regular file (a device, FIFO or socket)")
    if info.st_size > MAX_TEXT_FILE_BYTES:
        raise TextFileError(f"{info.st_size} bytes, more than the limit of "
                            f"{MAX_TEXT_FILE_BYTES} bytes")


def read_text(path: str | Path) -> str:
    """The UTF-8 text of the regular file ``path`` (at most the size cap)."""
    data = _read_bytes(Path(path))
    return decode_utf8(data)


def _read_bytes(path: Path) -> bytes:
    # Open without blocking and check the opened descriptor, so a FIFO or a
    # device swapped in after a path check is still refused before any read.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise MissingTextFile("file not found") from None
    except IsADirectoryError:
        raise TextFileError("a directory, not a file") from None
    except OSError as err:
        raise TextFileError(f"cannot read it: {err.strerror}") from None
    try:
        _check_stat(os.fstat(fd))
    except TextFileError:
        os.close(fd)
        raise
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(MAX_TEXT_FILE_BYTES + 1)
    if len(data) > MAX_TEXT_FILE_BYTES:
        raise TextFileError(f"more than the limit of {MAX_TEXT_FILE_BYTES} bytes")
    return data


def decode_utf8(data: bytes) -> str:
    """``data`` as UTF-8 text (a leading BOM is dropped); a binary or UTF-16
    file is a TextFileError at the first offending byte."""
    if data.startswith(_UTF16_BOMS):
        raise TextFileError("UTF-16 text; save it as UTF-8", 1, 1)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise TextFileError("a binary file (it contains a NUL byte), not UTF-8 text",
                            *_position(data, nul))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise TextFileError(f"not UTF-8 text (byte 0x{data[err.start]:02x} cannot be "
                            "decoded); save it as UTF-8", *_position(data, err.start)) from None


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based (line, column) of byte ``offset``; the column counts bytes."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1
