"""Sandboxed arithmetic expressions for variables and attributes.

Expressions are parsed with :mod:`ast` and *interpreted* node by node; they
are never passed to ``eval``. Allowed: numbers, strings, booleans, lists and
tuples, arithmetic, comparisons, ``and``/``or``/``not``, ``x if c else y``,
indexing, names of variables, and calls of the whitelisted math functions in
:data:`FUNCTIONS`. Everything else (attribute access, imports, lambdas,
comprehensions, dunder names, keyword tricks, ``%`` formatting of text) is
rejected before anything is evaluated.

An expression may come from someone else's spec, a ``--set`` or a sweep, so
its evaluation is bounded in time and memory; going past a limit is an
:class:`ExpressionError`, checked *before* the costly operation runs:

* integers of at most :data:`MAX_INT_DIGITS` decimal digits
  (:data:`MAX_INT_BITS` bits), so ``((2**4096)**4096)**4096``, ``pow``,
  ``prod`` and ``round`` chains stop at once;
* strings of at most :data:`MAX_TEXT` characters, lists and tuples of at
  most :data:`MAX_ITEMS` items; lists built by an expression are flat (no
  list of lists);
* expression text of at most :data:`MAX_EXPRESSION_LENGTH` characters;
* nesting of operators, calls and variable references of at most
  :data:`MAX_DEPTH` levels (a reference counts :data:`REFERENCE_DEPTH`);
* work of at most :data:`MAX_OPERATIONS` units per expression and
  :data:`MAX_TOTAL_OPERATIONS` per :class:`EvaluationBudget` (one spec load);
  a unit is one node evaluated, one character or 64-bit integer word
  handled, or a tenth of a list item handled;
* no NaN and no complex results.
"""

from __future__ import annotations

import ast
import math
import operator
from typing import Any, Callable, Mapping


class ExpressionError(ValueError):
    """An expression is malformed, forbidden, too costly or fails to evaluate.

    ``undefined`` is set to the missing name for undefined-name errors;
    ``syntax`` is True when the text does not parse as an expression at all.
    """

    def __init__(self, message: str, undefined: str | None = None, syntax: bool = False):
        super().__init__(message)
        self.undefined = undefined
        self.syntax = syntax


#: Most decimal digits of an integer an expression may compute.
MAX_INT_DIGITS = 10_000
MAX_INT_BITS = math.ceil(MAX_INT_DIGITS * math.log2(10))
#: Most characters of a string.
MAX_TEXT = 100_000
#: Most items of a list or tuple.
MAX_ITEMS = 10_000
#: Longest expression text.
MAX_EXPRESSION_LENGTH = 10_000
#: Deepest nesting of operators, calls and variable references together
#: (about 3 Python frames a level: evaluation stays far from the recursion limit).
MAX_DEPTH = 150
#: Depth one variable reference counts: about twice the frames of an operator.
REFERENCE_DEPTH = 2
#: Work units one expression may spend.
MAX_OPERATIONS = 1_000_000
#: Work units all expressions sharing one budget (one spec load) may spend.
MAX_TOTAL_OPERATIONS = 10_000_000

_WORD_BITS = 64
#: Work units of one list item: checking items runs in Python, a character
#: or an integer word in C, about ten times faster.
_ITEM_WORK = 10


class EvaluationBudget:
    """Work and nesting depth shared by every expression of one spec load,
    so that many expressions together stay bounded too."""

    def __init__(self, operations: int = MAX_TOTAL_OPERATIONS, depth: int = MAX_DEPTH):
        self.operations_left = operations
        self.depth_left = depth
        self._operations = operations
        self._depth = depth

    def spend(self, units: int) -> None:
        self.operations_left -= units
        if self.operations_left < 0:
            raise ExpressionError(f"the expressions of this spec take more than "
                                  f"{self._operations} operations together")

    def enter(self, depth: int = 1) -> None:
        """Go ``depth`` levels deeper; pair with :meth:`leave`."""
        if depth > self.depth_left:
            raise ExpressionError(f"expressions nested too deeply (operators, calls and "
                                  f"variable references more than {self._depth} levels)")
        self.depth_left -= depth

    def leave(self, depth: int = 1) -> None:
        self.depth_left += depth


def _log2(x):
    return math.log2(x)


def _pow(base, exponent):
    _check_power(base, exponent)
    return pow(base, exponent)


def _round(number, ndigits=None):
    if ndigits is None:
        return round(number)
    if isinstance(ndigits, bool) or not isinstance(ndigits, int):
        raise ExpressionError(f"round() takes a whole number of digits, got {ndigits!r}")
    if abs(ndigits) > MAX_INT_DIGITS:
        raise ExpressionError(f"round() to {ndigits} digits: at most {MAX_INT_DIGITS}")
    return round(number, ndigits)


def _numbers(items: Any, function: str) -> list:
    if not isinstance(items, (list, tuple)):
        raise ExpressionError(f"{function}() takes a list of numbers, got {_kind(items)}")
    if not all(_is_number(x) for x in items):
        raise ExpressionError(f"{function}() takes a list of numbers only")
    return list(items)


def _sum(items, start=0):
    if not _is_number(start):
        raise ExpressionError("sum() starts from a number")
    return sum(_numbers(items, "sum"), start)


def _prod(items):
    result = 1
    for item in _numbers(items, "prod"):
        if isinstance(result, int) and isinstance(item, int):
            _check_int_product(result, item)
        result = result * item
    return result


def _int(value, *base):
    if isinstance(value, str) and len(value.strip()) > MAX_INT_DIGITS + 1:
        raise ExpressionError(f"int() of a {len(value)}-character string: integers have at "
                              f"most {MAX_INT_DIGITS} digits")
    return int(value, *base)


def _str(value):
    if not (value is None or _is_number(value) or isinstance(value, str)):
        raise ExpressionError(f"str() takes a number or text, got {_kind(value)}")
    return str(value)


def _gate_delay(v, v_nominal, node_nm):
    """Cycle-time factor of the alpha-power law (cimdse.components.scaling)."""
    from ..components.scaling import gate_delay_factor
    if not all(_is_number(x) for x in (v, v_nominal, node_nm)):
        raise ExpressionError("gate_delay() takes (voltage, nominal voltage, node nm)")
    return gate_delay_factor(v, v_nominal, node_nm)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "ceil": math.ceil, "floor": math.floor, "round": _round, "abs": abs,
    "min": min, "max": max, "sum": _sum, "len": len, "prod": _prod,
    "log": math.log, "log2": _log2, "log10": math.log10, "exp": math.exp,
    "sqrt": math.sqrt, "pow": _pow, "int": _int, "float": float, "bool": bool,
    "str": _str,
    # delay at a supply relative to a nominal supply (alpha-power law)
    "gate_delay": _gate_delay,
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
_ALLOWED = (ast.Expression, ast.Constant, ast.Name, ast.Load, ast.BinOp,
            ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call,
            ast.List, ast.Tuple, ast.Subscript, ast.Slice, ast.And, ast.Or,
            *_BINARY, *_UNARY, *_COMPARE)
#: Failures of Python's own operations that mean "this expression is wrong".
_EVALUATION_ERRORS = (ArithmeticError, TypeError, ValueError, IndexError, KeyError)


def parse(text: str) -> ast.Expression:
    """Parse ``text`` and check every node is allowed (nothing is evaluated)."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"expression of {len(text)} characters; the limit is "
                              f"{MAX_EXPRESSION_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"invalid expression {text!r}: {err.msg}", syntax=True) from None
    except (MemoryError, RecursionError):  # CPython's parser on very long chains
        raise ExpressionError(f"expression nested too deeply to parse: {_short(text)}") from None
    for node in ast.walk(tree):
        _check_node(node, text)
    return tree


def _check_node(node: ast.AST, text: str) -> None:
    if isinstance(node, ast.Attribute):
        raise ExpressionError(
            f"attribute access ('.{node.attr}') is not allowed in expressions: {text!r}")
    if isinstance(node, ast.Name) and node.id.startswith("__"):
        raise ExpressionError(f"name '{node.id}' is not allowed in expressions: {text!r}")
    if isinstance(node, ast.Call):
        _check_call(node, text)
    if not isinstance(node, _ALLOWED):
        raise ExpressionError(
            f"{type(node).__name__} is not allowed in expressions: {text!r}")


def _check_call(node: ast.Call, text: str) -> None:
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


def names(tree: ast.AST) -> list[str]:
    """Names an expression refers to (excluding called function names)."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return [n.id for n in ast.walk(tree)
            if isinstance(n, ast.Name) and id(n) not in called and n.id not in CONSTANTS]


def is_plain_word(tree: ast.Expression) -> bool:
    """True for a bare identifier such as ``offset`` (maybe a string literal)."""
    return isinstance(tree.body, ast.Name)


def evaluate(tree: ast.Expression, lookup: Callable[[str], Any], text: str = "",
             budget: EvaluationBudget | None = None) -> Any:
    """Interpret a checked tree; ``lookup(name)`` resolves variables and
    raises ExpressionError(undefined=name) for unknown ones. ``budget`` is
    shared by the expressions of one spec (a fresh one if not given)."""
    return _Evaluator(lookup, text, budget or EvaluationBudget()).run(tree)


def evaluate_text(text: str, values: Mapping[str, Any]) -> Any:
    """Convenience: parse and evaluate ``text`` against a plain mapping."""
    def lookup(name: str) -> Any:
        if name not in values:
            raise ExpressionError(f"undefined name '{name}'", undefined=name)
        return values[name]
    return evaluate(parse(text), lookup, text)


class _Evaluator:
    """One evaluation: the lookup, the text for messages and the work spent."""

    def __init__(self, lookup: Callable[[str], Any], text: str, budget: EvaluationBudget):
        self.lookup = lookup
        self.text = text
        self.budget = budget
        self.operations_left = MAX_OPERATIONS

    def run(self, tree: ast.Expression) -> Any:
        return self.eval(tree.body)

    def eval(self, node: ast.AST) -> Any:
        self.spend()
        self.budget.enter()
        try:
            return self._HANDLERS[type(node)](self, node)
        finally:
            self.budget.leave()

    def spend(self, *values: Any) -> None:
        units = 1 + sum(_work(v) for v in values)
        self.operations_left -= units
        if self.operations_left < 0:
            raise ExpressionError(f"expression {_short(self.text)!r} takes more than "
                                  f"{MAX_OPERATIONS} operations")
        self.budget.spend(units)

    def apply(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` with Python's failures as ExpressionError and
        the result checked against the limits."""
        self.spend(*args)
        try:
            result = function(*args)
        except ExpressionError:
            raise
        except _EVALUATION_ERRORS as err:
            raise ExpressionError(f"cannot evaluate {_short(self.text, 200)!r}: "
                                  f"{type(err).__name__}: {err}") from None
        _check_result(result)
        self.spend(result)
        return result

    def constant(self, node: ast.Constant) -> Any:
        _check_result(node.value)
        return node.value

    def name(self, node: ast.Name) -> Any:
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        return self.lookup(node.id)

    def binary(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        _check_binary(node.op, left, right)
        return self.apply(_BINARY[type(node.op)], left, right)

    def unary(self, node: ast.UnaryOp) -> Any:
        return self.apply(_UNARY[type(node.op)], self.eval(node.operand))

    def boolean(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        result = is_and
        for value in node.values:
            result = self.eval(value)
            if bool(result) != is_and:
                return result
        return result

    def compare(self, node: ast.Compare) -> bool:
        left = self.eval(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator)
            if not self.apply(_COMPARE[type(op)], left, right):
                return False
            left = right
        return True

    def conditional(self, node: ast.IfExp) -> Any:
        return self.eval(node.body if self.eval(node.test) else node.orelse)

    def call(self, node: ast.Call) -> Any:
        args = []
        for arg in node.args:
            args.append(self.eval(arg))
        return self.apply(FUNCTIONS[node.func.id], *args)

    def sequence(self, node: ast.List | ast.Tuple) -> list | tuple:
        items = []
        for element in node.elts:
            items.append(self.eval(element))
        _check_flat(items)
        self.spend(items)
        return items if isinstance(node, ast.List) else tuple(items)

    def subscript(self, node: ast.Subscript) -> Any:
        return self.apply(operator.getitem, self.eval(node.value), self.eval(node.slice))

    def slice_bounds(self, node: ast.Slice) -> slice:
        parts = (node.lower, node.upper, node.step)
        return slice(*(None if p is None else self.eval(p) for p in parts))

    _HANDLERS: dict[type, Callable[["_Evaluator", Any], Any]] = {
        ast.Constant: constant, ast.Name: name, ast.BinOp: binary, ast.UnaryOp: unary,
        ast.BoolOp: boolean, ast.Compare: compare, ast.IfExp: conditional, ast.Call: call,
        ast.List: sequence, ast.Tuple: sequence, ast.Subscript: subscript, ast.Slice: slice_bounds,
    }


# -- limits -------------------------------------------------------------------------------

def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float))


def _is_sequence(value: Any) -> bool:
    return isinstance(value, (str, list, tuple))


def _kind(value: Any) -> str:
    return f"{type(value).__name__} {_short(repr(value))}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _work(value: Any) -> int:
    """Work units of handling ``value``: its words, characters or items
    (a list's items counted one level deep: expressions build flat lists)."""
    if isinstance(value, int):
        return value.bit_length() // _WORD_BITS
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (list, tuple)):
        return _ITEM_WORK * len(value) + sum(
            len(x) for x in value if isinstance(x, (str, list, tuple, dict)))
    return 0


def _check_binary(op: ast.operator, left: Any, right: Any) -> None:
    """Refuse an operation whose result would break a limit, before running it."""
    if isinstance(op, ast.Pow):
        _check_power(left, right)
    elif isinstance(op, ast.Mult):
        _check_product(left, right)
    elif isinstance(op, ast.Add) and _is_sequence(left) and _is_sequence(right):
        _check_length(left, len(left) + len(right))
        _check_flat(left if isinstance(left, (list, tuple)) else ())
        _check_flat(right if isinstance(right, (list, tuple)) else ())
    elif isinstance(op, ast.Mod) and isinstance(left, str):
        raise ExpressionError("'%' formatting of text is not allowed in expressions")


def _check_power(base: Any, exponent: Any) -> None:
    if not (isinstance(base, int) and isinstance(exponent, int)) or exponent <= 0:
        return  # float powers overflow to an error or inf at once
    if abs(base) > 1 and exponent * math.log2(abs(base)) > MAX_INT_BITS:
        shown = base if base.bit_length() <= _WORD_BITS else f"a {base.bit_length()}-bit integer"
        raise ExpressionError(f"power too large: {shown} ** {exponent} has more "
                              f"than {MAX_INT_DIGITS} digits")


def _check_product(left: Any, right: Any) -> None:
    for seq, count in ((left, right), (right, left)):
        if _is_sequence(seq) and isinstance(count, int):
            _check_length(seq, len(seq) * max(count, 0))
            _check_flat(seq if isinstance(seq, (list, tuple)) else ())
            return
    if isinstance(left, int) and isinstance(right, int):
        _check_int_product(left, right)


def _check_int_product(left: int, right: int) -> None:
    if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
        raise ExpressionError(f"product too large: more than {MAX_INT_DIGITS} digits")


def _check_length(like: str | list | tuple, length: int) -> None:
    """A text or list like ``like`` may not get ``length`` long."""
    if isinstance(like, str) and length > MAX_TEXT:
        raise ExpressionError(f"text too large: {length} characters, more than "
                              f"the limit of {MAX_TEXT}")
    if not isinstance(like, str) and length > MAX_ITEMS:
        raise ExpressionError(f"list too large: {length} items, more than "
                              f"the limit of {MAX_ITEMS}")


def _check_flat(items: list | tuple) -> None:
    if any(isinstance(x, (list, tuple, dict)) for x in items):
        raise ExpressionError("lists of lists cannot be built in expressions")


def _check_result(value: Any) -> None:
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ExpressionError(f"integer too large: more than {MAX_INT_DIGITS} digits")
    if isinstance(value, float) and math.isnan(value):
        raise ExpressionError("the result is not a number (NaN)")
    if isinstance(value, complex):
        raise ExpressionError(f"the result is a complex number ({value})")
    if _is_sequence(value):
        _check_length(value, len(value))
