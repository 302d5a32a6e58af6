"""Hypothesis property tests for econ_env.tasks.answers."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.tasks.answers import (
    check_answer,
    extract_answer,
    normalize_answer,
    parse_numeric,
)

KINDS = ("numeric", "choice", "latex", "code")
integers = st.integers(min_value=-(10**12), max_value=10**12)
decimals = st.decimals(
    min_value=Decimal("-1e9"),
    max_value=Decimal("1e9"),
    places=4,
    allow_nan=False,
    allow_infinity=False,
)
fractions = st.fractions(max_denominator=1000).filter(lambda f: abs(f) < 10**9)


def _fraction_strings(f: Fraction) -> st.SearchStrategy[str]:
    sign = "-" if f < 0 else ""
    a, b = abs(f.numerator), f.denominator
    return st.sampled_from(
        [
            f"{f.numerator}/{f.denominator}",
            f"{sign}\\frac{{{a}}}{{{b}}}",
            f"{sign}\\dfrac{{{a}}}{{{b}}}",
        ]
    )


golds = st.one_of(
    integers.map(str),
    decimals.map(str),
    fractions.flatmap(_fraction_strings),
)


@settings(max_examples=200, deadline=None)
@given(gold=golds, prefix=st.text(max_size=40), kind=st.sampled_from(["numeric", "latex"]))
def test_boxed_gold_roundtrip(gold: str, prefix: str, kind: str) -> None:
    text = f"{prefix} ... so the result is \\boxed{{{gold}}}"
    assert check_answer(extract_answer(text, kind), gold, kind)


@settings(max_examples=200, deadline=None)
@given(
    value=st.one_of(integers.map(Decimal), decimals),
    fmt=st.sampled_from(
        ["{:,}", "${:,}", "{} dollars", "{} cm", "{}%", "\\text{{{}}}", "{}.", "{:,} units."]
    ),
)
def test_formatting_does_not_change_value(value: Decimal, fmt: str) -> None:
    plain = normalize_answer(str(value), "numeric")
    assert plain is not None
    assert normalize_answer(fmt.format(value), "numeric") == plain


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80), kind=st.sampled_from(KINDS))
def test_normalize_idempotent(text: str, kind: str) -> None:
    once = normalize_answer(text, kind)
    assert normalize_answer(once, kind) == once


@settings(max_examples=200, deadline=None)
@given(value=st.one_of(integers.map(str), decimals.map(str), golds), kind=st.sampled_from(KINDS))
def test_normalize_idempotent_on_numbers(value: str, kind: str) -> None:
    once = normalize_answer(value, kind)
    assert normalize_answer(once, kind) == once


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(max_size=200)
    | st.lists(
        st.sampled_from(
            [
                "\\boxed{",
                "}",
                "{",
                "####",
                "answer is",
                "Answer:",
                "(B)",
                "**",
                "$",
                "-",
                "1,2",
                "3/",
                ".5",
                "e9",
                "\\frac",
                " ",
                "\n",
                "```",
                "x=",
            ]
        ),
        max_size=30,
    ).map("".join),
    kind=st.sampled_from(KINDS),
)
def test_extract_never_raises(text: str, kind: str) -> None:
    got = extract_answer(text, kind)
    assert got is None or isinstance(got, str)
    normalize_answer(got, kind)


@settings(max_examples=200, deadline=None)
@given(a=golds, b=golds, rel_tol=st.sampled_from([0.0, 1e-9, 1e-6, 1e-2]))
def test_numeric_check_symmetric(a: str, b: str, rel_tol: float) -> None:
    assert check_answer(a, b, "numeric", rel_tol=rel_tol) == check_answer(
        b, a, "numeric", rel_tol=rel_tol
    )


@settings(max_examples=200, deadline=None)
@given(f=fractions)
def test_fraction_equals_decimal_when_exact(f: Fraction) -> None:
    # a fraction whose decimal expansion terminates equals that decimal string
    den = f.denominator
    while den % 2 == 0:
        den //= 2
    while den % 5 == 0:
        den //= 5
    if den == 1:
        dec = str(Decimal(f.numerator) / Decimal(f.denominator))
        assert check_answer(dec, f"{f.numerator}/{f.denominator}", "numeric", rel_tol=0.0)
    assert parse_numeric(f"{f.numerator}/{f.denominator}") == f
