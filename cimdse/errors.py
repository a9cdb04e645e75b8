"""The root of cimdse's exception tree.

Every error cimdse raises on purpose derives from :class:`CimdseError`, so
the CLI can print its message (never a traceback) and exit with status 2.
Each package adds its own subclass: ``SpecError`` (spec files),
``WorkloadError`` (workloads), ``MappingError`` (mapping).
"""


class CimdseError(Exception):
    """Base of every error cimdse raises on purpose."""
