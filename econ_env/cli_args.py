"""Command-line parsing shared by the ``econ-env`` commands and the example scripts.

:func:`parse_key_values` reads repeated ``KEY=VALUE`` options (``-c mechanism=vcg``), the way
every ``econ-env`` command takes config overrides and keyword arguments.

An example declares its settings as a dataclass whose fields each carry a docstring (the line
under the field, CleanRL style); :func:`parse_dataclass_args` turns every field into a
``--flag-name`` with that docstring as its help, and builds the dataclass from the command line
(so the dataclass's own ``__post_init__`` validation runs on what the user typed).

Field types ``int``, ``float`` and ``str`` take one value; a ``bool`` field accepts ``--flag``,
``--flag true|false|1|0`` and ``--no-flag``.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import textwrap
from collections.abc import Sequence
from typing import Any, TypeVar

__all__ = ["field_docs", "parse_dataclass_args", "parse_key_values"]

T = TypeVar("T")

_SCALARS: dict[str, type] = {"int": int, "float": float, "str": str}


def field_docs(cls: type) -> dict[str, str]:
    """The docstring written under each field of the dataclass ``cls`` (fields without one are
    left out)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, nxt in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(nxt, ast.Expr)
            and isinstance(nxt.value, ast.Constant)
            and isinstance(nxt.value.value, str)
        ):
            docs[node.target.id] = nxt.value.value
    return docs


def parse_key_values(items: Sequence[str], flag: str = "-c") -> dict[str, Any]:
    """``["a=1", "b=x"]`` → ``{"a": 1, "b": "x"}``: values are Python literals when they parse
    as one (numbers, booleans, tuples, ...), else the raw string. Raises ``ValueError`` naming
    ``flag`` for an item without ``=`` or with an empty key."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"{flag} {item!r} must look like KEY=VALUE")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def _boolean(text: str) -> bool:
    if text.lower() not in ("true", "false", "1", "0"):
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return text.lower() in ("true", "1")


def parse_dataclass_args(
    cls: type[T], argv: Sequence[str] | None = None, *, description: str | None = None
) -> T:
    """Parse ``argv`` (default: ``sys.argv[1:]``) into an instance of the dataclass ``cls``.

    Bad values exit with argparse's usage error; the dataclass's own validation errors (from
    ``__post_init__``) propagate unchanged.
    """
    parser = argparse.ArgumentParser(description=description)
    docs = field_docs(cls)
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        flag = "--" + f.name.replace("_", "-")
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        help_text = docs.get(f.name)
        if kind == "bool":
            parser.add_argument(
                flag, nargs="?", const=True, type=_boolean, default=f.default, help=help_text
            )
            parser.add_argument(
                "--no-" + f.name.replace("_", "-"),
                dest=f.name,
                action="store_false",
                default=f.default,
                help=argparse.SUPPRESS,
            )
        elif kind in _SCALARS:
            parser.add_argument(flag, type=_SCALARS[kind], default=f.default, help=help_text)
        else:
            raise TypeError(
                f"{cls.__name__}.{f.name}: type {kind!r} has no command-line form "
                f"(one of {sorted([*_SCALARS, 'bool'])})"
            )
    values: dict[str, Any] = vars(parser.parse_args(argv))
    return cls(**values)
