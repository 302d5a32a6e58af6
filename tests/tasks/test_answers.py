"""Unit tests for answer extraction, normalisation and checking (econ_env.tasks.answers)."""

from __future__ import annotations

import pytest

from econ_env.tasks.answers import (
    answers_agree,
    check_answer,
    extract_answer,
    normalize_answer,
    parse_numeric,
)


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        # boxed: last one wins, nested braces, \fbox, \dfrac
        ("first \\boxed{3} then \\boxed{\\frac{1}{2}}", "numeric", "1/2"),
        ("\\boxed{\\frac{\\sqrt{2}}{2}}", "latex", "\\frac{\\sqrt{2}}{2}"),
        ("\\fbox{42}", "numeric", "42"),
        ("so $\\boxed{\\dfrac{3}{4}}$.", "numeric", "3/4"),
        ("\\boxed{x = 5}", "numeric", "5"),
        ("\\boxed 7 is it", "numeric", "7"),
        # GSM8K style
        ("Janet has 16 - 3 = 13 eggs.\n#### 1,234", "numeric", "1234"),
        # "answer is" / "Answer:"
        ("The answer is 1,234 dollars.", "numeric", "1234"),
        ("Answer: 17\nThen 3 + 4 = 7", "numeric", "17"),
        ("**Final Answer:** $-3.5$.", "numeric", "-7/2"),
        ("the answer is not obvious, but I get 12 and finally 19", "numeric", "19"),
        # last number fallback
        ("We add 5 and 7 to get 12.", "numeric", "12"),
        ("It costs $2.50 per item.", "numeric", "5/2"),
        ("Total: 1.5e-3 units", "numeric", "3/2000"),
        # choice letters
        ("The answer is (B).", "choice", "B"),
        ("I'd pick B) here", "choice", "B"),
        ("**D**", "choice", "D"),
        ("answer is c", "choice", "C"),
        ("Answer: E", "choice", "E"),
        ("Between A and C, option C is right.", "choice", "C"),
        ("So C is correct.", "choice", "C"),
        ("$\\boxed{\\text{B}}$", "choice", "B"),
        ("#### J", "choice", "J"),
        ("The answer is a bit unclear, but (C) fits", "choice", "C"),
        ("Answer: I think it's B", "choice", "B"),
        ("The correct answer is B. Paris", "choice", "B"),
        # code: last fenced block
        ("```python\nprint(1)\n```\n```python\nprint(2)\n```", "code", "print(2)"),
    ],
)
def test_extract_formats(text: str, kind: str, expected: str) -> None:
    got = extract_answer(text, kind)
    assert got is not None
    assert normalize_answer(got, kind) == normalize_answer(expected, kind)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("", "numeric"),
        ("no numbers here", "numeric"),
        ("A cat sat on the mat. I think so.", "choice"),
        ("nothing boxed", "latex"),
        ("\\boxed{", "numeric"),
    ],
)
def test_extract_none(text: str, kind: str) -> None:
    assert extract_answer(text, kind) is None


def test_boxed_unbalanced_falls_back_to_previous() -> None:
    assert extract_answer("\\boxed{4} and \\boxed{5", "numeric") == "4"


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("18", "18"),
        ("$18", "18"),
        ("$1,234", "1234"),
        ("1,234,567.00", "1234567"),
        ("18 dollars", "18"),
        ("5 cm", "5"),
        ("50%", "50"),
        ("50\\%", "50"),
        ("\\text{18}", "18"),
        ("18.", "18"),
        ("2.50", "5/2"),
        ("0.5", "1/2"),
        ("3/4", "3/4"),
        ("6/8", "3/4"),
        ("\\frac{3}{4}", "3/4"),
        ("\\dfrac{6}{8}", "3/4"),
        ("\\frac12", "1/2"),
        ("-\\frac{1}{2}", "-1/2"),
        ("-0.125", "-1/8"),
        ("−4", "-4"),
        ("-$5", "-5"),
        ("1.5e-3", "3/2000"),
        ("1E+2", "100"),
        ("2 \\times 10^{3}", "2000"),
        ("1 1/2", "3/2"),
        ("x = 5", "5"),
        ("-0", "0"),
        ("3/0", None),
        ("abc", None),
        ("3 4", None),
        ("1e99999", None),
        ("", None),
    ],
)
def test_normalize_numeric(raw: str, key: str | None) -> None:
    assert normalize_answer(raw, "numeric") == key


def test_normalize_other_kinds() -> None:
    assert normalize_answer(" (b) ", "choice") == "B"
    assert normalize_answer("Option D", "choice") == "D"
    assert normalize_answer("K", "choice") is None
    assert normalize_answer("\\left( 1, 2 \\right)", "latex") == "(1,2)"
    assert normalize_answer("\\dfrac{\\pi}{2}", "latex") == "\\frac{\\pi}{2}"
    assert normalize_answer("$\\frac{2}{4}$", "latex") == "1/2"
    assert normalize_answer("2x", "latex") == "2x"
    assert normalize_answer("  def f(): pass \n", "code") == "def f():\n    pass"
    assert normalize_answer(None, "numeric") is None


def test_unknown_kind_raises() -> None:
    with pytest.raises(ValueError, match="kind"):
        normalize_answer("1", "text")
    with pytest.raises(ValueError, match="kind"):
        extract_answer("1", "text")


def test_check_answer() -> None:
    assert check_answer("0.5", "1/2", "numeric")
    assert check_answer("1/3", "0.3333333", "numeric")
    assert not check_answer("1/3", "0.333", "numeric")
    assert check_answer("1000000", "1000000.5", "numeric")  # within rel_tol 1e-6
    assert not check_answer("1000000", "1000002", "numeric")
    assert not check_answer("1000000", "1000000.5", "numeric", rel_tol=1e-9)
    assert check_answer("$1,234.00", "1234", "numeric")
    assert not check_answer(None, "5", "numeric")
    assert not check_answer("five", "5", "numeric")
    assert check_answer("b", "B", "choice")
    assert not check_answer("A", "B", "choice")
    assert check_answer("\\left(1,2\\right)", "(1, 2)", "latex")
    assert check_answer("\\dfrac{1}{2}", "0.5", "latex")
    assert not check_answer("2x", "2", "latex")
    with pytest.raises(ValueError, match="rel_tol"):
        check_answer("1", "1", "numeric", rel_tol=-1.0)


def test_answers_agree() -> None:
    assert answers_agree("1,000", "1000.0", "numeric")
    assert not answers_agree(None, None, "numeric")
    assert not answers_agree("1", None, "numeric")
    assert answers_agree("(c)", "C", "choice")


def test_parse_numeric_strict() -> None:
    assert parse_numeric("18 dollars") == 18
    assert parse_numeric("18 dollars", strict=True) is None
    assert parse_numeric(None) is None
