"""debate_v0 — ECON's belief-driven coordination game (versioned shim, PettingZoo convention).

``from econ_env import debate_v0`` then ``debate_v0.env()``, ``debate_v0.raw_env()`` or
``debate_v0.parallel_env()`` (native parallel API), and ``debate_v0.env_spec(**config)`` for the
public description policies are built from; ``econ_env.debate_v0(**kw)`` is
``debate_v0.env(**kw)``. The documentation is the docstring of :mod:`econ_env.envs.debate.env`;
the env's entry in :mod:`econ_env.registry` holds the rest.
"""

from __future__ import annotations

from econ_env.envs.debate.env import (
    DebateEnv,
    DebateParallelEnv,
    env,
    env_spec,
    parallel_env,
    raw_env,
)
from econ_env.registry import ENVS
from econ_env.utils import callable_module

__all__ = ["DebateEnv", "DebateParallelEnv", "env", "env_spec", "parallel_env", "raw_env"]

FULL_LENGTH_CONFIG = dict(ENVS["debate_v0"].full_length_config)
"""Overrides under which every episode runs exactly ``max_rounds`` rounds (PettingZoo's
``max_cycles_test`` and fixed-length experiments)."""
callable_module(__name__)
