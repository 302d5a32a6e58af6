"""debate_v0 — ECON's belief-driven coordination game (versioned shim, PettingZoo convention).

``from econ_env import debate_v0`` then ``debate_v0.env()``, ``debate_v0.raw_env()`` or
``debate_v0.parallel_env()``; ``econ_env.debate_v0(**kw)`` is ``debate_v0.env(**kw)``. The
documentation is the docstring of :mod:`econ_env.envs.debate.env`.
"""

from __future__ import annotations

from econ_env.envs.debate.env import DebateEnv, env, raw_env
from econ_env.utils import callable_module, parallel_from

__all__ = ["DebateEnv", "env", "parallel_env", "raw_env"]

parallel_env = parallel_from(raw_env)

FULL_LENGTH_CONFIG = {"early_stop": False, "budget": 10**8}
"""Overrides under which every episode runs exactly ``max_rounds`` rounds (PettingZoo's
``max_cycles_test`` and fixed-length experiments)."""
callable_module(__name__)
