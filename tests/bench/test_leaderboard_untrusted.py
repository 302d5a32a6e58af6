"""build_leaderboard with hostile submissions: one bad submission never breaks the build, links
are refused, names cannot reorder the page, partial runs are never ranked, writes are atomic."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from econ_env.bench import leaderboard as lb
from econ_env.bench import leaderboard_html, safe_io
from econ_env.bench.attest import attest
from econ_env.bench.safe_text import BIDI_CONTROLS
from econ_env.bench.verify import verify_submission

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BIDI = "\u202e\u2066\u200f\u061c"
KEY = b"a-maintainer-key-for-the-tests!!"


def _results(**changes: object) -> dict:
    res = {"schema_version": 1, "suite": "econ-bench-v0/dev", "suite_version": "0.1.0",
           "policy": "p", "episodes": 4, "accuracy": 0.5, "accuracy_ci": [0.25, 0.75],
           "billed_tokens": 10.0, "billed_ci": [8.0, 12.0], "generated_tokens": 20.0,
           "generated_ci": [15.0, 25.0], "accuracy_per_1k_generated": 25.0,
           "per_case": {}}  # fmt: skip
    res.update(changes)
    return res


def _ranked(path: Path) -> SimpleNamespace:
    """A stub verifier's report: accepted, complete, generation log replayed (the numbers are
    not checked): ranked on the real-model track."""
    return SimpleNamespace(ok=True, errors=[], complete=True, scope=lambda: "", log_replayed=True)


METADATA = {
    "schema_version": 2,
    "track": "real-model",
    "generation_log": "generations.jsonl",
    "backend": {"name": "hf:m", "model_id": "m", "revision": None},
    "decoding": {},
}


def _submission(root: Path, name: str | bytes, text: str | None = None, **changes: object) -> Path:
    path = Path(os.fsdecode(os.path.join(os.fsencode(root), os.fsencode(name))))
    path.mkdir(parents=True)
    (path / "results.json").write_text(
        text if text is not None else json.dumps(_results(**changes))
    )
    (path / "metadata.json").write_text(json.dumps(METADATA))
    return path


def _entries(index: Path) -> dict[str, dict]:
    return {e["name"]: e for e in json.loads((index.parent / "leaderboard.json").read_text())}


def _hostile(root: Path, kind: str, outside: Path) -> str:
    """Add one hostile submission of ``kind`` to ``root``; returns its name on the page."""
    if kind == "surrogate-policy":
        _submission(root, "bad", text=json.dumps(_results()).replace('"p"', '"a\\ud800b"'))
    elif kind == "non-utf8-name":
        _submission(root, b"bad\xff")
        return "bad\\xff"
    elif kind == "deep-nesting":
        _submission(root, "bad", text="[" * 200_000 + "]" * 200_000)
    elif kind == "huge-int":
        _submission(
            root,
            "bad",
            text=json.dumps(_results()).replace('"episodes": 4', '"episodes": ' + "1" * 400),
        )
    elif kind == "symlinked-dir":
        os.symlink(outside, root / "bad")
    elif kind == "symlinked-file":
        path = _submission(root, "bad")
        os.symlink(outside / "results.json", path / "traces.jsonl")
    return "bad"


REASONS = {
    "surrogate-policy": "lone surrogate",
    "non-utf8-name": "the directory name is not valid UTF-8",
    "deep-nesting": "nested deeper than the limit of 32 levels",
    "huge-int": "not valid JSON",
    "symlinked-dir": "the submission directory is a symbolic link (refused",
    "symlinked-file": "traces.jsonl: a symbolic link (refused",
}


@pytest.mark.parametrize("kind", sorted(REASONS))
def test_one_bad_submission_never_breaks_the_build(tmp_path: Path, kind: str) -> None:
    root, out = tmp_path / "subs", tmp_path / "site"
    outside = _submission(tmp_path, "outside", accuracy=1.0)
    _submission(root, "good")
    lb.build_leaderboard(root, out, verifier=_ranked)  # a previous page to keep or replace
    name = _hostile(root, kind, outside)
    calls: list[str] = []

    def verifier(path: Path) -> SimpleNamespace:
        calls.append(path.name)
        return _ranked(path)

    index = lb.build_leaderboard(root, out, verifier=verifier)
    entries = _entries(index)
    assert set(entries) == {"good", name}
    assert entries["good"]["status"] == "verified" and entries["good"]["rank"] == 1
    assert entries[name]["status"] == "invalid" and entries[name]["rank"] is None
    assert REASONS[kind] in entries[name]["reason"]
    assert calls == ["good"]  # the bad one is refused before verification
    page = index.read_text(encoding="utf-8")
    assert page.count("<tr data-index=") == 2 and f'data-name="{lb.html.escape(name)}"' in page
    assert (out / "pareto-real-model.png").read_bytes()[:8] == PNG_MAGIC
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def test_names_cannot_reorder_the_page_or_the_plot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib.axes import Axes

    labels: list[str] = []
    real = Axes.annotate

    def recording(self, text, *args, **kwargs):
        labels.append(text)
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(Axes, "annotate", recording)
    root = tmp_path / "subs"
    _submission(root, f"n{BIDI}me", policy="pol\u202eicy\x1b[2J", suite=f"s{BIDI}")
    index = lb.build_leaderboard(root, tmp_path / "site", verifier=_ranked)
    page = index.read_text(encoding="utf-8")
    assert not any(ch in page for ch in BIDI_CONTROLS) and "\x1b" not in page
    assert "pol\\u202eicy\\x1b[2J" in page and "n\\u202e\\u2066\\u200f\\u061cme" in page
    assert labels == ["pol\\u202eicy\\x1b[2J · m"]  # policy · model (real-model track)
    entry = _entries(index)["n\\u202e\\u2066\\u200f\\u061cme"]
    assert entry["policy"] == "pol\\u202eicy\\x1b[2J" and entry["status"] == "verified"


def _as_rerun(path: Path, seeds: dict[str, list[int]]) -> None:
    """Give ``path`` the evaluation block ``bench evaluate`` writes and sign it with KEY."""
    meta = json.loads((path / "metadata.json").read_text())
    meta["evaluation"] = {"by": "econ-env bench evaluate", "seed_commitment": "0" * 64,
                          "seeds": seeds, "isolation": "none", "limits": {},
                          "agent": {"spec": "m:C", "digest": "0" * 64}}  # fmt: skip
    (path / "metadata.json").write_text(json.dumps(meta))
    attest(path, KEY, "test-key")


def test_partial_runs_are_listed_but_never_ranked(
    tiny_complete: Path, tiny_partial: Path, suites: dict, tmp_path: Path
) -> None:
    """A limit=1, budgets=[1000000] run was "verified" and could rank first."""
    root = tmp_path / "subs"
    shutil.copytree(tiny_partial, root / "a-partial")
    shutil.copytree(tiny_complete, root / "b-complete")
    shutil.copytree(tiny_complete, root / "c-complete")
    seeds = {c.name: list(c.seeds) for c in suites["tiny/v0"].cases}  # the suite's own seeds
    for name in ("a-partial", "b-complete", "c-complete"):
        _as_rerun(root / name, seeds)
    index = lb.build_leaderboard(
        root,
        tmp_path / "site",
        verifier=lambda p: verify_submission(p, suites=suites),
        attest_key=KEY,
    )
    entries = _entries(index)
    assert [(e["name"], e["status"], e["rank"]) for e in entries.values()] == [
        ("b-complete", "verified", 1),
        ("c-complete", "verified", 2),
        ("a-partial", "partial", None),
    ]
    assert entries["a-partial"]["badges"] == ["partial", "re-run"]
    part = entries["a-partial"]
    assert part["scope"] == "limit=1, budgets=[1000000]"
    assert part["reason"].startswith("partial run (limit=1, budgets=[1000000])")
    page = index.read_text()
    assert '<span class="scope">limit=1, budgets=[1000000]</span>' in page
    assert "3 submissions, 2 ranked" in page


def test_a_failed_build_leaves_the_previous_site_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, out = tmp_path / "subs", tmp_path / "site"
    _submission(root, "good")
    lb.build_leaderboard(root, out, verifier=_ranked)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) == {
        "index.html",
        "pareto-simulated.png",
        "pareto-real-model.png",
        "leaderboard.json",
    }
    _submission(root, "second", accuracy=0.9)

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("template broke")

    monkeypatch.setattr(lb, "render_page", broken)
    with pytest.raises(RuntimeError, match="template broke"):
        lb.build_leaderboard(root, out, verifier=_ranked)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    monkeypatch.setattr(lb, "render_page", leaderboard_html.render_page)
    assert set(_entries(lb.build_leaderboard(root, out, verifier=_ranked))) == {"good", "second"}


def test_atomic_write_keeps_the_old_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "index.html"
    target.write_bytes(b"old page")

    def fail(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(safe_io.os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        safe_io.atomic_write(target, b"new page")
    assert target.read_bytes() == b"old page"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]  # no temp file left
    monkeypatch.undo()
    safe_io.atomic_write(target, b"new page")
    assert target.read_bytes() == b"new page"
