"""Self-consistent first drafts (``draft_samples``): which sample is kept, how the samples vote
and are accounted, and that the env plays them (text env; the batched twin is checked against it
in tests/vector/test_equivalence_auction.py)."""

from collections.abc import Sequence

import numpy as np
import pytest

import econ_env
from econ_env.core.ledger import Role
from econ_env.envs.auction.config import make_config
from econ_env.envs.auction.game import AuctionGame, Bid
from econ_env.envs.auction.samples import choose
from econ_env.llm.base import Completion, GenRequest
from econ_env.tasks.base import TaskItem

ITEM = TaskItem(id="t/1", question="What is 3 + 4?", gold="7", kind="numeric")


class ScriptedBackend:
    """Answers the draft requests of the first call with ``answers`` in request order (one
    completion of ``10 + j`` tokens for request j, 5 prompt tokens); a revision adopts the first
    heard answer."""

    name = "scripted"

    def __init__(self, answers: Sequence[str | None]):
        self.answers = list(answers)
        self.calls: list[list[GenRequest]] = []

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        self.calls.append(list(requests))
        out = []
        for j, r in enumerate(requests):
            answer = r.hints.heard[0] if r.hints.role is Role.REVISE else self.answers[j]
            text = "I am not sure." if answer is None else f"So \\boxed{{{answer}}}."
            out.append(Completion(text, 5, 10 + j, -0.1, 0.2))
        return out


def game_with(answers, k, **config):
    cfg = make_config(n_agents=len(answers) // k, draft_samples=k, **config)
    backend = ScriptedBackend(answers)
    game = AuctionGame(cfg, backend, cfg.agents)
    game.start(ITEM, np.random.default_rng(0))
    return game, backend


def test_choose_keeps_the_first_sample_of_the_most_common_answer():
    answers = ["1", "2", "2", None, None, None, "3", "4", "3", "5", "6", "6"]
    kept, votes = choose(answers, 3)
    assert kept == [1, 3, 6, 10]
    assert votes[0] == ("1", "2", "2") and votes[1] == (None, None, None)
    assert choose(["8", "9"], 2)[0] == [0]  # a tie goes to the answer sampled first
    with pytest.raises(ValueError, match="multiple of k=3"):
        choose(["1", "2"], 3)


@pytest.mark.parametrize("bad", [0, 65, True, 1.5, "3"])
def test_draft_samples_is_validated(bad):
    with pytest.raises(ValueError, match=r"draft_samples.*\[1, 64\]"):
        econ_env.auction_v0.parallel_env(draft_samples=bad)


def test_samples_are_one_call_accounted_as_generated_and_never_billed():
    answers = ["7", "8", "8", "9", "9", "9", "1", "2", "7"]
    game, backend = game_with(answers, 3)
    assert len(backend.calls) == 1 and len(backend.calls[0]) == 9
    seeds = [r.seed for r in backend.calls[0]]
    assert len(set(seeds)) == 9  # every sample has its own seed
    assert [d.answer for d in game.drafts] == ["8", "9", "1"]
    assert [d.completion.completion_tokens for d in game.drafts] == [11, 13, 16]
    assert game.drafts[2].votes == ("1", "2", "7")
    drafts = [e for e in game.ledger.entries if e.role == Role.DRAFT.value]
    assert len(drafts) == 9
    assert game.ledger.generated_total == sum(5 + 10 + j for j in range(9))
    assert game.ledger.billed_total == 0
    # each draft's entry is the kept sample's, so a bid pays that call's prompt
    assert all(game.ledger.entries[d.call_index].completion_tokens == d.completion.completion_tokens
               for d in game.drafts)  # fmt: skip


def test_samples_are_nested_across_k():
    """Sample 0 is the single-draft game's request and k + 1 samples hold the k samples'
    requests (so a cached real model is asked only for the new samples when k grows)."""
    calls = {}
    for k in (1, 2, 3):
        calls[k] = game_with(["7"] * (3 * k), k)[1].calls[0]

    def per_agent(reqs, k):
        return [[(r.seed, r.messages) for r in reqs[i * k : (i + 1) * k]] for i in range(3)]

    one, two, three = per_agent(calls[1], 1), per_agent(calls[2], 2), per_agent(calls[3], 3)
    for i in range(3):
        assert two[i][:1] == one[i] and three[i][:2] == two[i]
    assert len({r.seed for r in calls[3]}) == 9


def test_every_sample_votes_until_its_agent_revises():
    # agent 0 keeps "8" (2 of 3), agent 1 "9", agent 2 "7": drafts 8/9/7 tie one each, but the
    # votes are 7 x3, 8 x2, 9 x3, 1 x1 -> the tie between 7 and 9 goes to the lower-index draft
    answers = ["7", "8", "8", "9", "9", "1", "7", "7", "9"]
    game, _ = game_with(answers, 3, max_rounds=1)
    assert [d.answer for d in game.drafts] == ["8", "9", "7"]
    assert game.plurality() == "8"
    assert game.vote_plurality() == "9"
    game, _ = game_with(answers, 3, max_rounds=3, stop_on_consensus=False)
    game.play_round([Bid(0.0), Bid(0.0), Bid(0.9)], np.random.default_rng(1))
    assert game.revised
    # agents 0 and 1 heard agent 2's "7" and revised: one vote each now, agent 2 keeps three
    assert game.drafts[0].votes == () and game.drafts[1].votes == ()
    assert game.drafts[2].votes == ("7", "7", "9")
    assert game.vote_plurality() == "7"


def _silent_accuracy(k: int, episodes: int = 300) -> tuple[float, float]:
    env = econ_env.auction_v0.parallel_env(draft_samples=k, team="uniform", max_rounds=1)
    correct, generated = 0, 0.0
    silent = np.full(1, -1.0, dtype=np.float32)
    for seed in range(episodes):
        env.reset(seed=seed)
        _, rewards, _, _, infos = env.step(dict.fromkeys(env.agents, silent))
        correct += int(sum(rewards.values()) > 0)
        generated += infos["bidder_0"]["generated_tokens"]
    return correct / episodes, generated / episodes


def test_self_consistency_buys_accuracy_with_generated_tokens():
    acc1, gen1 = _silent_accuracy(1)
    acc5, gen5 = _silent_accuracy(5)
    assert 4.5 < gen5 / gen1 < 5.5  # five samples per agent, each with its prompt
    assert acc5 > acc1 + 0.04  # 15 votes beat 3 for agents right more often than not
