"""Sandboxed arithmetic expressions for variables and attributes.

Expressions are parsed with :mod:`ast` and *interpreted* node by node; they
are never passed to ``eval``. Allowed: numbers, strings, booleans, lists and
tuples, arithmetic, comparisons, ``and``/``or``/``not``, ``x if c else y``,
indexing, names of variables, and calls of the whitelisted math functions in
:data:`FUNCTIONS`. Everything else (attribute access, imports, lambdas,
comprehensions, dunder names, keyword tricks) is rejected before anything
is evaluated.
"""

from __future__ import annotations

import ast
import math
import operator
from typing import Any, Callable, Mapping


class ExpressionError(ValueError):
    """An expression is malformed, forbidden or fails to evaluate.

    ``undefined`` is set to the missing name for undefined-name errors;
    ``syntax`` is True when the text does not parse as an expression at all.
    """

    def __init__(self, message: str, undefined: str | None = None, syntax: bool = False):
        super().__init__(message)
        self.undefined = undefined
        self.syntax = syntax


def _log2(x):
    return math.log2(x)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "ceil": math.ceil, "floor": math.floor, "round": round, "abs": abs,
    "min": min, "max": max, "sum": sum, "len": len, "prod": math.prod,
    "log": math.log, "log2": _log2, "log10": math.log10, "exp": math.exp,
    "sqrt": math.sqrt, "pow": pow, "int": int, "float": float, "bool": bool,
    "str": str,
}
CONSTANTS: dict[str, Any] = {"pi": math.pi, "e": math.e, "inf": math.inf,
                             "True": True, "False": False, "None": None}

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Not: operator.not_}
_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
    ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}
_MAX_POWER = 4096  # exponents beyond this are a mistake or an attack
_MAX_SEQUENCE = 1_000_000


def parse(text: str) -> ast.Expression:
    """Parse ``text`` and check every node is allowed (nothing is evaluated)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"invalid expression {text!r}: {err.msg}", syntax=True) from None
    for node in ast.walk(tree):
        _check_node(node, text)
    return tree


def _check_node(node: ast.AST, text: str) -> None:
    allowed = (ast.Expression, ast.Constant, ast.Name, ast.Load, ast.BinOp,
               ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call,
               ast.List, ast.Tuple, ast.Subscript, ast.Slice, ast.And, ast.Or,
               *_BINARY, *_UNARY, *_COMPARE)
    if isinstance(node, ast.Attribute):
        raise ExpressionError(
            f"attribute access ('.{node.attr}') is not allowed in expressions: {text!r}")
    if isinstance(node, ast.Name) and node.id.startswith("__"):
        raise ExpressionError(f"name '{node.id}' is not allowed in expressions: {text!r}")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ExpressionError(
                f"calling a method or the result of an expression is not allowed "
                f"(expressions are sandboxed; allowed functions: {', '.join(sorted(FUNCTIONS))}): "
                f"{text!r}")
        if node.func.id not in FUNCTIONS:
            raise ExpressionError(
                f"function '{node.func.id}' is not allowed in expressions; allowed: "
                f"{', '.join(sorted(FUNCTIONS))}: {text!r}")
        if node.keywords:
            raise ExpressionError(f"keyword arguments are not allowed in expressions: {text!r}")
    if not isinstance(node, allowed):
        raise ExpressionError(
            f"{type(node).__name__} is not allowed in expressions: {text!r}")


def names(tree: ast.AST) -> list[str]:
    """Names an expression refers to (excluding called function names)."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return [n.id for n in ast.walk(tree)
            if isinstance(n, ast.Name) and id(n) not in called and n.id not in CONSTANTS]


def is_plain_word(tree: ast.Expression) -> bool:
    """True for a bare identifier such as ``offset`` (maybe a string literal)."""
    return isinstance(tree.body, ast.Name)


def evaluate(tree: ast.Expression, lookup: Callable[[str], Any], text: str = "") -> Any:
    """Interpret a checked tree; ``lookup(name)`` resolves variables and
    raises ExpressionError(undefined=name) for unknown ones."""
    try:
        return _eval(tree.body, lookup)
    except ExpressionError:
        raise
    except (ArithmeticError, TypeError, ValueError, IndexError, KeyError) as err:
        raise ExpressionError(f"cannot evaluate {text!r}: {type(err).__name__}: {err}") from None


def _eval(node: ast.AST, lookup: Callable[[str], Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        return lookup(node.id)
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, lookup), _eval(node.right, lookup)
        if isinstance(node.op, ast.Pow) and _too_big_power(left, right):
            raise ExpressionError(f"power too large: {left} ** {right}")
        if isinstance(node.op, ast.Mult) and _too_long(left, right):
            raise ExpressionError("sequence repetition too large")
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_eval(node.operand, lookup))
    if isinstance(node, ast.BoolOp):
        result = isinstance(node.op, ast.And)
        for value in node.values:
            result = _eval(value, lookup)
            if isinstance(node.op, ast.And) and not result:
                return result
            if isinstance(node.op, ast.Or) and result:
                return result
        return result
    if isinstance(node, ast.Compare):
        left = _eval(node.left, lookup)
        for op, comparator in zip(node.ops, node.comparators):
            right = _eval(comparator, lookup)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.IfExp):
        branch = node.body if _eval(node.test, lookup) else node.orelse
        return _eval(branch, lookup)
    if isinstance(node, ast.Call):
        args = [_eval(a, lookup) for a in node.args]
        if node.func.id == "pow" and len(args) >= 2 and _too_big_power(args[0], args[1]):
            raise ExpressionError(f"power too large: pow({args[0]}, {args[1]})")
        return FUNCTIONS[node.func.id](*args)
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_eval(e, lookup) for e in node.elts]
        return items if isinstance(node, ast.List) else tuple(items)
    if isinstance(node, ast.Subscript):
        return _eval(node.value, lookup)[_eval(node.slice, lookup)]
    if isinstance(node, ast.Slice):
        parts = (node.lower, node.upper, node.step)
        return slice(*(None if p is None else _eval(p, lookup) for p in parts))
    raise ExpressionError(f"{type(node).__name__} is not allowed in expressions")


def _too_big_power(base: Any, exponent: Any) -> bool:
    return (isinstance(exponent, (int, float)) and abs(exponent) > _MAX_POWER
            and isinstance(base, (int, float)) and abs(base) > 1)


def _too_long(left: Any, right: Any) -> bool:
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
            return len(seq) * count > _MAX_SEQUENCE
    return False


def evaluate_text(text: str, values: Mapping[str, Any]) -> Any:
    """Convenience: parse and evaluate ``text`` against a plain mapping."""
    def lookup(name: str) -> Any:
        if name not in values:
            raise ExpressionError(f"undefined name '{name}'", undefined=name)
        return values[name]
    return evaluate(parse(text), lookup, text)
