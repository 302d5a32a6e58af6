"""Baseline belief policies for debate_v0.

- ``random``: a uniformly random belief (or preset).
- ``neutral``: the neutral belief (all zeros: the default generation parameters).
- ``conservative`` / ``exploratory``: a fixed low / high temperature belief (the matching preset
  in the discrete variant).

Fixed beliefs are the natural reference for learned belief networks: ECON's claim is that
adapting beliefs beats any fixed setting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces


class BeliefPolicy:
    """Base class: the env's spaces and a seeded generator."""

    name = "belief"
    temperature_value = 0.0

    def __init__(self, env: Any, seed: int = 0) -> None:
        self.config = env.unwrapped.config
        self.spaces = {a: env.action_space(a) for a in env.possible_agents}
        self.rng = np.random.default_rng(seed)

    def act(self, obs: Any, agent: str) -> Any:
        """The fixed belief (or the nearest preset in the discrete variant)."""
        space = self.spaces[agent]
        if isinstance(space, spaces.Discrete):
            values = [v for _, v in self.config.presets]
            return int(np.argmin([abs(v - self.temperature_value) for v in values]))
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


DEBATE_POLICIES: dict[str, Callable[..., BeliefPolicy]] = {
    p.name: p for p in (RandomBelief, NeutralBelief, ConservativeBelief, ExploratoryBelief)
}
