"""The trained reference agents of the sim-to-real study (docs/fidelity.md), as policies.

``benchmarks/sim_to_real_agents.py`` trains them on the simulator fitted to the study's real
completions and writes their safetensors weights to ``econ_env_agents/weights/``; these
factories load them for :func:`econ_env.make_policy` as ``"econ_env_agents.fidelity:alpha"``
(DALA's α-REINFORCE bidders, auction_v0) and ``"econ_env_agents.fidelity:econ"`` (the ECON
executors, debate_v0). ``seed`` is accepted for the policy-factory signature; both act
deterministically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from econ_env.core.spec import EnvSpec

__all__ = ["ALPHA_WEIGHTS", "ECON_WEIGHTS", "alpha", "econ"]

WEIGHTS = Path(__file__).resolve().parent / "weights"
ALPHA_WEIGHTS = WEIGHTS / "fidelity_alpha.safetensors"
ECON_WEIGHTS = WEIGHTS / "fidelity_econ.safetensors"


def alpha(spec: EnvSpec, seed: int = 0) -> Any:
    """The α-REINFORCE bidders trained for the study (``ValueError`` if ``spec`` is not
    auction_v0 with the study's number of agents)."""
    from econ_env_agents.dala.alpha import AlphaAgent

    agent = AlphaAgent.load(ALPHA_WEIGHTS, device="cpu")
    if spec.env != "auction_v0" or len(agent.alphas) != spec.n_agents:
        raise ValueError(
            f"econ_env_agents.fidelity:alpha plays auction_v0 with {len(agent.alphas)} agents, "
            f"got {spec.env} with {spec.n_agents}"
        )
    return agent


def econ(spec: EnvSpec, seed: int = 0) -> Any:
    """The ECON executors trained for the study (``ValueError`` unless ``spec`` is debate_v0)."""
    from econ_env_agents.econ.agent import EconAgent

    if spec.env != "debate_v0":
        raise ValueError(f"econ_env_agents.fidelity:econ plays debate_v0, got {spec.env}")
    return EconAgent.load(ECON_WEIGHTS, device="cpu")
