"""Conformance checker for component models, built-in or plug-in.

:func:`check_component_model` checks a :class:`~cimdse.components.ComponentModel`
subclass against the contract written in that class's docstring: a
described, constructible class; finite, non-negative energies, area and
leakage with and without value statistics; ``ValueError`` for an unknown
action; the same numbers for the same inputs; the laws of ``technology``,
``resolution`` and ``voltage``; and a ``consumes`` declaration that matches
what the model's methods do. Use it in a plug-in's own tests::

    from cimdse.testing import check_component_model
    from my_package.adc import MyADC

    def test_my_adc_conforms():
        check_component_model(MyADC)
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from .components.base import ACTIONS, CONSUMES, ComponentAttributeError, ComponentModel
from .encoding import point_stats, value_stats
from .workload.distributions import Histogram, from_bit_probabilities

#: Actions whose energy is dynamic (the laws apply to these).
DYNAMIC_ACTIONS = tuple(a for a in ACTIONS if a != "leak")

#: Attribute -> the values a law is checked over (those the model accepts).
LAW_VALUES: dict[str, tuple[float, ...]] = {
    "technology": (7, 16, 22, 45, 65, 130, 180),
    "resolution": (1, 2, 3, 4, 6, 8, 10, 12),
    "voltage": (0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5),
}
#: Laws whose area must be non-decreasing too (area does not follow the supply).
_AREA_LAWS = ("technology", "resolution")

#: Rows a column-sum model is checked with.
_ROWS = 8
_IN_BITS, _W_BITS = 2, 2           # slice widths of the point statistics
_REL = 1e-9


class ConformanceError(AssertionError):
    """A model breaks its contract; ``problems`` lists every broken rule."""

    def __init__(self, model: type, problems: list[str]):
        self.problems = problems
        name = getattr(model, "__qualname__", repr(model))
        super().__init__(f"{name} breaks the component-model contract:\n  - "
                         + "\n  - ".join(problems))


def check_component_model(cls: type[ComponentModel],
                          attributes: Mapping[str, Any] | None = None) -> None:
    """Raise :class:`ConformanceError` unless ``cls`` keeps the contract.

    The model is built from ``cls.example_attributes()`` updated with
    ``attributes``. Every rule is checked; the error lists all that fail.
    """
    problems: list[str] = []
    if not (isinstance(cls, type) and issubclass(cls, ComponentModel)):
        raise ConformanceError(cls, [f"{cls!r} is not a subclass of ComponentModel"])
    _description(cls, problems)
    base = {**cls.example_attributes(), **dict(attributes or {})}
    try:
        model = cls(base)
    except Exception as err:  # noqa: BLE001 - a broken model may raise anything
        problems.append(f"not constructible from its example attributes {base}: "
                        f"{type(err).__name__}: {err}")
        raise ConformanceError(cls, problems) from None
    for label, stats in _stat_cases():
        _numbers(model, stats, label, problems)
    _unknown_action(model, problems)
    _deterministic(cls, base, problems)
    for attribute in LAW_VALUES:
        if any(a.name == attribute for a in cls.attributes):
            _law(cls, base, attribute, problems)
    _consumes(cls, base, model, problems)
    if problems:
        raise ConformanceError(cls, problems)


# -- the rules ------------------------------------------------------------------------

def _description(cls: type[ComponentModel], problems: list[str]) -> None:
    if not isinstance(cls.name, str) or not cls.name.isidentifier():
        problems.append(f"'name' must be a non-empty identifier, got {cls.name!r}")
    if not isinstance(cls.source, str) or not cls.source.strip():
        problems.append("'source' must say where the formulas and constants come from")
    if cls.consumes not in CONSUMES:
        problems.append(f"'consumes' is {cls.consumes!r}; one of {', '.join(CONSUMES)}")
    names = [a.name for a in cls.attributes]
    if len(set(names)) != len(names):
        twice = sorted(n for n in set(names) if names.count(n) > 1)
        problems.append(f"attributes declared twice: {twice}")
    for a in cls.attributes:
        if not (a.unit and a.doc):
            problems.append(f"attribute '{a.name}' needs a unit and a doc")
    if not isinstance(cls.example_attributes(), dict):
        problems.append("example_attributes() must return a dict")
    try:
        if not isinstance(cls.describe(), list):
            problems.append("describe() must return a list")
    except Exception as err:  # noqa: BLE001
        problems.append(f"describe() raised {type(err).__name__}: {err}")


def _stat_cases() -> list[tuple[str, Any]]:
    """(label, stats) the numbers are checked on: none, a layer's, points."""
    sample = {
        "Inputs": value_stats(Histogram((0, 0, 0, 3, 2, 1, 0)), "offset", 8, 4),
        "Weights": value_stats(Histogram((1,) * 15), "two_part_magnitude", 8, 2),
        "Outputs": value_stats(Histogram((1, 2, 3, 4, 3, 2, 1)), "offset", 8, 8),
    }
    top_in, top_w = 2 ** _IN_BITS - 1, 2 ** _W_BITS - 1
    points = {"Inputs": point_stats(top_in, _IN_BITS), "Weights": point_stats(top_w, _W_BITS),
              "Outputs": point_stats(255, 8)}
    zeros = {"Inputs": point_stats(0, _IN_BITS), "Weights": point_stats(0, _W_BITS),
             "Outputs": point_stats(0, 8)}
    return [("no statistics", None), ("layer statistics", sample),
            ("full-scale point statistics", points), ("zero point statistics", zeros)]


def _numbers(model: ComponentModel, stats: Any, label: str, problems: list[str]) -> None:
    for action in ACTIONS:
        _finite_non_negative(lambda: model.energy_pj(action, stats),
                             f"energy_pj({action!r}) with {label}", problems)
    _finite_non_negative(model.area_um2, "area_um2()", problems)
    _finite_non_negative(model.leak_power_w, "leak_power_w()", problems)


def _finite_non_negative(fn: Callable[[], Any], what: str, problems: list[str]) -> float | None:
    try:
        value = fn()
    except Exception as err:  # noqa: BLE001
        problems.append(f"{what} raised {type(err).__name__}: {err}")
        return None
    if not isinstance(value, float):
        problems.append(f"{what} must return a float, got {value!r}")
        return None
    if not math.isfinite(value) or value < 0:
        problems.append(f"{what} must be finite and >= 0, got {value!r}")
        return None
    return float(value)


def _unknown_action(model: ComponentModel, problems: list[str]) -> None:
    try:
        model.energy_pj("fly", None)
    except ValueError:
        return
    except Exception as err:  # noqa: BLE001
        problems.append(f"energy_pj('fly') must raise ValueError, raised {type(err).__name__}")
        return
    problems.append("energy_pj('fly') must raise ValueError (not an action)")


def _fingerprint(model: ComponentModel) -> list[float]:
    out = [model.area_um2(), model.leak_power_w()]
    for _, stats in _stat_cases():
        out.extend(model.energy_pj(a, stats) for a in ACTIONS)
    return out


def _deterministic(cls: type[ComponentModel], attrs: Mapping[str, Any],
                   problems: list[str]) -> None:
    try:
        first = cls(dict(attrs))
        a, b, c = _fingerprint(first), _fingerprint(first), _fingerprint(cls(dict(attrs)))
    except Exception:  # noqa: BLE001 - reported by the number checks
        return
    if not (_same(a, b) and _same(a, c)):
        problems.append("not deterministic: the same attributes and statistics gave "
                        "different numbers")


def _same(a: list[float], b: list[float]) -> bool:
    return all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b))


def _law(cls: type[ComponentModel], base: Mapping[str, Any], attribute: str,
         problems: list[str]) -> None:
    """Dynamic energies (and area, for technology and resolution) non-decreasing
    over the values of ``attribute`` the model accepts."""
    built = []
    for value in LAW_VALUES[attribute]:
        try:
            built.append((value, cls({**base, attribute: value})))
        except ComponentAttributeError:
            continue            # outside the attribute's range
        except Exception:  # noqa: BLE001 - reported by the number checks
            return
    if len(built) < 2:
        return
    series: dict[str, list[float]] = {}
    try:
        for _, model in built:
            for label, stats in _stat_cases()[:2]:
                for action in DYNAMIC_ACTIONS:
                    series.setdefault(f"energy_pj({action!r}) with {label}", []).append(
                        float(model.energy_pj(action, stats)))
            if attribute in _AREA_LAWS:
                series.setdefault("area_um2()", []).append(float(model.area_um2()))
    except Exception:  # noqa: BLE001 - reported by the number checks
        return
    values = [v for v, _ in built]
    for what, ys in series.items():
        if _decreasing(ys):
            problems.append(f"{what} must be non-decreasing in '{attribute}' over {values}, "
                            f"got {[float(f'{y:.6g}') for y in ys]}")


def _decreasing(ys: list[float]) -> bool:
    scale = max((abs(y) for y in ys), default=0.0)
    return bool(np.any(np.diff(ys) < -1e-12 * max(scale, 1e-30)))


# -- consumes ---------------------------------------------------------------------------

def _overrides(cls: type[ComponentModel], method: str) -> bool:
    return getattr(cls, method) is not getattr(ComponentModel, method)


def _consumes(cls: type[ComponentModel], base: Mapping[str, Any], model: ComponentModel,
              problems: list[str]) -> None:
    kind = cls.consumes
    if kind != "input_sequence" and _overrides(cls, "transition_energy_pj"):
        problems.append(f"transition_energy_pj is only used for 'input_sequence' models; "
                        f"this one consumes {kind!r}")
    if kind != "column_sum" and _overrides(cls, "column_sum_energy_pj"):
        problems.append(f"column_sum_energy_pj is only used for 'column_sum' models; "
                        f"this one consumes {kind!r}")
    try:
        if kind == "pair":
            _pair(model, problems)
        elif kind == "input_sequence":
            _sequence(model, problems)
        elif kind == "column_sum":
            _column_sum(cls, base, problems)
    except Exception as err:  # noqa: BLE001
        problems.append(f"consumes {kind!r}: {type(err).__name__}: {err}")


def _varies(energy: Callable[[str, Any], float], cases: Iterable[Any]) -> bool:
    """Whether the energy of some dynamic action changes over ``cases``."""
    cases = list(cases)
    for action in DYNAMIC_ACTIONS:
        values = [energy(action, case) for case in cases]
        if max(values) > min(values) * (1 + _REL) + 1e-300:
            return True
    return False


def _pair(model: ComponentModel, problems: list[str]) -> None:
    pairs = [{"Inputs": point_stats(i, _IN_BITS), "Weights": point_stats(j, _W_BITS)}
             for i in range(2 ** _IN_BITS) for j in range(2 ** _W_BITS)]
    if not _varies(model.energy_pj, pairs):
        problems.append("consumes 'pair', but no energy changes with the (input, weight) "
                        "codes of an action")


def _sequence(model: ComponentModel, problems: list[str]) -> None:
    codes = range(2 ** _IN_BITS)
    if not _varies(model.energy_pj, [{"Inputs": point_stats(c, _IN_BITS)} for c in codes]):
        problems.append("consumes 'input_sequence', but no energy changes with the input "
                        "code an action converts")
    for action in DYNAMIC_ACTIONS:
        for p in codes:
            for c in codes:
                e = _finite_non_negative(lambda: model.transition_energy_pj(action, p, c),
                                         f"transition_energy_pj({action!r}, {p}, {c})", problems)
                if e is None:
                    return
                if p == c and e != 0:
                    problems.append(f"transition_energy_pj({action!r}, {p}, {c}) must be 0 "
                                    f"(the code does not change), got {e!r}")
                    return


def _column_sum(cls: type[ComponentModel], base: Mapping[str, Any],
                problems: list[str]) -> None:
    kinds = {a.name: a.kind for a in cls.attributes}
    if kinds.get("rows") is not int or kinds.get("full_scale_fraction") is not float:
        problems.append("consumes 'column_sum', so it must declare the attributes 'rows' "
                        "(int) and 'full_scale_fraction' (float)")
        return
    if not _overrides(cls, "column_sum_energy_pj"):
        problems.append("consumes 'column_sum', so it must implement column_sum_energy_pj")
        return
    fraction = float(base.get("full_scale_fraction", 1.0))
    model = cls({**base, "rows": _ROWS, "full_scale_fraction": fraction})
    fs_in, fs_w = 2 ** _IN_BITS - 1, 2 ** _W_BITS - 1
    # the statistics of an action whose column sum is certain, priced both ways
    for action in DYNAMIC_ACTIONS:
        for i, j in ((0, 0), (1, 1), (fs_in, 1), (fs_in, fs_w)):
            stats = {"Inputs": point_stats(i, _IN_BITS), "Weights": point_stats(j, _W_BITS)}
            statistical = model.energy_pj(action, stats)
            direct = model.column_sum_energy_pj(action, np.array([_ROWS * i * j]), fs_in, fs_w)
            if not math.isclose(statistical, direct, rel_tol=1e-6, abs_tol=1e-12):
                problems.append(
                    f"energy_pj({action!r}) of a certain column sum {_ROWS * i * j} of "
                    f"{_ROWS} rows is {statistical!r}, column_sum_energy_pj gives {direct!r}; "
                    "both must quantise a sum alike")
                return
    low, high = (value_stats(from_bit_probabilities([p] * 4), "magnitude", 4, 2)
                 for p in (0.1, 0.9))
    if not _varies(model.energy_pj, [{"Inputs": s, "Weights": s} for s in (low, high)]):
        problems.append("consumes 'column_sum', but no energy changes with the column-sum "
                        f"distribution at rows={_ROWS}")
    # pricing fewer filled rows keeps the designed full scale (rows x fraction)
    half = cls({**base, "rows": _ROWS // 2, "full_scale_fraction": fraction * 2})
    sums = np.arange(0, _ROWS * fs_in * fs_w + 1)
    for action in DYNAMIC_ACTIONS:
        a = model.column_sum_energy_pj(action, sums, fs_in, fs_w)
        b = half.column_sum_energy_pj(action, sums, fs_in, fs_w)
        if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            problems.append(f"column_sum_energy_pj({action!r}) differs between rows={_ROWS} "
                            f"and rows={_ROWS // 2} at twice the full_scale_fraction ({a!r} "
                            f"vs {b!r}); the full scale is rows x full_scale_fraction x the "
                            "largest product")
            return


__all__ = ["ConformanceError", "DYNAMIC_ACTIONS", "LAW_VALUES", "check_component_model"]
