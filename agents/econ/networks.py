"""ECON's per-agent belief network and the belief encoder (torch modules).

- :class:`BeliefNetwork` — one network shared by all executors, made agent-specific by a learned
  agent-id embedding (the QMIX practice of parameter sharing with an id input): an MLP over
  ``[observation, id embedding]``, a GRU cell carrying the agent's history over rounds (its
  previous belief is part of the observation), and three heads:

  * ``q``: the agent's Q-values over the K belief prototypes (the belief *action*, see
    :mod:`econ_env_agents.econ.learner` for why beliefs are discretised);
  * ``belief``: the continuous belief state ``e_i ∈ [-1, 1]^belief_state_dim`` (ECON's prompt
    embedding), read by the encoder and the mixer;
  * ``params``: the generation parameters (temperature, top_p, repetition penalty, each
    normalised to [0, 1] over the env's ``BeliefMap`` ranges) the agent expects its chosen
    belief to set — an auxiliary head regressed on the parameters the env reports.

- :class:`BeliefEncoder` — multi-head self-attention across the agents' belief states, a residual
  connection and mean pooling, giving the group representation ``E ∈ [-1, 1]^belief_state_dim``
  that conditions the mixer.

Weights are initialised from a caller's ``torch.Generator`` (:func:`init_weights`), never from
the global torch RNG.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["BeliefEncoder", "BeliefNetwork", "BeliefOutput", "init_weights"]

N_GEN_PARAMS = 3  # temperature, top_p, repetition penalty


def init_weights(module: nn.Module, generator: torch.Generator) -> None:
    """Re-initialise every parameter of ``module`` from ``generator``.

    Matrices get Xavier-uniform, embeddings N(0, 1) and vectors (biases) zeros, so two modules
    built with equally seeded generators are identical.
    """
    with torch.no_grad():
        for sub in module.modules():
            if isinstance(sub, nn.Embedding):
                nn.init.normal_(sub.weight, generator=generator)
        for name, p in module.named_parameters():
            if isinstance(module.get_submodule(name.rpartition(".")[0]), nn.Embedding):
                continue
            if p.dim() >= 2:
                nn.init.xavier_uniform_(p, generator=generator)
            else:
                nn.init.zeros_(p)


@dataclass
class BeliefOutput:
    """One step of the belief network for a batch of agents."""

    q: torch.Tensor  # (B, K) Q-values over the belief prototypes
    belief: torch.Tensor  # (B, belief_state_dim) belief state e_i in [-1, 1]
    params: torch.Tensor  # (B, 3) expected normalised generation parameters in (0, 1)
    hidden: torch.Tensor  # (B, hidden_dim) GRU state after this round


class BeliefNetwork(nn.Module):
    """MLP → GRU over rounds → heads (Q over prototypes, belief state, generation params).

    Args:
        obs_dim: length of one agent's observation vector.
        n_agents: number of executors (size of the id embedding table).
        n_actions: number of belief prototypes K.
        hidden_dim, id_embed_dim, belief_state_dim: layer sizes.
    """

    def __init__(
        self,
        obs_dim: int,
        n_agents: int,
        n_actions: int,
        hidden_dim: int = 64,
        id_embed_dim: int = 8,
        belief_state_dim: int = 16,
    ) -> None:
        super().__init__()
        for name, v in (("obs_dim", obs_dim), ("n_agents", n_agents), ("n_actions", n_actions)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        self.obs_dim, self.n_agents, self.n_actions = obs_dim, n_agents, n_actions
        self.hidden_dim = hidden_dim
        self.id_embed = nn.Embedding(n_agents, id_embed_dim)
        self.fc = nn.Linear(obs_dim + id_embed_dim, hidden_dim)
        self.gru = nn.GRUCell(hidden_dim, hidden_dim)
        self.q_head = nn.Linear(hidden_dim, n_actions)
        self.belief_head = nn.Linear(hidden_dim, belief_state_dim)
        self.param_head = nn.Linear(hidden_dim, N_GEN_PARAMS)

    def initial_hidden(self, batch: int, device: torch.device | str = "cpu") -> torch.Tensor:
        """The GRU state at the start of an episode (zeros)."""
        return torch.zeros(batch, self.hidden_dim, device=device)

    def forward(
        self, obs: torch.Tensor, agent_ids: torch.Tensor, hidden: torch.Tensor
    ) -> BeliefOutput:
        """One round: ``obs`` (B, obs_dim), ``agent_ids`` (B,) long, ``hidden`` (B, hidden)."""
        x = torch.cat([obs, self.id_embed(agent_ids)], dim=-1)
        h = self.gru(torch.relu(self.fc(x)), hidden)
        return BeliefOutput(
            q=self.q_head(h),
            belief=torch.tanh(self.belief_head(h)),
            params=torch.sigmoid(self.param_head(h)),
            hidden=h,
        )


class BeliefEncoder(nn.Module):
    """Multi-head attention across agents' belief states → group representation ``E``.

    Args:
        belief_state_dim: size of each belief state (and of ``E``).
        heads: attention heads (must divide ``belief_state_dim``).
    """

    def __init__(self, belief_state_dim: int = 16, heads: int = 2) -> None:
        super().__init__()
        if belief_state_dim % heads:
            raise ValueError(f"heads={heads} must divide belief_state_dim={belief_state_dim}")
        self.attention = nn.MultiheadAttention(belief_state_dim, heads, batch_first=True)
        self.out = nn.Linear(belief_state_dim, belief_state_dim)

    def forward(self, beliefs: torch.Tensor) -> torch.Tensor:
        """``beliefs`` (B, n_agents, d) → ``E`` (B, d) in [-1, 1]."""
        attended, _ = self.attention(beliefs, beliefs, beliefs, need_weights=False)
        return torch.tanh(self.out((attended + beliefs).mean(dim=1)))
