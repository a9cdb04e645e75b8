"""Turn a loaded spec tree (with locations) into a resolved :class:`Design`.

Owns the spec's schema: which keys each section and node accepts, how
directives and constraints are written, and every check that needs the
source location (unknown keys with suggestions, wrong types, duplicate
names, unknown tensors or dims, bad spatial meshes, component classes and
their required attributes).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field as dataclass_field
from typing import Any, Iterable

from ..bounds import (CONSUMED_VARIABLES, MAPPER_ATTRIBUTE_BOUNDS, MAX_FACTOR, MAX_INSTANCES,
                      MAX_MESH, MAX_SCALE, RangeError, check_mapper_attribute, check_number,
                      check_variable)
from ..components import ComponentAttributeError, UnknownComponentClass, get_model
from .attribute_names import Entry, check_attribute_names
from .conventions import check_conventions
from .files import resolve_spec_files
from .errors import SpecError, nearest
from .model import (MAPPER_ALGORITHMS, MAPPER_METRICS, PROBLEM_DIMS, TENSORS, Constraints,
                    Design, FactorConstraint, Location, LoopConstraints, MapperSettings, Node,
                    SliceCounts, frozen_mapping)
from .scope import Scope
from .yaml_io import LocDict, LocList

TOP_KEYS = ("name", "description", "variables", "arch", "mapper")
ARCH_KEYS = ("nodes",)
COMMON_NODE_KEYS = ("name", "attributes", "spatial", "spatial_reuse", "constraints",
                    "enabled", "description")
COMPONENT_KEYS = (*COMMON_NODE_KEYS, "class", "temporal_reuse", "coalesce", "no_coalesce",
                  "energy_scale", "area_scale", "copies")
CONTAINER_KEYS = (*COMMON_NODE_KEYS, "power_gated")
SPATIAL_KEYS = ("meshX", "meshY")
CONSTRAINT_KEYS = ("temporal", "spatial", "max_utilization", "min_utilization")
LOOP_KEYS = ("factors", "factors_only", "loop_order", "no_iteration_over", "must_iterate_over")
MAPPER_KEYS = ("metric", "algorithm", "max_evaluations", "timeout_s", "victory_condition", "seed",
               "imperfect_spatial")
METRICS = MAPPER_METRICS
ALGORITHMS = MAPPER_ALGORITHMS
TEMPORAL_DIRECTIVES = ("temporal_reuse", "coalesce", "no_coalesce")
_FACTOR_RE = re.compile(r"^\s*([A-Za-z_]\w*)\s*(<=|>=|==|=)\s*(.+?)\s*$")
#: upper bounds of the mapper settings (a search beyond them never ends in practice)
MAPPER_LIMITS = {"max_evaluations": 10 ** 9, "timeout_s": 86_400.0,
                 "victory_condition": 10 ** 9, "seed": 2 ** 63 - 1}

log = logging.getLogger(__name__)


def _at(loc: Location, path: str) -> Location:
    return Location(loc.file, loc.line, loc.column, path)


def check_keys(section: LocDict, allowed: Iterable[str], path: str) -> None:
    """Reject keys not in ``allowed`` with the nearest valid one suggested."""
    allowed = tuple(allowed)
    for key in section:
        if key not in allowed:
            sub = f"{path}.{key}" if path else str(key)
            raise SpecError(f"unknown key '{key}'; valid keys here: {', '.join(allowed)}",
                            _at(section.key_loc(key), sub),
                            suggestion=nearest(str(key), allowed))


def _require_mapping(value: Any, loc: Location, path: str, what: str) -> LocDict:
    if not isinstance(value, LocDict):
        raise SpecError(f"{what} must be a mapping, got {_kind(value)}", _at(loc, path))
    return value


def _kind(value: Any) -> str:
    if isinstance(value, LocDict):
        return "a mapping"
    if isinstance(value, LocList):
        return "a list"
    if value is None:
        return "nothing (null)"
    return f"{type(value).__name__} {value!r}"


def resolve(root: LocDict, overrides: dict[str, Any] | None = None,
            source: str | None = None, derived: Scope | None = None) -> Design:
    """Validate and evaluate a loaded spec tree into a Design.

    ``derived``: a scope beneath the spec's variables (the workload-derived
    variables of :mod:`cimdse.spec.compose`); the spec's own variables win.
    """
    check_keys(root, TOP_KEYS, "")
    _apply_overrides(root, overrides or {})
    variables = _variables_scope(root, derived)
    values = variables.resolve_all()
    _check_consumed_variables(root, values)
    check_conventions(values, variables.location)
    if "arch" not in root:
        raise SpecError("missing required section 'arch' (with 'nodes: [...]')",
                        _at(root.where, "arch"))
    arch = _require_mapping(root["arch"], root.loc("arch"), "arch", "'arch'")
    check_keys(arch, ARCH_KEYS, "arch")
    if "nodes" not in arch:
        raise SpecError("missing required key 'nodes' (the ordered node list)",
                        _at(arch.where, "arch.nodes"))
    walk = _Walk()
    nodes = _resolve_nodes(arch["nodes"], arch.loc("nodes"), variables, walk)
    mapper = _mapper_settings(root.get("mapper"), root.loc("mapper"), variables)
    name = root.get("name") or (source.rsplit("/", 1)[-1].rsplit(".", 1)[0] if source else "design")
    return Design(name=str(name), variables=frozen_mapping(values), nodes=nodes,
                  mapper=mapper, slices=SliceCounts.from_variables(values), source=source,
                  overrides=frozen_mapping(overrides or {}),
                  notes=tuple(walk.notes))


# --------------------------------------------------------------------- overrides

def _apply_overrides(root: LocDict, overrides: dict[str, Any]) -> None:
    for key, value in overrides.items():
        loc = Location(file=None, path=f"--set {key}")
        parts = key.split(".")
        if parts[0] == "variables" and len(parts) == 2:
            parts = parts[1:]
        if len(parts) == 1:
            _override_variable(root, parts[0], value, loc)
        elif parts[0] == "mapper":
            mapper = root.setdefault("mapper", LocDict())
            mapper[parts[1]] = value
            mapper.value_locs[parts[1]] = loc
        else:
            _override_node(root, parts, value, loc)


def _override_variable(root: LocDict, name: str, value: Any, loc: Location) -> None:
    variables = root.get("variables")
    if not isinstance(variables, LocDict) or name not in variables:
        options = list(variables or {}) + _node_names(root)
        raise SpecError(f"cannot override '{name}': no such variable "
                        "(use NODE.ATTRIBUTE to set a node attribute)", loc,
                        suggestion=nearest(name, options))
    variables[name] = value
    variables.value_locs[name] = loc


def _override_node(root: LocDict, parts: list[str], value: Any, loc: Location) -> None:
    nodes = root.get("arch", {}).get("nodes", []) if isinstance(root.get("arch"), dict) else []
    node = next((n for n in nodes if isinstance(n, dict) and n.get("name") == parts[0]), None)
    if node is None:
        raise SpecError(f"cannot override '{'.'.join(parts)}': no variable or node named "
                        f"'{parts[0]}'", loc,
                        suggestion=nearest(parts[0], _node_names(root) + list(root.get("variables") or {})))
    if parts[1] not in COMPONENT_KEYS:  # NODE.ATTR is short for NODE.attributes.ATTR
        parts = [parts[0], "attributes", *parts[1:]]
    target = node
    for part in parts[1:-1]:
        if not isinstance(target.get(part), LocDict):
            fresh = LocDict()
            fresh.where = loc
            target[part] = fresh
        target = target[part]
    target[parts[-1]] = value
    target.value_locs[parts[-1]] = loc


def _node_names(root: LocDict) -> list[str]:
    arch = root.get("arch")
    nodes = arch.get("nodes", []) if isinstance(arch, dict) else []
    return [n["name"] for n in nodes if isinstance(n, dict) and isinstance(n.get("name"), str)]


# --------------------------------------------------------------------- variables

def _variables_scope(root: LocDict, derived: Scope | None = None) -> Scope:
    raw = root.get("variables")
    if raw is None:
        return Scope({}, {}, parent=derived)
    raw = _require_mapping(raw, root.loc("variables"), "variables", "'variables'")
    locations = {}
    for key in raw:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("__"):
            raise SpecError(f"variable name {key!r} must be an identifier "
                            "(letters, digits, underscores; not starting with '__')",
                            _at(raw.key_loc(key), f"variables.{key}"))
        locations[key] = _at(raw.loc(key), f"variables.{key}")
    return Scope(raw, locations, parent=derived, what="variable")


def _check_consumed_variables(root: LocDict, values: dict[str, Any]) -> None:
    """Type and range of the variables the encoding and the mapper read."""
    raw = root.get("variables")
    for name in CONSUMED_VARIABLES:
        if name not in values:
            continue
        try:
            check_variable(name, values[name])
        except RangeError as err:
            raise SpecError(f"variable '{name}' {err}", _at(raw.loc(name), f"variables.{name}")) \
                from None


# --------------------------------------------------------------------- nodes

@dataclass
class _Walk:
    """What the walk down the node chain has accumulated so far."""

    inherited: dict[str, Any] = dataclass_field(default_factory=dict)
    #: where each inherited attribute was written (for errors it causes below)
    origins: dict[str, Location] = dataclass_field(default_factory=dict)
    parents: list[str] = dataclass_field(default_factory=list)
    instances: int = 1
    notes: list[str] = dataclass_field(default_factory=list)
    entries: list[Entry] = dataclass_field(default_factory=list)


def _resolve_nodes(raw_nodes: Any, loc: Location, variables: Scope,
                   walk: _Walk) -> tuple[Node, ...]:
    if not isinstance(raw_nodes, LocList) or not raw_nodes:
        raise SpecError("'nodes' must be a non-empty list of !Container and !Component nodes",
                        _at(loc, "arch.nodes"))
    seen: dict[str, str] = {}
    out: list[Node] = []
    for i, raw in enumerate(raw_nodes):
        path = f"arch.nodes[{i}]"
        node = _resolve_node(raw, raw_nodes.loc(i), path, variables, walk)
        if node is None:
            continue
        if node.name in seen:
            raise SpecError(f"duplicate node name '{node.name}' (first used at {seen[node.name]}); "
                            "node names must be unique", _at(raw.loc("name"), f"{path}.name"))
        seen[node.name] = path
        walk.instances = node.instances
        walk.entries.append(Entry(raw, path, node))
        out.append(node)
        if node.is_container:
            walk.inherited = dict(node.attributes)
            walk.origins.update(_own_locations(raw, path))
            walk.parents.append(node.name)
    if not any(n.is_component for n in out):
        raise SpecError("the hierarchy has no enabled !Component", _at(loc, "arch.nodes"))
    check_attribute_names(walk.entries)
    return tuple(out)


def _own_locations(raw: LocDict, path: str) -> dict[str, Location]:
    attributes = raw.get("attributes")
    if not isinstance(attributes, LocDict):
        return {}
    return {k: _at(attributes.loc(k), f"{path}.attributes.{k}") for k in attributes}


def _resolve_node(raw: Any, loc: Location, path: str, variables: Scope,
                  walk: _Walk) -> Node | None:
    if not isinstance(raw, LocDict) or raw.tag not in ("Container", "Component"):
        raise SpecError("each node must be a mapping tagged !Container or !Component",
                        _at(loc, path))
    kind = raw.tag.lower()
    check_keys(raw, COMPONENT_KEYS if kind == "component" else CONTAINER_KEYS, path)
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise SpecError("missing required key 'name' (a unique node name)", _at(raw.where, f"{path}.name"))
    attrs = _attribute_scope(raw, path, variables, walk.inherited)

    def field(key: str, default: Any) -> Any:
        return attrs.evaluate(raw[key], _at(raw.loc(key), f"{path}.{key}")) if key in raw else default

    enabled = field("enabled", True)
    if not isinstance(enabled, bool):
        raise SpecError(f"'enabled' must be true or false, got {enabled!r}", _at(raw.loc("enabled"), f"{path}.enabled"))
    if not enabled:
        return None
    power_gated = field("power_gated", False)
    if not isinstance(power_gated, bool):
        raise SpecError(f"'power_gated' must be true or false, got {power_gated!r}",
                        _at(raw.loc("power_gated"), f"{path}.power_gated"))
    mesh_x, mesh_y = _spatial(raw, path, attrs)
    instances = _instances(walk.instances * mesh_x * mesh_y, raw, path)
    own = attrs.resolve_all()
    merged = {**walk.inherited, **own}
    cls = None
    if kind == "component":
        resolve_spec_files(raw, path, merged)
        cls = _component_class(raw, path, merged, walk)
        _check_mapper_attributes(raw, path, merged, walk)
    directives = {d: _tensor_list(raw, d, path) for d in (*TEMPORAL_DIRECTIVES, "spatial_reuse")}
    _check_directive_overlap(raw, path, directives)
    if "spatial_reuse" not in raw:
        directives["spatial_reuse"] = frozenset(TENSORS)
    return Node(
        name=name, kind=kind, cls=cls, attributes=frozen_mapping(merged),
        mesh_x=mesh_x, mesh_y=mesh_y,
        temporal_reuse=directives["temporal_reuse"], coalesce=directives["coalesce"],
        no_coalesce=directives["no_coalesce"], spatial_reuse=directives["spatial_reuse"],
        constraints=_constraints(raw, path, attrs),
        instances=instances, parents=tuple(walk.parents),
        location=_at(raw.where, path),
        energy_scale=_scale(field("energy_scale", 1.0), raw, "energy_scale", path),
        area_scale=_scale(field("area_scale", 1.0), raw, "area_scale", path),
        copies=_scale(field("copies", 1.0), raw, "copies", path),
        power_gated=power_gated,
    )


def _attribute_scope(raw: LocDict, path: str, variables: Scope, inherited: dict[str, Any]) -> Scope:
    attributes = raw.get("attributes", None)
    if attributes is None:
        attributes = LocDict()
    attributes = _require_mapping(attributes, raw.loc("attributes"), f"{path}.attributes", "'attributes'")
    inherited_scope = Scope(inherited, {}, parent=variables, what="attribute")
    locations = {k: _at(attributes.loc(k), f"{path}.attributes.{k}") for k in attributes}
    for key in attributes:
        if not isinstance(key, str) or not key.isidentifier():
            raise SpecError(f"attribute name {key!r} must be an identifier",
                            _at(attributes.key_loc(key), f"{path}.attributes.{key}"))
    return Scope(attributes, locations, parent=inherited_scope, what="attribute")


def _spatial(raw: LocDict, path: str, attrs: Scope) -> tuple[int, int]:
    if "spatial" not in raw:
        return 1, 1
    spatial = _require_mapping(raw["spatial"], raw.loc("spatial"), f"{path}.spatial", "'spatial'")
    check_keys(spatial, SPATIAL_KEYS, f"{path}.spatial")
    mesh = []
    for key in SPATIAL_KEYS:
        where = _at(spatial.loc(key), f"{path}.spatial.{key}")
        value = attrs.evaluate(spatial[key], where) if key in spatial else 1
        mesh.append(_positive_int(value, where, key))
    return mesh[0], mesh[1]


def _count(value: Any, maximum: int) -> int | None:
    """``value`` as an integer in 1..maximum, or None when it is not one."""
    try:
        number = check_number(value, int)
    except RangeError:
        return None
    return number if 1 <= number <= maximum else None


def _positive_int(value: Any, where: Location, what: str) -> int:
    number = _count(value, MAX_MESH)
    if number is None:
        raise SpecError(f"'{what}' must be a positive integer (at most {MAX_MESH}), got "
                        f"{value!r}", where)
    return number


def _instances(count: int, raw: LocDict, path: str) -> int:
    if count > MAX_INSTANCES:
        where = _at(raw.loc("spatial") if "spatial" in raw else raw.where, f"{path}.spatial")
        raise SpecError(f"the enclosing meshes make {count:.3g} instances of this node; at "
                        f"most {MAX_INSTANCES:.3g} (2**40) are supported", where)
    return count


def _scale(value: Any, raw: LocDict, key: str, path: str) -> float:
    """A node's energy_scale / area_scale / copies: a finite number in [0, MAX_SCALE]."""
    try:
        number = check_number(value)
    except RangeError as err:
        raise SpecError(f"'{key}' {err}", _at(raw.loc(key), f"{path}.{key}")) from None
    if not 0 <= number <= MAX_SCALE:
        raise SpecError(f"'{key}' must be a non-negative number (at most {MAX_SCALE:g}), "
                        f"got {value!r}", _at(raw.loc(key), f"{path}.{key}"))
    return number


def _component_class(raw: LocDict, path: str, attributes: dict[str, Any],
                     walk: _Walk) -> str:
    if "class" not in raw:
        raise SpecError("missing required key 'class' (the component model, see "
                        "`cimdse components`)", _at(raw.where, f"{path}.class"))
    cls = raw["class"]
    where = _at(raw.loc("class"), f"{path}.class")
    if not isinstance(cls, str):
        raise SpecError(f"'class' must be a component class name, got {cls!r}", where)
    try:
        model = get_model(cls)
    except UnknownComponentClass as err:
        raise SpecError(err.message, where, suggestion=err.suggestion) from None
    try:
        instance = model(attributes)
    except ComponentAttributeError as err:
        raise SpecError(str(err), _attribute_location(raw, path, err.field or "", walk)) \
            from None
    for text in instance.warnings:
        note = f"{raw.get('name')}: {text}"
        log.warning("%s", note)
        walk.notes.append(note)
    return cls


def _check_mapper_attributes(raw: LocDict, path: str, attributes: dict[str, Any],
                             walk: _Walk) -> None:
    """Type and range of the attributes the mapper reads (capacity, bandwidth,
    cycle time), whether or not the component's model declares them."""
    for name in MAPPER_ATTRIBUTE_BOUNDS:
        if attributes.get(name) is None:
            continue
        try:
            check_mapper_attribute(name, attributes[name])
        except RangeError as err:
            raise SpecError(f"attribute '{name}' (read by the mapper) {err}",
                            _attribute_location(raw, path, name, walk)) from None


def _attribute_location(raw: LocDict, path: str, field: str, walk: _Walk) -> Location:
    """Where attribute ``field`` of a node was written: on the node, else on the
    enclosing container it was inherited from, else the node's attributes."""
    attrs = raw.get("attributes")
    if isinstance(attrs, LocDict) and field in attrs:
        return _at(attrs.loc(field), f"{path}.attributes.{field}")
    if field in walk.origins:
        return walk.origins[field]
    return _at(attrs.where if isinstance(attrs, LocDict) else raw.where, f"{path}.attributes")


def _tensor_list(raw: LocDict, key: str, path: str) -> frozenset[str]:
    if key not in raw:
        return frozenset()
    value = raw[key]
    where = _at(raw.loc(key), f"{path}.{key}")
    return frozenset(tensor_names(value, where))


def tensor_names(value: Any, where: Location) -> list[str]:
    """A list of tensor names (``'*'`` = all); unknown names suggest the nearest."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise SpecError(f"expected a list of tensors ({', '.join(TENSORS)}), got {_kind(value)}", where)
    out: list[str] = []
    for i, item in enumerate(value):
        item_where = value.loc(i) if isinstance(value, LocList) else where
        item_where = _at(item_where, f"{where.path}[{i}]")
        if item == "*":
            out.extend(TENSORS)
        elif item in TENSORS:
            out.append(item)
        else:
            raise SpecError(f"unknown tensor {item!r}; tensors are {', '.join(TENSORS)}",
                            item_where, suggestion=nearest(str(item), TENSORS))
    return out


def _check_directive_overlap(raw: LocDict, path: str, directives: dict[str, frozenset[str]]) -> None:
    for i, first in enumerate(TEMPORAL_DIRECTIVES):
        for second in TEMPORAL_DIRECTIVES[i + 1:]:
            both = directives[first] & directives[second]
            if both:
                tensor = sorted(both)[0]
                raise SpecError(
                    f"tensor '{tensor}' is listed in both '{first}' and '{second}'; "
                    "a component either keeps a tensor (temporal_reuse), merges it "
                    "within a timestep (coalesce) or passes it through (no_coalesce)",
                    _at(raw.loc(second), f"{path}.{second}"))


# --------------------------------------------------------------------- constraints

def _constraints(raw: LocDict, path: str, attrs: Scope) -> Constraints:
    if "constraints" not in raw:
        return Constraints()
    base = f"{path}.constraints"
    section = _require_mapping(raw["constraints"], raw.loc("constraints"), base, "'constraints'")
    check_keys(section, CONSTRAINT_KEYS, base)
    temporal = _loop_constraints(section, "temporal", base, attrs)
    spatial = _loop_constraints(section, "spatial", base, attrs)
    max_util = {}
    if "max_utilization" in section:
        where = _at(section.loc("max_utilization"), f"{base}.max_utilization")
        for c in _factor_list(section["max_utilization"], where, attrs):
            if c.op != "=":
                raise SpecError(f"max_utilization takes only DIM=N factors, got '{c}'", where)
            max_util[c.dim] = c.value
    min_util = 0.0
    if "min_utilization" in section:
        where = _at(section.loc("min_utilization"), f"{base}.min_utilization")
        min_util = attrs.evaluate(section["min_utilization"], where)
        if isinstance(min_util, bool) or not isinstance(min_util, (int, float)) or not 0 <= min_util <= 1:
            raise SpecError(f"min_utilization must be a fraction in [0, 1], got {min_util!r}", where)
    return Constraints(temporal=temporal, spatial=spatial,
                       max_utilization=frozen_mapping(max_util), min_utilization=float(min_util))


def _loop_constraints(section: LocDict, key: str, base: str, attrs: Scope) -> LoopConstraints:
    if key not in section:
        return LoopConstraints()
    path = f"{base}.{key}"
    loops = _require_mapping(section[key], section.loc(key), path, f"'{key}'")
    check_keys(loops, LOOP_KEYS, path)

    def where(k: str) -> Location:
        return _at(loops.loc(k), f"{path}.{k}")

    factors = tuple(_factor_list(loops["factors"], where("factors"), attrs)) if "factors" in loops else ()
    only = tuple(_dim_list(loops["factors_only"], where("factors_only"))) if "factors_only" in loops else None
    order = tuple(_dim_list(loops.get("loop_order"), where("loop_order")))
    if len(set(order)) != len(order):
        raise SpecError("loop_order names a dim twice", where("loop_order"))
    return LoopConstraints(
        factors=factors, factors_only=only, loop_order=order,
        no_iteration_over=tuple(tensor_names(loops.get("no_iteration_over"), where("no_iteration_over"))),
        must_iterate_over=tuple(tensor_names(loops.get("must_iterate_over"), where("must_iterate_over"))),
    )


def _dim_list(value: Any, where: Location) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list):
        raise SpecError(f"expected a list of dims ({' '.join(PROBLEM_DIMS)}), got {_kind(value)}", where)
    for item in value:
        _check_dim(item, where)
    return list(value)


def _check_dim(dim: Any, where: Location) -> None:
    if dim not in PROBLEM_DIMS:
        raise SpecError(f"unknown dim {dim!r}; dims are {' '.join(PROBLEM_DIMS)}", where,
                        suggestion=nearest(str(dim), PROBLEM_DIMS))


def _factor_list(value: Any, where: Location, attrs: Scope) -> list[FactorConstraint]:
    """Factors as ``{M: 4}``, ``["M=4", "C<=ROWS"]`` or ``"M=4 C<=8"``."""
    items: list[tuple[str, str, Any]] = []
    if isinstance(value, dict):
        items = [(str(k), "=", v) for k, v in value.items()]
    else:
        if isinstance(value, str):
            value = value.split()
        if not isinstance(value, list):
            raise SpecError(f"factors must be a mapping {{DIM: N}} or a list like ['M=4', 'C<=8'], "
                            f"got {_kind(value)}", where)
        for text in value:
            match = _FACTOR_RE.match(str(text))
            if not match:
                raise SpecError(f"cannot read factor {text!r}; write DIM=N, DIM<=N or DIM>=N", where)
            dim, op, rhs = match.groups()
            items.append((dim, "=" if op == "==" else op, rhs))
    out = []
    for dim, op, rhs in items:
        _check_dim(dim, where)
        number = attrs.evaluate(rhs, where)
        value = _count(number, MAX_FACTOR)
        if value is None:
            raise SpecError(f"factor {dim}{op}{rhs!s} must be a positive integer (at most "
                            f"{MAX_FACTOR}), got {number!r}", where)
        out.append(FactorConstraint(dim, op, value))
    return out


# --------------------------------------------------------------------- mapper

def _mapper_settings(raw: Any, loc: Location, variables: Scope) -> MapperSettings:
    if raw is None:
        return MapperSettings()
    section = _require_mapping(raw, loc, "mapper", "'mapper'")
    check_keys(section, MAPPER_KEYS, "mapper")
    defaults = MapperSettings()
    values: dict[str, Any] = {}
    for key in section:
        where = _at(section.loc(key), f"mapper.{key}")
        value = variables.evaluate(section[key], where)
        expected = type(getattr(defaults, key))
        if key == "metric" and value not in METRICS:
            raise SpecError(f"unknown metric {value!r}; choose one of {', '.join(METRICS)}", where,
                            suggestion=nearest(str(value), METRICS))
        if key == "algorithm" and value not in ALGORITHMS:
            raise SpecError(f"unknown algorithm {value!r}; choose one of {', '.join(ALGORITHMS)}",
                            where, suggestion=nearest(str(value), ALGORITHMS))
        if expected is bool and not isinstance(value, bool):
            raise SpecError(f"'{key}' must be true or false, got {value!r}", where)
        if expected in (int, float):
            value = _mapper_number(key, value, expected, where)
        values[key] = value
    return MapperSettings(**values)


def _mapper_number(key: str, value: Any, kind: type, where: Location) -> int | float:
    try:
        number = check_number(value, kind)
    except RangeError as err:
        raise SpecError(f"'{key}' {err}", where) from None
    if not 0 <= number <= MAPPER_LIMITS[key]:
        raise SpecError(f"'{key}' must be within [0, {MAPPER_LIMITS[key]:g}], got {value!r}",
                        where)
    return number
