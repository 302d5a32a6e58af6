"""Property tests over random configurations: the invariants every episode must keep."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import econ_env
from econ_env.envs.auction.mechanism import MECHANISMS
from econ_env.envs.observe import stop_reason_of


@st.composite
def configs(draw):
    n = draw(st.integers(1, 6))
    mechanism = draw(st.sampled_from(MECHANISMS))
    top_k = 1 if mechanism == "second_price" else draw(st.integers(1, n))
    action_type = draw(st.sampled_from(["continuous", "discrete"]))
    return {
        "n_agents": n,
        "mechanism": mechanism,
        "top_k": top_k,
        "budget": draw(st.integers(1, 4000)),
        "round_cap": draw(st.one_of(st.none(), st.integers(1, 800))),
        "max_rounds": draw(st.integers(1, 6)),
        "reserve": draw(st.floats(0.0, 0.9)),
        "action_type": action_type,
        "belief_dim": 0 if action_type == "discrete" else draw(st.integers(0, 3)),
        "reward_mode": draw(st.sampled_from(["team", "individual"])),
        "answer_rule": draw(st.sampled_from(["majority", "last_speaker", "confidence"])),
        "stop_on_consensus": draw(st.booleans()),
        "max_draft_tokens": draw(st.integers(8, 512)),
        "draft_samples": draw(st.integers(1, 3)),
    }


@settings(max_examples=60)
@given(cfg=configs(), seed=st.integers(0, 2**16), action_seed=st.integers(0, 2**16))
def test_episode_invariants(cfg, seed, action_seed):
    env = econ_env.auction_v0.env(**cfg)
    env.reset(seed=seed)
    rng = np.random.default_rng(action_seed)
    ledger = env.unwrapped.game.ledger
    steps = 0
    for agent in env.agent_iter(2000):
        obs, reward, term, trunc, info = env.last()
        assert env.observation_space(agent).contains(obs)
        assert np.isfinite(reward)
        assert 0 <= ledger.billed_total <= cfg["budget"] and ledger.remaining >= 0
        assert ledger.billed_total <= ledger.generated_total
        assert info["billed_tokens"] == ledger.billed_total
        for e in ledger.entries:
            assert e.completion_tokens <= cfg["max_draft_tokens"]
        if term or trunc:
            assert stop_reason_of(info["stop_code"]) in (
                "consensus",
                "budget_exhausted",
                "max_rounds",
            )
            assert trunc == (stop_reason_of(info["stop_code"]) == "max_rounds")
            env.step(None)
            continue
        space = env.action_space(agent)
        space.seed(int(rng.integers(2**31)))
        mask = obs["action_mask"] if isinstance(obs, dict) else None
        env.step(space.sample(mask))
        steps += 1
    assert not env.agents
    game = env.unwrapped.game
    assert len(game.history) <= cfg["max_rounds"]
    broadcast_tokens: dict[int, int] = {}
    for m in game.transcript.public():
        broadcast_tokens[m.round] = broadcast_tokens.get(m.round, 0) + m.tokens
    assert sum(broadcast_tokens.values()) <= ledger.billed_total
    for r in game.history:
        if cfg["round_cap"] is not None:
            assert broadcast_tokens.get(r.round, 0) <= cfg["round_cap"]
        assert len(r.winners) <= cfg["top_k"]
        for i in r.winners:
            assert r.payments[i] <= r.bids[i] + 1e-12
