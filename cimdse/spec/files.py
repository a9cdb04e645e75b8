"""Files a component reads (``cell_file``, ``library``), resolved like includes.

A component attribute whose unit is ``path`` names a file. In a spec, a
relative path is relative to the spec file where the attribute is written
(for a ``--set`` value or an attribute inherited from a container: the
file of the node), never to the working directory. When such a file
exists it must be a regular file within
:data:`cimdse.textfile.MAX_TEXT_FILE_BYTES`, and the attribute is replaced by
its absolute path; a relative name found nowhere next to the spec is left to
the model (the name of a file it ships, or its own "not found" error).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..components import UnknownComponentClass, get_model
from ..textfile import MissingTextFile, TextFileError, check_regular_file
from .errors import SpecError
from .model import Location
from .yaml_io import LocDict

PATH_UNIT = "path"


def resolve_spec_files(raw: LocDict, path: str, attributes: dict[str, Any]) -> None:
    """Rewrite, in ``attributes``, the path attributes of the class of the
    component node ``raw`` (at field path ``path``) to checked absolute paths."""
    try:
        model = get_model(raw.get("class")) if isinstance(raw.get("class"), str) else None
    except UnknownComponentClass:
        return  # reported with its location where the class is checked
    for attribute in getattr(model, "attributes", ()):
        value = attributes.get(attribute.name)
        if attribute.unit == PATH_UNIT and isinstance(value, str) and value.strip():
            where = _written_at(raw, path, attribute.name)
            found = _spec_relative(value.strip(), where.file or raw.where.file, where)
            if found is not None:
                attributes[attribute.name] = str(found)


def _written_at(raw: LocDict, path: str, name: str) -> Location:
    """Where attribute ``name`` of the node is written (the node if inherited)."""
    own = raw.get("attributes")
    loc = own.loc(name) if isinstance(own, LocDict) and name in own else raw.where
    return Location(loc.file, loc.line, loc.column, f"{path}.attributes.{name}")


def _spec_relative(value: str, spec_file: str | None, where: Location) -> Path | None:
    """The absolute file ``value`` names, checked, or None if there is none."""
    path = Path(value)
    if not path.is_absolute():
        if spec_file is None or not Path(spec_file).is_absolute():
            return None
        path = Path(spec_file).parent / path
    try:
        check_regular_file(path)
    except MissingTextFile:
        if Path(value).is_absolute():
            raise SpecError(f"file not found: {value}", where) from None
        return None
    except TextFileError as err:
        raise SpecError(f"cannot read {value}: {err.message}", where) from None
    return path.resolve()
