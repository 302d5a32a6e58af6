"""DALA reference agents (bidding policies for auction_v0); see DESIGN.md §7.

- :mod:`econ_env_agents.dala.alpha`: the repo-style agent, bid = α·û/L̂ with one α per agent tuned by
  REINFORCE with a moving-average baseline (``AlphaAgent``, ``train_alpha``).
- :mod:`econ_env_agents.dala.mappo`: the paper-style agent, a shared bid/belief actor with a
  centralised value-density critic trained by MAPPO through Tianshou, on continuous or discrete
  bids (``DalaMAPPOAgent``, ``train_mappo``); its Tianshou PPO subclass is
  :mod:`econ_env_agents.dala.ppo`.
"""

from typing import Any

from econ_env_agents.dala.alpha import AlphaAgent, AlphaConfig, train_alpha

_MAPPO = ("DalaMAPPOAgent", "MAPPOConfig", "train_mappo")


def __getattr__(name: str) -> Any:
    """The MAPPO names are imported on first use: they need Tianshou, the α agent does not."""
    if name in _MAPPO:
        from econ_env_agents.dala import mappo

        return getattr(mappo, name)
    raise AttributeError(f"module 'econ_env_agents.dala' has no attribute {name!r}")


__all__ = [
    "AlphaAgent",
    "AlphaConfig",
    "DalaMAPPOAgent",
    "MAPPOConfig",
    "train_alpha",
    "train_mappo",
]
