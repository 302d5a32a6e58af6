"""Fuzz: mutations of an honest submission's files are rejected with a reason, never a crash.

Mutations of the complete two-episode run of the test suite ``tiny/v0`` (conftest.py):
truncation, bytes that are not UTF-8, and replacing any value (in ``metadata.json``,
``results.json`` or one trace line) with deep nesting, an integer of up to 400 digits,
NaN/Infinity/1e400, a string with a lone surrogate, or a value of the wrong JSON type.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.bench import limits
from econ_env.bench import submission as sub
from econ_env.bench.safe_text import terminal_safe
from econ_env.bench.verify import verify_submission

FILES = (sub.METADATA, sub.RESULTS, sub.TRACES)
HOLE = "@@hole@@"
_BAD_BYTES = (b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80")

_hostile = st.one_of(
    st.integers(33, 300_000).map(lambda d: "[" * d + "]" * d),
    st.integers(33, 2000).map(lambda d: '{"a":' * d + "1" + "}" * d),
    st.integers(17, 400).map(lambda k: "9" * k),
    st.integers(17, 400).map(lambda k: "-1" + "0" * k),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-2e308"]),
    st.sampled_from(['"\\ud800"', '"a\\udfffb"', '"\\udc00\\ud800"', '["\\ud83d"]']),
)


def _category(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    return type(v).__name__


# A value of each kind that no schema location of another kind accepts. Numbers never get a
# bool (True == 1 in Python) and null never gets a number or a string (nullable fields).
_WRONG = {"str": '"wrong"', "list": '["wrong"]', "dict": '{"wrong": "type"}', "bool": "true"}


def _wrong_types(original: Any) -> list[str]:
    cat = _category(original)
    allowed = {
        "null": ["list", "dict", "bool"],
        "number": ["str", "list", "dict"],
        "bool": ["str", "list", "dict"],
    }.get(cat, [k for k in _WRONG if k != cat])
    return [_WRONG[k] for k in allowed]


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


def _get(obj: Any, path: tuple) -> Any:
    for p in path:
        obj = obj[p]
    return obj


def _with_hole(obj: Any, path: tuple, raw: str) -> str:
    """``obj`` as JSON text with the value at ``path`` replaced by the raw JSON text ``raw``."""
    if not path:
        return raw
    obj = json.loads(json.dumps(obj))
    parent = _get(obj, path[:-1])
    parent[path[-1]] = HOLE
    text = json.dumps(obj)
    assert text.count(f'"{HOLE}"') == 1
    return text.replace(f'"{HOLE}"', raw)


def _replace_value(texts: dict[str, bytes], name: str, data: st.DataObject) -> None:
    if name == sub.TRACES:
        lines = texts[name].decode().splitlines()
        i = data.draw(st.integers(0, len(lines) - 1), label="line")
        doc = json.loads(lines[i])
    else:
        doc = json.loads(texts[name])
    paths = _paths(doc)
    if name == sub.METADATA:  # decoding settings are recorded, not checked: keep their types
        paths = [p for p in paths if p[:1] != ("decoding",) or len(p) == 1]
    path = data.draw(st.sampled_from(paths), label="path")
    wrong = _wrong_types(_get(doc, path))
    raw = data.draw(st.one_of(_hostile, st.sampled_from(wrong)), label="value")
    text = _with_hole(doc, path, raw)
    if name == sub.TRACES:
        lines[i] = text
        texts[name] = ("\n".join(lines) + "\n").encode()
    else:
        texts[name] = text.encode()


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_mutated_submissions_are_rejected_with_a_reason(
    tiny_complete: Path, suites: dict, data: st.DataObject
) -> None:
    texts = {name: (tiny_complete / name).read_bytes() for name in FILES}
    name = data.draw(st.sampled_from(FILES), label="file")
    kind = data.draw(st.sampled_from(["value", "value", "value", "truncate", "bytes"]), "kind")
    if kind == "truncate":
        end = len(texts[name].rstrip())
        texts[name] = texts[name][: data.draw(st.integers(0, end - 1), label="cut")]
    elif kind == "bytes":
        at = data.draw(st.integers(0, len(texts[name])), label="at")
        bad = data.draw(st.sampled_from(_BAD_BYTES), label="bytes")
        texts[name] = texts[name][:at] + bad + texts[name][at:]
    else:
        _replace_value(texts, name, data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sub"
        path.mkdir()
        for n, raw in texts.items():
            (path / n).write_bytes(raw)
        report = verify_submission(path, suites=suites)  # must not raise
    assert not report.ok, f"{kind} of {name} was accepted"
    assert 0 < len(report.errors) <= limits.MAX_ERRORS + 2
    assert all(e and terminal_safe(e) == e for e in report.errors)
    assert not any(e.startswith("verification stopped") for e in report.errors), report.errors


def test_the_unmutated_submission_is_accepted(tiny_complete: Path, suites: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sub"
        shutil.copytree(tiny_complete, path)
        report = verify_submission(path, suites=suites)
    assert report.ok and report.complete, report.errors
