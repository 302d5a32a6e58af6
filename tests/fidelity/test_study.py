"""The study runner: same items and seeds for every policy of a game, shared drafts are cache
hits, deterministic on the simulator, episode files round-trip and reject bad input."""

from __future__ import annotations

import dataclasses
import json

import pytest

from econ_env.fidelity import (
    STUDY_POLICIES,
    EpisodeRecord,
    StudyConfig,
    StudyPolicy,
    load_episodes,
    run_study,
    save_episodes,
    study_items,
)
from econ_env.llm.cache import CachedBackend
from econ_env.llm.cache_file import cache_stats
from econ_env.llm.simulated import SimulatedBackend

SMALL = StudyConfig(n_items={"auction_v0": 4, "debate_v0": 2})


def test_every_policy_of_a_game_plays_the_same_items_and_seeds() -> None:
    eps, traces = run_study(SimulatedBackend(seed=0), config=SMALL, parallel=2)
    items = study_items(SMALL)
    assert len(items) == 4 and len(set(items)) == 4
    assert set(traces) == {p.label for p in STUDY_POLICIES}
    for p in STUDY_POLICIES:
        mine = [e for e in eps if e.label == p.label]
        n = SMALL.n_items[p.game]
        assert [(e.episode, e.seed, e.item_id) for e in mine] == [
            (k, SMALL.item_seed + k, items[k]) for k in range(n)
        ]
        assert all(e.game == p.game for e in mine)
        assert all(e.billed_tokens <= e.generated_tokens for e in mine)
        assert traces[p.label], p.label


def test_the_simulator_study_is_deterministic_and_the_seed_matters() -> None:
    a, _ = run_study(SimulatedBackend(seed=3), config=SMALL, parallel=3)
    b, _ = run_study(SimulatedBackend(seed=3), config=SMALL, parallel=1, item_chunk=1)
    c, _ = run_study(SimulatedBackend(seed=4), config=SMALL, parallel=2)
    assert a == b
    assert a != c


def test_drafts_shared_by_several_policies_are_cache_hits(tmp_path) -> None:
    path = tmp_path / "c.sqlite"
    backend = CachedBackend(SimulatedBackend(seed=0), path=path)
    pols = {p.label: p for p in STUDY_POLICIES}
    run_study(backend, config=SMALL, policies=[pols["vote (silent)"]])
    rows = cache_stats(path)["rows"]
    assert rows == 3 * SMALL.n_items["auction_v0"]  # three drafts per item
    run_study(backend, config=SMALL, policies=[pols["vote (silent)"]])
    assert cache_stats(path)["rows"] == rows  # the same policy again: nothing new
    run_study(backend, config=SMALL, policies=[pols["truthful"]])
    st = cache_stats(path)
    assert st["hits"] >= 2 * rows  # the replay and truthful's drafts came from the cache


def test_labels_must_be_unique() -> None:
    p = StudyPolicy("x", "auction_v0", "silent")
    with pytest.raises(ValueError, match="unique"):
        run_study(SimulatedBackend(), config=SMALL, policies=[p, p])


def test_episode_files_round_trip_and_reject_bad_rows(tmp_path) -> None:
    eps, _ = run_study(SimulatedBackend(seed=1), config=SMALL, policies=STUDY_POLICIES[:2])
    path = tmp_path / "e.jsonl"
    save_episodes(path, eps, {"n_items": dict(SMALL.n_items)})
    back, meta = load_episodes(path)
    assert back == eps and meta == {"n_items": dict(SMALL.n_items)}
    row = dataclasses.asdict(eps[0])
    for bad in ({**row, "billed_tokens": -1}, {**row, "correct": 1}, {**row, "extra": 0}):
        path.write_text(json.dumps(bad) + "\n", encoding="utf-8")
        with pytest.raises(ValueError, match=r"e\.jsonl:1"):
            load_episodes(path)
    assert EpisodeRecord.from_dict(row) == eps[0]
