"""Tianshou's PPO, adapted to turn-based multi-agent games: the algorithm class of the DALA MAPPO
agent (:mod:`econ_env_agents.dala.mappo`).

:class:`DalaMAPPO` subclasses Tianshou 2.0.1's PPO only where a turn-based multi-agent game
needs it:

- ``_preprocess_batch`` chains each agent's own transitions
  (:func:`econ_env.integrations.tianshou.chain_agent_transitions`): every action gets the
  reward its round settled, its successor is the agent's own next turn, and GAE runs along
  that chain (upstream's GAE would chain the interleaved transitions of all agents); dead steps
  are dropped;
- ``_update_with_batch`` is PPO's clipped loss with minibatches shuffled by an owned
  ``np.random.Generator``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from tianshou.algorithm import PPO
from tianshou.algorithm.modelfree.a2c import A2CTrainingStats
from tianshou.data import SequenceSummaryStats, to_torch_as

from econ_env.integrations.tianshou import chain_agent_transitions

__all__ = ["DalaMAPPO"]


class DalaMAPPO(PPO):
    """Tianshou PPO with per-agent chaining of turn-based transitions (module docstring)."""

    def __init__(self, *, rng: np.random.Generator, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rng = rng

    def _values(self, obs: Any) -> np.ndarray:
        out = []
        with torch.no_grad():
            for start in range(0, len(obs), self.max_batchsize):
                out.append(self.critic(obs[start : start + self.max_batchsize]).flatten())
        return torch.cat(out).cpu().numpy().astype(np.float64)

    def _preprocess_batch(self, batch: Any, buffer: Any, indices: np.ndarray) -> Any:
        agent = np.asarray(batch.obs.agent_index, dtype=np.int64)
        offsets = np.asarray(getattr(buffer, "_offset", [0]))
        sub = np.searchsorted(offsets, indices, side="right") - 1
        starts = np.concatenate([[True], sub[1:] != sub[:-1]])
        chain = chain_agent_transitions(
            agent,
            np.asarray(batch.obs.alive) > 0.5,
            np.asarray(batch.rew)[np.arange(len(agent)), agent],
            np.logical_or(batch.terminated, batch.truncated),
            new_sequence=starts,
        )
        v = self._values(batch.obs)
        adv = np.zeros(len(agent))
        for t in np.flatnonzero(chain["valid"])[::-1]:
            nxt, last = chain["next"][t], chain["last"][t]
            boot = 0.0 if last else v[nxt]
            follow = 0.0 if last else adv[nxt]
            delta = chain["reward"][t] + self.gamma * boot - v[t]
            adv[t] = delta + self.gamma * self.gae_lambda * follow
        keep = np.flatnonzero(chain["valid"])
        out = batch[keep]
        device = next(self.critic.parameters()).device
        out.v_s = torch.as_tensor(v[keep], dtype=torch.float32, device=device)
        out.adv = to_torch_as(adv[keep], out.v_s)
        out.returns = out.adv + out.v_s
        out.act = to_torch_as(out.act, out.v_s)
        with torch.no_grad():
            out.logp_old = self.policy(out).dist.log_prob(out.act).flatten()
        return out

    def _update_with_batch(self, batch: Any, batch_size: int | None, repeat: int) -> Any:
        losses, clip_losses, vf_losses, ent_losses = [], [], [], []
        n = len(batch)
        size = batch_size or n
        steps = 0
        for _ in range(repeat):
            perm = self.rng.permutation(n)
            for start in range(0, n, size):
                mb = batch[perm[start : start + size]]
                dist = self.policy(mb).dist
                adv = mb.adv
                if self.advantage_normalization and len(adv) > 1:
                    adv = (adv - adv.mean()) / (adv.std() + self._eps)
                ratio = (dist.log_prob(mb.act).flatten() - mb.logp_old).exp()
                surr = torch.min(
                    ratio * adv, ratio.clamp(1 - self.eps_clip, 1 + self.eps_clip) * adv
                )
                clip_loss = -surr.mean()
                vf_loss = (mb.returns - self.critic(mb.obs).flatten()).pow(2).mean()
                ent = dist.entropy().mean()
                loss = clip_loss + self.vf_coef * vf_loss - self.ent_coef * ent
                self.optim.step(loss)
                steps += 1
                losses.append(loss.item())
                clip_losses.append(clip_loss.item())
                vf_losses.append(vf_loss.item())
                ent_losses.append(ent.item())
        return A2CTrainingStats(
            loss=SequenceSummaryStats.from_sequence(losses),
            actor_loss=SequenceSummaryStats.from_sequence(clip_losses),
            vf_loss=SequenceSummaryStats.from_sequence(vf_losses),
            ent_loss=SequenceSummaryStats.from_sequence(ent_losses),
            gradient_steps=steps,
        )
