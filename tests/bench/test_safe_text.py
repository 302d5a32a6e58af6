"""safe_text (terminal / page escaping) and safe_json (bounded strict JSON): the boundaries."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from econ_env.bench.limits import MAX_INT, MAX_JSON_DEPTH
from econ_env.bench.safe_json import loads_bounded
from econ_env.bench.safe_text import (
    BIDI_CONTROLS,
    display_safe,
    fs_name,
    is_utf8_name,
    terminal_safe,
)

BIDI_LIST = [*[chr(c) for c in range(0x202A, 0x202F)], *[chr(c) for c in range(0x2066, 0x206A)]]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain ascii | ok", "plain ascii | ok"),
        ("caf\u00e9 \u6f22\u5b57 \U0001f600", "caf\u00e9 \u6f22\u5b57 \U0001f600"),
        ("a\x1b[2Kb", "a\\x1b[2Kb"),
        ("\r\n\t\x00", "\\x0d\\x0a\\x09\\x00"),
        ("\x7f\x85\x9b", "\\x7f\\x85\\x9b"),
        ("x\u202ey\u2066\u200e\u061c", "x\\u202ey\\u2066\\u200e\\u061c"),
        ("lone \udcff \ud800", "lone \\udcff \\ud800"),
    ],
)
def test_terminal_safe(raw: str, shown: str) -> None:
    assert terminal_safe(raw) == shown


def test_the_bidi_set_is_the_documented_one() -> None:
    assert frozenset([*BIDI_LIST, "\u200e", "\u200f", "\u061c"]) == BIDI_CONTROLS


@given(st.text())
def test_escaped_text_is_printable_and_display_text_has_no_controls(text: str) -> None:
    out = terminal_safe(text)
    assert all(ch.isprintable() or ch == " " for ch in out)
    assert terminal_safe(out) == out
    shown = display_safe(text)
    assert not any(ch in BIDI_CONTROLS or ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in shown)
    assert not any(0xD800 <= ord(ch) < 0xE000 for ch in shown)
    shown.encode("utf-8")  # never raises
    assert display_safe(shown) == shown


def test_display_safe_replaces_surrogates_and_escapes_bidi() -> None:
    assert display_safe("a\ud800b\u202ec\x1bd") == "a\ufffdb\\u202ec\\x1bd"
    assert (
        display_safe("\u05e9\u05dc\u05d5\u05dd \U0001f600") == "\u05e9\u05dc\u05d5\u05dd \U0001f600"
    )


def test_file_names_that_are_not_utf8() -> None:
    name = b"sub\xff\xfe".decode("utf-8", "surrogateescape")
    assert not is_utf8_name(name) and is_utf8_name("caf\u00e9")
    assert fs_name(name) == "sub\\xff\\xfe" and fs_name("caf\u00e9") == "caf\u00e9"
    assert fs_name("x\ud800") == "x\ufffd"  # a surrogate no file system produced


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (_nested(MAX_JSON_DEPTH + 1), f"nested deeper than the limit of {MAX_JSON_DEPTH}"),
        (_nested(200_000), "nested deeper than the limit"),
        ('{"a":' * 40 + "1" + "}" * 40, "nested deeper than the limit"),
        (str(MAX_INT + 1), "outside the allowed range [-2**53, 2**53]"),
        ("9" * 5000, "(5000 digits) is outside the allowed range"),
        ("1e400", "1e400 is out of range (not a finite double)"),
        ("[NaN]", "non-standard JSON constant NaN"),
        ('{"a": 1, "a": 1}', "duplicate key 'a'"),
        ('["\\ud800"]', "lone surrogate"),
        ('{"\\udfff": 1}', "lone surrogate"),
        ('"\\ude00\\ud83d"', "lone surrogate"),
    ],
)
def test_loads_bounded_refuses(text: str, error: str) -> None:
    with pytest.raises(ValueError, match=re.escape(error)):
        loads_bounded(text)


def test_loads_bounded_accepts_up_to_the_limits() -> None:
    assert loads_bounded(_nested(MAX_JSON_DEPTH)) is not None
    assert loads_bounded(f"[{MAX_INT}, -{MAX_INT}, 1.5e308]") == [MAX_INT, -MAX_INT, 1.5e308]
    assert loads_bounded('"\\ud83d\\ude00"') == "\U0001f600"  # a surrogate pair is one character
