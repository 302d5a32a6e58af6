"""Baseline belief policies for debate_v0.

- ``random``: a uniformly random belief (or preset).
- ``neutral``: the neutral belief (all zeros: the default generation parameters).
- ``conservative`` / ``exploratory``: a fixed low / high temperature belief (the matching preset
  in the discrete variant).
- ``truthful``: follows the commitment when it agrees with it (conservative belief) and explores
  when it disagrees (exploratory belief); neutral before the first commitment.
- ``round_robin``: in round ``t`` the executor ``t mod n`` explores, the others stay conservative.

Fixed beliefs are the natural reference for learned belief networks: ECON's claim is that
adapting beliefs beats any fixed setting. Each is built from the env's public description
(``BeliefPolicy(spec, seed)`` with an :class:`econ_env.EnvSpec`, never the env) and registered as
``debate_v0.<name>`` in the ``econ_env.policies`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces

from econ_env.core.spec import EnvSpec
from econ_env_baselines.base import SpecPolicy


class BeliefPolicy(SpecPolicy):
    """Base class of the belief policies: a fixed belief, or the nearest discrete preset."""

    name = "belief"
    temperature_value = 0.0

    def __init__(self, spec: EnvSpec, seed: int = 0) -> None:
        super().__init__(spec, seed)
        self.presets = [float(v) for _, v in spec.config["presets"]]

    def act(self, obs: Any, agent: str) -> Any:
        """The fixed belief (or the nearest preset in the discrete variant)."""
        space = self.spaces[agent]
        if isinstance(space, spaces.Discrete):
            return int(np.argmin([abs(v - self.temperature_value) for v in self.presets]))
        belief = np.zeros(space.shape, dtype=np.float32)
        belief[0] = self.temperature_value
        return belief


class RandomBelief(BeliefPolicy):
    name = "random"

    def act(self, obs: Any, agent: str) -> Any:
        space = self.spaces[agent]
        if isinstance(space, spaces.Discrete):
            return int(self.rng.integers(space.n))
        return self.rng.uniform(-1.0, 1.0, space.shape).astype(np.float32)


class NeutralBelief(BeliefPolicy):
    name = "neutral"
    temperature_value = 0.0


class ConservativeBelief(BeliefPolicy):
    name = "conservative"
    temperature_value = -0.8


class ExploratoryBelief(BeliefPolicy):
    name = "exploratory"
    temperature_value = 0.8


class _ObservingBelief(BeliefPolicy):
    """A belief chosen from the own observation through the env's layout."""

    def _with_temperature(self, obs: Any, agent: str, value: float) -> Any:
        self.temperature_value = value
        return BeliefPolicy.act(self, obs, agent)


class TruthfulBelief(_ObservingBelief):
    name = "truthful"

    def act(self, obs: Any, agent: str) -> Any:
        v = self._vector(obs)
        if v[self.layout.index("round")] == 0.0:
            return self._with_temperature(obs, agent, 0.0)
        agrees = v[self.layout.index("agrees_commitment")] >= 0.5
        return self._with_temperature(obs, agent, -0.8 if agrees else 0.8)


class RoundRobinBelief(_ObservingBelief):
    name = "round_robin"

    def act(self, obs: Any, agent: str) -> Any:
        v = self._vector(obs)
        played = round(float(v[self.layout.index("round")]) * self.max_rounds)
        me = int(np.argmax(v[self.layout.slice("agent_id")]))
        explore = played % self.n_agents == me
        return self._with_temperature(obs, agent, 0.8 if explore else -0.8)


DEBATE_POLICIES: dict[str, Callable[..., BeliefPolicy]] = {
    p.name: p
    for p in (
        RandomBelief,
        NeutralBelief,
        ConservativeBelief,
        ExploratoryBelief,
        TruthfulBelief,
        RoundRobinBelief,
    )
}
