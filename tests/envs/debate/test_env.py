"""debate_v0 behaviour: each stop rule, reward decomposition, ledger roles, groups, bad input."""

import numpy as np
import pettingzoo
import pytest

import econ_env
from econ_env.core.rollout import play_episode
from econ_env.envs.observe import stop_reason_of
from econ_env.testing import play


def run_episode(env, policy, seed=0):
    final = {}

    def observe(agent, obs, reward, term, trunc, info):
        if term or trunc:
            final[agent] = (info, term, trunc)

    result = play_episode(env, lambda obs, agent: policy(agent, obs), seed=seed, observe=observe)
    return result.returns, final


def changing_beliefs(dim=4):
    """A belief that changes every round (so the belief-change rule never fires)."""
    state = {"t": 0}

    def policy(agent, obs):
        if agent == "executor_0":
            state["t"] += 1
        b = np.zeros(dim, np.float32)
        b[0] = [-0.9, 0.9][state["t"] % 2]
        return b

    return policy


def fixed_belief(agent, obs):
    return np.zeros(4, np.float32)


def make(scripted, script, **kw):
    kw.setdefault("embedder", "hashed")
    return econ_env.debate_v0.env(backend=scripted(script), **kw)


def test_user_entry_points():
    env = econ_env.debate_v0()
    env.reset(seed=0)
    for agent in env.agent_iter():
        _obs, _, term, trunc, _ = env.last()
        env.step(None if term or trunc else env.action_space(agent).sample())
    par = econ_env.debate_v0.parallel_env(n_agents=4, groups=2, embedder="hashed")
    par.reset(seed=0)
    while par.agents:
        par.step({a: par.action_space(a).sample() for a in par.agents})
    e = pettingzoo.make("aec", "econ_env/debate-v0", embedder="hashed")
    assert e.unwrapped.config.n_agents == 3


def test_stop_converged(scripted):
    env = make(scripted, ["5", "5"])
    _, final = run_episode(env, changing_beliefs())
    info, term, trunc = final["executor_0"]
    assert (stop_reason_of(info["stop_code"]), term, trunc, info["round"]) == (
        "converged",
        True,
        False,
        2,
    )
    assert info["game_over"] and info["stop_code"] > 0
    assert env.unwrapped.text_info("executor_0")["final_answer"] == "5"


def test_stop_belief_converged(scripted):
    _, final = run_episode(make(scripted, ["1", "2", "3"], epsilon=0.01), fixed_belief)
    info, term, _ = final["executor_0"]
    assert (stop_reason_of(info["stop_code"]), term, info["round"]) == ("belief_converged", True, 2)


def test_stop_oscillation(scripted):
    _, final = run_episode(make(scripted, ["1", "2", "1", "2"]), changing_beliefs())
    info, term, _ = final["executor_0"]
    assert (stop_reason_of(info["stop_code"]), term, info["round"]) == ("oscillation", True, 3)


def test_stop_max_rounds_is_truncation(scripted):
    _, final = run_episode(
        make(scripted, ["1", "2", "3", "4", "5"], max_rounds=4), changing_beliefs()
    )
    info, term, trunc = final["executor_0"]
    assert (stop_reason_of(info["stop_code"]), term, trunc, info["round"]) == (
        "max_rounds",
        False,
        True,
        4,
    )


def test_stop_budget_refuses_the_round_before_charging(scripted):
    env = make(scripted, ["1", "2", "3", "4"], budget=400)
    _returns, final = run_episode(env, changing_beliefs())
    info, term, _ = final["executor_0"]
    assert stop_reason_of(info["stop_code"]) == "budget_exhausted" and term
    ledger = env.unwrapped.game.ledger
    assert ledger.billed_total <= 400 and ledger.remaining >= 0
    refused = [e for e in ledger.entries if e.note.startswith("refused")]
    assert refused and all(e.billed == 0 for e in refused)
    assert ledger.generated_total > ledger.billed_total


def test_strategy_over_the_hard_cap_is_cut_and_recorded(scripted):
    backend = scripted(["1"], strategy_tokens=200)
    env = econ_env.debate_v0.env(backend=backend, embedder="hashed")
    env.reset(seed=0)
    info = env.infos["executor_0"]
    assert info["strategy_truncated"] is True
    (entry,) = [e for e in env.unwrapped.game.ledger.entries if e.role.value == "strategy"]
    assert entry.completion_tokens == 70 and "cut" in entry.note
    assert env.observe("executor_0")[3] == 1.0


def test_rewards_decompose_and_ledger_accounts_every_role():
    env = econ_env.debate_v0.env(
        embedder="hashed", alpha_al=0.2, alpha_ts=0.7, alpha_cc=0.1, cost_weight=2.0
    )
    env.reset(seed=3)
    rounds = 0
    for agent in env.agent_iter():
        _obs, reward, term, trunc, info = env.last()
        if info["round"] > 0 and agent == env.agent_selection:
            c = {k: info[f"reward_{k}"] for k in ("ts", "al", "cc", "cost", "total")}
            assert c["total"] == pytest.approx(
                0.2 * c["al"] + 0.7 * c["ts"] + 0.1 * c["cc"] - 2.0 * c["cost"], abs=1e-12
            )
            assert reward == pytest.approx(c["total"])
            rounds += 1
        env.step(None if term or trunc else env.action_space(agent).sample())
    assert rounds >= 3
    by_role = {r.value: v for r, v in env.unwrapped.game.ledger.by_role().items()}
    assert {"strategy", "answer", "commitment", "embedding"} <= set(by_role)
    assert by_role["embedding"][2] == 0 and by_role["embedding"][0] > 0  # read, never billed
    assert by_role["answer"][2] > 0 and by_role["commitment"][2] > 0


def test_groups_have_local_coordinators_and_local_agreement():
    env = econ_env.debate_v0.env(n_agents=4, groups=2, embedder="hashed", max_rounds=2)
    env.reset(seed=1)
    for _ in range(4):
        env.step(np.zeros(4, np.float32))
    game = env.unwrapped.game
    agents = {e.agent for e in game.ledger.entries if e.role.value == "commitment"}
    assert agents == {"coordinator", "coordinator_0", "coordinator_1"}
    last = game.history[-1]
    for i, a in enumerate(env.possible_agents):
        info = env.unwrapped.text_info(a)
        assert info["local_commitment"] == last.local[game.group[i]][0]
        expected = float(
            last.answers[i] is not None and last.answers[i] == last.local[game.group[i]][1]
        )
        assert env.observe(a)[12] == expected
    # executors of group 0 never see group 1's local commitment
    text = {a: env.unwrapped.text_info(a)["local_commitment"] for a in env.possible_agents}
    assert text["executor_0"] != text["executor_3"] or (last.local[0][0] == last.local[1][0])


def test_beliefs_set_each_executors_own_parameters():
    env = econ_env.debate_v0.env(embedder="hashed", max_rounds=1)
    env.reset(seed=0)
    env.step(np.array([-1, 0, 0, 0], np.float32))
    env.step(np.array([1, -1, 1, 0], np.float32))
    env.step(np.array([0, 1, 0, 0], np.float32))
    p = [env.infos[a] for a in env.possible_agents]
    bmap = env.unwrapped.config.beliefs
    assert p[0]["temperature"] == pytest.approx(bmap.t_min)
    assert p[1]["temperature"] == pytest.approx(bmap.t_max)
    assert p[1]["top_p"] == pytest.approx(bmap.top_p_min) and p[1]["repetition_penalty"] > 1.0
    assert all(x["repetition_penalty"] >= 1.0 for x in p)


def test_discrete_presets_and_mask():
    env = econ_env.debate_v0.env(action_type="discrete", embedder="hashed")
    env.reset(seed=0)
    obs = env.observe("executor_0")
    assert obs["action_mask"].dtype == np.int8 and obs["action_mask"].tolist() == [1, 1, 1]
    env.step(0)
    env.step(2)
    env.step(1)
    temps = [env.infos[a]["temperature"] for a in env.possible_agents]
    assert temps[0] < temps[2] < temps[1]


@pytest.mark.parametrize(
    ("action", "pattern"),
    [
        (np.full(4, np.nan, np.float32), "executor_0: action must be finite"),
        (np.zeros(2, np.float32), r"executor_0: action must have shape \(4,\)"),
        (None, "executor_0"),
    ],
)
def test_bad_actions_raise_and_lose_nothing(action, pattern):
    env = econ_env.debate_v0.env(embedder="hashed")
    env.reset(seed=0)
    before = (env.unwrapped.game.ledger.entries, env.agent_selection)
    with pytest.raises(ValueError, match=pattern):
        env.unwrapped.step(action)
    assert (env.unwrapped.game.ledger.entries, env.agent_selection) == before


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"groups": 4}, "groups"),
        ({"belief_dim": 0}, "belief_dim"),
        ({"budget": 0}, "budget"),
        ({"strategy_soft_limit": 80}, "strategy_soft_limit"),
        ({"alpha_ts": -1}, "alpha_ts"),
        ({"embedder": "nope"}, "nope"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_bad_configs_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        econ_env.debate_v0.env(**kwargs)


def test_seeded_and_observations_in_space():
    a = play(econ_env.debate_v0.env(embedder="hashed"), 4)
    b = play(econ_env.debate_v0.env(embedder="hashed"), 4)
    assert a == b
    env = econ_env.debate_v0.env(embedder="hashed")
    for view in a:
        assert env.observation_space("executor_0").contains(np.asarray(view["obs"], np.float32))


def test_render_shows_strategy_answers_params_commitment_and_stop(capsys):
    env = econ_env.debate_v0.env(embedder="hashed", render_mode="ansi", n_agents=4, groups=2)
    run_episode(env, fixed_belief, seed=2)
    text = env.render()
    for needle in (
        "strategy",
        "executor_3: answer",
        "T=",
        "top_p=",
        "commitment:",
        "local coordinator 1",
        "end:",
    ):
        assert needle in text


def test_env_pickles_into_an_independent_copy():
    import pickle

    env = econ_env.debate_v0.env(n_agents=4, groups=2, embedder="hashed")
    clone = pickle.loads(pickle.dumps(env))
    assert clone.unwrapped.config == env.unwrapped.config
    assert play(clone, 9) == play(env, 9)
