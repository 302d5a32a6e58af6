"""A round is all or nothing for bad completions too: when a backend returns one invalid
completion (a negative count, a NaN log-probability, ...) the step raises ``BackendError``
before anything of the round is applied (ledger, transcript, round, drafts, the env's
generator, rewards, observations), and retrying the same step gives exactly the uninterrupted
episode. Both games, AEC and parallel APIs."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

import econ_env
from econ_env.llm.base import BackendError
from econ_env.llm.simulated import SimulatedBackend

GAMES = {
    "auction": (econ_env.auction_v0, {"n_agents": 3, "max_rounds": 3, "stop_on_consensus": False}),
    "debate": (
        econ_env.debate_v0,
        {"n_agents": 4, "max_rounds": 3, "embedder": "hashed", "early_stop": False, "groups": 2},
    ),
}
BAD = {
    "negative-usage": {"prompt_tokens": -5},
    "too-long": {"completion_tokens": 10**6},
    "nan-logprob": {"mean_logprob": math.nan},
    "negative-entropy": {"mean_entropy": -1.0},
    "bool-count": {"completion_tokens": True},
    "finish-reason": {"finish_reason": "eos"},
    "text": {"text": None},
}
# backend calls: the auction drafts at reset (1) and revises in rounds 0 and 1 (2, 3); the debate
# writes its strategy at reset (1), then per round executors, group commitments, the commitment
CALLS = {"auction": [2, 3], "debate": [2, 3, 4, 6]}
SEED = 5


class OneBadCompletion:
    """The simulated backend, except that the ``index``-th completion of its ``call``-th batch
    is corrupted by ``change`` (once: a retry gets the real answer)."""

    name = "simulated"

    def __init__(self, call: int, change: dict[str, Any], index: int = 1) -> None:
        self.inner = SimulatedBackend()
        self.call, self.change, self.index = call, change, index
        self.calls = 0

    def generate(self, requests):
        out = self.inner.generate(requests)
        self.calls += 1
        if self.calls == self.call:
            i = min(self.index, len(out) - 1)
            out[i] = replace(out[i], **self.change)
        return out


def _action(env, agent: str, rng: np.random.Generator) -> np.ndarray:
    space = env.action_space(agent)
    return rng.uniform(-1, 1, space.shape).astype(np.float32)


def _state(env) -> tuple:
    """Everything a step may change (game, env bookkeeping, generator, observations)."""
    u = env.unwrapped
    cumulative = dict(getattr(u, "_cumulative_rewards", {}))
    g = u.game
    drafts = [(d.text, d.answer, d.spoken) for d in getattr(g, "drafts", [])]
    observations = [u.observe(a).tobytes() for a in u.possible_agents]
    return (
        g.ledger.to_records(),
        g.transcript.to_records(),
        len(g.history),
        getattr(g, "round", None),
        drafts,
        [p for p in getattr(g, "params", [])],
        g.stop_reason,
        str(u.np_random.bit_generator.state),
        cumulative,
        dict(getattr(u, "rewards", {})),
        getattr(u, "agent_selection", None),
        getattr(u, "_step_in_round", None),
        list(u.agents),
        observations,
    )


def _aec_episode(env, errors: list[BackendError]) -> list:
    env.reset(seed=SEED)
    rng = np.random.default_rng(SEED)
    trace = []
    for agent in env.agent_iter():
        obs, reward, term, trunc, _ = env.last()
        trace.append((agent, obs.tobytes(), reward, term, trunc))
        action = None if term or trunc else _action(env, agent, rng)
        before = _state(env)
        try:
            env.step(action)
        except BackendError as err:
            errors.append(err)
            assert _state(env) == before  # nothing of the round was applied
            env.step(action)  # the documented retry
    g = env.unwrapped.game
    return [trace, g.ledger.to_records(), g.transcript.to_records(), len(g.history)]


def _parallel_episode(env, errors: list[BackendError]) -> list:
    obs, _ = env.reset(seed=SEED)
    rng = np.random.default_rng(SEED)
    trace = [{a: o.tobytes() for a, o in obs.items()}]
    while env.agents:
        actions = {a: _action(env, a, rng) for a in env.agents}
        before = _state(env)
        try:
            out = env.step(actions)
        except BackendError as err:
            errors.append(err)
            assert _state(env) == before
            out = env.step(actions)
        obs, rewards, terms, truncs, _ = out
        trace.append(({a: o.tobytes() for a, o in obs.items()}, rewards, terms, truncs))
    g = env.unwrapped.game
    return [trace, g.ledger.to_records(), g.transcript.to_records(), len(g.history)]


EPISODES = {"aec": ("env", _aec_episode), "parallel": ("parallel_env", _parallel_episode)}
CASES = [(game, call) for game, calls in CALLS.items() for call in calls]


@pytest.mark.parametrize("bad", list(BAD), ids=list(BAD))
@pytest.mark.parametrize("api", list(EPISODES))
@pytest.mark.parametrize(("game", "call"), CASES, ids=[f"{g}-call{c}" for g, c in CASES])
def test_a_bad_completion_changes_nothing_and_the_retry_is_the_uninterrupted_episode(
    game, call, api, bad
):
    module, config = GAMES[game]
    make, episode = EPISODES[api]
    reference = episode(getattr(module, make)(backend=SimulatedBackend(), **config), [])
    backend = OneBadCompletion(call, BAD[bad])
    errors: list[BackendError] = []
    got = episode(getattr(module, make)(backend=backend, **config), errors)
    assert len(errors) == 1, "the corrupted call must happen during a round"
    field = next(iter(BAD[bad]))
    assert "backend 'simulated' returned an invalid completion for request" in str(errors[0])
    assert field in str(errors[0])
    assert got == reference  # same rounds, billed tokens, transcript and observations


def test_a_failed_aec_step_keeps_the_acting_agents_reward():
    module, config = GAMES["auction"]
    env = module.env(backend=OneBadCompletion(3, BAD["negative-usage"]), **config)
    env.reset(seed=SEED)
    rng = np.random.default_rng(SEED)
    for agent in env.agent_iter():
        before = _state(env)
        action = _action(env, agent, rng)
        try:
            env.step(action)
        except BackendError:
            assert _state(env) == before
            return
    raise AssertionError("the corrupted call never happened")
