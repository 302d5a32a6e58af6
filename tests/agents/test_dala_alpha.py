"""The α-REINFORCE bidder (agents/dala/alpha.py): it learns, checkpoints, and acts validly."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import econ_env
from econ_env import auction_v0
from econ_env_agents.dala.alpha import AlphaAgent, AlphaConfig, train_alpha, utility_of

torch.set_num_threads(1)

EVAL_SEEDS = range(10_000, 10_300)  # never drawn by training (its seeds come from the agent)


def team_return(policy, **env_kw) -> float:
    """Mean team return (bidder_0's return; team mode gives everyone the same) over EVAL_SEEDS."""
    env = auction_v0.parallel_env(**env_kw)
    total = 0.0
    for seed in EVAL_SEEDS:
        obs, _ = env.reset(seed=seed)
        while env.agents:
            obs, rewards, _, _, _ = env.step({a: policy(obs[a], a) for a in env.agents})
            total += rewards["bidder_0"]
    return total / len(EVAL_SEEDS)


def test_trained_alpha_beats_random_and_its_untrained_self():
    env = auction_v0.parallel_env()
    agent = AlphaAgent.from_env(env, AlphaConfig(seed=0, device="cpu"))
    untrained = team_return(agent.act)
    agent, history = train_alpha(env, agent)
    trained = team_return(agent.act)
    random = team_return(econ_env.make_policy("random", econ_env.env_spec("auction_v0")).act)
    print(f"team return: trained {trained:.3f} untrained {untrained:.3f} random {random:.3f}")
    print(f"alphas {agent.alphas.round(3).tolist()} after {history[-1]['steps']} agent steps")
    # measured: trained 0.803, untrained 0.570, random 0.436 (default env, λ = 1, seed 0)
    assert trained > random + 0.2
    assert trained > untrained + 0.1
    assert history[-1]["episodes"] == agent.config.episodes
    assert np.all(agent.alphas < 1.0)  # tokens are expensive at λ = 1: it learned to bid less


def test_training_is_seeded():
    env = auction_v0.parallel_env()
    cfg = AlphaConfig(seed=3, episodes=128, device="cpu")
    a, _ = train_alpha(env, config=cfg)
    b, _ = train_alpha(auction_v0.parallel_env(), config=cfg)
    c, _ = train_alpha(env, config=AlphaConfig(seed=4, episodes=128, device="cpu"))
    np.testing.assert_array_equal(a.alphas, b.alphas)
    assert not np.array_equal(a.alphas, c.alphas)


def test_checkpoint_round_trip(tmp_path):
    env = auction_v0.parallel_env(action_type="discrete", bid_levels=7)
    agent, _ = train_alpha(env, config=AlphaConfig(episodes=64, device="cpu", utility="entropy"))
    path = agent.save(tmp_path / "alpha.safetensors")
    assert path.read_bytes()[:8] != b"\x80\x04\x95"  # not a pickle
    loaded = AlphaAgent.load(path, device="cpu")
    np.testing.assert_allclose(loaded.alphas, agent.alphas)
    assert loaded.config.utility == "entropy" and loaded.bid_levels == 7
    obs, _ = env.reset(seed=5)
    for a in env.agents:
        assert loaded.act(obs[a], a) == agent.act(obs[a], a)
    with pytest.raises(FileNotFoundError):
        AlphaAgent.load(tmp_path / "missing.safetensors")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("utility", "vibes"),
        ("alpha_init", 0.0),
        ("sigma", -1.0),
        ("baseline_decay", 1.0),
        ("min_bid", 1.0),
        ("episodes", 0),
        ("batch_episodes", 3),
        ("seed", -1),
    ],
)
def test_config_errors_name_the_field(field, value):
    with pytest.raises(ValueError, match=f"AlphaConfig.{field}"):
        AlphaConfig(**{field: value})


def test_from_env_rejects_debate_and_unknown_agents():
    from econ_env import debate_v0

    with pytest.raises(ValueError, match="auction_v0"):
        AlphaAgent.from_env(debate_v0.env(embedder="hashed"))
    agent = AlphaAgent.from_env(auction_v0.env(), AlphaConfig(device="cpu"))
    obs = np.zeros(agent.layout.size, dtype=np.float32)
    with pytest.raises(ValueError, match="bidder_9"):
        agent.act(obs, "bidder_9")


def test_neutral_belief_keeps_default_generation_parameters():
    env = auction_v0.env(belief_dim=3)
    agent = AlphaAgent.from_env(env, AlphaConfig(device="cpu"))
    env.reset(seed=0)
    action = agent.act(env.observe("bidder_0"))
    assert env.action_space("bidder_0").contains(action)
    beliefs = env.unwrapped.config.beliefs
    assert beliefs.to_params(action[1:]) == pytest.approx(beliefs.defaults)


def test_the_agent_index_comes_from_the_one_hot_when_no_name_is_given():
    env = auction_v0.parallel_env(n_agents=4)
    agent = AlphaAgent.from_env(env, AlphaConfig(device="cpu"))
    with torch.no_grad():
        agent.mu.copy_(torch.log(torch.tensor([0.01, 1.0, 0.01, 1.0])))
    obs, _ = env.reset(seed=1)
    for a in env.agents:
        np.testing.assert_array_equal(agent.act(obs[a]), agent.act(obs[a], a))


def test_utilities_read_the_documented_features():
    lay = AlphaAgent(["bidder_0", "bidder_1"], AlphaConfig(device="cpu")).layout
    vec = np.zeros(lay.size, dtype=np.float32)
    vec[lay.index("confidence")] = 0.7
    vec[lay.index("entropy")] = 0.25
    vec[lay.index("distinct_answers")] = 1.0  # two distinct answers among two agents
    assert utility_of(vec, lay, "logprob") == pytest.approx(0.7)
    assert utility_of(vec, lay, "entropy") == pytest.approx(0.75)
    assert utility_of(vec, lay, "heuristic") == pytest.approx(0.5)
    vec[lay.index("agrees_plurality")] = 1.0
    assert utility_of(vec, lay, "heuristic") == 1.0


@settings(max_examples=60, deadline=None)
@given(
    vec=st.lists(st.floats(0.0, 1.0, width=32), min_size=24, max_size=24),
    log_alpha=st.floats(-6.0, 4.0),
    utility=st.sampled_from(["logprob", "entropy", "heuristic"]),
    discrete=st.booleans(),
    mask_open=st.booleans(),
)
def test_bids_and_actions_are_always_valid(vec, log_alpha, utility, discrete, mask_open):
    """Invariant: any observation in the space gives a bid in {0} ∪ [min_bid, 1] and an action
    in the action space that respects the mask; unaffordable drafts never bid."""
    kw = {"action_type": "discrete"} if discrete else {"belief_dim": 2}
    env = auction_v0.env(**kw)
    agent = AlphaAgent.from_env(env, AlphaConfig(device="cpu", utility=utility))
    v = np.asarray(vec, dtype=np.float32)
    bid = agent.bid(v, float(np.exp(log_alpha)))
    assert bid == 0.0 or agent.config.min_bid <= bid <= 1.0
    if v[agent.layout.index("affordable")] < 0.5:
        assert bid == 0.0
    obs = v
    if discrete:
        mask = np.ones(env.unwrapped.config.bid_levels, dtype=np.int8)
        mask[1:] = mask_open
        obs = {"observation": v, "action_mask": mask}
    action = agent.encode(obs, bid)
    assert env.action_space("bidder_0").contains(action)
    if discrete:
        assert mask[action] == 1


@pytest.mark.parametrize(
    "config", [{}, {"belief_dim": 3, "n_agents": 4}, {"action_type": "discrete", "bid_levels": 7}]
)
def test_from_spec_builds_the_same_agent_as_from_env_without_an_env(config):
    """A trained agent is rebuilt for evaluation from the public description alone."""
    spec = econ_env.env_spec("auction_v0", **config)
    a = AlphaAgent.from_spec(spec, AlphaConfig(device="cpu"))
    env = auction_v0.env(**config)
    b = AlphaAgent.from_env(env, AlphaConfig(device="cpu"))
    assert a.layout == b.layout == spec.layout
    assert (a.agents, a.action_type, a.action_dim, a.bid_levels, a.neutral_belief) == (
        b.agents,
        b.action_type,
        b.action_dim,
        b.bid_levels,
        b.neutral_belief,
    )
    env.reset(seed=2)
    for agent in env.possible_agents:
        obs = env.observe(agent)
        np.testing.assert_array_equal(a.act(obs, agent), b.act(obs, agent))
        np.testing.assert_array_equal(a.act(obs), b.act(obs, agent))


def test_from_spec_rejects_a_debate_spec_and_an_env_object():
    with pytest.raises(ValueError, match="auction_v0"):
        AlphaAgent.from_spec(econ_env.env_spec("debate_v0", embedder="hashed"))
    with pytest.raises(TypeError, match="EnvSpec"):
        AlphaAgent.from_spec(auction_v0.env())


def test_a_checkpoint_restores_the_layout_it_was_trained_with(tmp_path):
    spec = econ_env.env_spec("auction_v0", n_agents=2)
    agent = AlphaAgent.from_spec(spec, AlphaConfig(device="cpu"))
    loaded = AlphaAgent.load(agent.save(tmp_path / "a.safetensors"), device="cpu")
    assert loaded.layout == agent.layout and loaded.neutral_belief == agent.neutral_belief
