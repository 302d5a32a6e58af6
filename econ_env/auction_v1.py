"""auction_v1 — the DALA auction with one expert among novices by default (versioned shim).

``from econ_env import auction_v1`` then ``auction_v1.env()``, ``auction_v1.raw_env()``,
``auction_v1.parallel_env()`` and ``auction_v1.env_spec(**config)``, exactly like
:mod:`econ_env.auction_v0`; the module is callable (``econ_env.auction_v1(**kw)``). The game is
auction_v0's with ``team="one_expert"`` by default; its page is the docstring of
:mod:`econ_env.envs.auction.v1`.
"""

from __future__ import annotations

from econ_env.envs.auction.v1 import (
    DEFAULTS,
    AuctionV1Env,
    AuctionV1ParallelEnv,
    env,
    env_spec,
    parallel_env,
    raw_env,
)
from econ_env.registry import ENVS
from econ_env.utils import callable_module

__all__ = [
    "DEFAULTS",
    "AuctionV1Env",
    "AuctionV1ParallelEnv",
    "env",
    "env_spec",
    "parallel_env",
    "raw_env",
]

FULL_LENGTH_CONFIG = dict(ENVS["auction_v1"].full_length_config)
"""Overrides under which every episode runs exactly ``max_rounds`` rounds."""
callable_module(__name__)
