"""Heterogeneous agents (the ``team`` config field) in the text envs auction_v0 and debate_v0:
skills reach the simulated model, system prompts land in exactly their agent's system message,
per-agent models are routed, bad teams raise naming ``team``, specs stay JSON, and envs without
a team (or with an inert one) play exactly as before."""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Sequence

import numpy as np
import pytest

import econ_env
from econ_env import auction_v0, debate_v0
from econ_env.core.ledger import Role
from econ_env.core.spec import EnvSpec
from econ_env.llm.base import Completion, GenRequest
from econ_env.llm.routed import RoutedBackend
from econ_env.llm.simulated import SimParams, SimulatedBackend
from econ_env.tasks.answers import check_answer
from econ_env.testing.checks import play

DEBATE = {"embedder": "hashed"}


class Recording:
    """A simulated backend recording every request."""

    def __init__(self, seed: int = 0) -> None:
        self.inner = SimulatedBackend(seed=seed)
        self.name = "simulated"
        self.identity = self.inner.identity
        self.requests: list[GenRequest] = []

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        self.requests += list(requests)
        return self.inner.generate(requests)


def test_the_documented_examples_work():
    env = econ_env.auction_v0(team="one_expert")
    assert len(play(env, 0)) >= 3
    assert [p.skill for p in env.unwrapped.game.team] == [-1.0, -1.0, 2.5]
    penv = debate_v0.parallel_env(team=[{"skill": 2.0}, {"skill": -1.0}, {"skill": 0.0}], **DEBATE)
    penv.reset(seed=0)
    while penv.agents:
        penv.step({a: penv.action_space(a).sample() for a in penv.agents})
    assert [p.skill for p in penv.game.team] == [2.0, -1.0, 0.0]


def _draft_accuracy(team, n: int = 4, episodes: int = 150) -> np.ndarray:
    """Per-agent accuracy of the first drafts (auction) over many items."""
    env = auction_v0.parallel_env(n_agents=n, team=team)
    hits = np.zeros(n)
    for seed in range(episodes):
        env.reset(seed=seed)
        g = env.game
        hits += [check_answer(d.answer, g.item.gold, g.item.kind) for d in g.drafts]
    return hits / episodes


def _answer_accuracy(team, n: int = 4, episodes: int = 150) -> np.ndarray:
    """Per-executor accuracy of the first-round answers (debate) over many items."""
    env = debate_v0.parallel_env(n_agents=n, team=team, max_rounds=1, **DEBATE)
    hits = np.zeros(n)
    for seed in range(episodes):
        env.reset(seed=seed)
        env.step(dict.fromkeys(env.agents, np.zeros(env.action_space("executor_0").shape)))
        g = env.game
        hits += [check_answer(a, g.item.gold, g.item.kind) for a in g.history[0].answers]
    return hits / episodes


@pytest.mark.parametrize("accuracy", [_draft_accuracy, _answer_accuracy])
def test_the_one_expert_team_has_an_expert_far_more_accurate_than_the_novices(accuracy):
    acc = accuracy("one_expert")
    expert, novices = acc[-1], acc[:-1]
    assert expert > 0.75 and novices.max() < 0.55, acc
    assert expert - novices.max() > 0.3 and expert > 1.8 * novices.mean(), acc
    # the same env without a team: nobody stands out like that
    plain = accuracy(None)
    assert plain.max() - plain.min() < 0.3, plain


def test_an_inert_team_plays_exactly_the_default_episodes():
    """Empty profiles, or skills equal to the simulated default's, change nothing."""
    defaults = SimParams()
    same_skills = [{"skill": defaults.skill_of(i)} for i in range(3)]
    for team in ([{}, {}, {}], same_skills):
        for seed in (0, 5):
            assert play(econ_env.auction_v0(team=team), seed) == play(econ_env.auction_v0(), seed)
            assert play(econ_env.debate_v0(team=team, **DEBATE), seed) == play(
                econ_env.debate_v0(**DEBATE), seed
            )
    assert not isinstance(econ_env.auction_v0(team="spread").unwrapped.backend, RoutedBackend)


def _check_system_prompts(requests: Sequence[GenRequest], prompts: dict[int, str]) -> None:
    markers = set(prompts.values())
    for r in requests:
        i = r.hints.agent_index
        for k, m in enumerate(r.messages):
            own = prompts.get(i) if k == 0 and r.hints.role in (Role.DRAFT, Role.REVISE,
                                                                 Role.ANSWER) else None  # fmt: skip
            for marker in markers:
                if marker == own:
                    assert m["role"] == "system" and m["content"].endswith("\n\n" + marker)
                    assert m["content"].count(marker) == 1
                else:
                    assert marker not in m["content"], (i, r.hints.role, k)


def test_system_prompts_land_in_exactly_their_agents_system_message():
    prompts = {0: "You are cautious.", 2: "You love round numbers."}
    team = [{"system_prompt": prompts[0]}, {}, {"system_prompt": prompts[2]}]
    rec = Recording()
    env = auction_v0.parallel_env(backend=rec, team=team, stop_on_consensus=False, max_rounds=3)
    env.reset(seed=1)
    while env.agents:
        env.step({a: np.ones(1, dtype=np.float32) for a in env.agents})
    roles = {r.hints.role for r in rec.requests}
    assert {Role.DRAFT, Role.REVISE} <= roles
    _check_system_prompts(rec.requests, prompts)
    assert sum(r.hints.agent_index == 0 for r in rec.requests) >= 2

    rec = Recording()
    denv = debate_v0.parallel_env(backend=rec, team=team, groups=1, max_rounds=2, early_stop=False,
                                  **DEBATE)  # fmt: skip
    denv.reset(seed=1)
    while denv.agents:
        denv.step({a: np.zeros(denv.action_space(a).shape) for a in denv.agents})
    assert {Role.STRATEGY, Role.ANSWER, Role.COMMITMENT} <= {r.hints.role for r in rec.requests}
    _check_system_prompts(rec.requests, prompts)


def test_debate_skills_reach_the_executors_only():
    rec = Recording()
    env = debate_v0.parallel_env(backend=rec, team="spread", groups=2, **DEBATE)
    env.reset(seed=0)
    env.step({a: np.zeros(env.action_space(a).shape) for a in env.agents})
    skills = [p.skill for p in env.game.team]
    for r in rec.requests:
        if r.hints.role is Role.ANSWER:
            assert r.hints.skill == skills[r.hints.agent_index]
        else:  # strategy and commitments: the coordinator keeps coordinator_skill
            assert r.hints.skill is None and r.hints.agent_index == -1


def test_agents_with_a_model_are_routed_to_their_backend():
    team = [{}, {"model": "simulated:7"}, {}]
    env = auction_v0.parallel_env(team=team, backend_kwargs={"seed": 2})
    routed = env.backend
    assert isinstance(routed, RoutedBackend)
    assert routed.default.seed == 2 and routed.agents == {1: routed.agents[1]}
    assert routed.agents[1].seed == 7
    env.reset(seed=4)
    own = auction_v0.parallel_env(backend_kwargs={"seed": 2})
    own.reset(seed=4)
    other = auction_v0.parallel_env(backend_kwargs={"seed": 7})
    other.reset(seed=4)
    # bidder 1 drafted what the seed-7 model writes; the others what the seed-2 model writes
    texts = [d.text for d in env.game.drafts]
    assert texts[1] == other.game.drafts[1].text != own.game.drafts[1].text
    assert texts[0] == own.game.drafts[0].text and texts[2] == own.game.drafts[2].text
    denv = debate_v0.parallel_env(team=team, **DEBATE)
    assert isinstance(denv.backend, RoutedBackend) and denv.backend.agents[1].seed == 7


@pytest.mark.parametrize("module", [auction_v0, debate_v0])
@pytest.mark.parametrize(
    "team",
    ["best", [{}], [{}, {}, {"skill": float("nan")}], [{"mood": "x"}, {}, {}], {"skill": 1.0}],
)
def test_bad_teams_raise_naming_team(module, team):
    with pytest.raises(ValueError, match=r"team="):
        module.env(team=team)
    with pytest.raises(ValueError, match=r"team="):
        module.env_spec(team=team)


@pytest.mark.parametrize("module", [auction_v0, debate_v0])
def test_an_unknown_model_raises_naming_the_agent(module):
    with pytest.raises(ValueError, match=r"team\[2\]\.model='nosuch:1'"):
        module.env(team=[{}, {}, {"model": "nosuch:1"}])


@pytest.mark.parametrize("module", [auction_v0, debate_v0])
def test_the_spec_describes_the_team_as_json_without_models(module):
    team = [{"skill": 1.5, "model": "simulated:3", "system_prompt": "Hi."}, {}, {"skill": -1}]
    kwargs = DEBATE if module is debate_v0 else {}
    spec = module.env_spec(team=team, **kwargs)
    assert spec.config["team"] == [{"skill": 1.5, "system_prompt": "Hi."}, {}, {"skill": -1.0}]
    back = EnvSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert back == spec
    assert module.env_spec(team="uniform", **kwargs).config["team"] == "uniform"
    assert module.env_spec(**kwargs).config["team"] is None
    env = module.env(team=team, **kwargs)
    assert env.unwrapped.env_spec == spec
    # the config itself round-trips through JSON (bench traces store it so)
    cfg = env.unwrapped.config
    assert module.env(team=json.loads(json.dumps(list(cfg.team))), **kwargs).unwrapped.config == cfg


@pytest.mark.parametrize("module", [auction_v0, debate_v0])
def test_envs_with_a_team_pickle_and_deepcopy(module):
    team = [{"skill": 2.0, "system_prompt": "Be bold."}, {"model": "simulated:3"}, {}]
    kwargs = DEBATE if module is debate_v0 else {}
    env = module.env(team=team, **kwargs)
    clone = pickle.loads(pickle.dumps(env))
    assert clone.unwrapped.config == env.unwrapped.config
    assert play(clone, 2) == play(module.env(team=team, **kwargs), 2)
    penv = module.parallel_env(team=team, **kwargs)
    penv.reset(seed=6)
    twin = copy.deepcopy(penv)
    actions = {a: penv.action_space(a).sample() for a in penv.agents}
    assert repr(penv.step(actions)) == repr(twin.step(actions))
