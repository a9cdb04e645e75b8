"""Lazy, cycle-checked evaluation of named values (variables, attributes).

A :class:`Scope` holds raw values (numbers, strings that may be expressions)
with their source locations and evaluates each on first use, so a value may
refer to any other value of its scope or of the parent scope. A reference
that loops back is reported as a cycle naming every member.

A scope and its descendants share one
:class:`~cimdse.spec.expressions.EvaluationBudget`, so all expressions of a
spec together stay within the work and nesting limits, a chain of variable
references included; a NaN value is refused wherever it comes from.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from . import expressions as ex
from .errors import SpecError, nearest
from .model import Location

_PENDING = object()


def is_literal_word(text: str, known: Callable[[str], bool]) -> bool:
    """Whether a string is a plain word (or dotted word) to keep as text.

    ``offset``, ``rram.cell.yaml`` or ``mypkg.encodings.custom`` are kept as
    strings when their first word is not a known name; anything else that
    parses as an expression is evaluated.
    """
    parts = text.strip().split(".")
    if not all(p.isidentifier() for p in parts):
        return False
    return not known(parts[0]) and not parts[0].startswith("__")


class Scope:
    """Named raw values evaluated lazily against themselves and a parent."""

    def __init__(self, raw: Mapping[str, Any], locations: Mapping[str, Location],
                 parent: "Scope | None" = None, what: str = "variable",
                 budget: ex.EvaluationBudget | None = None):
        self._raw = dict(raw)
        self._locations = dict(locations)
        self._parent = parent
        self._what = what
        self._budget = budget or (parent._budget if parent else ex.EvaluationBudget())
        self._values: dict[str, Any] = {}
        self._stack: list[str] = []

    def names(self) -> list[str]:
        own = list(self._raw)
        return own + [n for n in (self._parent.names() if self._parent else []) if n not in own]

    def has(self, name: str) -> bool:
        return name in self._raw or (self._parent is not None and self._parent.has(name))

    def get(self, name: str) -> Any:
        if name in self._raw:
            return self._own(name)
        if self._parent is not None and self._parent.has(name):
            return self._parent.get(name)
        raise ex.ExpressionError(f"undefined name '{name}'", undefined=name)

    def location(self, name: str) -> Location:
        """Where ``name`` was written (in this scope or a parent)."""
        if name in self._raw or self._parent is None:
            return self._locations.get(name, Location())
        return self._parent.location(name)

    def resolve_all(self) -> dict[str, Any]:
        return {name: self._own(name) for name in self._raw}

    def evaluate(self, value: Any, location: Location) -> Any:
        """Evaluate a raw value in this scope (used for one-off fields)."""
        return self._evaluate(value, location)

    def _own(self, name: str) -> Any:
        value = self._values.get(name, None)
        if name in self._values and value is not _PENDING:
            return value
        if value is _PENDING:
            start = self._stack.index(name)
            chain = " -> ".join([*self._stack[start:], name])
            raise SpecError(f"{self._what} cycle: {chain}", self._locations.get(name))
        location = self._locations.get(name, Location())
        try:
            self._budget.enter(ex.REFERENCE_DEPTH)
        except ex.ExpressionError as err:
            raise SpecError(str(err), location) from None
        self._values[name] = _PENDING
        self._stack.append(name)
        try:
            result = self._evaluate(self._raw[name], location)
        finally:
            self._budget.leave(ex.REFERENCE_DEPTH)
            self._stack.pop()
            if self._values.get(name) is _PENDING:
                del self._values[name]
        self._values[name] = result
        return result

    def _evaluate(self, value: Any, location: Location) -> Any:
        if isinstance(value, float) and math.isnan(value):
            raise SpecError("not a number (NaN); write a number", location)
        if not isinstance(value, str):
            return value
        if is_literal_word(value, lambda n: self.has(n) or n in ex.FUNCTIONS or n in ex.CONSTANTS):
            return value
        try:
            tree = ex.parse(value)
        except ex.ExpressionError as err:
            if err.syntax and _looks_like_text(value):
                return value
            raise SpecError(str(err), location) from None
        try:
            return ex.evaluate(tree, self.get, value, self._budget)
        except ex.ExpressionError as err:
            if err.undefined is not None:
                raise SpecError(
                    f"undefined variable '{err.undefined}' in expression {value!r}",
                    location, suggestion=nearest(err.undefined, self.names())) from None
            raise SpecError(str(err), location) from None


def _looks_like_text(value: str) -> bool:
    """Free text that is not trying to be code (e.g. 'rram cell, 1T1R')."""
    code_marks = "()[]*+/%<>=\"'"
    return not any(c in value for c in code_marks)
