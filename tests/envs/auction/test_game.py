"""auction_v0's rules, exercised on AuctionGame directly (no PettingZoo API)."""

from collections.abc import Sequence

import numpy as np
import pytest

from econ_env.core.ledger import Role
from econ_env.envs.auction.config import make_config
from econ_env.envs.auction.game import AuctionGame, Bid
from econ_env.envs.auction.reward import IndividualReward, TeamReward
from econ_env.llm.base import BackendUnavailable, Completion, GenRequest
from econ_env.tasks.base import TaskItem

ITEM = TaskItem(id="t/1", question="What is 3 + 4?", gold="7", kind="numeric")


class FixedBackend:
    """Agent i drafts ``drafts[i]`` with ``lengths[i]`` completion tokens; a revision adopts
    the first heard answer. Prompt tokens are 10 per request. ``fail_after`` calls, it raises."""

    name = "fixed"

    def __init__(self, drafts: Sequence[str], lengths: Sequence[int], fail_after: int = 10**9):
        self.drafts, self.lengths = list(drafts), list(lengths)
        self.calls, self.fail_after = 0, fail_after
        self.requests: list[GenRequest] = []

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        if self.calls >= self.fail_after:
            raise BackendUnavailable("fixed://", "scripted outage")
        self.calls += 1
        self.requests += requests
        out = []
        for r in requests:
            i = r.hints.agent_index
            answer = self.drafts[i]
            if r.hints.role is Role.REVISE and r.hints.heard:
                answer = r.hints.heard[0]
            text = f"Reasoning. The answer is \\boxed{{{answer}}}."
            out.append(Completion(text, 10, self.lengths[i], -0.1 * (i + 1), 0.2))
        return out


def game_with(drafts, lengths=(20, 30, 40), fail_after=10**9, **config):
    cfg = make_config(n_agents=len(drafts), **config)
    backend = FixedBackend(drafts, lengths[: len(drafts)], fail_after)
    game = AuctionGame(cfg, backend, cfg.agents)
    game.start(ITEM, np.random.default_rng(0))
    return game, backend


def bids(*values):
    return [Bid(float(v)) for v in values]


def test_start_drafts_every_agent_and_bills_nothing():
    game, backend = game_with(["7", "8", "9"])
    assert [d.answer for d in game.drafts] == ["7", "8", "9"]
    assert backend.calls == 1  # one batched call
    assert game.ledger.billed_total == 0
    assert game.ledger.generated_total == 3 * 10 + 20 + 30 + 40
    assert {r.hints.role for r in backend.requests} == {Role.DRAFT}


def test_silent_round_bills_nothing_and_the_game_goes_on():
    game, _ = game_with(["7", "8", "9"])
    out = game.play_round(bids(0, 0, 0), np.random.default_rng(1))
    assert out.stop_reason is None and not out.truncated
    np.testing.assert_array_equal(out.rewards, np.zeros(3))
    assert game.ledger.billed_total == 0 and game.round == 1


def test_second_price_winner_pays_its_prompt_and_message_and_others_revise():
    game, _ = game_with(["7", "8", "9"], max_rounds=4)
    out = game.play_round(bids(0.9, 0.5, 0.1), np.random.default_rng(1))
    # every bidder pays its draft's prompt (10); the winner also its 20-token message
    assert game.ledger.billed_total == 3 * 10 + 20
    rec = game.history[-1]
    assert rec.winners == (0,) and rec.clearing_price == pytest.approx(0.5)
    assert [m.speaker for m in game.transcript.public()] == ["bidder_0"]
    # the two losers revised toward the broadcast: consensus on 7 ends the episode
    assert out.stop_reason == "consensus" and game.correct and game.final_answer == "7"
    assert out.rewards == pytest.approx(np.full(3, 1 - 50 / 2048))


def test_a_sole_winner_cannot_speak_again_before_revising():
    game, _ = game_with(["7", "8"], stop_on_consensus=False, max_rounds=3)
    game.play_round(bids(1, 0), np.random.default_rng(1))
    assert not game.can_speak(0) and game.drafts[0].spoken
    game.play_round(bids(1, 0), np.random.default_rng(2))
    assert game.history[-1].winners == ()  # its bid counted as silence


def test_max_rounds_is_a_truncation():
    game, _ = game_with(["7", "8", "9"], max_rounds=1)
    out = game.play_round(bids(0, 0, 0), np.random.default_rng(1))
    assert out.stop_reason == "max_rounds" and out.truncated
    assert game.final_answer == "7"  # majority of distinct answers: the lowest index wins ties


def test_budget_too_small_for_the_bid_prompts_ends_without_charging():
    game, _ = game_with(["7", "8", "9"], budget=25)
    out = game.play_round(bids(1, 1, 1), np.random.default_rng(1))
    assert out.stop_reason == "budget_exhausted" and not out.truncated
    assert game.ledger.billed_total == 0 and game.ledger.remaining == 25


def test_individual_reward_is_minus_the_payment_plus_credit_for_voicing_the_answer():
    game, _ = game_with(["7", "8", "9"], reward=IndividualReward(), mechanism="first_price")
    out = game.play_round(bids(0.8, 0.3, 0.0), np.random.default_rng(1))
    assert out.stop_reason == "consensus"
    assert out.rewards == pytest.approx([-0.8 + 1.0, 0.0, 0.0])


def test_team_reward_weight_comes_from_the_reward_object():
    game, _ = game_with(["7", "8", "9"], reward=TeamReward(cost_weight=2.0))
    out = game.play_round(bids(0.9, 0.5, 0.1), np.random.default_rng(1))
    assert out.rewards == pytest.approx(np.full(3, 1 - 2 * 50 / 2048))


def test_decode_action_validates_without_changing_anything():
    game, _ = game_with(["7", "8", "9"], belief_dim=1)
    before = game.ledger.billed_total, list(game.params)
    assert game.decode_action(0, np.array([1.0, -1.0])).bid == 1.0
    with pytest.raises(ValueError, match="bidder_1"):
        game.decode_action(1, np.array([np.nan, 0.0]))
    with pytest.raises(ValueError, match=r"bidder_2.*shape"):
        game.decode_action(2, np.zeros(5))
    assert (game.ledger.billed_total, list(game.params)) == before


def test_masked_discrete_bid_raises_or_counts_as_silence():
    game, _ = game_with(["7", "8"], action_type="discrete", stop_on_consensus=False, max_rounds=3)
    game.play_round([Bid(1.0), Bid(0.0)], np.random.default_rng(1))
    with pytest.raises(ValueError, match="bidder_0: action 4 is masked"):
        game.decode_action(0, 4)
    lenient, _ = game_with(
        ["7", "8"], action_type="discrete", invalid_action="silence", stop_on_consensus=False
    )
    lenient.play_round([Bid(1.0), Bid(0.0)], np.random.default_rng(1))
    assert lenient.decode_action(0, 4).bid == 0.0


def test_beliefs_set_the_revision_parameters():
    game, backend = game_with(["7", "8", "9"], belief_dim=1, stop_on_consensus=False)
    actions = [game.decode_action(i, np.array([-1.0 if i else 1.0, 1.0])) for i in range(3)]
    game.play_round(actions, np.random.default_rng(1))
    revisions = [r for r in backend.requests if r.hints.role is Role.REVISE]
    hot = game.config.beliefs.to_params(np.array([1.0])).temperature
    assert {r.temperature for r in revisions} == {hot}


def test_a_failed_round_changes_nothing_and_its_retry_equals_the_uninterrupted_round():
    def play(fail_after):
        game, backend = game_with(["7", "8", "9"], fail_after=fail_after, belief_dim=1)
        rng = np.random.default_rng(5)
        actions = [game.decode_action(i, np.array([0.8 - i, 1.0])) for i in range(3)]
        before = (game.ledger.billed_total, game.round, list(game.params), rng.bit_generator.state)
        if fail_after == 1:
            with pytest.raises(BackendUnavailable):
                game.play_round(actions, rng)
            after = (
                game.ledger.billed_total,
                game.round,
                list(game.params),
                rng.bit_generator.state,
            )
            assert after == before
            backend.fail_after = 10**9
        return game.play_round(actions, rng), game

    (out_a, a), (out_b, b) = play(1), play(10**9)
    np.testing.assert_array_equal(out_a.rewards, out_b.rewards)
    assert a.ledger.to_records() == b.ledger.to_records()
    assert a.transcript.to_records() == b.transcript.to_records()
