"""The DALA MAPPO agent: config validation, act/save/load, seeding, and real learning.

Learning test (CPU, one thread): auction_v0 with token cost λ = 3, where bidding matters: a
random bidder pays ~720 billed tokens of the 2048 budget per episode (team return -0.38 on the
evaluation seeds) while staying silent when it does not pay scores up to 0.8. Margin
assumption: after 20 PPO updates of 48 episodes the trained agent's mean team return on 200
fixed evaluation seeds exceeds the random bidder's by at least 0.3 (measured in development
for seed 0: 0.446 vs -0.382, i.e. +0.83; see the helper's report).
"""

import numpy as np
import pytest
import torch

import econ_env
from econ_env import auction_v0
from econ_env.bench.evaluate import evaluate
from econ_env_agents.dala import DalaMAPPOAgent, MAPPOConfig, train_mappo
from econ_env_agents.dala.networks import SeededCategorical

torch.set_num_threads(1)

EVAL_SEEDS = 10_000  # first of 200 fixed evaluation seeds, disjoint from training seeds


@pytest.fixture(scope="module")
def trained():
    env_fn = lambda: auction_v0.env(cost_weight=3.0)  # noqa: E731
    agent, history = train_mappo(env_fn, MAPPOConfig(updates=20, episodes_per_update=48, seed=0))
    return env_fn, agent, history


@pytest.mark.parametrize(
    ("field", "value"),
    [("updates", 0), ("lr", -1.0), ("gamma", 1.5), ("minibatch_size", 2.5), ("seed", -1)],
)
def test_config_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        MAPPOConfig(**{field: value})


def test_discrete_env_gets_a_masked_categorical_actor():
    env = auction_v0.env(action_type="discrete", bid_levels=5)
    agent = DalaMAPPOAgent.from_env(env, MAPPOConfig(device="cpu"))
    assert agent.discrete and agent.meta["act_dim"] == 5
    assert agent.meta == DalaMAPPOAgent.from_spec(env.unwrapped.env_spec).meta
    env.reset(seed=0)
    obs = env.observe("bidder_0")
    assert agent.meta["obs_dim"] == obs["observation"].shape[0]
    a = agent.act(obs, "bidder_0")
    assert isinstance(a, int) and env.action_space("bidder_0").contains(a)
    assert a == agent.act(obs)  # the agent-id one-hot names the bidder
    # the greedy action respects the mask: with every bid masked, silence is all that is left
    only_silence = {**obs, "action_mask": np.array([1, 0, 0, 0, 0], dtype=np.int8)}
    assert agent.act(only_silence, "bidder_0") == 0
    # and with silence masked it never picks silence, whatever the logits
    no_silence = {**obs, "action_mask": np.array([0, 1, 1, 1, 1], dtype=np.int8)}
    assert agent.act(no_silence, "bidder_0") != 0
    with pytest.raises(ValueError, match="action_mask"):
        agent.act({**obs, "action_mask": np.ones(3, dtype=np.int8)}, "bidder_0")


def test_seeded_categorical_draws_from_its_own_generator():
    logits = torch.tensor([[0.0, 1.0, -1.0e9], [2.0, 0.0, 0.0]])
    draws = [
        SeededCategorical(logits, torch.Generator().manual_seed(7)).sample((500,)) for _ in range(2)
    ]
    assert torch.equal(draws[0], draws[1]) and draws[0].shape == (500, 2)
    assert not (draws[0][:, 0] == 2).any()  # a masked action is never drawn
    share = (draws[0][:, 1] == 0).float().mean().item()  # p = e^2 / (e^2 + 2) = 0.787
    assert 0.72 < share < 0.85
    torch.manual_seed(0)
    before = torch.rand(1)
    torch.manual_seed(0)
    SeededCategorical(logits, torch.Generator().manual_seed(7)).sample()
    assert torch.equal(torch.rand(1), before)  # the global RNG is untouched


def test_discrete_checkpoint_round_trip_and_seeded_training(tmp_path):
    env_fn = lambda: auction_v0.env(action_type="discrete")  # noqa: E731
    cfg = MAPPOConfig(updates=2, episodes_per_update=6, n_envs=2, seed=4, device="cpu")
    a, ha = train_mappo(env_fn, cfg)
    b, hb = train_mappo(env_fn, cfg)
    assert ha == hb and len(ha) == 2
    for x, y in zip(a.actor.state_dict().values(), b.actor.state_dict().values(), strict=True):
        assert torch.equal(x, y)
    loaded = DalaMAPPOAgent.load(a.save(tmp_path / "d.safetensors"), device="cpu")
    assert loaded.discrete
    env = env_fn()
    env.reset(seed=1)
    for name in env.possible_agents:
        assert a.act(env.observe(name), name) == loaded.act(env.observe(name), name)


def test_from_spec_sizes_the_agent_like_from_env_without_an_env():
    spec = econ_env.env_spec("auction_v0", n_agents=4, belief_dim=2)
    a = DalaMAPPOAgent.from_spec(spec, MAPPOConfig(device="cpu", seed=3))
    env = auction_v0.env(n_agents=4, belief_dim=2)
    b = DalaMAPPOAgent.from_env(env, MAPPOConfig(device="cpu", seed=3))
    assert a.meta == b.meta and a.layout == spec.layout
    assert a.meta["state_dim"] == spec.state_space.shape[0] and a.meta["act_dim"] == 3
    for x, y in zip(a.actor.state_dict().values(), b.actor.state_dict().values(), strict=True):
        assert torch.equal(x, y)
    with pytest.raises(TypeError, match="EnvSpec"):
        DalaMAPPOAgent.from_spec(auction_v0.env())


def test_a_trained_agent_is_rebuilt_for_evaluation_from_its_checkpoint_and_the_spec(tmp_path):
    env_fn = lambda: auction_v0.env()  # noqa: E731
    cfg = MAPPOConfig(updates=1, episodes_per_update=4, n_envs=1, seed=2, device="cpu")
    agent, _ = train_mappo(env_fn, cfg)
    loaded = DalaMAPPOAgent.load(agent.save(tmp_path / "m.safetensors"), device="cpu")
    assert loaded.layout == econ_env.env_spec("auction_v0").layout
    env = env_fn()
    env.reset(seed=0)
    for a in env.possible_agents:
        np.testing.assert_array_equal(agent.act(env.observe(a)), loaded.act(env.observe(a), a))


def test_act_accepts_both_signatures_and_rejects_unknown_agents():
    env = auction_v0.env()
    agent = DalaMAPPOAgent.from_env(env, MAPPOConfig(device="cpu"))
    env.reset(seed=0)
    obs = env.observe("bidder_1")
    a = agent.act(obs)
    np.testing.assert_array_equal(a, agent.act(obs, "bidder_1"))
    assert env.action_space("bidder_1").contains(a)
    with pytest.raises(ValueError, match="bidder_9"):
        agent.act(obs, "bidder_9")
    with pytest.raises(ValueError, match="shape"):
        agent.act(obs[:3])
    info = agent.evaluate(env.state(), obs, "bidder_1")
    assert info["tokens"] > 0 and info["density"] == pytest.approx(info["value"] / info["tokens"])


def test_same_seed_same_weights_and_training():
    env_fn = lambda: auction_v0.env()  # noqa: E731
    cfg = MAPPOConfig(updates=1, episodes_per_update=6, n_envs=2, seed=5, device="cpu")
    a, ha = train_mappo(env_fn, cfg)
    b, hb = train_mappo(env_fn, cfg)
    assert ha == hb
    for x, y in zip(a.actor.state_dict().values(), b.actor.state_dict().values(), strict=True):
        assert torch.equal(x, y)
    c = DalaMAPPOAgent.from_env(env_fn(), MAPPOConfig(seed=6, device="cpu"))
    assert not torch.equal(c.actor.embed.weight, a.actor.embed.weight)


def test_trained_agent_beats_random_bidder(trained, tmp_path):
    env_fn, agent, history = trained
    assert len(history) == 20 and history[-1]["env_steps"] > 0
    mappo = evaluate(
        env_fn, lambda spec, s: agent, name="mappo", episodes=200, seed=EVAL_SEEDS, progress=False
    )
    rand = evaluate(
        env_fn,
        lambda spec, seed: econ_env.make_policy("random", spec, seed),
        name="random",
        episodes=200,
        seed=EVAL_SEEDS,
        progress=False,
    )
    print(
        f"mappo return {mappo.mean_return:.3f} acc {mappo.accuracy:.3f} billed "
        f"{mappo.billed_tokens:.0f}; random {rand.mean_return:.3f} acc {rand.accuracy:.3f} "
        f"billed {rand.billed_tokens:.0f}"
    )
    assert mappo.mean_return >= rand.mean_return + 0.3
    assert mappo.billed_tokens < rand.billed_tokens  # it learned to stay quiet when it pays


def test_checkpoint_round_trip(trained, tmp_path):
    env_fn, agent, _ = trained
    path = agent.save(tmp_path / "mappo.safetensors")
    assert path.read_bytes()[:8] != b"\x80\x04\x95"  # not a pickle
    loaded = DalaMAPPOAgent.from_checkpoint(path, device="cpu")
    env = env_fn()
    env.reset(seed=3)
    for a in env.possible_agents:
        np.testing.assert_array_equal(agent.act(env.observe(a), a), loaded.act(env.observe(a), a))
    (tmp_path / "other.safetensors").write_bytes(b"")
    with pytest.raises(Exception):  # noqa: B017 - safetensors' own error for a bad file
        DalaMAPPOAgent.load(tmp_path / "other.safetensors")
