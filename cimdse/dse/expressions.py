"""The expressions of a sweep file (constraints over result columns, ``when``
conditions over earlier parameters), sandboxed like spec expressions and
parsed once: they are evaluated for every design."""

from __future__ import annotations

import ast
import functools
from typing import Any

from ..spec.expressions import ExpressionError, evaluate as evaluate_expression, parse


@functools.lru_cache(maxsize=1024)
def parsed(text: str) -> ast.Expression:
    """A checked expression tree (cached: constraints and conditions run per design)."""
    return parse(text)


def evaluate_cached(text: str, values: Any) -> Any:
    """Evaluate a sandboxed expression over ``values`` (a mapping)."""
    def lookup(name: str) -> Any:
        if name not in values:
            raise ExpressionError(f"undefined name '{name}'", undefined=name)
        return values[name]
    return evaluate_expression(parsed(text), lookup, text)
