"""The Tianshou 2.0.1 adapter: each upstream defect reproduced, then fixed.

Every test drives real envs through Tianshou's own Collector and replay buffer.
"""

import numpy as np
import pytest
import torch
from gymnasium import spaces
from pettingzoo.utils.wrappers import BaseWrapper
from tianshou.algorithm import PPO
from tianshou.algorithm.algorithm_base import Policy, policy_within_training_step
from tianshou.algorithm.modelfree.reinforce import ProbabilisticActorPolicy
from tianshou.algorithm.multiagent.marl import MultiAgentPolicy
from tianshou.algorithm.optim import AdamOptimizerFactory
from tianshou.data import Batch, Collector, VectorReplayBuffer
from tianshou.env import DummyVectorEnv, PettingZooEnv

from econ_env import auction_v0, debate_v0
from econ_env.integrations.tianshou import (
    MaskFreeMultiAgentPolicy,
    MultiAgentOnPolicy,
    TianshouAECEnv,
    chain_agent_transitions,
)

torch.set_num_threads(1)


class Recorder(BaseWrapper):
    """Records the env's own per-agent rewards after every live step and the actions it got."""

    def __init__(self, env):
        super().__init__(env)
        self.history = []  # per episode: per live step, the reward vector over possible_agents
        self.actions = []

    def reset(self, seed=None, options=None):
        super().reset(seed=seed, options=options)
        self.history.append([])

    def step(self, action):
        agent = self.env.agent_selection
        dead = self.env.terminations[agent] or self.env.truncations[agent]
        super().step(action)
        if not dead:
            self.actions.append(action)
            rewards = self.env.rewards
            self.history[-1].append([rewards.get(a, 0.0) for a in self.env.possible_agents])


class SeededRandom(Policy):
    """Uniform actions in [-3, 3] (wider than the space) from an owned generator."""

    def __init__(self, space, seed):
        super().__init__(action_space=space, action_scaling=False, action_bound_method=None)
        self.rng = np.random.default_rng(seed)

    def forward(self, batch, state=None, **kwargs):
        n = len(batch.obs)
        if isinstance(self.action_space, spaces.Discrete):
            return Batch(act=self.rng.integers(0, self.action_space.n, n))
        return Batch(act=self.rng.uniform(-3.0, 3.0, (n, *self.action_space.shape)))


def _episodes(buf):
    """Split a single-env buffer (temporal order) into episodes of index arrays."""
    idx = buf.sample_indices(0)
    out, cur = [], []
    for i in idx:
        cur.append(i)
        if buf.done[i]:
            out.append(np.array(cur))
            cur = []
    return out


def _collect_with_recording(make_env, n_episode, seed=0, policy_cls=MaskFreeMultiAgentPolicy):
    rec_envs = []

    def factory():
        rec = Recorder(make_env())
        rec_envs.append(rec)
        return TianshouAECEnv(rec)

    probe = factory()
    policy = policy_cls(
        {a: SeededRandom(probe.action_space, seed + i) for i, a in enumerate(probe.agents)}
    )
    rec_envs.clear()
    venv = DummyVectorEnv([factory])
    venv.seed(seed)
    collector = Collector(policy, venv, VectorReplayBuffer(5000, 1))
    collector.collect(n_episode=n_episode, reset_before_collect=True)
    episodes = [np.array(h) for h in rec_envs[0].history if h][:n_episode]
    return collector.buffer, probe, episodes


@pytest.mark.parametrize("reward_mode", ["team", "individual"])
def test_stock_wrapper_credits_only_the_agent_closing_the_round(reward_mode):
    env = PettingZooEnv(auction_v0.env(reward_mode=reward_mode, action_type="discrete"))
    rng = np.random.default_rng(0)
    credited, truth = np.zeros(3), np.zeros(3)
    for seed in range(20):
        obs, _ = env.reset(seed=seed)
        done = False
        while not done:
            i = env.agent_idx[obs["agent_id"]]
            act = int(rng.integers(0, 5)) if obs["mask"][1] else 0
            obs, rew, term, trunc, _ = env.step(act)
            credited[i] += rew[i]  # what Tianshou's dispatcher gives the acting agent
            truth += [env.env.rewards[a] for a in env.agents]
            done = term or trunc
    assert not np.allclose(credited, truth)
    assert np.allclose(credited[:2], 0.0)  # bidders 0 and 1 never see a round reward


@pytest.mark.parametrize("reward_mode", ["team", "individual"])
def test_each_transition_carries_the_agents_own_round_reward(reward_mode):
    make = lambda: auction_v0.env(reward_mode=reward_mode, n_agents=3)  # noqa: E731
    buf, _probe, episodes = _collect_with_recording(make, n_episode=25)
    n = 3
    for ep, live in zip(_episodes(buf), episodes, strict=True):
        agent = buf.obs.agent_index[ep]
        alive = buf.obs.alive[ep] > 0.5
        credited = buf.rew[ep, agent]
        rounds = live[n - 1 :: n]  # env rewards after each round-closing step
        for k in range(n):
            mine = credited[agent == k]
            # one transition per round plus a dead step at the end
            assert len(mine) == len(rounds) + 1
            assert not alive[agent == k][-1] and alive[agent == k][:-1].all()
            # sums per agent equal the env's own per-agent rewards
            assert mine.sum() == pytest.approx(live[:, k].sum())
            # and each transition carries that agent's reward of its previous round
            np.testing.assert_allclose(mine, np.concatenate([[0.0], rounds[:, k]]))


def test_chain_realigns_rewards_onto_the_causing_action():
    buf, _probe, episodes = _collect_with_recording(
        lambda: auction_v0.env(reward_mode="individual"), n_episode=15, seed=3
    )
    idx = buf.sample_indices(0)
    agent = buf.obs.agent_index[idx]
    chain = chain_agent_transitions(
        agent, buf.obs.alive[idx] > 0.5, buf.rew[idx, agent], buf.done[idx]
    )
    pos = 0
    for ep, live in zip(_episodes(buf), episodes, strict=True):
        sl = slice(pos, pos + len(ep))
        pos += len(ep)
        rounds = live[2::3]
        for k in range(3):
            mine = (agent[sl] == k) & chain["valid"][sl]
            np.testing.assert_allclose(chain["reward"][sl][mine], rounds[:, k])
            assert chain["last"][sl][mine].sum() == 1 and chain["last"][sl][mine][-1]
            nxt = chain["next"][sl][mine]
            assert (agent[nxt] == k).all()  # the successor is the agent's own next turn


def test_chain_ignores_unfinished_tails_and_new_sequences():
    agent = np.array([0, 1, 0, 1, 0, 1])
    alive = np.ones(6, dtype=bool)
    credited = np.array([0.0, 0.0, 1.0, 2.0, 3.0, 4.0])
    done = np.zeros(6, dtype=bool)
    out = chain_agent_transitions(agent, alive, credited, done)
    np.testing.assert_array_equal(out["valid"], [True, True, True, True, False, False])
    np.testing.assert_allclose(out["reward"][:4], [1.0, 2.0, 3.0, 4.0])
    starts = np.array([False, False, True, False, False, False])
    out = chain_agent_transitions(agent, alive, credited, done, new_sequence=starts)
    assert not out["valid"][0] and out["valid"][2]


def test_stock_multiagent_forward_crashes_without_a_mask():
    with pytest.raises(AttributeError, match="obs_next"):
        _collect_with_recording(auction_v0.env, n_episode=1, policy_cls=MultiAgentPolicy)


@pytest.mark.parametrize(
    "make",
    [auction_v0.env, lambda: debate_v0.env(embedder="hashed")],
    ids=["auction", "debate"],
)
def test_mask_free_policy_collects_continuous_envs(make):
    buf, probe, _ = _collect_with_recording(make, n_episode=3)
    assert len(buf) > 0 and buf.done.sum() == 3
    assert buf.obs.obs.dtype == np.float32
    assert buf.obs.state.shape[1] == probe.env.state_space.shape[0]
    assert "mask" not in buf.obs.get_keys()


def test_actions_are_bounded_inside_the_adapter():
    buf, _, _ = _collect_with_recording(auction_v0.env, n_episode=5, seed=1)
    raw = buf.act[: len(buf)]
    assert np.abs(raw).max() > 1.0  # the policy produced out-of-range actions ...
    env = TianshouAECEnv(auction_v0.env())
    np.testing.assert_allclose(env.map_action(np.array([3.0])), [1.0])
    np.testing.assert_allclose(env.map_action(np.array([-7.0])), [-1.0])
    tanh = TianshouAECEnv(auction_v0.env(), action_bound="tanh")
    assert tanh.map_action(np.array([0.0]))[0] == pytest.approx(0.0)
    assert -1.0 < tanh.map_action(np.array([-2.0]))[0] < 0.0
    assert env.map_action(np.array([np.nan]))[0] != env.map_action(np.array([np.nan]))[0]
    with pytest.raises(ValueError, match="action_bound"):
        TianshouAECEnv(auction_v0.env(), action_bound="scale")


def test_actions_reaching_the_env_are_in_the_space():
    rec = Recorder(auction_v0.env())
    env = TianshouAECEnv(rec)
    env.reset(seed=0)
    env.step(np.array([5.0]))  # ... and the env receives them inside Box(-1, 1)
    np.testing.assert_allclose(rec.actions[-1], [1.0])
    assert rec.action_space("bidder_0").contains(rec.actions[-1])


def test_discrete_masks_and_info():
    env = TianshouAECEnv(auction_v0.env(action_type="discrete"))
    obs, info = env.reset(seed=0)
    assert obs["mask"].dtype == bool and obs["mask"].shape == (5,)
    assert set(info) == {"alive", "billed_tokens", "generated_tokens", "correct"}
    done = False
    while not done:
        obs, _rew, term, trunc, info = env.step(0)
        done = term or trunc
    assert info["correct"] in (0.0, 1.0)


def test_stock_ppo_trains_through_the_fixed_multiagent_algorithm():
    env = TianshouAECEnv(auction_v0.env(), include_state=False)
    obs_dim = env.observation_space.shape[0]

    class Actor(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mu = torch.nn.Linear(obs_dim, 1)
            self.log_std = torch.nn.Parameter(torch.zeros(1))

        def forward(self, obs, state=None, info=None):
            mu = self.mu(torch.as_tensor(obs, dtype=torch.float32))
            return (mu, self.log_std.exp().expand_as(mu)), state

    class Critic(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.v = torch.nn.Linear(obs_dim, 1)

        def forward(self, obs):
            return self.v(torch.as_tensor(obs, dtype=torch.float32))

    def make_ppo():
        policy = ProbabilisticActorPolicy(
            actor=Actor(),
            dist_fn=lambda loc_scale: torch.distributions.Independent(
                torch.distributions.Normal(*loc_scale), 1
            ),
            action_space=env.action_space,
            action_scaling=False,
            action_bound_method=None,
        )
        return PPO(policy=policy, critic=Critic(), optim=AdamOptimizerFactory(lr=1e-3))

    algo = MultiAgentOnPolicy(algorithms=[make_ppo() for _ in env.agents], env=env)
    venv = DummyVectorEnv([lambda: TianshouAECEnv(auction_v0.env(), include_state=False)])
    venv.seed(0)
    torch.manual_seed(0)  # Tianshou's Normal samples from the global RNG
    collector = Collector(algo.policy, venv, VectorReplayBuffer(2000, 1))
    collector.collect(n_episode=4, reset_before_collect=True)
    before = [p.detach().clone() for p in algo.parameters()]
    with policy_within_training_step(algo.policy):
        stats = algo.update(buffer=collector.buffer, batch_size=16, repeat=1)
    assert set(stats.get_loss_stats_dict()) >= {"bidder_0/loss", "bidder_2/loss"}
    assert any(not torch.equal(a, b) for a, b in zip(before, algo.parameters(), strict=True))
