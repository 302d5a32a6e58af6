"""The ECON executor policy for evaluation: belief networks, encoder, mixer and their checkpoint.

:class:`EconAgent` owns the online modules (:class:`~econ_env_agents.econ.networks.BeliefNetwork`,
:class:`~econ_env_agents.econ.networks.BeliefEncoder`,
:class:`~econ_env_agents.econ.mixer.QMixer` and the
similarity projection) and acts greedily: each executor picks the belief prototype with the
highest Q-value from its own observation and GRU history (decentralised execution; the encoder
and mixer are only used in training). ``act(obs, agent)`` works like the baselines' ``act``;
``act(obs)`` reads the agent from the observation's id one-hot; ``act({agent: obs, ...})``
answers a parallel-API step. Each executor's GRU state is reset whenever its observation shows
round 0 (a new episode). Checkpoints are safetensors (``econ_env_agents.common``), never pickle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from econ_env_agents.common import (
    load_checkpoint,
    resolve_device,
    save_checkpoint,
    seeded_generator,
)
from econ_env_agents.econ.config import EconConfig
from econ_env_agents.econ.mixer import QMixer
from econ_env_agents.econ.networks import BeliefEncoder, BeliefNetwork, init_weights
from econ_env_agents.econ.spec import EconEnvSpec, observation_vector

__all__ = ["EconAgent"]

_FORMAT = "econ-agent-v1"


class EconAgent:
    """Greedy ECON executors (see the module docstring).

    Args:
        config: the learner's settings (network sizes, seed, device).
        spec: the environment facts (:meth:`EconEnvSpec.from_env`).
    """

    def __init__(self, config: EconConfig, spec: EconEnvSpec) -> None:
        self.config, self.spec = config, spec
        self.device = resolve_device(config.device)
        # torch's default init draws from the global RNG: build under fork_rng (which restores
        # it) and re-initialise every weight from the agent's own seeded generator.
        with torch.random.fork_rng(devices=[]):
            self.belief_net = BeliefNetwork(
                spec.obs_dim,
                spec.n_agents,
                spec.n_actions,
                config.hidden_dim,
                config.id_embed_dim,
                config.belief_state_dim,
            )
            self.encoder = BeliefEncoder(config.belief_state_dim, config.attention_heads)
            self.mixer = QMixer(
                spec.n_agents, spec.state_dim, config.belief_state_dim, config.mixer_hidden_dim
            )
            self.sim_proj = nn.Linear(config.belief_state_dim, spec.emb_dim)
        gen = seeded_generator(config.seed)
        for module in self.modules().values():
            init_weights(module, gen)
            module.to(self.device)
        self.prototypes = spec.prototype_array()
        self._ids = torch.arange(spec.n_agents, device=self.device)
        self.reset()

    def modules(self) -> dict[str, nn.Module]:
        """The trainable modules by name (the checkpoint's tensor prefixes)."""
        return {
            "belief_net": self.belief_net,
            "encoder": self.encoder,
            "mixer": self.mixer,
            "sim_proj": self.sim_proj,
        }

    def reset(self) -> None:
        """Forget every executor's GRU history (a new episode)."""
        self._hidden = self.belief_net.initial_hidden(self.spec.n_agents, self.device)

    # ------------------------------------------------------------------ acting
    def q_values(self, obs_matrix: np.ndarray, hidden: torch.Tensor) -> tuple[Any, torch.Tensor]:
        """All executors' Q-values ``(n, K)`` (numpy) and the next GRU states, one round."""
        x = torch.as_tensor(obs_matrix, dtype=torch.float32, device=self.device)
        with torch.no_grad():
            out = self.belief_net(x, self._ids, hidden)
        return out.q.cpu().numpy(), out.hidden

    def env_action(self, index: int) -> Any:
        """The env action of prototype ``index``: an int (discrete) or a belief vector copy."""
        return int(index) if self.spec.discrete else self.prototypes[int(index)].copy()

    def act(self, obs: Any, agent: str | None = None) -> Any:
        """The greedy belief for one executor, or ``{agent: action}`` for a parallel obs dict."""
        if isinstance(obs, dict) and "observation" not in obs:
            return {a: self.act(o, a) for a, o in obs.items()}
        vec = observation_vector(obs)
        if vec.shape != (self.spec.obs_dim,):
            raise ValueError(f"observation must have shape ({self.spec.obs_dim},), got {vec.shape}")
        if agent is not None:
            if agent not in self.spec.agents:
                raise ValueError(f"unknown agent {agent!r}; this agent plays {self.spec.agents}")
            i = self.spec.agents.index(agent)
        else:
            i = self.spec.agent_index(vec)
        if vec[self.spec.round_index] == 0.0:  # round 0: a new episode for this executor
            self._hidden[i] = 0.0
        x = torch.as_tensor(vec[None, :], device=self.device)
        with torch.no_grad():
            out = self.belief_net(x, self._ids[i : i + 1], self._hidden[i : i + 1])
        self._hidden[i] = out.hidden[0]
        return self.env_action(int(out.q[0].argmax()))

    def generation_params(self, obs: Any, agent: str | None = None) -> dict[str, float]:
        """The param head's expected generation parameters for ``obs`` (does not advance the
        GRU state; for reporting)."""
        vec = observation_vector(obs)
        i = self.spec.agents.index(agent) if agent is not None else self.spec.agent_index(vec)
        x = torch.as_tensor(vec[None, :], device=self.device)
        with torch.no_grad():
            out = self.belief_net(x, self._ids[i : i + 1], self._hidden[i : i + 1])
        return self.spec.denormalise_params(out.params[0].cpu().numpy())

    # ------------------------------------------------------------------ checkpoints
    def state_tensors(self) -> dict[str, torch.Tensor]:
        """Every module's parameters as ``{"<module>.<param>": tensor}``."""
        return {
            f"{name}.{k}": v
            for name, m in self.modules().items()
            for k, v in m.state_dict().items()
        }

    def save(self, path: str | Path) -> Path:
        """Write a safetensors checkpoint (weights + config + env spec as JSON metadata)."""
        meta = {"format": _FORMAT, "econ": self.config.to_dict(), "env": self.spec.to_dict()}
        return save_checkpoint(path, self.state_tensors(), meta)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> EconAgent:
        """Rebuild an agent from :meth:`save`'s checkpoint on ``device``."""
        tensors, meta = load_checkpoint(path)
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{str(path)!r} is not an ECON agent checkpoint ({_FORMAT})")
        config = EconConfig.from_dict({**meta["econ"], "device": device})
        agent = cls(config, EconEnvSpec.from_dict(meta["env"]))
        for name, module in agent.modules().items():
            prefix = f"{name}."
            state = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
            module.load_state_dict(state)
        return agent
