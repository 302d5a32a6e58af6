"""The ECON learner: QMIX-style training of the executors' belief networks on debate_v0.

**Why discrete belief prototypes.** debate_v0's belief action is continuous
(``Box(-1, 1, (belief_dim,))``). ECON trains its belief networks with TD losses through a
monotonic mixer; QMIX's guarantee — each executor's greedy action on its own ``Q_i`` is greedy
for ``Q_tot`` (monotonicity), so execution stays decentralised — needs an argmax over a finite
action set. We therefore discretise the belief action into K prototypes (by default the grid
``{-1, 0, 1}`` over the temperature and repetition-penalty dimensions, every other dimension
neutral; with ``action_type="discrete"`` the env's presets) and learn ``Q_i(τ_i, k)`` per
prototype. An actor head trained through Q (DDPG/FACMAC style) would keep the action continuous
but loses the argmax decomposition and needs a second, less stable optimisation; with the
simulator's effects being coarse (temperatures above ``t_ref`` hurt, penalties shorten answers),
a handful of prototypes covers the decisions that matter.

**Losses** (one combined objective, Adam, global-norm clipping), over sampled whole episodes with
the GRU unrolled from the zero state:

- team TD on ``Q_tot = mixer(Q_1(a_1), ..., Q_n(a_n); s, E)`` with the team reward (the sum of
  the executors' rewards) and a double-Q target: the online networks pick ``a'``, the target
  belief networks, encoder and mixer evaluate it;
- per-agent TD of each ``Q_i`` on the executor's own reward (double-Q as well);
- similarity: ``1 − cos(W e_i, c_t)`` between each executor's projected belief state and the
  sentence embedding ``c_t`` of the commitment its round produced (settled rounds only);
- consistency regulariser: ``‖e_i − E‖²``, each belief state against the group representation;
- generation parameters: MSE of the param head against the (normalised) parameters the env
  applied.

Every ending of debate_v0 is final (no reward follows: ``max_rounds`` included, since the round
counter is in the observation), so no step bootstraps past it. Target networks follow the
online ones by soft updates ``φ' ← τφ + (1 − τ)φ'`` after every gradient step. With
``dynamic_weights=True`` the reward weights ``α = (α_AL, α_TS, α_CC)`` are re-learned from the
replay (:meth:`EconLearner.update_reward_weights`); rewards are recomputed from the stored
components, which reproduces the env's reward exactly when the weights are the env's.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from econ_env_agents.econ.agent import EconAgent
from econ_env_agents.econ.config import EconConfig
from econ_env_agents.econ.replay import Episode, EpisodeReplay
from econ_env_agents.econ.rollout import collect_episode
from econ_env_agents.econ.spec import EconEnvSpec, as_parallel

__all__ = ["EconAgent", "EconLearner", "train_econ"]


def _masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    mask = mask.expand_as(x)
    return (x * mask).sum() / mask.sum().clamp(min=1.0)


class EconLearner:
    """Replay, target networks, losses and updates around an :class:`EconAgent`.

    Args:
        agent: the online agent (trained in place).
    """

    def __init__(self, agent: EconAgent) -> None:
        self.agent, self.config, self.spec = agent, agent.config, agent.spec
        cfg, spec = self.config, self.spec
        self.targets = {k: copy.deepcopy(m) for k, m in agent.modules().items() if k != "sim_proj"}
        for m in self.targets.values():
            m.requires_grad_(False)
        params = [p for m in agent.modules().values() for p in m.parameters()]
        self.optimizer = torch.optim.Adam(params, lr=cfg.lr)
        self.replay = EpisodeReplay(
            cfg.buffer_episodes,
            spec.max_rounds,
            spec.n_agents,
            spec.obs_dim,
            spec.state_dim,
            spec.emb_dim,
            seed=cfg.seed,
        )
        self.rng = np.random.default_rng(cfg.seed + 1)
        al, ts, cc, cost = spec.reward_weights
        self.cost_weight = float(cost)
        self.env_alpha = np.array([al, ts, cc], dtype=np.float64)
        self.alpha_total = al + ts + cc
        self.alpha_logits = torch.log(torch.tensor([al, ts, cc], dtype=torch.float64) + 1e-8)
        self.episodes = 0
        self.updates = 0

    # ------------------------------------------------------------------ reward weights
    @property
    def reward_weights(self) -> np.ndarray:
        """The current (α_AL, α_TS, α_CC): the env's, or the learned ones when dynamic."""
        if not self.config.dynamic_weights:
            return self.env_alpha.copy()
        return (torch.softmax(self.alpha_logits, 0) * self.alpha_total).numpy()

    def rewards_from_components(self, components: np.ndarray) -> np.ndarray:
        """``α_AL·AL + α_TS·TS + α_CC·CC − λ·cost`` from ``(..., 4)`` components (ts, al, cc,
        cost), in float64, in the env's order of operations."""
        al, ts, cc = (float(w) for w in self.reward_weights)
        c = components.astype(np.float64)
        return al * c[..., 1] + ts * c[..., 0] + cc * c[..., 2] - self.cost_weight * c[..., 3]

    def update_reward_weights(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        """One ascent step of ``Σ_k α_k·cov(component_k, final correctness)`` on the weights'
        logits (the total ``α_AL + α_TS + α_CC`` is kept): components that predict a correct
        final answer gain weight. Returns the new weights."""
        m = batch["mask"][..., None, None]
        per_ep = (batch["components"] * m).sum(axis=(1, 2)) / np.maximum(
            m.sum(axis=(1, 2)) * self.spec.n_agents, 1.0
        )  # (B, 4): mean ts, al, cc, cost per agent-round
        comps = per_ep[:, [1, 0, 2]]  # al, ts, cc
        y = batch["correct"]
        cov = ((comps - comps.mean(0)) * (y - y.mean())[:, None]).mean(0)
        logits = self.alpha_logits.clone().requires_grad_(True)
        objective = (torch.softmax(logits, 0) * torch.as_tensor(cov)).sum()
        (grad,) = torch.autograd.grad(objective, logits)
        self.alpha_logits = (logits + self.config.alpha_lr * grad).detach()
        return self.reward_weights

    # ------------------------------------------------------------------ data
    def collect(self, env: Any, seed: int | None = None) -> Episode | None:
        """Play one ε-greedy episode into the replay (ε from the episode count)."""
        ep = collect_episode(
            self.agent, env, self.config.epsilon(self.episodes), self.rng, seed=seed
        )
        if ep is not None:
            self.replay.add(ep)
        self.episodes += 1
        return ep

    # ------------------------------------------------------------------ losses
    def _unroll(self, net: Any, obs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Run a belief network over (B, T+1, n, obs_dim): q, belief, params with (B, T+1, n, ·)."""
        b, t1, n, _ = obs.shape
        ids = torch.arange(n, device=obs.device).repeat(b)
        h = net.initial_hidden(b * n, obs.device)
        qs, es, ps = [], [], []
        for t in range(t1):
            out = net(obs[:, t].reshape(b * n, -1), ids, h)
            h = out.hidden
            qs.append(out.q.view(b, n, -1))
            es.append(out.belief.view(b, n, -1))
            ps.append(out.params.view(b, n, -1))
        return torch.stack(qs, 1), torch.stack(es, 1), torch.stack(ps, 1)

    @staticmethod
    def _mix(encoder: Any, mixer: Any, qs: torch.Tensor, beliefs: torch.Tensor, state: Any):
        """Q_tot (B, T) from chosen Q-values (B, T, n), beliefs (B, T, n, d), state (B, T, S)."""
        b, t, n = qs.shape
        group = encoder(beliefs.reshape(b * t, n, -1))
        q_tot = mixer(qs.reshape(b * t, n), state.reshape(b * t, -1), group)
        return q_tot.view(b, t), group.view(b, t, -1)

    def losses(self, batch: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
        """Every loss term on a sampled batch (tensors; ``total`` is the weighted sum)."""
        cfg, agent, dev = self.config, self.agent, self.agent.device

        def tensor(x: np.ndarray, dtype: Any = torch.float32) -> torch.Tensor:
            return torch.as_tensor(x, dtype=dtype, device=dev)

        obs, state = tensor(batch["obs"]), tensor(batch["state"])
        actions = tensor(batch["actions"], torch.long)
        mask, done = tensor(batch["mask"]), tensor(batch["done"])
        r_i = tensor(self.rewards_from_components(batch["components"]))  # (B, T, n)
        r_team = r_i.sum(-1)
        t = actions.shape[1]

        q, e, p = self._unroll(agent.belief_net, obs)
        q_taken = q[:, :t].gather(-1, actions[..., None]).squeeze(-1)  # (B, T, n)
        q_tot, group = self._mix(agent.encoder, agent.mixer, q_taken, e[:, :t], state[:, :t])
        with torch.no_grad():
            tq, te, _ = self._unroll(self.targets["belief_net"], obs)
            best = q[:, 1:].argmax(-1, keepdim=True)  # double Q: online picks, target evaluates
            tq_next = tq[:, 1:].gather(-1, best).squeeze(-1)
            tq_tot, _ = self._mix(
                self.targets["encoder"], self.targets["mixer"], tq_next, te[:, 1:], state[:, 1:]
            )
            y_tot = r_team + cfg.gamma * (1.0 - done) * tq_tot
            y_i = r_i + cfg.gamma * (1.0 - done)[..., None] * tq_next
        team_td = _masked_mean((q_tot - y_tot) ** 2, mask)
        agent_td = _masked_mean((q_taken - y_i) ** 2, mask[..., None])
        feats = agent.sim_proj(e[:, :t])  # (B, T, n, emb_dim)
        commit = tensor(batch["commitment"])[:, :, None, :]
        sim = 1.0 - F.cosine_similarity(feats, commit.expand_as(feats), dim=-1)
        settled = (mask * tensor(batch["settled"]))[..., None]
        similarity = _masked_mean(sim, settled)
        consistency = _masked_mean(
            ((e[:, :t] - group[:, :, None, :]) ** 2).mean(-1), mask[..., None]
        )
        params = _masked_mean(((p[:, :t] - tensor(batch["params"])) ** 2).mean(-1), settled)
        total = (
            cfg.w_team_td * team_td
            + cfg.w_agent_td * agent_td
            + cfg.w_similarity * similarity
            + cfg.w_consistency * consistency
            + cfg.w_params * params
        )
        return {
            "total": total,
            "team_td": team_td,
            "agent_td": agent_td,
            "similarity": similarity,
            "consistency": consistency,
            "params": params,
            "q_tot": _masked_mean(q_tot.detach(), mask),
        }

    def train_step(self) -> dict[str, float]:
        """One gradient step on a sampled batch, then a soft target update; the loss values."""
        batch = self.replay.sample(self.config.batch_episodes)
        if self.config.dynamic_weights:
            self.update_reward_weights(batch)
        out = self.losses(batch)
        self.optimizer.zero_grad(set_to_none=True)
        out["total"].backward()
        params = [p for m in self.agent.modules().values() for p in m.parameters()]
        torch.nn.utils.clip_grad_norm_(params, self.config.grad_clip)
        self.optimizer.step()
        self.soft_update()
        self.updates += 1
        return {k: float(v.detach()) for k, v in out.items()}

    def soft_update(self) -> None:
        """``φ' ← τφ + (1 − τ)φ'`` for the belief network, encoder and mixer."""
        tau = self.config.tau
        online = self.agent.modules()
        with torch.no_grad():
            for name, target in self.targets.items():
                for tp, p in zip(target.parameters(), online[name].parameters(), strict=True):
                    tp.mul_(1.0 - tau).add_(p, alpha=tau)


def train_econ(
    env_fn: Callable[[], Any],
    cfg: EconConfig,
    episodes: int = 400,
    callback: Callable[[EconLearner, int, dict[str, float]], None] | None = None,
) -> tuple[EconAgent, dict[str, list[float]]]:
    """Train ECON executors on ``env_fn()`` (a debate_v0 env, AEC or parallel).

    Plays ``episodes`` ε-greedy episodes (the first reset seeded with ``cfg.seed``; later ones
    continue the env's own generator) and runs ``cfg.updates_per_episode`` gradient steps after
    each once ``cfg.learning_starts`` episodes are stored. ``callback(learner, episode,
    metrics)`` runs after every episode (logging, evaluation, checkpoints). Returns the trained
    agent and the history: per-episode ``team_return``, ``correct``, ``billed_tokens``,
    ``epsilon`` and per-update ``team_td``, ``agent_td``, ``similarity``, ``consistency``,
    ``params``, ``q_tot``.
    """
    if not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes must be an integer >= 1, got {episodes!r}")
    env = as_parallel(env_fn())
    agent = EconAgent(cfg, EconEnvSpec.from_env(env, cfg))
    learner = EconLearner(agent)
    history: dict[str, list[float]] = {}
    for i in range(episodes):
        eps = cfg.epsilon(learner.episodes)
        ep = learner.collect(env, seed=cfg.seed if i == 0 else None)
        metrics: dict[str, float] = {"epsilon": eps}
        if ep is not None:
            metrics.update(
                team_return=ep.team_return(),
                correct=float(ep.correct),
                billed_tokens=float(ep.billed_tokens),
            )
        if len(learner.replay) >= cfg.learning_starts:
            for _ in range(cfg.updates_per_episode):
                metrics.update(learner.train_step())
        for k, v in metrics.items():
            if k != "total":
                history.setdefault(k, []).append(v)
        if callback is not None:
            callback(learner, i, metrics)
    env.close()
    return agent, history
