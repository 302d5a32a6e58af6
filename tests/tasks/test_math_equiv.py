"""MATH answer equivalence through math-verify: equivalences, safety, threads, check_answer hook."""

from __future__ import annotations

import os
import signal
import threading
import time
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.tasks import math_equiv
from econ_env.tasks.answers import answers_agree, check_answer
from econ_env.tasks.math_equiv import latex_equivalent, math_equal, math_verify_available

SLOW = ("2^{10^{10}}", "1")  # sympy evaluates the power: only a timeout ends it

EQUAL = [
    ("0.5", "\\frac{1}{2}"),
    ("\\sqrt{2}/2", "\\frac{\\sqrt2}{2}"),
    ("\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}"),
    ("(1,2]", "(1, 2]"),
    ("[0,\\infty)", "[0, \\infty)"),
    ("(-\\infty, 3) \\cup (5, \\infty)", "(-\\infty,3)\\cup(5,\\infty)"),
    ("\\{2, 1\\}", "\\{1,2\\}"),
    ("x+1", "1+x"),
    ("\\dfrac{14}{3}", "\\frac{14}{3}"),
    ("3\\sqrt{3}", "\\sqrt{27}"),
    ("\\pi/2", "\\frac{\\pi}{2}"),
    ("6-5i", "6 - 5i"),
    ("\\boxed{\\frac{1}{4}}", "0.25"),
]
NOT_EQUAL = [
    ("(1,2)", "[1,2]"),
    ("(1,2]", "[1,2)"),
    ("2x", "2"),
    ("\\sqrt{2}", "2"),
    ("x-1", "1-x"),
    ("\\frac{1}{3}", "0.3"),
    ("[0,\\infty)", "(0,\\infty)"),
    ("\\{1,2\\}", "\\{1,3\\}"),
]


def test_math_verify_is_installed() -> None:
    assert math_verify_available()  # the datasets extra is part of the test environment


@pytest.mark.parametrize(("pred", "gold"), EQUAL)
def test_equivalent_pairs(pred: str, gold: str) -> None:
    assert math_equal(pred, gold)
    assert check_answer(pred, gold, "latex")
    assert answers_agree(pred, gold, "latex")


@pytest.mark.parametrize(("pred", "gold"), NOT_EQUAL)
def test_non_equivalent_pairs(pred: str, gold: str) -> None:
    assert not math_equal(pred, gold)
    assert not math_equal(gold, pred)
    assert not check_answer(pred, gold, "latex")


@pytest.mark.parametrize(
    "junk", ["\\frac{", "}{", "$$", "\\boxed{", "\\begin{pmatrix}", "(((", "\\sqrt", "", "  "]
)
def test_malformed_input_never_raises(junk: str) -> None:
    assert math_equal(junk, "1") is False
    assert check_answer(junk, "\\frac{1}{2}", "latex") is False
    assert math_equal(None, "1") is False and math_equal("1", None) is False
    assert math_equal("1" * (math_equiv.MAX_ANSWER_CHARS + 1), "1") is False


@settings(max_examples=40, deadline=None)
@given(
    f=st.fractions(min_value=-1000, max_value=1000, max_denominator=50),
    g=st.fractions(min_value=-1000, max_value=1000, max_denominator=50),
)
def test_fraction_forms_agree_exactly(f: Fraction, g: Fraction) -> None:
    sign = "-" if f < 0 else ""
    frac = f"{sign}\\frac{{{abs(f.numerator)}}}{{{f.denominator}}}"
    assert math_equal(frac, f"{f.numerator}/{f.denominator}")
    assert math_equal(frac, f"{g.numerator}/{g.denominator}") == (f == g)


@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet="\\{}()[]$^_,.+-=x12 fracsqrtboxed", max_size=30))
def test_arbitrary_text_gives_a_bool(text: str) -> None:
    assert math_equal(text, "\\frac{1}{2}") in (True, False)
    assert check_answer(text, "x+1", "latex") in (True, False)


def test_timeout_returns_false_quickly() -> None:
    start = time.monotonic()
    assert math_equal(*SLOW, timeout_s=1) is False
    assert time.monotonic() - start < 10
    with pytest.raises(ValueError, match="timeout_s"):
        math_equal("1", "1", timeout_s=0)


def test_outer_alarm_survives() -> None:
    """math-verify's alarm(0) would cancel a caller's timer (e.g. pytest-timeout's)."""
    fired: list[int] = []
    old_handler = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    old_left, old_interval = signal.setitimer(signal.ITIMER_REAL, 60.0)
    try:
        assert math_equal("x^{x^{x}}", "x^{x^{x}}+0", timeout_s=2)
        assert math_equal(*SLOW, timeout_s=1) is False
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 40.0 < left <= 60.0 and not fired
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        assert math_equal("9^{9^{9}}", "2", timeout_s=1) is False  # runs past the timer
        time.sleep(0.3)
        assert fired  # a timer due during the call still fires afterwards
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_left > 0:
            signal.setitimer(signal.ITIMER_REAL, old_left, old_interval)


def test_off_main_thread_uses_a_helper_process() -> None:
    out: dict[str, Any] = {}

    def work() -> None:
        out["equal"] = math_equal("\\frac{\\pi}{3}", "\\pi/3")
        out["not_equal"] = math_equal("(0,1)", "[0,1]")
        start = time.monotonic()
        out["slow"] = math_equal(*SLOW, timeout_s=1)
        out["slow_s"] = time.monotonic() - start
        out["pid"] = math_equiv._HELPER.pid
        os.kill(out["pid"], signal.SIGKILL)  # a crashed helper is restarted on the next call
        out["after_kill"] = math_equal("\\sqrt{8}", "2\\sqrt{2}")
        out["pid2"] = math_equiv._HELPER.pid
        os.kill(out["pid2"], signal.SIGSTOP)  # a hung helper is killed after its deadline
        start = time.monotonic()
        out["hung"] = math_equal("\\frac{5}{9}", "5/9", timeout_s=1)
        out["hung_s"] = time.monotonic() - start

    try:
        thread = threading.Thread(target=work)
        thread.start()
        thread.join(timeout=240)
        assert not thread.is_alive()
        assert out["equal"] is True and out["not_equal"] is False
        assert out["slow"] is False and out["slow_s"] < 10
        assert out["pid"] != os.getpid() and out["after_kill"] is True
        assert out["pid2"] not in (None, out["pid"])
        assert out["hung"] is False and 4.0 < out["hung_s"] < 15
        assert math_equiv._HELPER.pid is None  # killed; the next call starts a fresh one
    finally:
        math_equiv._HELPER.close()


def test_results_are_cached() -> None:
    info = math_equiv._math_equal_cached.cache_info()
    assert math_equal("\\frac{22}{7}", "22/7")
    assert math_equal("\\frac{22}{7}", "22/7")
    assert math_equiv._math_equal_cached.cache_info().hits >= info.hits + 1


def test_fallback_without_math_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(math_equiv, "math_verify_available", lambda: False)
    assert latex_equivalent("\\sqrt{2}/2", "\\frac{\\sqrt2}{2}") is None
    with pytest.raises(ImportError, match=r"econ-env\[datasets\]"):
        math_equal("1", "1")
    # the string / number comparison stays: numbers and identical keys still match
    assert check_answer("\\dfrac{1}{2}", "0.5", "latex")
    assert check_answer("\\left(1,2\\right)", "(1, 2)", "latex")
    assert not check_answer("\\sqrt{2}/2", "\\frac{\\sqrt2}{2}", "latex")


def test_forked_child_gets_its_own_helper() -> None:
    """A fork (e.g. a subprocess vector env) must not talk to, or kill, the parent's helper."""
    box: dict[str, Any] = {}

    def in_thread(key: str, pred: str, gold: str) -> None:
        thread = threading.Thread(
            target=lambda: box.setdefault(key, (math_equal(pred, gold), math_equiv._HELPER.pid))
        )
        thread.start()
        thread.join(timeout=120)

    try:
        in_thread("parent", "\\frac{\\pi}{5}", "\\pi/5")
        parent_helper = box["parent"][1]
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through its exit code only
            code = 1
            try:
                in_thread("child", "\\sqrt{12}", "2\\sqrt{3}")
                ok, child_helper = box.get("child", (False, None))
                math_equiv._HELPER.close()
                code = 0 if ok and child_helper not in (None, parent_helper) else 1
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert box["parent"][0] is True and math_equiv._HELPER.pid == parent_helper
    finally:
        math_equiv._HELPER.close()
