"""econ-env: PettingZoo/Gymnasium environments in which LLM agents play communication games
under a token budget.

>>> import econ_env
>>> env = econ_env.auction_v0()            # the DALA auction game, AEC API
>>> par = econ_env.auction_v0.parallel_env(n_agents=4, mechanism="vcg", budget=1024)
>>> deb = econ_env.make("debate_v0", n_agents=4, groups=2)  # ECON's belief-driven debate
>>> vec = econ_env.make_vector("auction_v0", num_envs=4096)  # batched on torch (econ_env.vector)
>>> spec = econ_env.env_spec("auction_v0")  # what a policy may know (no env needed)
>>> one = econ_env.single_agent(econ_env.auction_v0.env, learner="bidder_0")  # gymnasium.Env

Importing the package registers ``econ_env/auction-v0`` and ``econ_env/debate-v0`` with
``pettingzoo.make`` and the single-agent views ``econ_env/Auction-v0`` and
``econ_env/Debate-v0`` with ``gymnasium.make``; :mod:`econ_env.registry` is the table behind
all of them.
"""

from __future__ import annotations

from econ_env import auction_v0, auction_v1, debate_v0, debate_v1
from econ_env.core.spec import EnvSpec
from econ_env.policies import list_policies, make_policy, register_policy
from econ_env.registry import (
    env_info,
    env_spec,
    list_envs,
    make,
    make_parallel,
    make_vector,
    register_envs,
)
from econ_env.single_agent import SingleAgentEnv, single_agent
from econ_env.version import __version__

__all__ = [
    "EnvSpec",
    "SingleAgentEnv",
    "__version__",
    "auction_v0",
    "auction_v1",
    "debate_v0",
    "debate_v1",
    "env_info",
    "env_spec",
    "list_envs",
    "list_policies",
    "make",
    "make_parallel",
    "make_policy",
    "make_vector",
    "register_policy",
    "single_agent",
]

register_envs()
