"""Argument checks for env constructors: each raises a one-line ValueError naming the argument,
its value and what is allowed ("num_bits=6.0 is not allowed: an integer >= 1")."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any


def reject(name: str, value: Any, allowed: str) -> ValueError:
    """The ValueError for argument `name` holding `value`, saying what is `allowed`."""
    return ValueError(f"{name}={value!r} is not allowed: {allowed}")


def is_integer(value: Any) -> bool:
    """True for Python and numpy integers; booleans are not integers here."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """True for finite Python and numpy ints and floats (not booleans, NaN or infinities)."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def check_integer(name: str, value: Any, minimum: int = 1) -> int:
    """`value` if it is an integer >= `minimum`, else ValueError."""
    if not is_integer(value) or value < minimum:
        raise reject(name, value, f"an integer >= {minimum}")
    return int(value)


def check_real(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """`value` as a float if it is a finite real number in the interval from `low` to `high`
    (each end closed unless `low_open` / `high_open`), else ValueError."""
    if not is_real(value) or not _inside(float(value), low, high, low_open, high_open):
        raise reject(name, value, f"a finite number in {_interval(low, high, low_open, high_open)}")
    return float(value)


def check_positive(name: str, value: Any) -> float:
    """`value` as a float if it is finite and > 0, else ValueError."""
    return check_real(name, value, low=0.0, low_open=True)


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """`value` if it is one of `choices`, else ValueError listing them."""
    if not isinstance(value, str) or value not in choices:
        raise reject(name, value, f"one of {', '.join(repr(c) for c in choices)}")
    return value


def _inside(value: float, low: float, high: float, low_open: bool, high_open: bool) -> bool:
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    return above and below


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    left = "(" if low_open or low == -math.inf else "["
    right = ")" if high_open or high == math.inf else "]"
    return f"{left}{low:g}, {high:g}{right}"
