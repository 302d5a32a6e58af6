"""What the ECON agent needs to know about a debate_v0 environment, read once from the env.

:class:`EconEnvSpec` records the executors, the observation layout (where the round counter and the
agent-id one-hot are), the belief prototypes the Q-heads choose from, the sentence-embedding
size (for the similarity loss), the reward weights (to re-weight reported reward components),
the belief → generation-parameter ranges, and where the mixer's global state comes from:
``env.state()`` when the env implements it, otherwise the concatenated agent observations. It
is JSON-serialisable so a checkpoint can rebuild the agent without the env.

It is not econ-env's public :class:`econ_env.EnvSpec` (what any policy may be built from): it
adds the learner's own choices (belief prototypes from :class:`EconConfig`) and facts the public
description leaves out on purpose (the embedder's size, whether ``env.state()`` exists after a
reset), so it is read from an env. It was called ``EnvSpec`` before econ-env 0.1's public spec;
that name stays an alias here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv
from pettingzoo.utils.conversions import aec_to_parallel

from econ_env_agents.econ.config import EconConfig, belief_prototypes

__all__ = ["EconEnvSpec", "EnvSpec", "as_parallel", "global_state", "observation_vector"]


def as_parallel(env: Any) -> Any:
    """A PettingZoo parallel env: AEC envs are converted, parallel envs pass through."""
    return aec_to_parallel(env) if isinstance(env, AECEnv) else env


def observation_vector(obs: Any) -> np.ndarray:
    """The float32 vector of one agent's observation (the ``"observation"`` of a Dict obs)."""
    vec = obs["observation"] if isinstance(obs, dict) else obs
    return np.asarray(vec, dtype=np.float32)


def _env_state(env: Any) -> np.ndarray | None:
    try:
        state = env.state()
    except (NotImplementedError, AttributeError, RuntimeError):
        return None
    return np.asarray(state, dtype=np.float32).reshape(-1)


@dataclass(frozen=True)
class EconEnvSpec:
    """Facts about a debate_v0 env the ECON agent is built for (see the module docstring)."""

    agents: tuple[str, ...]
    obs_dim: int
    state_dim: int
    state_source: str  # "env" (env.state()) or "concat" (agents' observations)
    emb_dim: int
    max_rounds: int
    belief_dim: int
    discrete: bool
    prototypes: tuple[tuple[float, ...], ...]
    round_index: int
    agent_id_start: int
    reward_weights: tuple[float, float, float, float]  # al, ts, cc, cost
    param_ranges: tuple[float, float, float, float, float]  # t_min, t_max, p_min, p_max, rep_max

    @property
    def n_agents(self) -> int:
        return len(self.agents)

    @property
    def n_actions(self) -> int:
        return len(self.prototypes)

    @classmethod
    def from_env(cls, env: Any, config: EconConfig) -> EconEnvSpec:
        """Read the spec from a debate_v0 env (AEC or parallel); resets it once (seed 0)."""
        penv = as_parallel(env)
        raw = penv.unwrapped
        cfg = getattr(raw, "config", None)
        if cfg is None or not hasattr(raw, "layout") or not hasattr(raw, "embedder"):
            raise ValueError(
                "the ECON agent needs a debate_v0 environment (with .config, .layout and "
                f".embedder), got {type(raw).__name__}"
            )
        agents = tuple(penv.possible_agents)
        obs, _ = penv.reset(seed=0)
        vec = observation_vector(obs[agents[0]])
        state = _env_state(penv)
        action_space = penv.action_space(agents[0])
        discrete = isinstance(action_space, spaces.Discrete)
        if discrete:
            protos = np.zeros((len(cfg.presets), cfg.belief_dim), dtype=np.float32)
            protos[:, 0] = [v for _, v in cfg.presets]
        else:
            protos = belief_prototypes(config, cfg.belief_dim)
        b = cfg.beliefs
        return cls(
            agents=agents,
            obs_dim=int(vec.shape[0]),
            state_dim=int(state.shape[0]) if state is not None else len(agents) * vec.shape[0],
            state_source="env" if state is not None else "concat",
            emb_dim=int(raw.embedder.dim),
            max_rounds=int(cfg.max_rounds),
            belief_dim=int(cfg.belief_dim),
            discrete=discrete,
            prototypes=tuple(tuple(float(x) for x in row) for row in protos),
            round_index=int(raw.layout.index("round")),
            agent_id_start=int(raw.layout.agent_id.start),
            reward_weights=(cfg.alpha_al, cfg.alpha_ts, cfg.alpha_cc, cfg.cost_weight),
            param_ranges=(b.t_min, b.t_max, b.top_p_min, b.top_p_max, b.rep_max),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (for checkpoint metadata)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EconEnvSpec:
        """Inverse of :meth:`to_dict`."""
        d = dict(data)
        d["agents"] = tuple(d["agents"])
        d["prototypes"] = tuple(tuple(row) for row in d["prototypes"])
        d["reward_weights"] = tuple(d["reward_weights"])
        d["param_ranges"] = tuple(d["param_ranges"])
        return cls(**d)

    def prototype_array(self) -> np.ndarray:
        """The prototypes as a ``(K, belief_dim)`` float32 array."""
        return np.asarray(self.prototypes, dtype=np.float32)

    def agent_index(self, obs_vec: np.ndarray) -> int:
        """The executor index from the agent-id one-hot of an observation vector."""
        ids = obs_vec[self.agent_id_start : self.agent_id_start + self.n_agents]
        if ids.shape[0] != self.n_agents or not np.isclose(ids.max(initial=0.0), 1.0):
            raise ValueError(
                "observation has no agent-id one-hot at indices "
                f"{self.agent_id_start}..{self.agent_id_start + self.n_agents - 1}; "
                "pass the agent name: act(obs, agent)"
            )
        return int(np.argmax(ids))

    def normalise_params(self, params: Mapping[str, Any]) -> np.ndarray:
        """The generation parameters an ``infos[agent]`` reports (``temperature``, ``top_p``,
        ``repetition_penalty``) → [0, 1]^3."""
        t_min, t_max, p_min, p_max, rep_max = self.param_ranges

        def unit(x: float, lo: float, hi: float) -> float:
            return 0.5 if hi <= lo else min(max((x - lo) / (hi - lo), 0.0), 1.0)

        return np.array(
            [
                unit(params["temperature"], t_min, t_max),
                unit(params["top_p"], p_min, p_max),
                unit(params["repetition_penalty"], 1.0, rep_max),
            ],
            dtype=np.float32,
        )

    def denormalise_params(self, unit: np.ndarray) -> dict[str, float]:
        """Inverse of :meth:`normalise_params` (for reporting the param head)."""
        t_min, t_max, p_min, p_max, rep_max = self.param_ranges
        u = np.clip(np.asarray(unit, dtype=np.float64), 0.0, 1.0)
        return {
            "temperature": float(t_min + u[0] * (t_max - t_min)),
            "top_p": float(p_min + u[1] * (p_max - p_min)),
            "repetition_penalty": float(1.0 + u[2] * (rep_max - 1.0)),
        }


EnvSpec = EconEnvSpec
"""The former name of :class:`EconEnvSpec` (kept as an alias)."""


def global_state(spec: EconEnvSpec, env: Any, obs_matrix: np.ndarray) -> np.ndarray:
    """The mixer's global state: ``env.state()`` or the flattened ``(n, obs_dim)`` observations."""
    if spec.state_source == "env":
        state = _env_state(env)
        if state is not None and state.shape[0] == spec.state_dim:
            return state
        raise ValueError(f"env.state() must be a vector of length {spec.state_dim}")
    return obs_matrix.reshape(-1).astype(np.float32)
