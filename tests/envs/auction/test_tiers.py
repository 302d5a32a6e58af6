"""auction_v0 with DALA's tiered messages (``tiers``): spaces, masks, compressions, billing,
broadcast texts, observations, the PettingZoo checks and the simulated tiers' influence."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gymnasium import spaces
from hypothesis import given, settings
from hypothesis import strategies as st

import econ_env
from econ_env.core.ledger import Role
from econ_env.envs.auction.compress import (
    compression_messages,
    decode_discrete,
    n_discrete_actions,
    tier_max_tokens,
)
from econ_env.llm.base import GenRequest, SimHints
from econ_env.llm.simulated import SimulatedBackend
from econ_env.tasks.answers import extract_answer, normalize_answer
from econ_env.tasks.base import TaskItem
from econ_env.testing import run_all_checks

TIERS3 = ("full", "summary", "keywords")


def _penv(**kw):
    return econ_env.auction_v0.parallel_env(tiers=TIERS3, **kw)


def _game(env):
    return env.unwrapped.game


# ---------------------------------------------------------------- config and spaces
@pytest.mark.parametrize(
    "bad", [(), ("summary", "full"), ("full", "full"), ("full", "short"), "full", (1,)]
)
def test_bad_tiers_raise_naming_the_field(bad):
    with pytest.raises(ValueError, match="tiers"):
        econ_env.auction_v0.env_spec(tiers=bad)


def test_default_is_one_full_tier_with_todays_spaces():
    spec = econ_env.auction_v0.env_spec()
    assert spec.config["tiers"] in (("full",), ["full"])
    assert spec.action_space == spaces.Box(-1.0, 1.0, (1,), np.float32)
    d = econ_env.auction_v0.env_spec(action_type="discrete", bid_levels=5)
    assert d.action_space == spaces.Discrete(5)
    assert "tier_lengths" not in spec.layout.names


@pytest.mark.parametrize("belief_dim", [0, 2])
def test_continuous_space_has_a_bid_per_tier(belief_dim):
    spec = econ_env.auction_v0.env_spec(tiers=TIERS3, belief_dim=belief_dim)
    assert spec.action_space == spaces.Box(-1.0, 1.0, (3 + belief_dim,), np.float32)
    two = econ_env.auction_v0.env_spec(tiers=("full", "keywords"))
    assert two.action_space.shape == (2,)


def test_discrete_space_and_decoding():
    spec = econ_env.auction_v0.env_spec(tiers=TIERS3, action_type="discrete", bid_levels=5)
    assert (
        spec.action_space == spaces.Discrete(1 + 3 * 4) == spaces.Discrete(n_discrete_actions(3, 5))
    )
    assert decode_discrete(1, 5) == (0, 0.25)
    assert decode_discrete(4, 5) == (0, 1.0)
    assert decode_discrete(5, 5) == (1, 0.25)
    assert decode_discrete(12, 5) == (2, 1.0)


def test_observation_layout_appends_tier_fields_at_the_end():
    one = econ_env.auction_v0.env_spec(n_agents=3)
    three = econ_env.auction_v0.env_spec(n_agents=3, tiers=TIERS3)
    assert three.layout.names[: len(one.layout.names)] == one.layout.names
    assert three.layout.names[-2:] == ("tier_lengths", "tier_affordable")
    assert three.layout.size == one.layout.size + 6


# ---------------------------------------------------------------- episodes
def test_compressions_are_generated_not_billed_until_broadcast():
    env = _penv(n_agents=3, budget=4000)
    env.reset(seed=3)
    game = _game(env)
    entries = game.ledger.entries
    comp = [e for e in entries if e.role is Role.COMPRESS]
    assert len(comp) == 3 * 2  # every agent, summary and keywords
    assert all(e.billed == 0 and e.completion_tokens > 0 for e in comp)
    assert game.ledger.billed_total == 0
    for i, d in enumerate(game.drafts):
        assert [m.tier for m in d.tiers] == list(TIERS3)
        assert d.tiers[0].text == d.text
        assert d.tiers[1].completion.completion_tokens < d.completion.completion_tokens
        # the compression requests quote the draft and have the documented caps
        assert d.tiers[2].completion.completion_tokens <= tier_max_tokens("keywords", 256)
        assert game.ledger.entries[d.tiers[1].call_index].role is Role.COMPRESS
        assert game.ledger.entries[d.tiers[1].call_index].agent == game.agents[i]


@pytest.mark.parametrize("tier", [0, 1, 2])
def test_a_winner_pays_its_tier_and_broadcasts_its_text(tier):
    env = _penv(n_agents=3, budget=4000, max_rounds=3)
    env.reset(seed=5)
    game = _game(env)
    actions = {a: -np.ones(3, dtype=np.float32) for a in env.agents}
    actions["bidder_1"] = -np.ones(3, dtype=np.float32)
    actions["bidder_1"][tier] = 1.0
    msg = game.drafts[1].tiers[tier]
    prompt = game.drafts[1].completion.prompt_tokens
    _, _, _, _, infos = env.step(actions)
    record = game.history[-1]
    assert record.winners == (1,)
    assert record.tiers == tuple(tier if i == 1 else -1 for i in range(3))
    assert record.billed == prompt + msg.completion.completion_tokens
    assert record.messages == (("bidder_1", msg.text),)
    charges = [e for e in game.ledger.entries if e.role is Role.BROADCAST]
    assert [(e.billed, e.ref) for e in charges] == [
        (msg.completion.completion_tokens, msg.call_index)
    ]
    public = [m for m in game.transcript.public() if m.role == "broadcast"]
    assert public[-1].text == msg.text and public[-1].answer == msg.answer
    assert infos["bidder_1"]["tier"] == tier and infos["bidder_0"]["tier"] == -1


def test_revision_prompts_quote_the_broadcast_tier():
    seen = []

    class Spy(SimulatedBackend):
        def generate(self, requests):
            seen.extend(requests)
            return super().generate(requests)

    env = econ_env.auction_v0.parallel_env(
        tiers=TIERS3, backend=Spy(seed=1), budget=4000, stop_on_consensus=False
    )
    env.reset(seed=2)
    game = _game(env)
    msg = game.drafts[0].tiers[2]
    acts = {a: -np.ones(3, dtype=np.float32) for a in env.agents}
    acts["bidder_0"] = np.array([-1.0, -1.0, 1.0], dtype=np.float32)
    seen.clear()
    env.step(acts)
    revise = [r for r in seen if r.hints.role is Role.REVISE]
    assert revise and all(msg.text in r.messages[-1]["content"] for r in revise)
    assert all(r.hints.heard_tiers == ("keywords",) for r in revise)
    compress = [r for r in seen if r.hints.role is Role.COMPRESS]
    assert len(compress) == 2 * len(revise)
    assert (
        compress[0]
        .messages[1]["content"]
        .startswith("Rewrite the solution below as a summary of at most 85 words")
    )


def test_masked_discrete_action_raises_naming_the_agent():
    # a round cap that only the compressed tiers fit
    env = _penv(n_agents=2, action_type="discrete", bid_levels=3, budget=4000, round_cap=60)
    obs, _ = env.reset(seed=0)
    game = _game(env)
    fits = game.tier_fits(0)
    assert fits[0] is False and fits[2] is True
    assert list(obs["bidder_0"]["action_mask"][1:3]) == [0, 0]
    with pytest.raises(ValueError, match=r"bidder_0: action 1 is masked"):
        env.step({"bidder_0": 1, "bidder_1": 0})
    assert game.round == 0 and game.ledger.billed_total == 0
    env.step({"bidder_0": 6, "bidder_1": 0})  # keywords at the top level is allowed
    assert game.history[-1].winners == (0,) and game.history[-1].tiers == (2, -1)


def test_invalid_action_silence_turns_a_masked_tier_into_silence():
    env = _penv(
        n_agents=2, action_type="discrete", bid_levels=3, budget=4000, round_cap=60,
        invalid_action="silence",
    )  # fmt: skip
    env.reset(seed=0)
    env.step({"bidder_0": 2, "bidder_1": 0})
    assert _game(env).history[-1].winners == ()


def test_action_mask_follows_tier_affordability():
    env = _penv(n_agents=2, action_type="discrete", bid_levels=3, budget=4000)
    obs, _ = env.reset(seed=0)
    game = _game(env)
    for i, a in enumerate(env.agents):
        mask = obs[a]["action_mask"]
        assert mask.shape == (1 + 3 * 2,)
        fits = game.tier_fits(i)
        assert mask[0] == 1
        for t in range(3):
            assert list(mask[1 + 2 * t : 3 + 2 * t]) == [int(fits[t])] * 2


def test_wrong_continuous_shape_raises_naming_the_agent():
    env = _penv(n_agents=2)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"bidder_0: action must have shape \(3,\)"):
        env.step({"bidder_0": np.zeros(1), "bidder_1": np.zeros(3)})


@settings(max_examples=12, deadline=None)
@given(
    st.integers(0, 10_000),
    st.sampled_from(["second_price", "vcg", "top_k", "softmax", "first_price"]),
    st.sampled_from(["continuous", "discrete"]),
    st.integers(200, 1500),
)
def test_budget_never_overdrawn_and_observations_in_space(seed, mechanism, action_type, budget):
    kw = {"n_agents": 3, "top_k": 1 if mechanism == "second_price" else 2}
    env = _penv(
        mechanism=mechanism, action_type=action_type, budget=budget, max_rounds=4,
        round_cap=400 if mechanism == "vcg" else None, **kw,
    )  # fmt: skip
    obs, infos = env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    game = _game(env)
    keys = {a: set(infos[a]) for a in env.agents}
    while env.agents:
        for a in env.agents:
            assert env.observation_space(a).contains(obs[a])
        acts = {}
        for a in env.agents:
            space = env.action_space(a)
            space.seed(int(rng.integers(2**31)))
            acts[a] = space.sample(obs[a]["action_mask"] if action_type == "discrete" else None)
        obs, _rewards, _term, _trunc, infos = env.step(acts)
        assert game.ledger.billed_total <= budget
        for a in infos:
            assert set(infos[a]) == keys[a]
            assert isinstance(infos[a]["tier"], int) and -1 <= infos[a]["tier"] < 3
        for e in game.ledger.entries:
            if e.ref is not None:
                src = game.ledger.entries[e.ref]
                assert src.agent == e.agent
        billed = sum(e.billed for e in game.ledger.entries)
        assert billed <= game.ledger.generated_total
        for a, i in zip(env.possible_agents, range(3), strict=True):
            per = sum(e.billed for e in game.ledger.entries if e.agent == a)
            gen = sum(
                e.prompt_tokens + e.completion_tokens for e in game.ledger.entries if e.agent == a
            )
            assert per <= gen, i


@pytest.mark.parametrize("action_type", ["continuous", "discrete"])
def test_pettingzoo_checks_pass_with_tiers(action_type):
    run_all_checks(econ_env.auction_v0, tiers=TIERS3, action_type=action_type, n_agents=2)


def test_vcg_with_tiers_passes_the_checks():
    run_all_checks(
        econ_env.auction_v0, tiers=("full", "summary"), mechanism="vcg", n_agents=3, top_k=2,
        round_cap=200,
    )  # fmt: skip


def test_keywords_broadcast_carries_no_facts():
    env = econ_env.auction_v0.parallel_env(
        tiers=TIERS3, task="split_facts", n_agents=3, budget=8000, stop_on_consensus=False
    )
    _obs, infos = env.reset(seed=1)
    before = [infos[a]["facts_known"] for a in env.agents]
    acts = {a: -np.ones(3, dtype=np.float32) for a in env.agents}
    acts["bidder_0"] = np.array([-1.0, -1.0, 1.0], dtype=np.float32)
    _, _, _, _, infos = env.step(acts)
    assert [infos[a]["facts_known"] for a in env.agents] == before
    acts["bidder_0"] = -np.ones(3, dtype=np.float32)
    acts["bidder_1"] = np.array([-1.0, 1.0, -1.0], dtype=np.float32)  # a summary carries them
    _, _, _, _, infos = env.step(acts)
    assert infos["bidder_0"]["facts_known"] > before[0]
    layout = env.unwrapped.env_spec.layout
    assert layout.names[-3:] == ("tier_lengths", "tier_affordable", "facts_known")


# ---------------------------------------------------------------- simulated backend
ITEM = TaskItem("t/1", "What is 12 + 30?", "42", "numeric", {"difficulty": 0.5})


def _compress_req(tier: str, source: int, max_tokens: int, seed: int = 0) -> GenRequest:
    msgs = compression_messages({"role": "system", "content": "sys"}, tier, "draft", 256)
    hints = SimHints(ITEM, Role.COMPRESS, 0, "41", tier=tier, source_tokens=source)
    return GenRequest(msgs, max_tokens, seed=seed, hints=hints)


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["summary", "keywords"]), st.integers(0, 600), st.integers(1, 120))
def test_simulated_compression_length_and_answer(tier, source, max_tokens):
    backend = SimulatedBackend(seed=3)
    ratio = dict(backend.params.tier_length)[tier]
    want = max(1, math.ceil(ratio * source))
    (c,) = backend.generate([_compress_req(tier, source, max_tokens)])
    assert c.completion_tokens == min(want, max_tokens)
    assert c.finish_reason == ("length" if want > max_tokens else "stop")
    assert c.text.startswith("Summary:" if tier == "summary" else "Keywords:")
    if want <= max_tokens:
        assert normalize_answer(extract_answer(c.text, "numeric"), "numeric") == "41"
    else:
        assert extract_answer(c.text, "numeric") in (None, "")


def _adoption_rate(heard_tiers: tuple[str, ...], n: int = 3000) -> float:
    backend = SimulatedBackend(seed=0)
    reqs = [
        GenRequest(
            ({"role": "user", "content": "q"},),
            256,
            seed=s,
            hints=SimHints(ITEM, Role.REVISE, 2, "40", ("17", "17"), heard_tiers=heard_tiers),
        )
        for s in range(n)
    ]
    answers = [normalize_answer(extract_answer(c.text, "numeric"), "numeric")
               for c in backend.generate(reqs)]  # fmt: skip
    return sum(a == "17" for a in answers) / n


def test_shorter_tiers_persuade_less():
    full = _adoption_rate(())
    also_full = _adoption_rate(("full", "full"))
    summary = _adoption_rate(("summary", "summary"))
    keywords = _adoption_rate(("keywords", "keywords"))
    mixed = _adoption_rate(("full", "keywords"))
    assert full == also_full
    assert full > summary > keywords
    # adoption of a wrong plurality is influence * share (truth bias 0), so the factor shows
    assert summary / full == pytest.approx(0.75, abs=0.08)
    assert keywords / full == pytest.approx(0.5, abs=0.08)
    assert keywords < mixed < full


def test_heard_tiers_must_match_heard():
    with pytest.raises(ValueError, match="heard_tiers"):
        SimHints(ITEM, Role.REVISE, 0, None, ("1",), heard_tiers=("full", "summary"))


def test_compression_goes_through_the_cache_like_any_request(tmp_path):
    """With a cache (as with any real backend) compressions are ordinary requests: replaying a
    recorded tiered episode reproduces it bit for bit without the inner backend."""
    from econ_env.llm.cache import CachedBackend
    from econ_env.testing.checks import play

    path = tmp_path / "c.sqlite"
    rec = CachedBackend("simulated", path=path, mode="record")
    a = play(econ_env.auction_v0.env(tiers=TIERS3, backend=rec), seed=7)
    rep = CachedBackend("simulated", path=path, mode="replay")
    b = play(econ_env.auction_v0.env(tiers=TIERS3, backend=rep), seed=7)
    assert a == b


def test_a_failing_compression_call_leaves_the_round_untouched():
    from econ_env.llm.base import BackendUnavailable

    class Flaky(SimulatedBackend):
        fail = False

        def generate(self, requests):
            if self.fail and any(r.hints.role is Role.COMPRESS for r in requests):
                raise BackendUnavailable("sim://flaky", "down")
            return super().generate(requests)

    backend = Flaky(seed=0)
    env = econ_env.auction_v0.parallel_env(
        tiers=TIERS3, backend=backend, budget=4000, stop_on_consensus=False
    )
    env.reset(seed=1)
    game = _game(env)
    acts = {a: -np.ones(3, dtype=np.float32) for a in env.agents}
    acts["bidder_0"] = np.array([-1.0, 1.0, -1.0], dtype=np.float32)
    n_entries, state = len(game.ledger.entries), env.unwrapped.np_random.bit_generator.state
    backend.fail = True
    with pytest.raises(BackendUnavailable):
        env.step(acts)
    assert len(game.ledger.entries) == n_entries and game.round == 0
    assert env.unwrapped.np_random.bit_generator.state == state
    backend.fail = False
    env.step(acts)
    assert game.round == 1 and game.history[-1].tiers == (1, -1, -1)


@pytest.mark.parametrize("action_type", ["continuous", "discrete"])
def test_baselines_act_validly_and_bid_on_their_tier(action_type):
    from econ_env_baselines.auction import POLICIES, TIER_POLICIES

    spec = econ_env.auction_v0.env_spec(tiers=TIERS3, action_type=action_type, budget=6000)
    for name, cls in {**POLICIES, **TIER_POLICIES}.items():
        env = econ_env.auction_v0.parallel_env(
            tiers=TIERS3, action_type=action_type, budget=6000, stop_on_consensus=False
        )
        policy = cls(spec, seed=0)
        obs, _ = env.reset(seed=2)
        while env.agents:
            acts = {a: policy.act(obs[a], a) for a in env.agents}
            for a, act in acts.items():
                assert env.action_space(a).contains(
                    np.asarray(act, dtype=env.action_space(a).dtype)
                ), name
            obs, *_ = env.step(acts)
        tiers = {t for r in _game(env).history for t in r.tiers if t >= 0}
        expected = {"summary": {1}, "keywords": {2}}.get(name.rsplit("_", 1)[-1], {0})
        if name in ("silent",):
            assert tiers == set(), name
        elif name != "random":
            assert tiers <= expected, (name, tiers)
            assert tiers, name
