"""Issue 14's regimes in the batched envs (:mod:`econ_env.vector.regimes`): heterogeneous teams
(``team``) and split facts (``task="split_facts"``), checked against the text side's own
functions (prompt builders, :func:`~econ_env.core.team.resolve_team`,
:func:`~econ_env.tasks.split_facts.share_indices`) and against the knowledge rules."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import econ_env.vector as V
from econ_env.core.team import resolve_team
from econ_env.envs.auction import prompts as auction_prompts
from econ_env.envs.debate import prompts as debate_prompts
from econ_env.llm.simulated.params import SimParams
from econ_env.tasks.split_facts import item_facts, known_question, share_indices
from econ_env.vector.regimes import popcount

torch.set_num_threads(1)

POOL = 64
TEAM = [
    {"skill": 1.5, "system_prompt": "You are careful."},
    {"system_prompt": "Be terse, really terse."},
    {"skill": -0.5},
]


def _tokens(messages, params: SimParams) -> int:
    chars = sum(len(m["content"]) for m in messages)
    return math.ceil(chars / params.chars_per_token) + params.per_message_overhead * len(messages)


@pytest.mark.parametrize("task", ["arithmetic", "split_facts"])
def test_auction_draft_prompts_have_the_text_builders_lengths(task: str) -> None:
    env = V.auction(num_envs=32, seed=3, item_pool=POOL, task=task, team=TEAM)
    env.reset()
    profiles = resolve_team(TEAM, 3)
    p = SimParams()
    for b in range(env.num_envs):
        item = env.table.items[int(env.item[b])]
        for i, agent in enumerate(env.agents):
            messages = auction_prompts.draft_messages(
                agent, 3, item, index=i, system_prompt=profiles[i].system_prompt
            )
            assert int(env.prompt[b, i]) == _tokens(messages, p), (b, i)


def test_debate_executor_prompts_have_the_text_builders_lengths() -> None:
    env = V.debate(num_envs=16, seed=1, item_pool=POOL, task="split_facts", team=TEAM)
    env.reset()
    profiles = resolve_team(TEAM, 3)
    b, n = env.num_envs, env.n_agents
    # the executor base + question part of the first round's prompt (strategy text excluded)
    t = env.table
    choice = t.is_choice[env.item].to(torch.int64)
    part = env._exec_base[choice] + t.question_chars[env.item][:, None]
    part = part + env.facts.chars[env.item]
    for row in range(b):
        item = t.items[int(env.item[row])]
        for i, agent in enumerate(env.agents):
            messages = debate_prompts.executor_messages(
                agent, item, "", None, system_prompt=profiles[i].system_prompt, index=i, n_agents=n
            )
            assert int(part[row, i]) == sum(len(m["content"]) for m in messages)


@pytest.mark.parametrize("game", ["auction", "debate"])
@pytest.mark.parametrize("team", ["one_expert", "uniform", "spread", TEAM])
def test_team_skills_are_the_profiles(game: str, team) -> None:
    env = getattr(V, game)(num_envs=2, seed=0, item_pool=POOL, team=team)
    p = SimParams()
    want = [
        prof.skill if prof.skill is not None else p.skill_of(i)
        for i, prof in enumerate(resolve_team(team, 3))
    ]
    assert env.sim.skill.tolist() == pytest.approx(want)


def test_no_team_keeps_the_backend_skills() -> None:
    env = V.auction(num_envs=2, seed=0, item_pool=POOL)
    assert env.sim.skill.tolist() == pytest.approx([SimParams().skill_of(i) for i in range(3)])


@pytest.mark.parametrize("game", ["auction", "debate"])
def test_a_team_model_is_refused_naming_team(game: str) -> None:
    with pytest.raises(ValueError, match="team"):
        getattr(V, game)(num_envs=2, item_pool=POOL, team=[{"model": "simulated:3"}, {}, {}])


def _auction_round(env, bids: list[float]):
    act = torch.full((env.num_envs, env.n_agents, env.act_dim), -1.0)
    act[..., 0] = torch.tensor(bids) * 2.0 - 1.0
    return env.step(act)


def test_auction_listeners_learn_the_speakers_facts() -> None:
    env = V.auction(num_envs=64, seed=0, item_pool=POOL, task="split_facts", n_agents=3)
    env.autoreset = False
    obs, info = env.reset()
    nf = env.facts.n_facts[env.item]
    share = env.facts.share[env.item]
    start = popcount(share).float() / nf[:, None].float()
    assert torch.allclose(info["facts_known"], start)
    assert torch.allclose(obs[..., -1], start)
    _, _, _, _, info = _auction_round(env, [1.0, 0.0, 0.0])  # only agent 0 can win
    spoke = info["spoke"][:, 0]
    for i in range(3):
        learned = share[:, i] | torch.where(spoke, share[:, 0], 0)
        want = popcount(learned).float() / nf.float()
        assert torch.allclose(info["facts_known"][:, i], want)
    assert bool(spoke.any())


def test_debate_executors_learn_a_commitment_when_they_read_it() -> None:
    env = V.debate(num_envs=64, seed=0, item_pool=POOL, task="split_facts", early_stop=False)
    env.autoreset = False
    _, info = env.reset()
    start = info["facts_known"]
    acts = torch.zeros(env.num_envs, env.n_agents, env.act_dim)
    _, _, _, _, info = env.step(acts)  # round 0: no commitment read yet
    live = info["round"] == 1
    assert torch.allclose(info["facts_known"][live], start[live])
    _, _, _, _, info = env.step(acts)  # round 1: everyone read a commitment of every fact
    live = info["round"] == 2
    assert bool(live.any())
    assert torch.allclose(info["facts_known"][live], torch.ones_like(info["facts_known"][live]))


def test_fact_tables_follow_the_shares() -> None:
    env = V.auction(num_envs=2, seed=0, item_pool=POOL, task="split_facts", n_agents=4)
    for m, item in enumerate(env.table.items):
        nf = len(item_facts(item))
        assert int(env.facts.n_facts[m]) == nf
        for i in range(4):
            assert int(env.facts.share[m, i]) == sum(1 << j for j in share_indices(nf, i, 4))


@settings(max_examples=10, deadline=None)
@given(
    game=st.sampled_from(["auction", "debate"]),
    n_agents=st.integers(1, 5),
    seed=st.integers(0, 10_000),
)
def test_facts_known_is_a_fraction_that_never_shrinks_within_an_episode(game, n_agents, seed):
    env = getattr(V, game)(
        num_envs=16, seed=seed, item_pool=POOL, task="split_facts", n_agents=n_agents
    )
    env.autoreset = False
    obs, info = env.reset()
    gen = torch.Generator().manual_seed(seed)
    prev = info["facts_known"]
    for _ in range(4):
        acts = torch.rand(env.num_envs, env.n_agents, env.act_dim, generator=gen) * 2 - 1
        obs, _, _, _, info = env.step(acts)
        now = info["facts_known"]
        assert bool(((now >= 0) & (now <= 1)).all())
        assert bool((now >= prev - 1e-6).all())
        assert torch.equal(obs[..., -1], now.to(torch.float32))
        prev = now


def test_keys_are_stable_and_off_by_default() -> None:
    env = V.auction(num_envs=2, seed=0, item_pool=POOL)
    _, info = env.reset()
    assert "facts_known" not in info
    env = V.debate(num_envs=2, seed=0, item_pool=POOL)
    _, info = env.reset()
    assert "facts_known" not in info


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), n_agents=st.integers(1, 5))
def test_known_chars_are_the_text_builders_lengths(seed: int, n_agents: int) -> None:
    """``carry_facts`` prompts: the characters of any known set's facts list."""
    env = V.auction(num_envs=8, seed=seed, item_pool=POOL, task="split_facts", n_agents=n_agents)
    env.reset()
    gen = torch.Generator().manual_seed(seed)
    known = torch.randint(0, 1 << 8, (env.num_envs, n_agents), generator=gen)
    known = known & ((1 << env.facts.n_facts[env.item]) - 1)[:, None]
    chars = env.facts.known_chars(known, env.item)
    for b in range(env.num_envs):
        item = env.table.items[int(env.item[b])]
        for i in range(n_agents):
            ks = {j for j in range(8) if int(known[b, i]) >> j & 1}
            assert int(chars[b, i]) == len(known_question(item, ks)) - len(item.question)


@pytest.mark.parametrize("game", ["auction", "debate"])
def test_carry_facts_lengthens_only_the_prompts_that_list_learned_facts(game: str) -> None:
    """Same seed with and without ``carry_facts``: the same episode (the simulator reads
    hints; the budget is out of reach, since billing counts prompts), and prompt tokens grow
    where a prompt lists facts beyond the share."""
    runs = {}
    for carry in (False, True):
        kw = {"early_stop": False} if game == "debate" else {"stop_on_consensus": False}
        env = getattr(V, game)(
            num_envs=64,
            seed=5,
            item_pool=POOL,
            task="split_facts",
            carry_facts=carry,
            budget=10**7,
            **kw,
        )
        env.autoreset = False
        env.reset()
        gen = torch.Generator().manual_seed(0)
        steps = []
        for _ in range(3):
            acts = torch.rand(env.num_envs, env.n_agents, env.act_dim, generator=gen) * 2 - 1
            _, _, term, _, info = env.step(acts)
            steps.append((info["facts_known"].clone(), term.clone(), info["round"].clone(),
                          info["generated_tokens"].clone()))  # fmt: skip
        runs[carry] = steps
    for (k0, t0, r0, g0), (k1, t1, r1, g1) in zip(runs[False], runs[True], strict=True):
        assert torch.equal(k0, k1) and torch.equal(t0, t1) and torch.equal(r0, r1)
        assert bool((g1 >= g0).all())
    assert bool((runs[True][-1][3] > runs[False][-1][3]).any())
