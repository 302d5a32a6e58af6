"""econ-env's non-learned policies, installed as ``econ_env_baselines`` (the repository folder
is ``baselines/``; the bare import name belongs to OpenAI Baselines on PyPI).

Every policy has ``act(obs, agent) -> action`` and is built from an env's public description:
``Policy(spec, seed=0)`` with an :class:`econ_env.EnvSpec`, never from the env. They are
registered in the ``econ_env.policies`` entry-point group (see ``pyproject.toml``), so
``econ_env.make_policy("truthful", econ_env.env_spec("auction_v0"))`` builds one and every
part of econ-env (CLI, single-agent view, benchmark, calibration) finds them by name.
``POLICIES`` lists auction_v0's bidders and ``DEBATE_POLICIES`` debate_v0's fixed beliefs.
"""

from econ_env_baselines.auction import (
    POLICIES,
    AlwaysSpeak,
    Policy,
    RandomBidder,
    RoundRobin,
    Silent,
    TruthfulBidder,
)
from econ_env_baselines.debate import (
    DEBATE_POLICIES,
    BeliefPolicy,
    ConservativeBelief,
    ExploratoryBelief,
    NeutralBelief,
    RandomBelief,
    RoundRobinBelief,
    TruthfulBelief,
)

__all__ = [
    "DEBATE_POLICIES",
    "POLICIES",
    "AlwaysSpeak",
    "BeliefPolicy",
    "ConservativeBelief",
    "ExploratoryBelief",
    "NeutralBelief",
    "Policy",
    "RandomBelief",
    "RandomBidder",
    "RoundRobin",
    "RoundRobinBelief",
    "Silent",
    "TruthfulBelief",
    "TruthfulBidder",
]
