"""DALA reference agents (bidding policies for auction_v0); see DESIGN.md §7.

- :mod:`agents.dala.mappo`: the paper-style agent, a shared bid/belief actor with a centralised
  value-density critic trained by MAPPO through Tianshou (``DalaMAPPOAgent``, ``train_mappo``).
"""

from agents.dala.mappo import DalaMAPPOAgent, MAPPOConfig, train_mappo

__all__ = ["DalaMAPPOAgent", "MAPPOConfig", "train_mappo"]
