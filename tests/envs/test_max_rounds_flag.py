"""How an episode that reaches ``max_rounds`` is flagged: truncated in the v0 games, terminated
in the v1 games (``max_rounds_truncates``), alike in the AEC, parallel, single-agent and batched
envs. The final answer is scored at that round, so v1's flag is the game's own end."""

import gymnasium
import pytest
import torch

import econ_env
from econ_env import auction_v0, auction_v1, debate_v0, debate_v1

torch.set_num_threads(1)

# every round is played to max_rounds (no consensus / convergence stop, an ample budget)
PLAY_ALL = {
    "auction": {"stop_on_consensus": False, "max_rounds": 2, "budget": 10**6},
    "debate": {"early_stop": False, "max_rounds": 2, "budget": 10**7, "embedder": "answer"},
}
GAMES = {
    "auction_v0": (auction_v0, PLAY_ALL["auction"], True),
    "auction_v1": (auction_v1, PLAY_ALL["auction"], False),
    "debate_v0": (debate_v0, PLAY_ALL["debate"], True),
    "debate_v1": (debate_v1, PLAY_ALL["debate"], False),
}


@pytest.mark.parametrize("name", sorted(GAMES))
def test_parallel_and_aec_flags(name):
    module, kw, truncates = GAMES[name]
    env = module.parallel_env(**kw)
    act = econ_env.make_policy("silent" if "auction" in name else "neutral", env.unwrapped.env_spec)
    obs, _ = env.reset(seed=0)
    rounds = 0
    while env.agents:
        obs, _, term, trunc, _ = env.step({a: act.act(obs[a], a) for a in env.agents})
        rounds += 1
    assert rounds == 2 and env.unwrapped.game.stop_reason == "max_rounds"
    assert set(trunc.values()) == {truncates} and set(term.values()) == {not truncates}

    aec = module.env(**kw)
    aec.reset(seed=0)
    flags = set()
    for agent in aec.agent_iter():
        o, _, te, tr, _ = aec.last()
        if te or tr:
            flags.add((te, tr))
        aec.step(None if te or tr else act.act(o, agent))
    assert flags == {(not truncates, truncates)}


@pytest.mark.parametrize("name", sorted(GAMES))
def test_batched_twin_flags(name):
    _, kw, truncates = GAMES[name]
    vec = econ_env.make_vector(name, num_envs=16, seed=0, **kw)
    vec.reset(seed=0)
    quiet = torch.full((vec.num_envs, vec.n_agents, vec.act_dim), -1.0)  # no bids; cold beliefs
    for step in range(2):
        *_, term, trunc, info = vec.step(quiet)
        assert bool(info["done"].all()) is (step == 1)
    assert bool(trunc.all()) is truncates and bool(term.all()) is not truncates
    assert bool((term | trunc).all())


def test_single_agent_view_passes_the_flag_on():
    env = gymnasium.make("econ_env/Auction-v1", others="silent", **PLAY_ALL["auction"])
    env.reset(seed=0)
    done, steps = False, 0
    while not done:
        _, _, term, trunc, _ = env.step(env.action_space.low)
        done, steps = term or trunc, steps + 1
    assert (steps, term, trunc) == (2, True, False)


@pytest.mark.parametrize("module", [auction_v0, debate_v0])
def test_the_flag_must_be_a_bool(module):
    with pytest.raises(ValueError, match=r"max_rounds_truncates.*True or False"):
        module.parallel_env(max_rounds_truncates="no")
