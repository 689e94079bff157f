"""calculate: safe arithmetic over a parsed expression tree (no eval)."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import cast

from lib.registry import tool

_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[float], float]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
# Bounds keep a hostile expression from eating CPU or memory (9**9**9 has ~370 million digits).
_MAX_EXPONENT = 1000
_MAX_BITS = 4096  # floats top out near 2**1024, so a bigger integer could not be returned anyway
_MAX_LENGTH = 500


@tool
def calculate(expression: str) -> float:
    """Evaluate an arithmetic expression exactly as written.

    Args:
        expression: Numbers with + - * / // % ** and parentheses, e.g. "(2 + 3) * 4 ** 2".
    """
    if len(expression) > _MAX_LENGTH:
        raise ValueError(f"expression longer than {_MAX_LENGTH} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"not an arithmetic expression: {exc.msg}") from None
    value = _eval(tree.body)
    if isinstance(value, complex):  # e.g. (-8) ** 0.5
        raise ValueError("result is not a real number")
    try:
        result = float(value)
    except OverflowError:
        raise ValueError("result too large") from None
    if not math.isfinite(result):  # inf/nan are not valid JSON for the function output
        raise ValueError("result too large")
    return result


def _eval(node: ast.AST) -> float:
    """Evaluate one node, refusing anything that is not plain arithmetic."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return cast(float, node.value)  # an int stays an int: exact until the result is made a float
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_eval(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _eval(node.left), _eval(node.right)
        if isinstance(node.op, ast.Pow):
            if abs(right) > _MAX_EXPONENT:
                raise ValueError(f"exponent {right:g} is larger than {_MAX_EXPONENT}")
            if isinstance(left, int) and isinstance(right, int) and left.bit_length() * right > _MAX_BITS:
                raise ValueError("result too large")
        try:
            return _BINARY[type(node.op)](left, right)
        except ZeroDivisionError:
            raise ValueError("division by zero") from None
        except OverflowError:
            raise ValueError("result too large") from None
    raise ValueError(f"unsupported element {type(node).__name__!r}: only numbers and + - * / // % ** ( )")
