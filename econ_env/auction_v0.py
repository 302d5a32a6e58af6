"""auction_v0 — the DALA auction game (versioned shim, PettingZoo convention).

``from econ_env import auction_v0`` then ``auction_v0.env()``, ``auction_v0.raw_env()`` or
``auction_v0.parallel_env()`` (native parallel API), and ``auction_v0.env_spec(**config)`` for
the public description policies are built from. The module itself is callable:
``econ_env.auction_v0(**kw)`` is ``auction_v0.env(**kw)``. The documentation is the docstring
of :mod:`econ_env.envs.auction.env`; the env's entry in :mod:`econ_env.registry` holds the rest.
"""

from __future__ import annotations

from econ_env.envs.auction.env import (
    AuctionEnv,
    AuctionParallelEnv,
    env,
    env_spec,
    parallel_env,
    raw_env,
)
from econ_env.registry import ENVS
from econ_env.utils import callable_module

__all__ = ["AuctionEnv", "AuctionParallelEnv", "env", "env_spec", "parallel_env", "raw_env"]

FULL_LENGTH_CONFIG = dict(ENVS["auction_v0"].full_length_config)
"""Overrides under which every episode runs exactly ``max_rounds`` rounds, even with actions
sampled without masks (PettingZoo's ``max_cycles_test`` and fixed-length experiments)."""
callable_module(__name__)
