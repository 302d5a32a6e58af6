"""debate_v1 — the ECON debate with one expert among herding executors by default (versioned shim).

``from econ_env import debate_v1`` then ``debate_v1.env()``, ``debate_v1.raw_env()``,
``debate_v1.parallel_env()`` and ``debate_v1.env_spec(**config)``, exactly like
:mod:`econ_env.debate_v0`; the module is callable (``econ_env.debate_v1(**kw)``). The game is
debate_v0's with regime ``expert_herding``'s defaults; its page is the docstring of
:mod:`econ_env.envs.debate.v1`.
"""

from __future__ import annotations

from econ_env.envs.debate.v1 import (
    DEFAULTS,
    V0_CONFIG,
    DebateV1Env,
    DebateV1ParallelEnv,
    env,
    env_spec,
    parallel_env,
    raw_env,
)
from econ_env.registry import ENVS
from econ_env.utils import callable_module

__all__ = [
    "DEFAULTS",
    "V0_CONFIG",
    "DebateV1Env",
    "DebateV1ParallelEnv",
    "env",
    "env_spec",
    "parallel_env",
    "raw_env",
]

FULL_LENGTH_CONFIG = dict(ENVS["debate_v1"].full_length_config)
"""Overrides under which every episode runs exactly ``max_rounds`` rounds."""
callable_module(__name__)
