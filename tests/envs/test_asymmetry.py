"""Information asymmetry (``task="split_facts"``) in the text envs and the simulated backend."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from econ_env import auction_v0, debate_v0
from econ_env.core.ledger import Role
from econ_env.envs.knowledge import FactKnowledge, carries_facts
from econ_env.llm.base import BackendUnavailable, Completion, GenRequest, SimHints
from econ_env.llm.simulated import SimParams, SimulatedBackend
from econ_env.tasks.answers import check_answer, extract_answer, normalize_answer
from econ_env.tasks.split_facts import SplitFactsSource, facts_of, item_facts
from econ_env.testing.checks import run_all_checks


def answer_of(c: Completion) -> str | None:
    return normalize_answer(extract_answer(c.text, "numeric"), "numeric")


def user_text(req: GenRequest) -> str:
    return "\n".join(m["content"] for m in req.messages if m["role"] == "user")


# ----------------------------------------------------------------------------- the model
def test_fresh_accuracy_rises_with_facts_known() -> None:
    source = SplitFactsSource(n_facts=3)
    backend = SimulatedBackend(seed=0, skill=2.0)
    acc = []
    for known in (0.0, 1 / 3, 2 / 3, 1.0):
        ok = 0
        for k in range(600):
            item = source.make(k)
            hints = SimHints(item, Role.DRAFT, 0, facts_known=known)
            (c,) = backend.generate([GenRequest((), 4096, seed=k, hints=hints)])
            ok += answer_of(c) == item.gold
        acc.append(ok / 600)
    assert acc == sorted(acc) and acc[-1] - acc[1] > 0.3, acc


def test_learned_revision_solves_afresh() -> None:
    """A reviser that heard the gold answer adopts it; one that learned facts re-solves."""
    source = SplitFactsSource(n_facts=3)
    backend = SimulatedBackend(seed=0, skill=0.4)
    rates = {}
    for learned in (False, True):
        ok = 0
        for k in range(400):
            item = source.make(k)
            hints = SimHints(
                item, Role.REVISE, 0, "1", (item.gold, item.gold), facts_known=0.0, learned=learned
            )
            (c,) = backend.generate([GenRequest((), 4096, seed=k, hints=hints)])
            ok += answer_of(c) == item.gold
        rates[learned] = ok / 400
    assert rates[False] > rates[True] + 0.4, rates


def test_hint_and_param_validation() -> None:
    with pytest.raises(ValueError, match="facts_known"):
        SimHints(facts_known=1.5)
    with pytest.raises(ValueError, match="learned"):
        SimHints(learned=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="fact_weight"):
        SimParams(fact_weight=-1.0)


def test_knowledge_broadcast_and_keyword_tier() -> None:
    item = SplitFactsSource(n_facts=4).make(0)
    k = FactKnowledge(item, 3)
    assert k.fractions() == [0.5, 0.25, 0.25]
    after = k.after_broadcast([1])
    assert after == [frozenset({0, 3, 1}), frozenset({1}), frozenset({2, 1})]
    assert k.after_broadcast([1], ["keywords"]) == k.known
    assert k.after_broadcast([1], ["summary"]) == after
    assert carries_facts("full") and carries_facts(None) and not carries_facts("keywords")
    k.apply(after)
    assert k.learned(0) and not k.learned(1)
    k.completed([0])
    assert not k.learned(0)
    assert FactKnowledge(None, 2).fractions() == [1.0, 1.0]


# ----------------------------------------------------------------------------- auction_v0
def auction(**kwargs: object) -> auction_v0.AuctionParallelEnv:  # type: ignore[name-defined]
    return auction_v0.parallel_env(task="split_facts", **kwargs)


def bids(env: object, value: float) -> dict[str, np.ndarray]:
    return {a: np.array([value], dtype=np.float32) for a in env.agents}  # type: ignore[attr-defined]


def test_auction_agents_knowing_fewer_facts_draft_worse() -> None:
    env = auction(task_kwargs={"n_facts": 5}, backend_kwargs={"skill": 3.0})
    ok = np.zeros(3)
    for seed in range(300):
        env.reset(seed=seed)
        game = env.game
        ok += [check_answer(d.answer, game.item.gold, "numeric") for d in game.drafts]
    assert env.game.knowledge.fractions() == [0.4, 0.4, 0.2]
    acc = ok / 300
    assert min(acc[0], acc[1]) > acc[2] + 0.1, acc


def play(env: object, value: float, episodes: int) -> float:
    correct = 0
    for seed in range(episodes):
        env.reset(seed=seed)  # type: ignore[attr-defined]
        while env.agents:  # type: ignore[attr-defined]
            env.step(bids(env, value))  # type: ignore[attr-defined]
        correct += env.game.correct  # type: ignore[attr-defined]
    return correct / episodes


def test_auction_communication_pays() -> None:
    kw = {"budget": 200_000, "mechanism": "top_k", "top_k": 3, "backend_kwargs": {"skill": 0.4}}
    silent = play(auction(**kw), -1.0, 120)
    speak = play(auction(**kw), 1.0, 120)
    assert speak > silent + 0.3, (silent, speak)


def test_auction_broadcast_teaches_listeners(recorder) -> None:
    backend = recorder(seed=0)
    env = auction(backend=backend, budget=100_000, max_rounds=3)
    _, infos = env.reset(seed=1)
    item = env.game.item
    assert [infos[a]["facts_known"] for a in env.agents] == pytest.approx([1 / 3] * 3)
    for i, req in enumerate(backend.requests):  # drafts: each prompt holds only the own share
        assert req.hints.facts_known == pytest.approx(1 / 3) and not req.hints.learned
        text = user_text(req)
        for j, fact in enumerate(item_facts(item)):
            assert (fact in text) == (j % 3 == i)
    backend.requests.clear()
    obs, _, _, _, infos = env.step(
        {
            "bidder_0": np.array([1.0], np.float32),
            **{a: np.array([-1.0], np.float32) for a in env.agents[1:]},
        }
    )
    assert env.game.last_winners == (0,)
    known = [infos[a]["facts_known"] for a in env.agents]
    assert known == pytest.approx([1 / 3, 2 / 3, 2 / 3])
    assert [obs[a][-1] for a in env.agents] == pytest.approx(known)
    revisers = [r.hints.agent_index for r in backend.requests]
    assert revisers == [1, 2]
    for req in backend.requests:
        i = req.hints.agent_index
        assert req.hints.role is Role.REVISE and req.hints.learned
        assert req.hints.facts_known == pytest.approx(2 / 3)
        own = facts_of(item, i, 3)
        for fact in item_facts(item):
            assert (fact in user_text(req)) == (fact in own)


def test_default_layout_unchanged_and_facts_field_last() -> None:
    plain = auction_v0.parallel_env()
    facts = auction()
    size = plain.observation_space("bidder_0").shape[0]
    assert facts.observation_space("bidder_0").shape == (size + 1,)
    assert facts.layout.fields[-1].name == "facts_known"
    obs, infos = plain.reset(seed=0)
    assert "facts_known" not in infos["bidder_0"]
    obs, infos = facts.reset(seed=0)
    for a in facts.agents:
        assert facts.observation_space(a).contains(obs[a])
        assert obs[a][-1] == pytest.approx(infos[a]["facts_known"])


@pytest.mark.parametrize("module", [auction_v0, debate_v0])
def test_api_checks_pass_with_split_facts(module: object) -> None:
    run_all_checks(module, num_cycles=5, task="split_facts")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- debate_v0
def test_debate_executors_learn_from_the_commitment(recorder) -> None:
    backend = recorder(seed=0)
    env = debate_v0.parallel_env(
        task="split_facts", backend=backend, early_stop=False, max_rounds=3, budget=100_000
    )
    _, infos = env.reset(seed=2)
    item = env.game.item
    assert [infos[a]["facts_known"] for a in env.agents] == pytest.approx([1 / 3] * 3)
    zero = {a: np.zeros(env.action_space(a).shape, np.float32) for a in env.agents}
    per_round, observed = [], []
    for _ in range(3):
        backend.requests.clear()
        obs, _, _, _, infos = env.step(zero)
        per_round.append(list(backend.requests))
        observed.append([obs[a][-1] for a in obs])
    ex = [[r for r in reqs if r.hints.role is Role.ANSWER] for reqs in per_round]
    commits = [[r for r in reqs if r.hints.role is Role.COMMITMENT] for reqs in per_round]
    assert [r.hints.facts_known for r in ex[0]] == pytest.approx([1 / 3] * 3)
    assert not any(r.hints.learned for r in ex[0])
    assert [r.hints.facts_known for r in ex[1]] == pytest.approx([1.0] * 3)
    assert all(r.hints.learned for r in ex[1])
    assert not any(r.hints.learned for r in ex[2])
    assert commits[0][0].hints.facts_known == pytest.approx(1.0)
    for rnd in ex:  # prompts hold only the own share, every round
        for i, req in enumerate(rnd):
            for j, fact in enumerate(item_facts(item)):
                assert (fact in user_text(req)) == (j % 3 == i)
    assert observed[1] == pytest.approx([1.0] * 3)


def test_debate_local_commitments_carry_their_groups_facts(recorder) -> None:
    backend = recorder(seed=0)
    env = debate_v0.parallel_env(
        task="split_facts",
        task_kwargs={"n_facts": 4},
        n_agents=4,
        groups=2,
        backend=backend,
        early_stop=False,
        budget=100_000,
    )
    env.reset(seed=0)
    backend.requests.clear()
    env.step({a: np.zeros(env.action_space(a).shape, np.float32) for a in env.agents})
    commits = [r for r in backend.requests if r.hints.role is Role.COMMITMENT]
    assert [r.hints.facts_known for r in commits] == pytest.approx([0.5, 0.5, 1.0])


class FailOnRevise(SimulatedBackend):
    """The simulated backend, failing every revision call while ``fail`` is set."""

    fail = True

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        if self.fail and any(r.hints.role is Role.REVISE for r in requests):
            raise BackendUnavailable("http://test", "down")
        return super().generate(requests)


def test_failed_round_leaves_knowledge_unchanged() -> None:
    backend = FailOnRevise(seed=0)
    env = auction(backend=backend, budget=100_000)
    env.reset(seed=0)
    before = list(env.game.knowledge.known)
    speak = {a: np.array([1.0 if a == "bidder_0" else -1.0], np.float32) for a in env.agents}
    with pytest.raises(BackendUnavailable):
        env.step(speak)
    assert env.game.knowledge.known == before
    backend.fail = False
    env.step(speak)
    assert env.game.knowledge.fractions() == pytest.approx([1 / 3, 2 / 3, 2 / 3])
