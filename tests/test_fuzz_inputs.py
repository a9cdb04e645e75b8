"""Fuzzing: mutated shipped specs and sweep files never end in a traceback,
a hang or a non-finite result.

A shipped file is parsed, then hypothesis replaces values at random paths
with extreme or odd ones (NaN, infinities, huge or negative numbers, zero,
text, booleans, lists, mappings, dates, expressions with big exponents),
deletes keys and renames keys. Loading the mutant (``cimdse.load``,
``cimdse.dse.load_sweep`` with its binding and workload checks) and, when it
loads, evaluating it on ``max_utilization`` must either give finite,
non-negative energy, latency and area or raise a
:class:`cimdse.errors.CimdseError`, within a time bound per example. The
default run is small and deterministic; ``pytest -m slow`` runs many more.
"""

from __future__ import annotations

import datetime
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cimdse
from cimdse.dse import load_sweep
from cimdse.dse.checks import check_bindings, check_workloads
from cimdse.errors import CimdseError

from guards import time_bound

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
FIG5 = CONFIGS / "examples" / "fig5_macro.yaml"
WANG = CONFIGS / "macros" / "wang_vlsi_2022.yaml"
QUICKSTART = CONFIGS / "sweeps" / "quickstart.yaml"
MACROS = sorted((CONFIGS / "macros").glob("*.yaml"))

#: Per example; the issue's bound is 10 s, doubled for a loaded CI machine.
EXAMPLE_BOUND_S = 20
FAST = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SLOW = settings(FAST, max_examples=600)


# ------------------------------------------------------------ YAML with spec tags

class Tagged(dict):
    """A mapping written with a spec tag (``!Component``, ``!Container``)."""

    def __init__(self, tag: str, items: dict):
        super().__init__(items)
        self.tag = tag


class TaggedText(str):
    """A scalar written with a spec tag (``!Include FILE``)."""

    def __new__(cls, tag: str, text: str):
        value = super().__new__(cls, text)
        value.tag = tag
        return value


class _Loader(yaml.SafeLoader):
    pass


class _Dumper(yaml.SafeDumper):
    pass


def _construct_tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return TaggedText("!" + suffix, loader.construct_scalar(node))
    return Tagged("!" + suffix, loader.construct_mapping(node, deep=True))


_Loader.add_multi_constructor("!", _construct_tagged)
_Dumper.add_representer(Tagged, lambda dumper, data: dumper.represent_mapping(data.tag, data))
_Dumper.add_representer(TaggedText,
                        lambda dumper, data: dumper.represent_scalar(data.tag, str(data)))


def parse(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=_Loader)


def dump(tree: Any) -> str:
    return yaml.dump(tree, Dumper=_Dumper, sort_keys=False, allow_unicode=True)


# ------------------------------------------------------------ mutations

KeyPath = tuple   # keys and list indices from the root


def paths(tree: Any, prefix: KeyPath = ()) -> list[KeyPath]:
    """Every key and list index below ``tree``, parents before children."""
    found = []
    children = tree.items() if isinstance(tree, dict) else \
        enumerate(tree) if isinstance(tree, list) else ()
    for key, child in children:
        found.append(prefix + (key,))
        found += paths(child, prefix + (key,))
    return found


def _parent(tree: Any, path: KeyPath) -> Any:
    for key in path[:-1]:
        tree = tree[key]
    return tree


def _replace(tree: Any, path: KeyPath, value: Any) -> None:
    _parent(tree, path)[path[-1]] = value


def _delete(tree: Any, path: KeyPath) -> None:
    del _parent(tree, path)[path[-1]]


def _rename(tree: Any, path: KeyPath, new: str) -> None:
    parent = _parent(tree, path)
    if not isinstance(parent, dict):      # a list index: nothing to rename
        return
    items = [(new if k == path[-1] else k, v) for k, v in parent.items()]
    parent.clear()
    parent.update(items)


def mutate(tree: Any, mutations: list[tuple]) -> Any:
    """``tree`` with each (action, path selector, argument) applied in turn."""
    for action, selector, argument in mutations:
        candidates = paths(tree)
        if not candidates:
            break
        path = candidates[selector % len(candidates)]
        if action == "replace":
            _replace(tree, path, argument)
        elif action == "delete":
            _delete(tree, path)
        else:
            _rename(tree, path, argument)
    return tree


EXTREMES = [math.nan, math.inf, -math.inf, 0, 0.0, -0.0, -1, -1e-30, 1e-30, 1e-300, 1e308,
            -1e308, 2**31, 2**64, 10**30, -(10**30), 2**1000, True, False, None, "", " ",
            "offset", "sys:exit", "os.system", "'/etc/passwd'", "/dev/zero", "1e9", ".nan",
            "2024-01-01", "~", "[]", "{}"]

EXPRESSIONS = ["2 ** 4096", "(2 ** 4096) ** 4096", "10 ** 9", "10 ** 12", "2 ** -2000",
               "1 / 0", "0 / 0", "1e308 * 10", "-(2 ** 40)", "prod([2 ** 64] * 64)",
               "round(1, -10 ** 6)", "'x' * 10 ** 9", "[0] * 10 ** 9", "log(0)", "sqrt(-1)",
               "ceil(1e308)", "int('9' * 5000)", "ROWS ** 100", "2 ** ROWS", "ROWS * 1e300",
               "VOLTAGE * 1000", "TECHNOLOGY / 1000", "-VOLTAGE", "WEIGHT_BITS * 10 ** 6",
               "min()", "max([])", "undefined_name", "ROWS if ROWS else 0", "'%9999999d' % 1"]

_scalars = st.one_of(
    st.sampled_from(EXTREMES),
    st.sampled_from(EXPRESSIONS),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
    st.dates(min_value=datetime.date(1, 1, 1)),
)


def odd_values(names: list[str]) -> st.SearchStrategy:
    """Extreme and odd values, and expressions over the file's own variables."""
    over_names = st.builds("{} {} {}".format, st.sampled_from(names or ["x"]),
                           st.sampled_from(["*", "**", "/", "//", "-", "+", "%"]),
                           st.sampled_from(["0", "-1", "0.5", "1e-300", "1e300", "10 ** 9",
                                            "2 ** 64", "2 ** 4096"]))
    scalars = st.one_of(_scalars, over_names)
    return st.one_of(
        scalars,
        st.lists(scalars, max_size=3),
        st.dictionaries(st.text(max_size=8), scalars, max_size=3),
        st.dictionaries(st.sampled_from(["class", "attributes", "name", "spatial", "meshX"]),
                        st.dictionaries(st.text(max_size=6), scalars, max_size=2), max_size=2),
    )


new_names = st.one_of(
    st.sampled_from(["name", "class", "attributes", "spatial", "meshX", "meshY", "variables",
                     "ROWS", "COLS", "resolution", "n_adcs", "area_scale", "energy_scale",
                     "bind", "choices", "low", "high", "type", "__class__", "", "x-y"]),
    st.text(max_size=10),
)


def mutation_lists(names: list[str]) -> st.SearchStrategy:
    """One to three mutations: replace a value, delete a key or rename it."""
    mutation = st.one_of(
        st.tuples(st.just("replace"), st.integers(0, 10**6), odd_values(names)),
        st.tuples(st.just("delete"), st.integers(0, 10**6), st.none()),
        st.tuples(st.just("rename"), st.integers(0, 10**6), new_names),
    )
    return st.lists(mutation, min_size=1, max_size=3)


def variable_names(tree: Any) -> list[str]:
    """The variables a spec defines, or the parameters a sweep binds."""
    section = tree.get("variables") or tree.get("parameters") or {}
    return sorted(section)


# ------------------------------------------------------------ the properties

def assert_finite_result(result) -> None:
    totals = {"energy_pj": result.energy_pj, "latency_s": result.latency_s,
              "area_mm2": result.area_mm2}
    for name, value in totals.items():
        assert math.isfinite(value) and value >= 0, f"{name} = {value}"


def check_spec_mutant(text: str, path: Path) -> None:
    """Load and evaluate ``text`` (written to ``path``): a finite result or a CimdseError."""
    path.write_text(text)
    with time_bound(EXAMPLE_BOUND_S):
        try:
            result = cimdse.evaluate(cimdse.load(path), workload="max_utilization")
        except CimdseError:
            return
    assert_finite_result(result)


def _first_design(sweep) -> dict:
    overrides = dict(sweep.overrides)
    for parameter in sweep.parameters:
        overrides[parameter.bind] = parameter.check_values()[0]
    return overrides


def check_sweep_mutant(text: str, path: Path) -> None:
    """Load ``text`` as a sweep, check it as ``cimdse sweep`` does and evaluate
    its first design: a finite result or a CimdseError."""
    path.write_text(text)
    with time_bound(EXAMPLE_BOUND_S):
        try:
            sweep = load_sweep(path)
            check_workloads(sweep)
            check_bindings(sweep)
            result = cimdse.evaluate(sweep.spec_path, "max_utilization",
                                     overrides=_first_design(sweep))
        except CimdseError:
            return
    assert_finite_result(result)


def _sweep_tree() -> Any:
    tree = parse(QUICKSTART)
    tree["spec"] = str(FIG5)        # the shipped spec, not the copy other tests mutate
    return tree


def copy_of_configs(directory: Path) -> Path:
    """A copy of ``configs/`` in ``directory``, so a mutant written in place of
    a shipped file finds the files it includes."""
    return Path(shutil.copytree(CONFIGS, directory / "configs"))


def mutant_path(workdir: Path, source: Path) -> Path:
    return workdir / "configs" / source.relative_to(CONFIGS)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("fuzz")
    copy_of_configs(directory)
    return directory


def test_round_trip_keeps_the_shipped_specs(workdir):
    """Unmutated, every fuzzed file loads and evaluates as shipped."""
    for source in (FIG5, WANG):
        copy = mutant_path(workdir, source)
        copy.write_text(dump(parse(source)))
        assert cimdse.load(copy).variables == cimdse.load(source).variables
        check_spec_mutant(copy.read_text(), copy)
    sweep = mutant_path(workdir, QUICKSTART)
    sweep.write_text(dump(_sweep_tree()))
    assert [p.name for p in load_sweep(sweep).parameters] == ["ROWS", "COLS", "BITS_PER_CELL",
                                                              "DAC_BITS"]


def test_mutation_actions():
    tree = {"a": {"b": 1, "c": [1, 2]}, "d": 3}
    assert paths(tree) == [("a",), ("a", "b"), ("a", "c"), ("a", "c", 0), ("a", "c", 1), ("d",)]
    assert mutate(tree, [("replace", 3, math.inf), ("delete", 1, None),
                         ("rename", 4, "e")]) == {"a": {"c": [math.inf, 2]}, "e": 3}


def _spec_property(source: Path, config: settings):
    base = dump(parse(source))

    @config
    @given(mutations=mutation_lists(variable_names(parse(source))))
    def run(workdir, mutations):
        tree = mutate(yaml.load(base, Loader=_Loader), mutations)
        check_spec_mutant(dump(tree), mutant_path(workdir, source))

    return run


def _sweep_property(config: settings):
    base = dump(_sweep_tree())

    @config
    @given(mutations=mutation_lists(variable_names(_sweep_tree())))
    def run(workdir, mutations):
        tree = mutate(yaml.load(base, Loader=_Loader), mutations)
        check_sweep_mutant(dump(tree), mutant_path(workdir, QUICKSTART))

    return run


test_fig5_mutants = _spec_property(FIG5, FAST)
test_wang_mutants = _spec_property(WANG, settings(FAST, max_examples=40))
test_quickstart_mutants = _sweep_property(settings(FAST, max_examples=40))

test_fig5_mutants_many = pytest.mark.slow(_spec_property(FIG5, SLOW))
test_quickstart_mutants_many = pytest.mark.slow(_sweep_property(SLOW))


@pytest.mark.slow
@pytest.mark.parametrize("macro", MACROS, ids=lambda p: p.stem)
def test_shipped_macro_mutants(tmp_path, macro):
    copy_of_configs(tmp_path)
    _spec_property(macro, settings(FAST, max_examples=150))(tmp_path)
