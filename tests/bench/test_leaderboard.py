"""build_leaderboard: verified / partial / unverified / invalid submissions, escaping, tables and
the plots (hostile submissions: test_leaderboard_untrusted.py; tracks, badges and ranking rules:
test_leaderboard_tracks.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.bench import leaderboard as lb
from econ_env.bench import leaderboard_entry
from econ_env.bench.runner import run_suite

SUITE = "econ-bench-v0/dev"
HONEST = ("single_cot", "mad")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EVIL = '<script>alert("x")</script>&"\'$\\frac'


def _edit_results(path: Path, **changes: object) -> None:
    f = path / "results.json"
    data = json.loads(f.read_text())
    data.update(changes)
    f.write_text(json.dumps(data))


@pytest.fixture(scope="module")
def submissions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two honest dev-suite submissions with limit=1 (partial), one with an edited accuracy, one
    unreadable."""
    root = tmp_path_factory.mktemp("subs")
    results = {}
    for policy in HONEST:
        results[policy] = run_suite(SUITE, policy, root / policy, limit=1, progress=False)
    shutil.copytree(root / "mad", root / "tampered")
    acc = results["mad"]["accuracy"]
    _edit_results(root / "tampered", accuracy=0.5 * acc + 0.25 if acc != 0.5 else 0.9)
    (root / "broken").mkdir()
    (root / "broken" / "results.json").write_text('{"accuracy": 0.5,')
    return root


@pytest.fixture(scope="module")
def site(submissions: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lb.build_leaderboard(submissions, tmp_path_factory.mktemp("site"))


def _entries(site: Path) -> dict[str, dict]:
    return {e["name"]: e for e in json.loads((site.parent / "leaderboard.json").read_text())}


def test_badges_follow_verification(site: Path) -> None:
    entries = _entries(site)
    assert set(entries) == {*HONEST, "tampered", "broken"}
    for name in HONEST:  # honest, but limit=1 and trace-only: partial, self-reported, unranked
        assert entries[name]["status"] == "partial", entries[name]["reason"]
        assert entries[name]["scope"] == "limit=1" and entries[name]["rank"] is None
        assert entries[name]["badges"] == ["partial", "self-reported"]
        assert entries[name]["track"] == "simulated" and not entries[name]["ranked"]
    assert entries["tampered"]["status"] == "unverified"
    assert entries["tampered"]["badges"] == ["unverified"]
    assert "accuracy" in entries["tampered"]["reason"]
    assert entries["broken"]["status"] == "invalid" and entries["broken"]["badges"] == ["invalid"]
    assert "not valid JSON" in entries["broken"]["reason"]
    assert entries["broken"]["track"] == ""  # no metadata.json: not placed in a track
    page = site.read_text()
    assert page.count('<span class="badge partial"') == 2 + 2 * 4  # table + per-case rows
    assert page.count('<span class="badge self-reported"') == 2 + 2 * 4
    assert page.count('<span class="badge complete"') == 0
    assert page.count('<span class="badge invalid"') == 1
    assert page.count('<span class="scope">limit=1</span>') == 3  # the tampered copy too
    first_error = lb.html.escape(entries["tampered"]["reason"], quote=True)
    assert f'title="{first_error}">unverified</span>' in page


def test_table_numbers_match_results(site: Path, submissions: Path) -> None:
    entries = _entries(site)
    page = site.read_text()
    for name in (*HONEST, "tampered"):
        res = json.loads((submissions / name / "results.json").read_text())
        e = entries[name]
        assert e["accuracy"] == res["accuracy"]
        assert e["generated_tokens"] == res["generated_tokens"]
        assert e["billed_tokens"] == res["billed_tokens"]
        assert list(e["accuracy_ci"]) == res["accuracy_ci"]
        assert e["episodes"] == res["episodes"] == 24
        assert {c["case"] for c in e["per_case"]} == set(res["per_case"])
        lo, hi = res["accuracy_ci"]
        assert f'{res["accuracy"]:.3f} <span class="ci">[{lo:.3f}, {hi:.3f}]</span>' in page
    # main table rows: partial ones by accuracy, best first, then unverified, the invalid last
    names = [e["name"] for e in json.loads((site.parent / "leaderboard.json").read_text())]
    accs = [entries[n]["accuracy"] for n in names[:2]]
    assert accs == sorted(accs, reverse=True) and names[2:] == ["tampered", "broken"]
    assert page.count("<tr data-index=") == 4 + 3 * 4  # 4 submissions + 3 valid x 4 cases


def test_pareto_pngs_written(site: Path) -> None:
    for track in lb.TRACKS:
        png = site.parent / f"pareto-{track}.png"
        assert png.read_bytes()[:8] == PNG_MAGIC
        assert f'src="pareto-{track}.png"' in site.read_text()


def test_untrusted_strings_are_escaped(submissions: Path, tmp_path: Path) -> None:
    root = tmp_path / "subs"
    shutil.copytree(submissions / "single_cot", root / "evil<b>")
    _edit_results(
        root / "evil<b>",
        policy=EVIL,
        suite=EVIL,
        per_case={
            EVIL: {"episodes": 1, "accuracy": 1.0, "billed_tokens": 1.0, "generated_tokens": 2.0}
        },
    )
    index = lb.build_leaderboard(root, tmp_path / "site")
    page = index.read_text()
    assert "<script>alert" not in page and "<b>" not in page
    assert lb.html.escape(EVIL, quote=True) in page
    assert page.count("<script>") == 1  # only the page's own sorting script
    assert (tmp_path / "site" / "pareto-simulated.png").read_bytes()[:8] == PNG_MAGIC
    assert _entries(index)["evil<b>"]["status"] == "unverified"


def _stub(ok: bool = True, errors: list[str] | None = None):
    return lambda path: SimpleNamespace(ok=ok, errors=errors or [])


def _good_results(**changes: object) -> dict:
    res = {"schema_version": 1, "suite": SUITE, "suite_version": "0.1.0", "policy": "p",
           "episodes": 4, "accuracy": 0.5, "accuracy_ci": [0.25, 0.75], "billed_tokens": 10.0,
           "billed_ci": [8.0, 12.0], "generated_tokens": 20.0, "generated_ci": [15.0, 25.0],
           "accuracy_per_1k_generated": 25.0, "per_case": {}}  # fmt: skip
    res.update(changes)
    return res


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "missing"),
        ("[1, 2]", "JSON object"),
        (b"\xff\xfe{}", "not valid JSON"),
        (json.dumps(_good_results(accuracy=1.5)), "'accuracy' must be in [0.0, 1.0]"),
        (json.dumps(_good_results(accuracy=float("nan"))), "non-standard JSON constant NaN"),
        (json.dumps(_good_results(accuracy=10**400)), "outside the allowed range"),
        (json.dumps(_good_results(accuracy=True)), "finite number"),
        (json.dumps(_good_results(generated_ci=[3.0])), "'generated_ci' must be a list"),
        (json.dumps(_good_results(billed_ci=[5.0, 1.0])), "lo > hi"),
        (json.dumps({"policy": "p"}), "'accuracy'"),
    ],
)
def test_bad_results_are_listed_invalid(tmp_path: Path, content, reason: str) -> None:
    sub = tmp_path / "subs" / "s"
    sub.mkdir(parents=True)
    if isinstance(content, str):
        (sub / "results.json").write_text(content)
    elif isinstance(content, bytes):
        (sub / "results.json").write_bytes(content)
    index = lb.build_leaderboard(tmp_path / "subs", tmp_path / "site", verifier=_stub())
    entry = _entries(index)["s"]
    assert entry["status"] == "invalid" and reason in entry["reason"]
    assert entry["accuracy"] is None and entry["track"] == ""
    assert (tmp_path / "site" / "pareto-real-model.png").read_bytes()[:8] == PNG_MAGIC


def test_oversized_results_is_invalid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sub = tmp_path / "subs" / "big"
    sub.mkdir(parents=True)
    (sub / "results.json").write_text(json.dumps(_good_results()))
    monkeypatch.setattr(leaderboard_entry, "MAX_RESULTS_BYTES", 50)
    index = lb.build_leaderboard(tmp_path / "subs", tmp_path / "site", verifier=_stub())
    assert "over the size limit of 50 bytes" in _entries(index)["big"]["reason"]


def test_verifier_crash_and_errors_mean_unverified(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / "subs" / name).mkdir(parents=True)
        (tmp_path / "subs" / name / "results.json").write_text(json.dumps(_good_results()))
    (tmp_path / "subs" / "not_a_dir.txt").write_text("x")
    (tmp_path / "subs" / ".hidden").mkdir()

    def verifier(path: Path):
        if path.name == "a":
            raise RuntimeError("boom")
        return SimpleNamespace(ok=True, errors=["late error"])  # errors win over ok

    out = tmp_path / "subs" / "site"  # an out_dir inside submissions_dir is not a submission
    entries = _entries(lb.build_leaderboard(tmp_path / "subs", out, verifier=verifier))
    assert set(entries) == {"a", "b"}
    assert entries["a"]["status"] == "unverified"
    assert entries["a"]["reason"] == "verification failed: RuntimeError: boom"
    assert entries["b"]["reason"] == "late error"


def test_missing_submissions_dir_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="submissions_dir"):
        lb.build_leaderboard(tmp_path / "nope", tmp_path / "site")


def test_entry_validation() -> None:
    with pytest.raises(ValueError, match="status"):
        lb.Entry(name="x", status="great")
    with pytest.raises(ValueError, match="accuracy"):
        lb.Entry(name="x", status="verified")
    with pytest.raises(ValueError, match="only ranked entries have a rank"):
        lb.Entry(name="x", status="verified", accuracy=0.5, rank=1)
    with pytest.raises(ValueError, match="accuracy"):
        lb.CaseRow(case="c", episodes=1, accuracy=2.0, billed_tokens=0, generated_tokens=0)
    with pytest.raises(ValueError, match="episodes"):
        lb.CaseRow(case="c", episodes=-1, accuracy=0.5, billed_tokens=0, generated_tokens=0)


_points = st.lists(
    st.tuples(st.integers(0, 20).map(float), st.integers(0, 10).map(lambda v: v / 10)),
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(_points)
def test_pareto_frontier_properties(points: list[tuple[float, float]]) -> None:
    front = lb.pareto_frontier(points)
    assert len(set(front)) == len(front) and all(0 <= i < len(points) for i in front)
    fx = [points[i][0] for i in front]
    fy = [points[i][1] for i in front]
    assert fx == sorted(fx) and fy == sorted(fy)  # a staircase: more tokens, more accuracy
    assert len(set(fx)) == len(fx) and len(set(fy)) == len(fy)
    for i in front:  # nothing strictly dominates a frontier point
        x, y = points[i]
        assert not any(a <= x and b >= y and (a, b) != (x, y) for a, b in points)
    for x, y in points:  # every point is matched or beaten by a frontier point
        assert any(points[i][0] <= x and points[i][1] >= y for i in front)
