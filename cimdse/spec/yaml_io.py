"""YAML reading that remembers where every key and value came from.

Mappings load as :class:`LocDict` and sequences as :class:`LocList`; both
keep, per key or index, the :class:`Location` (file, line, column) of the
key and of the value so that any later error can point at the source.
The node tags ``!Container`` and ``!Component`` are recorded on the mapping
(``LocDict.tag``). Includes are resolved here too:

* ``include:`` lists files relative to the including file, deep-merged
  beneath it (later files override earlier ones);
* ``!Include FILE`` as an item of ``arch.nodes`` (node-list composition,
  CiMLoop's system -> chip -> tile -> macro concatenation) splices FILE's
  ``arch.nodes`` at that position; FILE's other sections (``variables``,
  ``mapper``) are merged beneath the including file (node includes lowest,
  then ``include:`` files, then the file itself; among node includes later
  ones override earlier ones); FILE's ``name`` and ``description`` are
  dropped. Included files may include further files; a cycle, a missing
  file or an included file without ``arch.nodes`` is a located
  :class:`SpecError`.

A spec may come from someone else, so reading it is bounded: every file
(spec or include) must be a regular UTF-8 file of at most
:data:`cimdse.textfile.MAX_TEXT_FILE_BYTES`; one load reads at most
:data:`MAX_INCLUDED_FILES` files and :data:`MAX_SPEC_BYTES` bytes in all
(a file included many times counts each time); YAML may nest at most
:data:`MAX_YAML_DEPTH` levels and hold, counting every ``*alias`` as a copy
of its anchor, at most :data:`MAX_YAML_NODES` nodes (an alias bomb is
refused before anything walks it); recursive aliases, dates and YAML's
other non-spec types (``!!binary``, ``!!set``, ...) are located errors.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..textfile import MissingTextFile, TextFileError, check_regular_file, read_text
from .errors import SpecError
from .model import Location

#: Deepest nesting of mappings and lists in one YAML document.
MAX_YAML_DEPTH = 100
#: Most nodes a YAML document may hold, each alias counted as a copy of its
#: anchor (pure-Python YAML parses ~25k nodes a second; shipped specs have < 400).
MAX_YAML_NODES = 20_000
#: Most files one load reads (the spec and every include, repeats counted).
MAX_INCLUDED_FILES = 100
#: Most bytes one load reads over all its files.
MAX_SPEC_BYTES = 1 << 20
#: YAML 1.1 types no spec field takes, with what to write instead.
_NOT_SPEC_TYPES = {
    "timestamp": "YAML reads this as a date; no spec field takes a date "
                 "(quote it to make it text, or write a number)",
    "binary": "!!binary data is not allowed in a spec",
    "set": "!!set is not allowed in a spec (write a list)",
    "omap": "!!omap is not allowed in a spec (write a mapping)",
    "pairs": "!!pairs is not allowed in a spec (write a mapping)",
}

NODE_TAGS = ("Container", "Component")
INCLUDE_TAG = "Include"
#: Top-level keys of a node-included file that are not merged into the includer.
_NOT_INHERITED = ("arch", "name", "description")


@dataclass(frozen=True)
class IncludeRef:
    """An ``!Include FILE`` item of ``arch.nodes``: FILE relative to ``where.file``."""

    target: str
    where: Location


class LocDict(dict):
    """A dict that knows where it and each of its keys/values were written."""

    tag: str | None = None
    where: Location = Location()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_locs: dict[Any, Location] = {}
        self.value_locs: dict[Any, Location] = {}

    def loc(self, key: Any) -> Location:
        return self.value_locs.get(key) or self.key_locs.get(key) or self.where

    def key_loc(self, key: Any) -> Location:
        return self.key_locs.get(key) or self.where


class LocList(list):
    """A list that knows where it and each item were written."""

    where: Location = Location()

    def __init__(self, *args):
        super().__init__(*args)
        self.item_locs: list[Location] = []

    def loc(self, index: int) -> Location:
        if 0 <= index < len(self.item_locs):
            return self.item_locs[index]
        return self.where


def _location(file: str | None, mark) -> Location:
    if mark is None:
        return Location(file=file)
    return Location(file=file, line=mark.line + 1, column=mark.column + 1)


def _make_loader(file: str | None):
    class _Loader(yaml.SafeLoader):
        depth = 0
        nodes = 0

        def compose_node(self, parent, index):
            # PyYAML composes recursively; refuse deep nesting before Python's
            # recursion limit turns it into a RecursionError, and stop a huge
            # document before parsing all of it.
            self.depth += 1
            self.nodes += 1
            try:
                if self.depth > MAX_YAML_DEPTH:
                    raise SpecError(f"YAML nested more than {MAX_YAML_DEPTH} levels deep",
                                    _location(file, self.peek_event().start_mark))
                if self.nodes > MAX_YAML_NODES:
                    raise SpecError(f"more than {MAX_YAML_NODES} YAML nodes in one file",
                                    _location(file, self.peek_event().start_mark))
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    def construct_mapping(loader, node, tag=None):
        loader.flatten_mapping(node)
        out = LocDict()
        out.where = _location(file, node.start_mark)
        out.tag = tag
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise SpecError("mapping keys must be plain scalars",
                                _location(file, key_node.start_mark))
            if key in out:
                raise SpecError(f"duplicate key '{key}' in this mapping",
                                _location(file, key_node.start_mark))
            out[key] = loader.construct_object(value_node, deep=True)
            out.key_locs[key] = _location(file, key_node.start_mark)
            out.value_locs[key] = _location(file, value_node.start_mark)
        return out

    def construct_sequence(loader, node):
        out = LocList()
        out.where = _location(file, node.start_mark)
        for item in node.value:
            out.append(loader.construct_object(item, deep=True))
            out.item_locs.append(_location(file, item.start_mark))
        return out

    def tagged(tag):
        def construct(loader, node):
            if not isinstance(node, yaml.MappingNode):
                raise SpecError(f"!{tag} must tag a mapping (name, class, ...)",
                                _location(file, node.start_mark))
            return construct_mapping(loader, node, tag)
        return construct

    def include(loader, node):
        where = _location(file, node.start_mark)
        value = loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(value, str) or not value.strip():
            raise SpecError("!Include takes one file name (relative to this file), "
                            "e.g. '- !Include ../systems/tile/io_buffers.yaml'", where)
        return IncludeRef(value.strip(), where)

    _Loader.add_constructor(f"!{INCLUDE_TAG}", include)
    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                            construct_mapping)
    _Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
                            construct_sequence)
    for tag in NODE_TAGS:
        _Loader.add_constructor(f"!{tag}", tagged(tag))

    def unknown_tag(loader, suffix, node):
        from .errors import nearest
        name = node.tag.lstrip("!")
        tags = (*NODE_TAGS, INCLUDE_TAG)
        raise SpecError(f"unknown tag '{node.tag}'; tags are !Container, !Component and "
                        "!Include", _location(file, node.start_mark),
                        suggestion=("!" + s) if (s := nearest(name, tags)) else None)

    def not_spec_type(name):
        def construct(loader, node):
            raise SpecError(_NOT_SPEC_TYPES[name], _location(file, node.start_mark))
        return construct

    _Loader.add_multi_constructor("!", unknown_tag)
    _Loader.add_multi_constructor("tag:", unknown_tag)
    for name in _NOT_SPEC_TYPES:
        _Loader.add_constructor(f"tag:yaml.org,2002:{name}", not_spec_type(name))
    return _Loader


def load_yaml_text(text: str, file: str | None = None) -> Any:
    """Parse YAML text into LocDict/LocList trees, errors as SpecError."""
    try:
        return _parse(text, file)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        raise SpecError(f"YAML syntax error: {err.problem or err.context}",
                        _location(file, mark)) from None
    except yaml.YAMLError as err:
        raise SpecError(f"YAML error: {err}", Location(file=file)) from None


def load_yaml_value(text: str, where: Location) -> Any:
    """A ``--set`` value typed by YAML under the same limits as a spec file;
    text that is not valid YAML stays the plain string."""
    try:
        return _parse(text, None)
    except yaml.YAMLError:
        return text
    except SpecError as err:
        raise SpecError(err.message, where, err.suggestion) from None


def _parse(text: str, file: str | None) -> Any:
    loader = _make_loader(file)(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _check_expansion(root, file)
        return loader.construct_document(root)
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node, file: str | None) -> None:
    """Refuse recursive aliases and documents that expand (aliases copied
    out) beyond MAX_YAML_NODES nodes or MAX_YAML_DEPTH levels.

    Iterative post-order over the node graph, each shared node sized once,
    so an alias bomb costs the size of its text, not of its expansion.
    """
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, depth) expanded
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = _expanded(node, sizes, file)
        elif key not in sizes:
            if key in open_nodes:
                raise SpecError("recursive YAML alias: this value contains itself",
                                _location(file, node.start_mark))
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))


def _expanded(node: yaml.Node, sizes: dict[int, tuple[int, int]],
              file: str | None) -> tuple[int, int]:
    below = [sizes[id(child)] for child in _children(node)]
    count = 1 + sum(n for n, _ in below)
    depth = 1 + max((d for _, d in below), default=0)
    if count > MAX_YAML_NODES:
        raise SpecError(f"this YAML value expands to {count} nodes (aliases counted as "
                        f"copies), more than the limit of {MAX_YAML_NODES}",
                        _location(file, node.start_mark))
    if depth > MAX_YAML_DEPTH:
        raise SpecError(f"this YAML value nests {depth} levels deep through aliases, "
                        f"more than the limit of {MAX_YAML_DEPTH}",
                        _location(file, node.start_mark))
    return count, depth


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load_yaml_file(path: str | Path) -> Any:
    path = Path(path)
    try:
        text = read_text(path)
        _count_read(len(text.encode()), path)
    except MissingTextFile:
        raise SpecError(f"file not found: {path}", Location(file=str(path))) from None
    except TextFileError as err:
        raise SpecError(f"cannot use this file: {err.message}",
                        Location(file=str(path), line=err.line, column=err.column)) from None
    return load_yaml_text(text, str(path))


def load_with_includes(path: str | Path, _stack: tuple[Path, ...] = ()) -> LocDict:
    """Load a spec file, merging its ``include:`` files beneath it.

    Included files are merged in order (later ones override earlier ones)
    and the including file overrides them all. Mappings merge key by key;
    lists and scalars are replaced whole.
    """
    with _reading():
        return _load_with_includes(path, _stack)


def _load_with_includes(path: str | Path, _stack: tuple[Path, ...]) -> LocDict:
    path = Path(path).resolve() if not _stack else Path(path)
    if path in _stack:
        chain = " -> ".join(p.name for p in (*_stack, path))
        raise SpecError(f"include cycle: {chain}", Location(file=str(path)))
    data = load_yaml_file(path)
    if data is None:
        data = LocDict()
        data.where = Location(file=str(path), line=1, column=1)
    if not isinstance(data, LocDict):
        raise SpecError("a spec file must be a mapping at the top level",
                        getattr(data, "where", Location(file=str(path))))
    data = _merge_includes(data, path, _stack)
    return splice_node_includes(data, path, _stack)


def _merge_includes(data: LocDict, path: Path, _stack: tuple[Path, ...]) -> LocDict:
    """``data`` with its ``include:`` files merged beneath it."""
    includes = data.pop("include", None)
    if includes is None:
        return data
    if isinstance(includes, str):
        includes = [includes]
    if not isinstance(includes, list):
        raise SpecError("'include' must be a file name or a list of file names",
                        data.key_loc("include"), )
    merged = LocDict()
    merged.where = data.where
    for i, item in enumerate(includes):
        loc = includes.loc(i) if isinstance(includes, LocList) else data.where
        if not isinstance(item, str):
            raise SpecError("each include must be a file name", loc)
        target = (path.parent / item).resolve()
        _check_include(item, target, Location(loc.file, loc.line, loc.column, f"include[{i}]"))
        merged = merge(merged, load_with_includes(target, (*_stack, path)))
    return merge(merged, data)


def splice_node_includes(data: LocDict, path: Path, stack: tuple[Path, ...]) -> LocDict:
    """Replace every ``!Include`` item of ``arch.nodes`` by the included
    file's nodes; merge the included files' other sections beneath ``data``."""
    with _reading():
        return _splice_node_includes(data, path, stack)


def _splice_node_includes(data: LocDict, path: Path, stack: tuple[Path, ...]) -> LocDict:
    nodes = data.get("arch", {}).get("nodes") if isinstance(data.get("arch"), LocDict) else None
    if not isinstance(nodes, LocList) or not any(isinstance(n, IncludeRef) for n in nodes):
        return data
    spliced = LocList()
    spliced.where = nodes.where
    beneath = LocDict()
    beneath.where = data.where
    for i, item in enumerate(nodes):
        if not isinstance(item, IncludeRef):
            spliced.append(item)
            spliced.item_locs.append(nodes.loc(i))
            continue
        included = _load_node_include(item, path, stack, f"arch.nodes[{i}]")
        sub = included["arch"]["nodes"]
        spliced.extend(sub)
        spliced.item_locs.extend(sub.loc(j) for j in range(len(sub)))
        rest = LocDict({k: v for k, v in included.items() if k not in _NOT_INHERITED})
        rest.where = included.where
        rest.key_locs = {k: included.key_loc(k) for k in rest}
        rest.value_locs = {k: included.loc(k) for k in rest}
        beneath = merge(beneath, rest)
    out = merge(beneath, data)
    out["arch"]["nodes"] = spliced
    return out


def _load_node_include(ref: IncludeRef, path: Path, stack: tuple[Path, ...],
                       field: str) -> LocDict:
    where = Location(ref.where.file, ref.where.line, ref.where.column, field)
    target = (path.parent / ref.target).resolve()
    if target in (*stack, path):
        chain = " -> ".join(p.name for p in (*stack, path, target))
        raise SpecError(f"include cycle: {chain}", where)
    _check_include(ref.target, target, where)
    included = load_with_includes(target, (*stack, path))
    arch = included.get("arch")
    if not isinstance(arch, LocDict) or not isinstance(arch.get("nodes"), LocList):
        raise SpecError(f"!Include {ref.target}: the included file has no 'arch.nodes' list "
                        "to splice (use 'include:' to merge variables only)", where)
    return included


@dataclass
class _ReadCount:
    files: int = 0
    bytes: int = 0


_READ: ContextVar[_ReadCount | None] = ContextVar("cimdse_spec_read", default=None)


@contextmanager
def _reading():
    """Count the files and bytes of one load (nested calls share the count),
    so a file included over and over cannot make a load explode."""
    if _READ.get() is not None:
        yield
        return
    token = _READ.set(_ReadCount())
    try:
        yield
    finally:
        _READ.reset(token)


def _count_read(size: int, path: Path) -> None:
    count = _READ.get()
    if count is None:
        return
    count.files += 1
    count.bytes += size
    if count.files > MAX_INCLUDED_FILES:
        raise SpecError(f"this load reads more than {MAX_INCLUDED_FILES} files "
                        "(includes counted each time they are included)", Location(file=str(path)))
    if count.bytes > MAX_SPEC_BYTES:
        raise SpecError(f"this load reads more than {MAX_SPEC_BYTES} bytes over all its "
                        "included files", Location(file=str(path)))


def _check_include(name: str, target: Path, where: Location) -> None:
    """An included file must be a regular file within the size cap."""
    try:
        check_regular_file(target)
    except MissingTextFile:
        raise SpecError(f"included file not found: {name} (looked for {target})",
                        where) from None
    except TextFileError as err:
        raise SpecError(f"cannot include {name}: {err.message}", where) from None


def merge(base: Any, top: Any) -> Any:
    """Deep-merge ``top`` over ``base`` keeping each key's source location."""
    if not (isinstance(base, LocDict) and isinstance(top, LocDict)):
        return top
    out = LocDict()
    out.tag = top.tag or base.tag
    out.where = top.where
    for src in (base, top):
        for key, value in src.items():
            out[key] = merge(out[key], value) if key in out else value
            out.key_locs[key] = src.key_locs.get(key, src.where)
            out.value_locs[key] = src.value_locs.get(key, src.where)
    return out
