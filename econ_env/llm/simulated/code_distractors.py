"""Wrong answers of the simulated backend for executable code items (HumanEval-style golds).

A code item's distractors are real programs that fail its tests: mutants of the reference
solution (``prompt + canonical_solution``) made by one small edit inside the function under test,
in a fixed order — an integer constant off by one, an arithmetic operator swapped (``+``/``-``,
``*``/``//``...), a comparison flipped (``<``/``<=``, ``==``/``!=``...), ``and``/``or`` swapped,
then the function reduced to ``return None`` or to returning its first argument. Each mutant is
run against the tests in the sandbox (:func:`econ_env.tasks.code_check.check_code`) and kept only
when it fails, so a simulated wrong answer is wrong under the same checker the envs use.

Like every kind's distractors they depend on the item only (agents can agree on a wrong answer);
the backend's own seeded generator picks among them. Answers are written as their voting key
(:func:`econ_env.tasks.code_check.code_key`), the form the envs extract and compare.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Iterator

from econ_env.tasks.code_check import check_code, code_key, parse_code_gold, solution_code

__all__ = ["MAX_CODE_MUTANTS", "code_candidates", "code_solution_key"]

MAX_CODE_MUTANTS = 8
"""Mutants tried per item (each costs one sandboxed test run, once per process)."""

_SWAP_BIN: dict[type, type] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
}
_SWAP_CMP: dict[type, type] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


def _parse(text: str) -> ast.Module | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):
        return None


def _function(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    found = None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            found = node
    return found


def _body_nodes(fn: ast.FunctionDef) -> list[ast.AST]:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return [n for stmt in body for n in ast.walk(stmt)]


def _mutators(fn: ast.FunctionDef) -> Iterator[Callable[[ast.FunctionDef], bool]]:
    """Edits of ``fn`` (each applied to a fresh parse, addressed by walk position)."""
    nodes = _body_nodes(fn)
    consts = [
        i
        for i, n in enumerate(nodes)
        if isinstance(n, ast.Constant) and type(n.value) is int and not isinstance(n.value, bool)
    ]
    binops = [
        i for i, n in enumerate(nodes) if isinstance(n, ast.BinOp) and type(n.op) in _SWAP_BIN
    ]
    cmps = [
        i for i, n in enumerate(nodes) if isinstance(n, ast.Compare) and type(n.ops[0]) in _SWAP_CMP
    ]
    bools = [i for i, n in enumerate(nodes) if isinstance(n, ast.BoolOp)]

    def const(i: int) -> Callable[[ast.FunctionDef], bool]:
        def edit(f: ast.FunctionDef) -> bool:
            node = _body_nodes(f)[i]
            node.value = node.value + 1  # type: ignore[attr-defined]
            return True

        return edit

    def binop(i: int) -> Callable[[ast.FunctionDef], bool]:
        def edit(f: ast.FunctionDef) -> bool:
            node = _body_nodes(f)[i]
            node.op = _SWAP_BIN[type(node.op)]()  # type: ignore[attr-defined]
            return True

        return edit

    def cmp(i: int) -> Callable[[ast.FunctionDef], bool]:
        def edit(f: ast.FunctionDef) -> bool:
            node = _body_nodes(f)[i]
            node.ops[0] = _SWAP_CMP[type(node.ops[0])]()  # type: ignore[attr-defined]
            return True

        return edit

    def boolop(i: int) -> Callable[[ast.FunctionDef], bool]:
        def edit(f: ast.FunctionDef) -> bool:
            node = _body_nodes(f)[i]
            node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()  # type: ignore[attr-defined]
            return True

        return edit

    for k in range(2):
        for sites, make in ((consts, const), (binops, binop), (cmps, cmp), (bools, boolop)):
            if k < len(sites):
                yield make(sites[k])

    def returns(value: ast.expr) -> Callable[[ast.FunctionDef], bool]:
        def edit(f: ast.FunctionDef) -> bool:
            first = f.body[0] if f.body else None
            has_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            f.body = [*f.body[:1], ast.Return(value=value)] if has_doc else [ast.Return(value)]
            return True

        return edit

    yield returns(ast.Constant(value=None))
    if fn.args.args:
        yield returns(ast.Name(id=fn.args.args[0].arg, ctx=ast.Load()))


def code_solution_key(gold: str) -> str | None:
    """The voting key of a code gold's reference solution (``None`` without one)."""
    sol = solution_code(gold)
    return None if sol is None else code_key(sol)


def code_candidates(gold: str) -> list[str] | None:
    """Failing mutants of a code gold's reference solution, as voting keys, in a fixed order;
    ``None`` when ``gold`` is not a code gold with a reference solution."""
    data = parse_code_gold(gold)
    sol = solution_code(gold)
    if data is None or sol is None:
        return None
    tree = _parse(sol)
    fn = _function(tree, data["entry_point"]) if tree is not None else None
    if fn is None:
        return []
    right = code_key(sol)
    out: list[str] = []
    for k, edit in enumerate(_mutators(fn)):
        if k >= MAX_CODE_MUTANTS:
            break
        fresh = _parse(sol)
        target = _function(fresh, data["entry_point"]) if fresh is not None else None
        if target is None or not edit(target):
            continue
        try:
            text = ast.unparse(ast.fix_missing_locations(fresh))
        except (ValueError, AttributeError, RecursionError):
            continue
        key = code_key(text)
        if key is None or key == right or key in out:
            continue
        if not check_code(key, gold):
            out.append(key)
    return out
