"""econ-env: PettingZoo/Gymnasium environments in which LLM agents play communication games
under a token budget.

>>> import econ_env
>>> env = econ_env.auction_v0()            # the DALA auction game, AEC API
>>> par = econ_env.auction_v0.parallel_env(n_agents=4, mechanism="vcg", budget=1024)
>>> deb = econ_env.debate_v0(n_agents=4, groups=2)  # ECON's belief-driven debate
>>> one = econ_env.single_agent(econ_env.auction_v0.env, learner="bidder_0")  # gymnasium.Env

Importing the package registers ``econ_env/auction-v0`` and ``econ_env/debate-v0`` with
``pettingzoo.make``.
"""

from __future__ import annotations

__version__ = "0.1.0"

from econ_env import auction_v0, debate_v0
from econ_env.envs.single_agent import SingleAgentEnv, single_agent
from econ_env.registration import register_envs

__all__ = ["SingleAgentEnv", "__version__", "auction_v0", "debate_v0", "single_agent"]

register_envs()
