"""Errors raised by the mapper.

:class:`MappingError` covers a mapping or mapspace that cannot be built
(bad constraint, unsupported projection); :class:`NoValidMappingError` says
that no mapping satisfies the constraints and capacities, and names the
level or constraint that rejected the most candidates.
"""

from __future__ import annotations

from cimdse.spec.errors import CimdseError


class MappingError(CimdseError, ValueError):
    """A mapping, mapspace or mapper setting is wrong."""


class NoValidMappingError(MappingError):
    """No mapping of a layer fits the design; ``reason`` names the culprit."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason
