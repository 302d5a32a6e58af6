"""auction_v0 behaviour: the user snippet, accounting, endings, rewards, seeding, spaces."""

import pickle

import numpy as np
import pettingzoo
import pytest

import econ_env
from econ_env.core.rollout import play_episode
from econ_env.envs.observe import stop_reason_of
from econ_env.testing import play


def run_episode(env, policy, seed=0):
    """Play one episode; return (per-agent returns, final info of the first agent)."""
    final = {}

    def observe(agent, obs, reward, term, trunc, info):
        if term or trunc:
            final[agent] = (info, term, trunc)

    result = play_episode(env, lambda obs, agent: policy(agent, obs), seed=seed, observe=observe)
    return result.returns, final


def bid(value):
    return lambda agent, obs: np.array([2 * value - 1], dtype=np.float32)


def test_user_snippet_aec_parallel_and_registry():
    env = econ_env.auction_v0()
    env.reset(seed=0)
    steps = 0
    for agent in env.agent_iter():
        obs, _reward, term, trunc, _info = env.last()
        env.step(None if term or trunc else env.action_space(agent).sample())
        steps += 1
    assert steps >= 6 and not env.agents

    par = econ_env.auction_v0.parallel_env(n_agents=4, mechanism="vcg", budget=1024)
    obs, _ = par.reset(seed=1)
    assert sorted(obs) == [f"bidder_{i}" for i in range(4)]
    while par.agents:
        obs, rew, term, trunc, _infos = par.step(
            {a: par.action_space(a).sample() for a in par.agents}
        )
        assert all(np.isfinite(r) for r in rew.values())

    env2 = pettingzoo.make("aec", "econ_env/auction-v0")
    env2.reset(seed=0)
    assert env2.unwrapped.config.mechanism == "second_price"
    par2 = pettingzoo.make("parallel", "econ_env/auction-v0", n_agents=2)
    assert par2.possible_agents == ["bidder_0", "bidder_1"]
    env3 = pettingzoo.make("aec", "econ_env/auction_v0", max_cycles=3)  # PettingZoo's alias
    assert env3.unwrapped.config.max_rounds == 3


def test_defaults_and_spaces():
    env = econ_env.auction_v0.env()
    cfg = env.unwrapped.config
    assert (cfg.n_agents, cfg.mechanism, cfg.backend, cfg.task) == (
        3,
        "second_price",
        "simulated",
        "arithmetic",
    )
    env.reset(seed=0)
    a0, a1 = env.possible_agents[:2]
    assert env.observation_space(a0) is env.observation_space(a0) is env.observation_space(a1)
    assert env.action_space(a0) is env.action_space(a1)
    obs = env.observe(a0)
    assert obs.dtype == np.float32 and obs.shape == (env.unwrapped.layout.size,)
    assert env.observation_space(a0).contains(obs)
    assert env.metadata["is_parallelizable"] is True


def test_team_return_equals_correctness_minus_cost():
    env = econ_env.auction_v0.env(cost_weight=0.5, stop_on_consensus=False)
    for seed in range(5):
        returns, final = run_episode(env, bid(0.8), seed)
        info = final["bidder_0"][0]
        expected = float(info["correct"]) - 0.5 * info["billed_tokens"] / 2048
        for agent in env.possible_agents:
            assert returns[agent] == pytest.approx(expected)


def test_silent_bidders_are_billed_nothing_but_generate_drafts():
    env = econ_env.auction_v0.env(stop_on_consensus=False, max_rounds=3)
    _returns, final = run_episode(env, bid(0.0), seed=2)
    info, term, trunc = final["bidder_0"]
    assert info["billed_tokens"] == 0 and info["generated_tokens"] > 0
    assert trunc and not term and stop_reason_of(info["stop_code"]) == "max_rounds"
    assert env.unwrapped.text_info("bidder_0")["heard"] == ()


def test_consensus_terminates():
    env = econ_env.auction_v0.env(backend_kwargs={"skill": 8.0})
    _, final = run_episode(env, bid(1.0), seed=0)
    info, term, trunc = final["bidder_0"]
    assert (
        term and not trunc and stop_reason_of(info["stop_code"]) == "consensus" and info["correct"]
    )


def test_budget_exhaustion_never_overdraws():
    env = econ_env.auction_v0.env(budget=300, stop_on_consensus=False, max_rounds=10)
    reasons = []
    for seed in range(10):
        _, final = run_episode(env, bid(1.0), seed)
        info, term, _ = final["bidder_0"]
        assert info["billed_tokens"] <= 300 and info["remaining_budget"] >= 0
        assert info["billed_tokens"] <= info["generated_tokens"]
        reasons.append(stop_reason_of(info["stop_code"]))
        if stop_reason_of(info["stop_code"]) == "budget_exhausted":
            assert term
    assert "budget_exhausted" in reasons


def test_winner_cannot_repeat_until_it_revises():
    env = econ_env.auction_v0.env(action_type="discrete", stop_on_consensus=False, n_agents=2)
    env.reset(seed=4)
    env.step(4)  # bidder_0 bids the maximum
    env.step(1)  # bidder_1 bids low -> bidder_0 wins
    game = env.unwrapped.game
    assert game.last_winners == (0,)
    mask = env.observe("bidder_0")["action_mask"]
    assert mask.tolist() == [1, 0, 0, 0, 0]
    assert env.observe("bidder_1")["action_mask"].tolist() == [1, 1, 1, 1, 1]
    with pytest.raises(ValueError, match=r"bidder_0.*masked"):
        env.step(3)


def test_masked_action_as_silence_option():
    env = econ_env.auction_v0.env(
        action_type="discrete", stop_on_consensus=False, n_agents=2, invalid_action="silence"
    )
    env.reset(seed=4)
    env.step(4)
    env.step(1)
    env.step(4)  # masked for bidder_0: counts as silence
    env.step(2)
    assert env.unwrapped.game.history[-1].bids[0] == 0.0


@pytest.mark.parametrize(
    ("action", "pattern"),
    [
        (np.array([np.nan], dtype=np.float32), "bidder_0: action must be finite"),
        (np.array([np.inf], dtype=np.float32), "bidder_0: action must be finite"),
        (np.zeros(3, dtype=np.float32), r"bidder_0: action must have shape \(1,\)"),
        (None, "bidder_0"),
    ],
)
def test_bad_continuous_actions_raise_and_lose_nothing(action, pattern):
    env = econ_env.auction_v0.env(stop_on_consensus=False)
    env.reset(seed=0)
    env.step(np.array([0.5], dtype=np.float32))
    env.step(np.array([0.5], dtype=np.float32))
    env.step(np.array([0.9], dtype=np.float32))
    game = env.unwrapped.game
    before = (game.ledger.entries, game.ledger.billed_total, game.round, env.agent_selection)
    with pytest.raises(ValueError, match=pattern):
        env.unwrapped.step(action)
    assert (
        game.ledger.entries,
        game.ledger.billed_total,
        game.round,
        env.agent_selection,
    ) == before
    env.step(np.array([0.0], dtype=np.float32))  # the episode goes on


@pytest.mark.parametrize("action", [5, -1, 2.5, np.array([1, 2])])
def test_bad_discrete_actions_raise(action):
    env = econ_env.auction_v0.env(action_type="discrete")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="bidder_0"):
        env.unwrapped.step(action)


def test_out_of_range_continuous_actions_are_clipped():
    a = econ_env.auction_v0.env(belief_dim=2)
    b = econ_env.auction_v0.env(belief_dim=2)
    ra, _ = run_episode(a, lambda ag, o: np.array([7.0, -3.0, 2.0], np.float32), seed=3)
    rb, _ = run_episode(b, lambda ag, o: np.array([1.0, -1.0, 1.0], np.float32), seed=3)
    assert ra == rb
    assert a.unwrapped.game.history == b.unwrapped.game.history


def test_beliefs_set_generation_parameters():
    env = econ_env.auction_v0.env(belief_dim=3, stop_on_consensus=False)
    env.reset(seed=0)
    env.step(np.array([0.0, -1.0, 1.0, 0.0], np.float32))
    assert env.unwrapped.game.params[0] == env.unwrapped.game.params[1]  # applied at settlement
    for _ in range(2):
        env.step(np.zeros(4, np.float32))
    params = env.unwrapped.game.params[0]
    bmap = env.unwrapped.config.beliefs
    assert params.temperature == pytest.approx(bmap.t_min)
    assert params.top_p == pytest.approx(bmap.top_p_max)
    assert params.repetition_penalty >= 1.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"budget": 0}, "budget"),
        ({"budget": -5}, "budget"),
        ({"n_agents": 0}, "n_agents"),
        ({"top_k": 4}, "top_k"),
        ({"mechanism": "dutch"}, "mechanism"),
        ({"mechanism": "second_price", "top_k": 2}, "top_k"),
        ({"reserve": 1.5}, "reserve"),
        ({"max_rounds": 0}, "max_rounds"),
        ({"belief_dim": 2, "action_type": "discrete"}, "belief_dim"),
        ({"bogus": 1}, "bogus"),
        ({"task": "no_such_task"}, "no_such_task"),
        ({"backend": "no_such_backend"}, "no_such_backend"),
    ],
)
def test_bad_configs_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        econ_env.auction_v0.env(**kwargs)


def test_seeding_reproduces_and_differs():
    assert play(econ_env.auction_v0.env(), 5) == play(econ_env.auction_v0.env(), 5)
    assert play(econ_env.auction_v0.env(), 5) != play(econ_env.auction_v0.env(), 6)


def test_env_pickles_into_an_independent_copy():
    env = econ_env.auction_v0.env(mechanism="vcg", n_agents=4, top_k=2)
    clone = pickle.loads(pickle.dumps(env))
    assert clone.unwrapped.config == env.unwrapped.config
    assert play(clone, 9) == play(env, 9)


def test_individual_rewards_are_payments_and_credit():
    env = econ_env.auction_v0.env(reward_mode="individual", mechanism="first_price")
    for seed in range(6):
        returns, _final = run_episode(env, bid(0.7), seed)
        game = env.unwrapped.game
        for i, agent in enumerate(env.possible_agents):
            paid = sum(r.payments[i] for r in game.history)
            credit = float(game.correct and game.final_answer in game.spoke[i])
            assert returns[agent] == pytest.approx(credit - paid)


def test_last_speaker_rule_uses_the_latest_broadcast():
    env = econ_env.auction_v0.env(answer_rule="last_speaker", stop_on_consensus=False)
    run_episode(env, bid(0.9), seed=1)
    game = env.unwrapped.game
    last = [m for m in game.transcript.public()][-1]
    assert env.unwrapped.text_info("bidder_0")["final_answer"] == last.answer


def test_render_shows_rounds_bids_winners_and_tokens(capsys):
    env = econ_env.auction_v0.env(render_mode="ansi", stop_on_consensus=False, max_rounds=2)
    run_episode(env, bid(0.6), seed=0)
    text = env.render()
    for needle in ("round 1", "bids", "winner", "price", "billed", "generated", "end: max_rounds"):
        assert needle in text
    human = econ_env.auction_v0.env(render_mode="human")
    human.reset(seed=0)
    assert human.render() is None
    assert "auction_v0" in capsys.readouterr().out


def test_debate_everyone_speaks_and_revises_every_round():
    # top_k = n_agents with everyone bidding is multi-agent debate: each round all speak, and
    # every speaker revises after hearing the others, so it can speak again next round.
    env = econ_env.auction_v0.env(
        mechanism="top_k", top_k=3, stop_on_consensus=False, budget=10**6, max_rounds=4
    )
    _, final = run_episode(env, bid(1.0), seed=0)
    game = env.unwrapped.game
    assert stop_reason_of(final["bidder_0"][0]["stop_code"]) == "max_rounds"
    assert [r.winners for r in game.history] == [(0, 1, 2)] * 4
    revisions = [e for e in game.ledger.entries if e.role.value == "revise"]
    assert len(revisions) == 3 * 3  # after rounds 1-3 (the last round is not followed by one)


def test_single_bidder_speaks_once_then_plays_out_the_rounds():
    env = econ_env.auction_v0.env(n_agents=1, stop_on_consensus=False, max_rounds=3)
    _, final = run_episode(env, bid(1.0), seed=0)
    game = env.unwrapped.game
    assert stop_reason_of(final["bidder_0"][0]["stop_code"]) == "max_rounds"
    assert [r.winners for r in game.history] == [(0,), (), ()]


def test_reset_can_play_a_given_item():
    env = econ_env.auction_v0.env(task="gsm8k")
    item_id = env.unwrapped.task.ids()[5]
    env.reset(seed=0, options={"item_id": item_id})
    assert env.unwrapped.game.item.id == item_id
    with pytest.raises(KeyError):
        env.reset(seed=0, options={"item_id": "gsm8k/test/not-an-id"})
