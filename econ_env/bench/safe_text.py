"""Showing strings from untrusted submissions: on a terminal, on the HTML page, in plot labels.

* :func:`terminal_safe` escapes every non-printable character (C0/C1 controls, ESC, DEL,
  bidirectional overrides and isolates, other format characters, lone surrogates) the way
  ``repr`` does (``\\x1b``, ``\\u202e``, ``\\udcff``), so an ``episode_id`` holding ANSI escape
  sequences cannot erase or rewrite lines on a maintainer's terminal.
* :func:`display_safe` (page and plot) replaces lone surrogates with U+FFFD and writes control
  characters and the bidirectional-control characters (U+202A-U+202E, U+2066-U+2069,
  U+200E/U+200F, U+061C) as visible escapes, so a name cannot reorder the text around it.
  HTML escaping is still done by the page renderer.
* :func:`fs_name` turns a file name that is not UTF-8 (Python keeps its bytes as lone
  surrogates) into text with ``\\xNN`` escapes.
"""

from __future__ import annotations

import re

__all__ = ["BIDI_CONTROLS", "display_safe", "fs_name", "is_utf8_name", "terminal_safe"]

BIDI_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c"]
)
"""Characters that change the display order of the text around them."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_DISPLAY_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def terminal_safe(text: str) -> str:
    """``text`` with every non-printable character but the space escaped (``\\x1b``)."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else _escape(ch) for ch in text)


def _display_char(m: re.Match[str]) -> str:
    ch = m.group()
    return "\ufffd" if _SURROGATE.match(ch) else _escape(ch)


def display_safe(text: str) -> str:
    """``text`` for the page or a plot label: controls and bidi controls escaped, lone
    surrogates replaced by U+FFFD; everything else (other scripts, emoji) is kept."""
    return _DISPLAY_UNSAFE.sub(_display_char, str(text))


def is_utf8_name(name: str) -> bool:
    """Whether the file name ``name`` (as :mod:`os` decodes it) was valid UTF-8."""
    return not _SURROGATE.search(name)


def fs_name(name: str) -> str:
    """A file name as text: bytes that were not UTF-8 become ``\\xNN`` escapes."""
    if is_utf8_name(name):
        return name
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # not from the file system: a surrogate outside U+DC80-U+DCFF
        return display_safe(name)
    return raw.decode("utf-8", "backslashreplace")
