"""auction_v0 — the DALA auction game (versioned shim, PettingZoo convention).

``from econ_env import auction_v0`` then ``auction_v0.env()``, ``auction_v0.raw_env()`` or
``auction_v0.parallel_env()``. The module itself is callable: ``econ_env.auction_v0(**kw)`` is
``auction_v0.env(**kw)``. The documentation is the docstring of
:mod:`econ_env.envs.auction.env`.
"""

from __future__ import annotations

from econ_env.envs.auction.env import AuctionEnv, env, raw_env
from econ_env.utils import callable_module, parallel_from

__all__ = ["AuctionEnv", "env", "parallel_env", "raw_env"]

parallel_env = parallel_from(raw_env)

FULL_LENGTH_CONFIG = {"stop_on_consensus": False, "budget": 10**7, "invalid_action": "silence"}
"""Overrides under which every episode runs exactly ``max_rounds`` rounds, even with actions
sampled without masks (PettingZoo's ``max_cycles_test`` and fixed-length experiments)."""
callable_module(__name__)
