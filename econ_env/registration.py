"""PettingZoo registry entries for econ-env's environments.

After ``import econ_env``: ``pettingzoo.make("aec", "econ_env/auction-v0", **config)``,
``pettingzoo.make("parallel", "econ_env/debate-v0", **config)``, and so on for every id below;
``gymnasium.make("econ_env/Auction-v0", **config)`` for the single-agent views.
"""

from __future__ import annotations

import gymnasium
import pettingzoo

ENV_IDS: dict[str, str] = {
    "econ_env/auction-v0": "econ_env.auction_v0",
    "econ_env/debate-v0": "econ_env.debate_v0",
}


GYM_IDS: dict[str, str] = {
    "econ_env/Auction-v0": "econ_env.envs.single_agent:make_auction",
    "econ_env/Debate-v0": "econ_env.envs.single_agent:make_debate",
}
"""Gymnasium single-agent views: one learner seat among fixed co-players."""


def register_envs() -> None:
    """Register every environment with PettingZoo and Gymnasium (idempotent)."""
    for env_id, entry_point in GYM_IDS.items():
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point=entry_point)
    for env_id, module in ENV_IDS.items():
        if env_id not in pettingzoo.aec_registry:
            pettingzoo.register("aec", env_id, entry_point=f"{module}:env")
        if env_id not in pettingzoo.parallel_registry:
            pettingzoo.register("parallel", env_id, entry_point=f"{module}:parallel_env")
