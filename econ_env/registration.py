"""PettingZoo registry entries for econ-env's environments.

After ``import econ_env``: ``pettingzoo.make("aec", "econ_env/auction-v0", **config)``,
``pettingzoo.make("parallel", "econ_env/debate-v0", **config)``, and so on for every id below.
"""

from __future__ import annotations

import pettingzoo

ENV_IDS: dict[str, str] = {
    "econ_env/auction-v0": "econ_env.auction_v0",
    "econ_env/debate-v0": "econ_env.debate_v0",
}


def register_envs() -> None:
    """Register every environment (idempotent)."""
    for env_id, module in ENV_IDS.items():
        if env_id not in pettingzoo.aec_registry:
            pettingzoo.register("aec", env_id, entry_point=f"{module}:env")
        if env_id not in pettingzoo.parallel_registry:
            pettingzoo.register("parallel", env_id, entry_point=f"{module}:parallel_env")
