"""play_episode: the one loop that plays an AEC episode."""

import numpy as np

import econ_env
from econ_env.core.rollout import play_episode
from econ_env.envs.observe import stop_reason_of


def test_play_episode_returns_equal_the_summed_rewards_and_dead_steps_are_none():
    env = econ_env.make("auction_v0")
    seen, acts = [], []

    def act(obs, agent):
        acts.append(agent)
        return env.action_space(agent).sample()

    def observe(agent, obs, reward, term, trunc, info):
        seen.append((agent, float(reward), term or trunc))

    env.action_space("bidder_0").seed(0)
    result = play_episode(env, act, seed=3, observe=observe)
    assert result.actions == len(acts) == sum(1 for _, _, done in seen if not done)
    for agent in env.possible_agents:
        assert result.returns[agent] == sum(r for a, r, _ in seen if a == agent)
        assert stop_reason_of(result.final_infos[agent]["stop_code"]) == stop_reason_of(
            result.info["stop_code"]
        )
    assert not env.agents  # every agent got its dead step


def test_play_episode_is_reproducible_and_passes_options():
    env = econ_env.make("auction_v0", action_type="discrete")
    rng = np.random.default_rng(0)

    def act(obs, agent):
        return int(rng.choice(np.flatnonzero(obs["action_mask"])))

    item = env.unwrapped.task.sample(np.random.default_rng(99)).id
    a = play_episode(env, act, seed=1, options={"item_id": item})
    assert env.unwrapped.game.item.id == item
    rng = np.random.default_rng(0)
    b = play_episode(env, act, seed=1, options={"item_id": item})
    assert a.returns == b.returns and a.actions == b.actions


def test_max_steps_bounds_the_turns():
    env = econ_env.make("auction_v0", stop_on_consensus=False, max_rounds=4, budget=10**6)
    result = play_episode(env, lambda obs, agent: np.zeros(1, np.float32), seed=0, max_steps=2)
    assert result.actions == 2 and env.agents
