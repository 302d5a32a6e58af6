"""ECON's centralised mixer: a monotonic QMIX network conditioned on the group representation.

``Q_tot = f(Q_1, ..., Q_n; s, E)`` where the mixing weights come from hypernetworks fed with the
global state ``s`` and the belief encoder's group representation ``E``. The weights that touch
the agents' Q-values pass through ``abs``, so ``∂Q_tot/∂Q_i >= 0`` for every agent (QMIX's
monotonicity): each executor's greedy belief on its own Q_i is then also greedy for Q_tot, which
is what lets the executors act decentrally from their own belief networks.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["QMixer"]


class QMixer(nn.Module):
    """Monotonic mixing of per-agent Q-values with hypernetworks over ``[state, E]``.

    Args:
        n_agents: number of per-agent Q-values mixed.
        state_dim: length of the global state vector.
        group_dim: length of the group representation ``E``.
        hidden_dim: width of the mixing layer (and of the hypernetworks).
    """

    def __init__(self, n_agents: int, state_dim: int, group_dim: int, hidden_dim: int = 32):
        super().__init__()
        for name, v in (("n_agents", n_agents), ("state_dim", state_dim), ("group_dim", group_dim)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        self.n_agents, self.hidden_dim = n_agents, hidden_dim
        cond = state_dim + group_dim
        self.hyper_w1 = nn.Sequential(
            nn.Linear(cond, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, n_agents * hidden_dim)
        )
        self.hyper_b1 = nn.Linear(cond, hidden_dim)
        self.hyper_w2 = nn.Sequential(
            nn.Linear(cond, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, hidden_dim)
        )
        self.value = nn.Sequential(nn.Linear(cond, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, 1))

    def forward(self, agent_qs: torch.Tensor, state: torch.Tensor, group: torch.Tensor):
        """``agent_qs`` (B, n), ``state`` (B, state_dim), ``group`` (B, group_dim) → (B,)."""
        b = agent_qs.shape[0]
        cond = torch.cat([state, group], dim=-1)
        w1 = torch.abs(self.hyper_w1(cond)).view(b, self.n_agents, self.hidden_dim)
        b1 = self.hyper_b1(cond).view(b, 1, self.hidden_dim)
        hidden = F.elu(torch.bmm(agent_qs.view(b, 1, self.n_agents), w1) + b1)
        w2 = torch.abs(self.hyper_w2(cond)).view(b, self.hidden_dim, 1)
        return (torch.bmm(hidden, w2) + self.value(cond).view(b, 1, 1)).view(b)
