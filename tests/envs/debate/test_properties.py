"""Property tests over random debate_v0 configurations: the invariants every episode keeps."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import econ_env
from econ_env.envs.debate.convergence import STOP_REASONS
from econ_env.envs.observe import stop_reason_of


@st.composite
def configs(draw):
    n = draw(st.integers(1, 5))
    return {
        "n_agents": n,
        "groups": draw(st.integers(1, n)),
        "belief_dim": draw(st.integers(1, 6)),
        "action_type": draw(st.sampled_from(["continuous", "discrete"])),
        "budget": draw(st.integers(1, 12000)),
        "max_rounds": draw(st.integers(1, 5)),
        "epsilon": draw(st.sampled_from([0.0, 0.05, 0.5])),
        "early_stop": draw(st.booleans()),
        "max_answer_tokens": draw(st.integers(8, 400)),
        "embedder": "hashed",
    }


@settings(max_examples=40)
@given(cfg=configs(), seed=st.integers(0, 2**16), action_seed=st.integers(0, 2**16))
def test_episode_invariants(cfg, seed, action_seed):
    env = econ_env.debate_v0.env(**cfg)
    env.reset(seed=seed)
    rng = np.random.default_rng(action_seed)
    ledger = env.unwrapped.game.ledger
    for agent in env.agent_iter(1000):
        obs, reward, term, trunc, info = env.last()
        assert env.observation_space(agent).contains(obs)
        assert np.isfinite(reward)
        assert 0 <= ledger.billed_total <= cfg["budget"] and ledger.remaining >= 0
        assert ledger.billed_total <= ledger.generated_total
        assert all(0.0 <= info[f"reward_{k}"] <= 1.0 for k in ("ts", "al", "cc"))
        if term or trunc:
            assert stop_reason_of(info["stop_code"]) in STOP_REASONS
            assert trunc == (stop_reason_of(info["stop_code"]) == "max_rounds")
            env.step(None)
            continue
        space = env.action_space(agent)
        space.seed(int(rng.integers(2**31)))
        mask = obs["action_mask"] if isinstance(obs, dict) else None
        env.step(space.sample(mask))
    assert not env.agents
    game = env.unwrapped.game
    assert len(game.history) <= cfg["max_rounds"]
    for e in game.ledger.entries:
        if e.role.value == "strategy":
            assert e.completion_tokens <= env.unwrapped.config.strategy_cap
        if e.role.value == "answer":
            assert e.completion_tokens <= cfg["max_answer_tokens"]
