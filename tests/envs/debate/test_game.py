"""debate_v0's rules, exercised on DebateGame directly (no PettingZoo API)."""

import numpy as np
import pytest

from econ_env.core.ledger import Role
from econ_env.envs.debate.config import make_config
from econ_env.envs.debate.game import DebateGame
from econ_env.envs.debate.reward import DebateReward
from econ_env.llm.base import BackendUnavailable
from econ_env.llm.embeddings import make_embedder
from econ_env.tasks.base import TaskItem

ITEM = TaskItem(id="t/1", question="What is 3 + 4?", gold="7", kind="numeric")


def game_with(backend, **config):
    cfg = make_config(embedder="hashed", **config)
    game = DebateGame(cfg, backend, make_embedder("hashed"), cfg.agents)
    game.start(ITEM, np.random.default_rng(0))
    return game


def beliefs(game, *rows):
    return [game.decode_action(i, np.asarray(r, dtype=np.float32)) for i, r in enumerate(rows)]


def test_start_writes_and_bills_the_strategy(scripted):
    game = game_with(scripted(["7"]))
    assert game.strategy == "Plan: add, then check."
    (entry,) = game.ledger.entries
    assert entry.role is Role.STRATEGY and entry.billed == entry.prompt_tokens + 12


def test_a_repeated_commitment_converges_with_ts_al_cc_rewards(scripted):
    game = game_with(scripted(["7", "7"]), n_agents=2, belief_dim=2)
    first = game.play_round(beliefs(game, [0, 0], [0, 0]), np.random.default_rng(1))
    assert first.stop_reason is None
    second = game.play_round(beliefs(game, [0.5, 0], [0.5, 0]), np.random.default_rng(2))
    assert second.stop_reason == "converged" and not second.truncated
    assert game.correct and game.final_answer == "7"
    r = game.history[-1].rewards[0]
    assert r.ts == 1.0 and second.rewards[0] == pytest.approx(r.total)


def test_oscillation_and_max_rounds(scripted):
    game = game_with(scripted(["7", "8", "7"]), n_agents=1, belief_dim=1, epsilon=0.0)
    outs = [game.play_round(beliefs(game, [k / 4]), np.random.default_rng(k)) for k in range(3)]
    assert outs[-1].stop_reason == "oscillation"
    short = game_with(scripted(["7", "8"]), n_agents=1, belief_dim=1, max_rounds=1)
    out = short.play_round(beliefs(short, [0.0]), np.random.default_rng(0))
    assert out.stop_reason == "max_rounds" and out.truncated


def test_unchanged_beliefs_stop_the_game(scripted):
    game = game_with(scripted(["7", "8", "9"]), n_agents=2, belief_dim=1)
    game.play_round(beliefs(game, [0.3], [0.3]), np.random.default_rng(1))
    out = game.play_round(beliefs(game, [0.3], [0.3]), np.random.default_rng(2))
    assert out.stop_reason == "belief_converged"


def test_a_round_over_budget_is_refused_before_it_is_charged(scripted):
    game = game_with(scripted(["7"]), n_agents=2, belief_dim=1, budget=60)
    billed = game.ledger.billed_total
    out = game.play_round(beliefs(game, [0], [0]), np.random.default_rng(1))
    assert out.stop_reason == "budget_exhausted"
    np.testing.assert_array_equal(out.rewards, np.zeros(2))
    assert game.ledger.billed_total == billed and game.history == []


def test_reward_weights_come_from_the_reward_object(scripted):
    weights = DebateReward(al=0.0, ts=1.0, cc=0.0, cost=0.0)
    game = game_with(scripted(["7"]), n_agents=2, belief_dim=1, reward=weights)
    out = game.play_round(beliefs(game, [0], [0]), np.random.default_rng(1))
    np.testing.assert_array_equal(out.rewards, [1.0, 1.0])


def test_decode_action_validates_and_maps_presets(scripted):
    game = game_with(scripted(["7"]), action_type="discrete")
    assert game.decode_action(2, 2)[0] == pytest.approx(0.8)
    with pytest.raises(ValueError, match=r"executor_1: action 5 is out of range"):
        game.decode_action(1, 5)
    cont = game_with(scripted(["7"]), belief_dim=3)
    assert cont.decode_action(0, np.array([2.0, 0.0, -3.0])).tolist() == [1.0, 0.0, -1.0]
    with pytest.raises(ValueError, match="executor_0"):
        cont.decode_action(0, np.array([np.inf, 0.0, 0.0]))


class FlakyOnCommit:
    """Wraps a backend; the first commitment request raises (after the answers were made)."""

    name = "flaky"

    def __init__(self, inner):
        self.inner, self.failed = inner, False

    def generate(self, requests):
        if not self.failed and requests[0].hints.role is Role.COMMITMENT:
            self.failed = True
            raise BackendUnavailable("flaky://", "commitment outage")
        return self.inner.generate(requests)


def test_a_failed_round_changes_nothing_and_its_retry_equals_the_uninterrupted_round():
    from econ_env.llm.simulated import SimulatedBackend

    def play(backend):
        game = game_with(backend, n_agents=3, groups=1, belief_dim=2)
        rng = np.random.default_rng(9)
        acts = beliefs(game, [0.2, 0], [-0.5, 0.1], [0.9, -0.3])
        if isinstance(backend, FlakyOnCommit):
            state = rng.bit_generator.state
            records = game.ledger.to_records()
            with pytest.raises(BackendUnavailable):
                game.play_round(acts, rng)
            assert rng.bit_generator.state == state and game.ledger.to_records() == records
            assert game.history == [] and len(game.transcript.to_records()) == 1
        return game.play_round(acts, rng), game

    (out_a, a), (out_b, b) = play(FlakyOnCommit(SimulatedBackend())), play(SimulatedBackend())
    np.testing.assert_array_equal(out_a.rewards, out_b.rewards)
    assert a.ledger.to_records() == b.ledger.to_records()
    assert a.transcript.to_records() == b.transcript.to_records()
