"""What every baseline shares: it is built from an env's public description and a seed.

:class:`SpecPolicy` checks that it was given an :class:`econ_env.EnvSpec` (never the env) and
keeps what the policies read from it: the observation layout, the number of agents and rounds,
each agent's action space, and a seeded generator.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from econ_env.core.spec import EnvSpec


class SpecPolicy:
    """Base class of the baselines: ``Policy(spec, seed=0)`` with ``act(obs, agent)``."""

    name = "policy"

    def __init__(self, spec: EnvSpec, seed: int = 0) -> None:
        if not isinstance(spec, EnvSpec):
            raise TypeError(
                f"{type(self).__name__} is built from an EnvSpec (econ_env.env_spec(...) or "
                f"env.unwrapped.env_spec), got {type(spec).__name__}"
            )
        self.spec = spec
        self.layout = spec.layout
        self.n_agents = spec.n_agents
        self.max_rounds = int(spec.config["max_rounds"])
        self.spaces = dict.fromkeys(spec.agents, spec.action_space)
        self.rng = np.random.default_rng(seed)

    def act(self, obs: Any, agent: str) -> Any:
        """The action of ``agent`` given its observation."""
        raise NotImplementedError

    def _vector(self, obs: Any) -> np.ndarray:
        """The observation vector (without the action mask of a Dict observation)."""
        return EnvSpec.vector(obs)
