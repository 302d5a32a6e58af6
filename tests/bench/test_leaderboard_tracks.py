"""The leaderboard's two tracks: the split, the ranking rules, the badges (re-run needs an
evaluation block and an attestation under the maintainer's key; verified-log needs a replayed
generation log), hostile model strings, the per-track plots and ``--key-file``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from econ_env.bench import leaderboard as lb
from econ_env.bench import leaderboard_plot
from econ_env.bench.attest import attest
from econ_env.bench.leaderboard_badges import read_key_file
from econ_env.bench.leaderboard_model import decoding_summary, model_info, simulator_summary

KEY = b"maintainer-key-0123456789abcdef"
OTHER_KEY = b"someone-else-key-0123456789abcd"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
EVIL = '<script>alert("x")</script>&"\'$\\frac\u202e'
EVALUATION = {"by": "econ-env bench evaluate", "seed_commitment": "0" * 64,
              "seeds": {"case": [1, 2]}, "isolation": "unshare", "limits": {},
              "agent": {"spec": "m:C", "digest": "0" * 64}}  # fmt: skip
SIM = {"name": "simulated", "model_id": "simulated", "revision": None, "weights_digest": None}
HF = {"name": "hf:org/model-1B", "model_id": "org/model-1B", "revision": "abc123",
      "weights_digest": "sha256:" + "f" * 64}  # fmt: skip
DECODING = {
    "auction_v0": {"max_draft_tokens": 256, "beliefs": {"t_min": 0.1}, "backend_kwargs": {}},
    "debate_v0": {"max_answer_tokens": 128, "strategy_cap": 70, "commitment_cap": 50,
                  "beliefs": {"t_min": 0.1, "t_max": 1.3, "top_p_min": 0.5, "top_p_max": 1.0,
                              "rep_max": 1.3},
                  "backend_kwargs": {"preset": "qwen2.5-coder-0.5b", "seed": 7}},
}  # fmt: skip


def _results(accuracy: float, **changes: object) -> dict:
    res = {"schema_version": 2, "suite": "s/v1", "suite_version": "1.0.0", "policy": "p",
           "episodes": 4, "accuracy": accuracy, "accuracy_ci": [0.0, 1.0], "billed_tokens": 10.0,
           "billed_ci": [8.0, 12.0], "generated_tokens": 100 * (1 + accuracy),
           "generated_ci": [50.0, 250.0], "per_case": {"case": {"episodes": 4,
           "accuracy": accuracy, "billed_tokens": 10.0, "generated_tokens": 20.0}}}  # fmt: skip
    res.update(changes)
    return res


def _sub(root: Path, name: str, accuracy: float, backend: dict, **meta: object) -> Path:
    path = root / name
    path.mkdir(parents=True)
    metadata = {"schema_version": 2, "backend": backend, "decoding": DECODING, **meta}
    (path / "metadata.json").write_text(json.dumps(metadata))
    (path / "results.json").write_text(json.dumps(_results(accuracy, policy=f"pol-{name}")))
    (path / "traces.jsonl").write_text("")
    return path


def _verifier(path: Path) -> SimpleNamespace:
    """Accepts everything; ``partial*`` runs are partial, ``log*`` runs had their generation log
    replayed, ``spot*`` ones were also spot-checked on 3 requests."""
    partial = path.name.startswith("partial")
    return SimpleNamespace(
        ok=True,
        errors=[],
        complete=not partial,
        scope=lambda: "limit=1" if partial else "",
        log_replayed=path.name.startswith(("log", "spot", "partial-log")),
        spot_checked=3 if path.name.startswith("spot") else 0,
    )


def _entries(index: Path) -> dict[str, dict]:
    return {e["name"]: e for e in json.loads((index.parent / "leaderboard.json").read_text())}


def _table(page: str, table_id: str) -> str:
    match = re.search(f'<table id="{table_id}".*?</table>', page, re.S)
    assert match, table_id
    return match.group(0)


@pytest.fixture
def board(tmp_path: Path) -> Path:
    """Four simulated and four real-model submissions, built with the maintainer's key."""
    root = tmp_path / "subs"
    for name, acc in (("rerun-a", 0.6), ("rerun-b", 0.8), ("partial-rerun", 0.95)):
        attest(_sub(root, name, acc, SIM, track="simulated", evaluation=EVALUATION), KEY, "k1")
    _sub(root, "trace-only", 0.9, SIM, track="simulated", evaluation=None)
    _sub(root, "log-a", 0.5, HF, track="real-model", generation_log="generations.jsonl")
    _sub(root, "spot-b", 0.4, HF, track="real-model", generation_log="generations.jsonl")
    _sub(root, "no-log", 0.7, HF, track="real-model", generation_log=None)
    _sub(root, "partial-log", 0.99, HF, track="real-model")
    return lb.build_leaderboard(
        root, tmp_path / "site", verifier=_verifier, attest_key=KEY, key_id="k1"
    )


def test_tracks_split_and_rank_separately(board: Path) -> None:
    entries = _entries(board)
    got = {n: (e["track"], e["rank"], e["ranked"], e["badges"]) for n, e in entries.items()}
    assert got == {
        "rerun-b": ("simulated", 1, True, ["complete", "re-run"]),
        "rerun-a": ("simulated", 2, True, ["complete", "re-run"]),
        "trace-only": ("simulated", None, False, ["complete", "self-reported"]),
        "partial-rerun": ("simulated", None, False, ["partial", "re-run"]),
        "log-a": ("real-model", 1, True, ["complete", "verified-log"]),
        "spot-b": ("real-model", 2, True, ["complete", "verified-log", "spot-checked"]),
        "no-log": ("real-model", None, False, ["complete", "self-reported"]),
        "partial-log": ("real-model", None, False, ["partial", "verified-log"]),
    }
    # display order: track by track, ranked first by accuracy, then complete, then partial
    assert list(entries) == ["rerun-b", "rerun-a", "trace-only", "partial-rerun",
                             "log-a", "spot-b", "no-log", "partial-log"]  # fmt: skip
    assert "no maintainer key" not in entries["trace-only"]["badge_notes"]["self-reported"]
    assert "no evaluation block" in entries["trace-only"]["badge_notes"]["self-reported"]
    assert "(key k1)" in entries["rerun-a"]["badge_notes"]["re-run"]
    assert "did not replay a generation log" in entries["no-log"]["badge_notes"]["self-reported"]
    assert entries["spot-b"]["badge_notes"]["spot-checked"].startswith("3 sampled request(s)")
    hf = entries["log-a"]
    assert (hf["backend"], hf["model_id"], hf["revision"]) == ("hf:org/model-1B", "org/model-1B",
                                                                 "abc123")  # fmt: skip
    assert hf["weights_digest"] == "f" * 12 and hf["simulator"] == ""
    assert entries["rerun-a"]["simulator"] == "preset qwen2.5-coder-0.5b, seed 7"


def test_each_track_has_its_table_plot_and_cases(board: Path) -> None:
    page = board.read_text()
    sim, real = _table(page, "board-simulated"), _table(page, "board-real-model")
    assert sim.count("<tr data-index=") == 4 and real.count("<tr data-index=") == 4
    assert 'data-name="rerun-a"' in sim and 'data-name="rerun-a"' not in real
    assert 'data-name="log-a"' in real and 'data-name="log-a"' not in sim
    assert _table(page, "cases-simulated").count("<tr data-index=") == 4
    assert _table(page, "cases-real-model").count("<tr data-index=") == 4
    assert 'id="board-unplaced"' not in page  # every submission here has readable metadata
    for track in lb.TRACKS:
        assert f'src="pareto-{track}.png"' in page
        assert (board.parent / f"pareto-{track}.png").read_bytes()[:8] == PNG_MAGIC
    assert not (board.parent / "pareto.png").exists()
    assert '<span class="model-id">org/model-1B</span> @ <span class="revision">abc123' in real
    assert '<code class="digest">ffffffffffff</code>' in real
    assert "debate_v0: answer≤128, strategy≤70, commitment≤50, T 0.1–1.3" in sim
    assert '<span class="badge re-run" title="re-run by econ-env bench evaluate' in sim
    assert '<span class="badge spot-checked"' in real and "re-run" not in real
    assert "4 submissions, 2 ranked." in page


def _one_simulated(tmp_path: Path, key: bytes | None, sign_with: bytes | None) -> dict:
    root = tmp_path / "subs"
    path = _sub(root, "agent", 0.9, SIM, track="simulated", evaluation=EVALUATION)
    if sign_with is not None:
        attest(path, sign_with, "k")
    index = lb.build_leaderboard(root, tmp_path / "site", verifier=_verifier, attest_key=key)
    return _entries(index)["agent"]


def test_forged_evaluation_block_without_attestation_is_self_reported(tmp_path: Path) -> None:
    entry = _one_simulated(tmp_path, KEY, None)
    assert entry["badges"] == ["complete", "self-reported"] and entry["rank"] is None
    assert "no attestation.json" in entry["badge_notes"]["self-reported"]


def test_attestation_under_another_key_is_self_reported(tmp_path: Path) -> None:
    entry = _one_simulated(tmp_path, KEY, OTHER_KEY)
    assert entry["badges"] == ["complete", "self-reported"] and not entry["ranked"]
    assert "signature does not match" in entry["badge_notes"]["self-reported"]


def test_results_edited_after_signing_are_self_reported(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    path = _sub(root, "agent", 0.5, SIM, track="simulated", evaluation=EVALUATION)
    attest(path, KEY, "k")
    (path / "results.json").write_text(json.dumps(_results(1.0)))
    index = lb.build_leaderboard(root, tmp_path / "site", verifier=_verifier, attest_key=KEY)
    note = _entries(index)["agent"]["badge_notes"]["self-reported"]
    assert "results.json was changed after it was signed" in note


def test_without_a_key_nothing_is_rerun(tmp_path: Path) -> None:
    entry = _one_simulated(tmp_path, None, KEY)
    assert entry["badges"] == ["complete", "self-reported"] and entry["rank"] is None
    assert "no maintainer key was given to the build" in entry["badge_notes"]["self-reported"]


def test_signed_with_the_key_is_rerun_and_ranked(tmp_path: Path) -> None:
    entry = _one_simulated(tmp_path, KEY, KEY)
    assert entry["badges"] == ["complete", "re-run"] and entry["rank"] == 1
    assert "key sha256:" in entry["badge_notes"]["re-run"]  # the default key id


def test_a_claimed_track_the_backend_contradicts_is_unverified(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    _sub(root, "liar", 0.9, SIM, track="real-model", generation_log="generations.jsonl")
    entry = _entries(lb.build_leaderboard(root, tmp_path / "site", verifier=_verifier))["liar"]
    assert entry["status"] == "unverified" and entry["badges"] == ["unverified"]
    assert entry["track"] == "simulated" and "track 'real-model' but backend" in entry["reason"]


def test_unreadable_metadata_is_unplaced_and_never_ranked(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    _sub(root, "nometa", 0.9, HF, generation_log="generations.jsonl")
    (root / "nometa" / "metadata.json").write_text("{")
    _sub(root, "nobackend", 0.9, {"model_id": "x"})
    index = lb.build_leaderboard(root, tmp_path / "site", verifier=_verifier)
    entries = _entries(index)
    assert entries["nometa"]["track"] == "" and entries["nometa"]["status"] == "unverified"
    assert "metadata.json is not valid JSON" in entries["nometa"]["reason"]
    assert "backend.name is missing" in entries["nobackend"]["reason"]
    page = index.read_text()
    assert _table(page, "board-unplaced").count("<tr data-index=") == 2
    assert "no submissions on this track yet" in _table(page, "board-simulated")


def test_hostile_model_strings_are_escaped(tmp_path: Path) -> None:
    root = tmp_path / "subs"
    backend = {"name": f"hf:{EVIL}", "model_id": EVIL, "revision": EVIL,
               "weights_digest": '"><img src=x onerror=alert(1)>'}  # fmt: skip
    decoding = {EVIL: {"max_draft_tokens": EVIL, "beliefs": EVIL, "backend_kwargs": [EVIL]}}
    path = _sub(root, "evil", 0.5, backend, track="real-model", decoding=decoding)
    sim = _sub(root, "evil-sim", 0.5, SIM, evaluation=EVALUATION)
    sim_meta = json.loads((sim / "metadata.json").read_text())
    sim_meta["decoding"] = {"auction_v0": {"backend_kwargs": {"preset": EVIL, "seed": "7"}}}
    (sim / "metadata.json").write_text(json.dumps(sim_meta))
    (path / "attestation.json").write_text(json.dumps({"key_id": EVIL}))
    index = lb.build_leaderboard(root, tmp_path / "site", verifier=_verifier, key_id=EVIL)
    page = index.read_text()
    assert "<script>alert" not in page and "<img src=x" not in page and "\u202e" not in page
    assert page.count("<script>") == 1  # only the page's own sorting script
    safe = lb.html.escape(EVIL.replace("\u202e", "\\u202e"), quote=True)
    assert f'<span class="model-id">{safe}</span>' in page
    assert f'<span class="revision">{safe[:63]}' in page
    assert f"preset {safe}" in page
    entries = _entries(index)
    assert entries["evil"]["decoding"].startswith(EVIL.replace("\u202e", "\\u202e")[:40])
    assert "draft≤?" in entries["evil"]["decoding"]
    assert (
        entries["evil"]["weights_digest"] == '"><img src=x'
        and "<" not in page.split('class="digest">')[1].split("</code>")[0]
    )
    assert entries["evil-sim"]["simulator"] == "preset " + EVIL.replace("\u202e", "\\u202e")


def test_only_ranked_entries_make_the_frontier(
    board: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matplotlib.axes import Axes

    filled, steps = [], []
    real_errorbar, real_step = Axes.errorbar, Axes.step

    def errorbar(self, x, y, *args, **kwargs):
        filled.append((y[0], kwargs["mfc"] != "none"))
        return real_errorbar(self, x, y, *args, **kwargs)

    def step(self, xs, ys, *args, **kwargs):
        steps.append(list(ys))
        return real_step(self, xs, ys, *args, **kwargs)

    monkeypatch.setattr(Axes, "errorbar", errorbar)
    monkeypatch.setattr(Axes, "step", step)
    entries = [lb.Entry(**{**e, "per_case": ()}) for e in _entries(board).values()]
    sim = [e for e in entries if e.track == "simulated"]
    assert leaderboard_plot.pareto_png(sim)[:8] == PNG_MAGIC
    assert sorted(filled) == [(0.6, True), (0.8, True), (0.9, False), (0.95, False)]
    assert steps == [[0.6, 0.8]]  # the two ranked entries; the hollow ones are ignored
    labels = [leaderboard_plot.plot_label(e) for e in entries if e.track == "real-model"]
    assert "pol-log-a · model-1B" in labels


def test_decoding_and_simulator_summaries() -> None:
    assert decoding_summary(DECODING) == (
        "auction_v0: draft≤256; debate_v0: answer≤128, strategy≤70, commitment≤50, "
        "T 0.1–1.3, top-p 0.5–1, rep≤1.3"
    )
    many = {f"env{i}": {"max_draft_tokens": i} for i in range(9)}
    assert decoding_summary(many).endswith("; +3 more")
    assert decoding_summary("x") == decoding_summary({}) == ""
    assert simulator_summary(DECODING) == "preset qwen2.5-coder-0.5b, seed 7"
    assert simulator_summary({"a": {"backend_kwargs": {"seed": True}}}) == ""
    info = model_info({"backend": {"name": "simulated"}, "evaluation": None})
    assert info.track == "simulated" and not info.evaluation
    with pytest.raises(ValueError, match=r"backend\.name"):
        model_info({"backend": "hf"})


def test_entry_rank_rules() -> None:
    with pytest.raises(ValueError, match="only verified entries in a track"):
        lb.Entry(name="x", status="partial", accuracy=0.5, track="simulated", ranked=True)
    with pytest.raises(ValueError, match="only verified entries in a track"):
        lb.Entry(name="x", status="verified", accuracy=0.5, ranked=True)
    with pytest.raises(ValueError, match="only ranked entries"):
        lb.Entry(name="x", status="verified", accuracy=0.5, track="simulated", rank=1)
    with pytest.raises(ValueError, match="track"):
        lb.Entry(name="x", status="verified", accuracy=0.5, track="gpu")
    with pytest.raises(ValueError, match="unknown badges"):
        lb.Entry(name="x", status="verified", accuracy=0.5, badges=("gold",))


def test_bad_keys_are_refused(tmp_path: Path) -> None:
    (tmp_path / "subs").mkdir()
    with pytest.raises(ValueError, match="at least 16"):
        lb.build_leaderboard(tmp_path / "subs", tmp_path / "site", attest_key=b"short")
    key = tmp_path / "key"
    key.write_bytes(KEY + b"\n")
    assert read_key_file(key) == KEY
    key.write_bytes(KEY + b"\r\n")
    assert read_key_file(key) == KEY
    key.write_bytes(b"short\n")
    with pytest.raises(ValueError, match="16 to 4096 bytes, got 5"):
        read_key_file(key)
    key.write_bytes(b"x" * 5000)
    with pytest.raises(ValueError, match="got 4099"):
        read_key_file(key)
    with pytest.raises(ValueError, match="key file"):
        read_key_file(tmp_path / "missing")


def test_cli_passes_the_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from econ_env.cli import main

    seen: dict = {}

    def fake_build(submissions, out, **kwargs):
        seen.update(kwargs, submissions=submissions, out=out)
        return Path(out) / "index.html"

    monkeypatch.setattr(lb, "build_leaderboard", fake_build)
    key = tmp_path / "key"
    key.write_bytes(KEY + b"\n")
    argv = ["leaderboard", "build", "subs", "--out", "site", "--key-file", str(key)]
    assert main([*argv, "--key-id", "maint-2026"]) == 0
    assert seen["attest_key"] == KEY and seen["key_id"] == "maint-2026"
    assert main(["leaderboard", "build", "subs"]) == 0
    assert seen["attest_key"] is None
    key.write_bytes(b"tiny")
    with pytest.raises(SystemExit, match="16 to 4096 bytes"):
        main(argv)
