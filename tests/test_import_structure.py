"""The data flow of the package, as imports: every import (module level or
deferred inside a function) goes from a later stage to an earlier one, no
module imports the package facade, and module-level imports form no circle.

The stages, earliest first (docs/architecture.md describes the rooms):
foundations (errors, version, text files, bounds, metrics, shipped configs, plug-in lookup)
-> workload -> profile -> encoding -> components -> spec -> statistics -> pricing ->
mapping -> accuracy ->
system -> evaluate -> reference, validation -> dse -> cli -> the facade ``cimdse``.

Inside dse the modules follow the sweep's own flow (:data:`DSE_STAGES`),
and only the command lines and the facades import the runner.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "cimdse"

STAGES: tuple[frozenset[str], ...] = (
    frozenset({"errors", "_version", "textfile", "bounds", "metrics", "shipped", "plugins"}),
    frozenset({"workload"}),
    frozenset({"profile"}),              # produces workloads; the CLI imports it lazily
    frozenset({"encoding"}),
    frozenset({"components"}),
    frozenset({"spec"}),
    frozenset({"statistics"}),           # operand distributions -> encodings -> slices
    frozenset({"pricing"}),              # the ActionTable, priced by the component models
    frozenset({"mapping"}),
    frozenset({"accuracy"}),             # the analog error of a design's layers
    frozenset({"system"}),               # the layers placed over the macros and pipelined
    frozenset({"evaluate"}),
    frozenset({"reference", "validation", "testing"}),
    frozenset({"dse"}),
    frozenset({"cli"}),
    frozenset({""}),                     # the facade, cimdse/__init__.py
)

#: The modules of cimdse/dse, earliest first: the sweep file becomes a Sweep,
#: trials become designs, designs are evaluated, rows are stored and reported.
DSE_STAGES: tuple[frozenset[str], ...] = (
    frozenset({"errors", "fingerprint", "expressions"}),   # the evaluation context
    frozenset({"schema"}),                                 # the sweep-file data model
    frozenset({"samplers"}),
    frozenset({"parser"}),
    frozenset({"limits", "evaluation", "fake"}),           # one design on a worker
    frozenset({"checks"}),                                 # preflight
    frozenset({"space"}),                                  # trial -> design, design id
    frozenset({"study"}),
    frozenset({"rows"}),
    frozenset({"trials"}),                                 # ask, reopen, tell
    frozenset({"executors"}),
    frozenset({"store"}),
    frozenset({"buffer"}),
    frozenset({"pareto"}),
    frozenset({"report"}),
    frozenset({"runner"}),                                 # the driving loop
    frozenset({"cli", ""}),                                # sweep / pareto commands; the facade
)
#: The modules that may import the runner.
RUNNER_USERS = frozenset({"cimdse.dse", "cimdse.dse.cli", "cimdse.cli", "cimdse"})


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "configs":
            continue
        parts = ["cimdse", *rel.with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imports(module: str, path: Path):
    """(target module, line, at module level) of every cimdse import."""
    tree = ast.parse(path.read_text())
    top = set(map(id, tree.body))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            origin = ".".join(base + ([node.module] if node.module else []))
            targets = [f"{origin}.{a.name}" for a in node.names] if origin else []
        else:
            continue
        for target in targets:
            if target == "cimdse" or target.startswith("cimdse."):
                yield target, node.lineno, id(node) in top


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _stage(module: str) -> int:
    room = _room(module)
    for i, rooms in enumerate(STAGES):
        if room in rooms:
            return i
    raise AssertionError(f"{module}: room {room!r} has no stage in STAGES")


def _dse_stage(module: str) -> int:
    name = module.split(".")[2] if module.count(".") >= 2 else ""
    for i, names in enumerate(DSE_STAGES):
        if name in names:
            return i
    raise AssertionError(f"{module}: no stage in DSE_STAGES")


def _owner(target: str, modules: dict[str, Path]) -> str:
    """The module a dotted import target lives in (``a.b.name`` -> ``a.b``)."""
    while target not in modules and "." in target:
        target = target.rsplit(".", 1)[0]
    return target


def test_imports_follow_the_data_flow():
    modules = _modules()
    backward = []
    for module, path in modules.items():
        for target, line, _ in _imports(module, path):
            owner = _owner(target, modules)
            if owner == "cimdse" and module != "cimdse" and not target.endswith("__version__"):
                backward.append(f"{module}:{line} imports the facade ({target})")
            elif _stage(owner) > _stage(module):
                backward.append(f"{module}:{line} imports {owner}, a later stage")
    assert not backward, "\n".join(backward)


def test_dse_modules_follow_the_sweep_flow():
    modules = _modules()
    backward = []
    for module, path in modules.items():
        if _room(module) != "dse":
            continue
        for target, line, _ in _imports(module, path):
            owner = _owner(target, modules)
            if _room(owner) == "dse" and _dse_stage(owner) > _dse_stage(module):
                backward.append(f"{module}:{line} imports {owner}, a later dse stage")
    assert not backward, "\n".join(backward)


def test_only_the_command_lines_and_facades_import_the_runner():
    modules = _modules()
    users = {module for module, path in modules.items()
             for target, _, _ in _imports(module, path)
             if _owner(target, modules) == "cimdse.dse.runner"}
    assert users <= RUNNER_USERS, sorted(users - RUNNER_USERS)


def test_module_level_imports_form_no_circle():
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        own_packages = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        graph[module] = {owner for target, _, top in _imports(module, path) if top
                         for owner in [_owner(target, modules)]
                         if owner != module and owner not in own_packages}
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                circles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert not circles, "\n".join(" -> ".join(c) for c in circles)


def test_the_checker_sees_a_backward_import(tmp_path):
    """The scanner resolves relative imports (so the tests above can fail)."""
    path = tmp_path / "x.py"
    path.write_text("from ..dse import runner\ndef f():\n    from .. import evaluate\n")
    got = list(_imports("cimdse.workload.x", path))
    assert got == [("cimdse.dse.runner", 1, True), ("cimdse.evaluate", 3, False)]
    assert _stage("cimdse.dse.runner") > _stage("cimdse.workload.x")
    assert _dse_stage("cimdse.dse.runner") > _dse_stage("cimdse.dse.schema")
