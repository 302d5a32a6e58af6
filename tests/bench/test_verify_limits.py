"""verify_submission on hostile input: bounded work, capped errors, never a crash, symlinks
refused, partial runs told apart, terminal-safe output from ``econ-env bench verify``."""

from __future__ import annotations

import json
import os
import shutil
import tracemalloc
from pathlib import Path

import pytest

from econ_env.bench import limits
from econ_env.bench import submission as sub
from econ_env.bench.suites import Suite
from econ_env.bench.verify import load_schema, verify_submission
from econ_env.cli import main

ESC = "\x1b"


def _copy(src: Path, tmp_path: Path, name: str = "sub") -> Path:
    dst = tmp_path / name
    shutil.copytree(src, dst)
    return dst


def _edit(path: Path, name: str, edit) -> None:
    obj = json.loads((path / name).read_text())
    edit(obj)
    (path / name).write_text(json.dumps(obj))


def _rejected(path: Path, needle: str, **kwargs) -> list[str]:
    report = verify_submission(path, **kwargs)
    assert not report.ok
    assert any(needle in e for e in report.errors), f"{needle!r} not in {report.errors}"
    return report.errors


# ----------------------------------------------------------------------------- bounded work
def test_hostile_budgets_are_refused_before_any_episode_is_expanded(
    dev_limit1: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20,000 budgets (a 130 KB metadata.json) used to expand 4.8 M episode specs (29 s, 2.3 GB)."""
    path = _copy(dev_limit1, tmp_path)
    _edit(path, sub.METADATA, lambda m: m.update(budgets=list(range(1, 20_001))))
    assert 100_000 < (path / sub.METADATA).stat().st_size < 200_000
    asked: list[int] = []
    real = Suite.episodes

    def counting(self, limit=None, *, budgets=None):
        asked.append(0 if budgets is None else len(budgets))
        if asked[-1] > limits.MAX_BUDGETS:  # fail fast instead of expanding millions of specs
            raise AssertionError(f"asked to expand {asked[-1]} budgets")
        return real(self, limit, budgets=budgets)

    monkeypatch.setattr(Suite, "episodes", counting)
    tracemalloc.start()
    try:
        report = verify_submission(path, replay=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.errors == ["metadata.json: budgets has 20000 entries; at most 16 allowed"]
    assert asked == []  # refused before the suite is expanded at all
    assert peak < 16_000_000  # bounded by the file limits, not by the list's expansion


def test_a_flood_of_trace_lines_is_refused_before_parsing(dev_limit1: Path, tmp_path: Path) -> None:
    """200,000 lines of {} used to take 11 s and produce a million error strings."""
    path = _copy(dev_limit1, tmp_path)
    (path / sub.TRACES).write_text("{}\n" * 200_000)
    report = verify_submission(path, replay=False)
    assert report.errors == [
        "traces.jsonl: 200000 lines, over the limit of 44 for this run (24 episodes + 20); "
        "not parsed"
    ]


def test_errors_are_capped_and_the_rest_counted(dev_limit1: Path, tmp_path: Path) -> None:
    path = _copy(dev_limit1, tmp_path)
    (path / sub.TRACES).write_text("{}\n" * 24)  # 5 schema errors a line, then 24 missing ids
    report = verify_submission(path, replay=False)
    assert len(report.errors) == limits.MAX_ERRORS + 1
    assert report.found > 24 * 5
    assert report.errors[-1] == (
        f"... and {report.found - limits.MAX_ERRORS} more problem(s) not listed"
    )


def test_episode_checks_stop_at_the_error_limit(dev_limit1: Path, tmp_path: Path) -> None:
    path = _copy(dev_limit1, tmp_path)
    traces = [json.loads(line) for line in (path / sub.TRACES).read_text().splitlines()]
    for t in traces:
        t["totals"]["billed"] += 1
    (path / sub.TRACES).write_text("".join(json.dumps(t) + "\n" for t in traces))
    report = verify_submission(path)  # with replay: each episode checked costs a replay
    assert report.checked_episodes == limits.MAX_ERRORS < len(traces)
    assert report.unchecked == len(traces) - limits.MAX_ERRORS
    assert f"{report.unchecked} episodes were not checked" in report.errors[limits.MAX_ERRORS]


def test_each_file_has_its_own_size_limit(dev_limit1: Path, tmp_path: Path) -> None:
    path = _copy(dev_limit1, tmp_path)
    _edit(path, sub.METADATA, lambda m: m.update(notes="x" * limits.MAX_METADATA_BYTES))
    size = (path / sub.METADATA).stat().st_size
    _rejected(path, f"metadata.json: {size} bytes, over the size limit of 1000000 bytes")


def test_the_schema_and_the_limits_agree() -> None:
    assert load_schema("metadata")["properties"]["budgets"]["maxItems"] == limits.MAX_BUDGETS


# ----------------------------------------------------------------------------- never crashes
_DEEP = "[" * 200_000 + "]" * 200_000
_HUGE = "9" * 400


def _replace_first(path: Path, name: str, old: str, new: str) -> None:
    text = (path / name).read_text()
    assert old in text
    (path / name).write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    ("name", "old", "new", "needle"),
    [
        (sub.RESULTS, '"accuracy":', f'"deep": {_DEEP}, "accuracy":', "nested deeper than"),
        (sub.METADATA, '"backend":', f'"deep": {_DEEP}, "backend":', "nested deeper than"),
        (sub.TRACES, '"config":', f'"deep": {_DEEP}, "config":', "line 1: malformed JSON: nested"),
        (sub.TRACES, '"billed": 0', f'"billed": {_HUGE}', "(400 digits) is outside the allowed"),
        (sub.RESULTS, '"episodes": 24', f'"episodes": {_HUGE}', "outside the allowed range"),
        (sub.METADATA, '"limit": 1', f'"limit": -{_HUGE}', "outside the allowed range"),
        (sub.RESULTS, '"episodes": 24', '"episodes": 1e400', "1e400 is out of range"),
        (sub.RESULTS, '"episodes": 24', '"episodes": NaN', "non-standard JSON constant NaN"),
        (sub.METADATA, '"limit": 1', '"limit": -Infinity', "constant -Infinity"),
        (sub.METADATA, '"policy": "truthful"', '"policy": "a\\ud800"', "lone surrogate"),
        (sub.TRACES, '"seed": 0', '"seed": "0"', "schema: at seed: '0' is not of type"),
        (sub.METADATA, '"limit": 1', '"limit": [1]', "schema: at limit"),
        (sub.RESULTS, '"per_case": {', '"per_case": [], "x": {', "schema: at per_case"),
    ],
)
def test_malformed_content_is_rejected_with_a_reason(
    dev_limit1: Path, tmp_path: Path, name: str, old: str, new: str, needle: str
) -> None:
    path = _copy(dev_limit1, tmp_path)
    if name == sub.METADATA:  # written indented by the runner: make it one line
        _edit(path, name, lambda m: None)
    _replace_first(path, name, old, new)
    _rejected(path, needle, replay=False)


def test_non_utf8_bytes_are_rejected(dev_limit1: Path, tmp_path: Path) -> None:
    path = _copy(dev_limit1, tmp_path)
    raw = (path / sub.TRACES).read_bytes()
    (path / sub.TRACES).write_bytes(raw.replace(b"truthful", b"truth\xff\xfeul", 1))
    _rejected(path, "traces.jsonl: not UTF-8 text")


def test_verify_cli_rejects_deep_nesting_without_a_traceback(
    dev_limit1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _copy(dev_limit1, tmp_path)
    (path / sub.RESULTS).write_text(_DEEP)
    assert main(["bench", "verify", str(path), "--no-replay"]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("REJECTED (1 problem(s)):") and "nested deeper than" in out
    assert "Traceback" not in out + err


# ----------------------------------------------------------------------------- terminal output
def test_verify_cli_escapes_control_characters(
    dev_limit1: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An episode_id with ANSI escapes could erase the REJECTED line on a terminal."""
    path = _copy(dev_limit1, tmp_path)
    first = json.loads((path / sub.TRACES).read_text().splitlines()[0])["episode_id"]
    evil = "x\\u001b[2K\\u001b[1A\\rOK\\u009b2J\\u007f\\u202eevil"
    _replace_first(path, sub.TRACES, f'"episode_id": "{first}"', f'"episode_id": "{evil}"')
    assert main(["bench", "verify", str(path), "--no-replay"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("REJECTED")
    assert not any(ch in out for ch in (ESC, "\r", "\x9b", "\x7f", "\u202e"))
    assert "unknown episode x\\x1b[2K\\x1b[1A\\x0dOK\\x9b2J\\x7f\\u202eevil" in out


# ----------------------------------------------------------------------------- symlinks
def test_a_symlinked_submission_directory_is_refused(dev_limit1: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    os.symlink(dev_limit1, link)
    _rejected(link, "link: the submission directory is a symbolic link (refused")


@pytest.mark.parametrize("name", [sub.TRACES, "README.md"])
def test_a_symlinked_file_in_a_submission_is_refused(
    dev_limit1: Path, tmp_path: Path, name: str
) -> None:
    path = _copy(dev_limit1, tmp_path)
    outside = tmp_path / "outside"
    shutil.copy(path / sub.TRACES, outside)
    (path / name).unlink(missing_ok=True)
    os.symlink(outside, path / name)
    _rejected(path, f"{name}: a symbolic link (refused")


# ----------------------------------------------------------------------------- partial runs
def test_complete_and_partial_runs_are_told_apart(
    tiny_complete: Path, tiny_partial: Path, suites: dict
) -> None:
    full = verify_submission(tiny_complete, suites=suites)
    assert full.ok and full.complete and full.scope() == "" and full.checked_episodes == 2
    part = verify_submission(tiny_partial, suites=suites)
    assert part.ok and not part.complete and part.checked_episodes == 1
    assert part.scope() == "limit=1, budgets=[1000000]"
    assert "OK, partial run (1 episodes) [limit=1, budgets=[1000000]; not ranked]" in str(part)


def test_verify_cli_says_a_limit_run_is_partial(
    dev_limit1: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "verify", str(dev_limit1), "--no-replay"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("verified, partial run (limit=1): 24 episodes re-scored, no mismatch")
    assert "never ranked" in out
