"""The error of an unusable reference row, reference table or macro directory."""

from __future__ import annotations

from ..errors import CimdseError


class ValidationError(CimdseError):
    """A reference row or macro directory that cannot be used."""
