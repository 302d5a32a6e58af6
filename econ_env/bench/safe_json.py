"""Parsing JSON from untrusted submissions within fixed limits (:mod:`econ_env.bench.limits`).

:func:`loads_bounded` is :func:`econ_env.bench.submission.loads_strict` (duplicate keys and
NaN/Infinity refused) plus: integers within +-2**53, numbers that are finite doubles (``1e400``
is refused), nesting at most :data:`~econ_env.bench.limits.MAX_JSON_DEPTH` deep (``[`` nested
200,000 deep is refused instead of raising ``RecursionError``) and no lone surrogate in any
string (``"\\ud800"`` is not Unicode text). Every refusal is a ``ValueError`` whose message says
what was found and the allowed range.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from econ_env.bench.limits import MAX_INT, MAX_JSON_DEPTH

__all__ = ["loads_bounded", "reject_constant", "reject_duplicate_keys", "short_repr"]

_MAX_INT_DIGITS = len(str(MAX_INT))
# A \uD800-\uDFFF escape in the raw text: only then can a parsed string hold a lone surrogate.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def short_repr(value: Any, n: int = 80) -> str:
    """``repr(value)`` cut to about ``n`` characters (strings are cut before ``repr``)."""
    if isinstance(value, str) and len(value) > n:
        return repr(value[:n]) + f"... ({len(value)} characters)"
    if isinstance(value, (list, dict)):
        text = repr(value) if _small(value) else f"<{type(value).__name__} of {len(value)}>"
    else:
        text = repr(value)
    return text if len(text) <= n else text[: n - 3] + "..."


def _small(value: Any, budget: int = 40) -> bool:
    stack, seen = [value], 0
    while stack:
        v = stack.pop()
        seen += 1
        if seen > budget:
            return False
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, str) and len(v) > 80:
            return False
    return True


def reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A ``json`` ``object_pairs_hook``: the object as a dict, ``ValueError`` on a repeated key."""
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {short_repr(k)}")
        out[k] = v
    return out


def reject_constant(name: str) -> Any:
    """A ``json`` ``parse_constant``: ``NaN``, ``Infinity`` and ``-Infinity`` are refused."""
    raise ValueError(f"non-standard JSON constant {name}")


def _parse_int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > _MAX_INT_DIGITS or abs(value := int(text)) > MAX_INT:
        shown = text if len(text) <= 24 else f"{text[:20]}... ({len(digits)} digits)"
        raise ValueError(f"integer {shown} is outside the allowed range [-2**53, 2**53]")
    return value


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        shown = text if len(text) <= 24 else text[:20] + "..."
        raise ValueError(f"number {shown} is out of range (not a finite double)")
    return value


def _check_tree(obj: Any, max_depth: int, strings: bool) -> None:
    stack: list[tuple[Any, int]] = [(obj, 0)]
    while stack:
        o, depth = stack.pop()
        if isinstance(o, str):
            if _SURROGATE.search(o):
                raise ValueError(f"string {short_repr(o)} holds a lone surrogate (not Unicode)")
            continue
        if depth >= max_depth:
            raise ValueError(f"nested deeper than the limit of {max_depth} levels")
        if isinstance(o, dict):
            if strings:
                stack.extend((k, depth) for k in o)
            children = o.values()
        else:
            children = o
        stack.extend(
            (c, depth + 1)
            for c in children
            if isinstance(c, (dict, list)) or (strings and isinstance(c, str))
        )


def loads_bounded(text: str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse ``text`` as strict JSON within the limits above (``ValueError`` otherwise)."""
    try:
        obj = json.loads(
            text,
            object_pairs_hook=reject_duplicate_keys,
            parse_constant=reject_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except RecursionError:
        raise ValueError(f"nested deeper than the limit of {max_depth} levels") from None
    strings = bool(_SURROGATE_ESCAPE.search(text))
    if isinstance(obj, (dict, list)) or (strings and isinstance(obj, str)):
        _check_tree(obj, max_depth, strings)
    return obj
