"""Fixtures shared by the environment tests of both games."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

import econ_env
from econ_env.llm.base import Completion, GenRequest
from econ_env.llm.simulated import SimulatedBackend


class Recorder(SimulatedBackend):
    """The simulated backend, keeping every request it answers."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.requests: list[GenRequest] = []

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        self.requests.extend(requests)
        return super().generate(requests)


@pytest.fixture
def recorder() -> Callable[..., Recorder]:
    """``recorder(seed=0, ...)``: a simulated backend that keeps every request it answers
    (``.requests``)."""
    return Recorder


def _policy_episode(env: Any, seed: int, policy: str = "truthful") -> list:
    """Observations and rewards of one episode of a parallel env under a named policy (every
    agent alike), in a form two envs' episodes can be compared with ``==``."""
    act = econ_env.make_policy(policy, env.unwrapped.env_spec, 0)
    obs, _ = env.reset(seed=seed)
    out = [sorted((a, o.tolist()) for a, o in obs.items())]
    while env.agents:
        obs, rewards, *_ = env.step({a: act.act(obs[a], a) for a in env.agents})
        out.append(sorted((a, o.tolist(), rewards[a]) for a, o in obs.items()))
    return out


@pytest.fixture
def episode() -> Callable[..., list]:
    """``episode(env, seed, policy="truthful")``: one episode's observations and rewards."""
    return _policy_episode
