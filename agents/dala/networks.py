"""Networks of the DALA MAPPO agent: a shared actor with an agent-id embedding and a
centralised value-density critic.

- :class:`DalaActor` maps one agent's own observation (plus a learned embedding of its agent
  index, so one set of weights serves every bidder) to a diagonal Gaussian over the action
  ``[bid, belief...]`` in pre-clip units (the Tianshou adapter clips into ``Box(-1, 1)``).
- :class:`DalaCategoricalActor` is the same body for ``action_type="discrete"``: logits over
  silence and the bid levels (of every message tier), with the env's action mask applied
  (masked actions get probability 0), for :class:`SeededCategorical`.
- :class:`ValueDensityCritic` is MAPPO's centralised critic: it reads the global state
  ``env.state()`` (every bidder's observation) plus the agent embedding and predicts the
  agent's value ``V``. DALA bids *value density*, value per message token; the critic reports
  ``density = V / L̂`` with ``L̂`` the agent's own draft length in tokens
  (:meth:`ValueDensityCritic.density`). The density is reported (``DalaMAPPOAgent.evaluate``)
  rather than fed back into the actor, so the actor's gradient stays PPO's.
- :class:`SeededNormal` and :class:`SeededCategorical` sample from an owned
  ``torch.Generator`` (never the global RNG).

The networks accept Tianshou ``Batch`` observations (fields ``obs``, ``state``,
``agent_index``, and ``mask`` for discrete actions, as produced by
:class:`econ_env.integrations.tianshou.TianshouAECEnv`) or plain arrays.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = [
    "DalaActor",
    "DalaCategoricalActor",
    "SeededCategorical",
    "SeededNormal",
    "ValueDensityCritic",
    "mlp",
]


def mlp(sizes: list[int]) -> nn.Sequential:
    """A tanh MLP with the given layer sizes (no activation after the last layer)."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


def _tensor(x: Any, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(x, dtype=torch.float32, device=device)


def _index(x: Any, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(x, dtype=torch.long, device=device).reshape(-1)


class DalaActor(nn.Module):
    """Shared Gaussian actor: (own observation, agent embedding) → (mean, std)."""

    def __init__(
        self,
        obs_dim: int,
        act_dim: int,
        n_agents: int,
        hidden: int = 64,
        embed_dim: int = 8,
        init_log_std: float = -0.5,
    ) -> None:
        super().__init__()
        self.embed = nn.Embedding(n_agents, embed_dim)
        self.body = mlp([obs_dim + embed_dim, hidden, hidden, act_dim])
        self.log_std = nn.Parameter(torch.full((act_dim,), float(init_log_std)))

    @property
    def device(self) -> torch.device:
        return self.log_std.device

    def mean(self, obs: Any, agent_index: Any) -> torch.Tensor:
        """The mean action for a batch of observations and agent indices."""
        x = _tensor(obs, self.device)
        e = self.embed(_index(agent_index, self.device))
        return self.body(torch.cat([x, e], dim=-1))

    def forward(
        self, obs: Any, state: Any = None, info: Any = None
    ) -> tuple[tuple[torch.Tensor, torch.Tensor], Any]:
        """Tianshou's actor protocol: ``obs`` is a Batch with ``obs`` and ``agent_index``."""
        mu = self.mean(obs.obs, obs.agent_index)
        return (mu, self.log_std.exp().expand_as(mu)), state


class DalaCategoricalActor(nn.Module):
    """Shared categorical actor: (own observation, agent embedding, action mask) → logits.

    The last layer starts at 1% of its default scale, so every allowed action starts equally
    likely (as in CleanRL's PPO); masked actions get a logit of ``-1e9``.
    """

    def __init__(self, obs_dim: int, n_actions: int, n_agents: int, hidden: int = 64,
                 embed_dim: int = 8) -> None:  # fmt: skip
        super().__init__()
        self.embed = nn.Embedding(n_agents, embed_dim)
        self.body = mlp([obs_dim + embed_dim, hidden, hidden, n_actions])
        last = self.body[-1]
        with torch.no_grad():
            last.weight.mul_(0.01)
            last.bias.zero_()

    @property
    def device(self) -> torch.device:
        return self.embed.weight.device

    def logits(self, obs: Any, agent_index: Any, mask: Any = None) -> torch.Tensor:
        """Masked logits for a batch of observations, agent indices and (optional) masks."""
        x = _tensor(obs, self.device)
        e = self.embed(_index(agent_index, self.device))
        out = self.body(torch.cat([x, e], dim=-1))
        if mask is not None:
            allowed = torch.as_tensor(mask, device=self.device).reshape(out.shape) > 0
            out = out.masked_fill(~allowed, -1e9)
        return out

    def forward(self, obs: Any, state: Any = None, info: Any = None) -> tuple[torch.Tensor, Any]:
        """Tianshou's actor protocol: ``obs`` is a Batch with ``obs``, ``agent_index``, ``mask``."""
        return self.logits(obs.obs, obs.agent_index, getattr(obs, "mask", None)), state


class ValueDensityCritic(nn.Module):
    """Centralised critic: (global state, agent embedding) → value of that agent."""

    def __init__(self, state_dim: int, n_agents: int, hidden: int = 64, embed_dim: int = 8) -> None:
        super().__init__()
        self.embed = nn.Embedding(n_agents, embed_dim)
        self.body = mlp([state_dim + embed_dim, hidden, hidden, 1])

    @property
    def device(self) -> torch.device:
        return self.embed.weight.device

    def value(self, state: Any, agent_index: Any) -> torch.Tensor:
        """``V(s, i)`` with shape ``(batch, 1)``."""
        s = _tensor(state, self.device)
        e = self.embed(_index(agent_index, self.device))
        return self.body(torch.cat([s, e], dim=-1))

    def forward(self, obs: Any) -> torch.Tensor:
        """Tianshou's critic protocol: ``obs`` is a Batch with ``state`` and ``agent_index``."""
        return self.value(obs.state, obs.agent_index)

    @staticmethod
    def density(value: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """Value per message token, ``V / max(L̂, 1)`` (DALA's value density)."""
        return value / tokens.clamp(min=1.0)


class SeededNormal(torch.distributions.Normal):
    """A Normal distribution whose ``sample`` draws from an owned ``torch.Generator``."""

    def __init__(self, loc: torch.Tensor, scale: torch.Tensor, generator: torch.Generator):
        super().__init__(loc, scale, validate_args=False)
        self.generator = generator

    def sample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:  # noqa: B008
        shape = self._extended_shape(sample_shape)
        with torch.no_grad():
            eps = torch.randn(
                shape, generator=self.generator, device=self.loc.device, dtype=self.loc.dtype
            )
            return self.loc.expand(shape) + eps * self.scale.expand(shape)


class SeededCategorical(torch.distributions.Categorical):
    """A Categorical distribution whose ``sample`` draws from an owned ``torch.Generator``."""

    def __init__(self, logits: torch.Tensor, generator: torch.Generator):
        super().__init__(logits=logits, validate_args=False)
        self.generator = generator

    def sample(self, sample_shape: torch.Size = torch.Size()) -> torch.Tensor:  # noqa: B008
        n = int(torch.Size(sample_shape).numel())
        with torch.no_grad():
            probs = self.probs.reshape(-1, self._num_events)
            draws = torch.multinomial(probs, n, replacement=True, generator=self.generator)
            return draws.T.reshape(self._extended_shape(sample_shape))
