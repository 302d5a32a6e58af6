"""DALA's paper-style agent: a shared bid/belief actor with a centralised value-density critic,
trained by MAPPO on auction_v0 through Tianshou 2.0.1.

MAPPO here is parameter sharing: one actor (own observation + agent-id embedding) acts for
every bidder, and one centralised critic reads the global state ``env.state()`` plus the agent
id (:mod:`econ_env_agents.dala.networks`). Training uses Tianshou's PPO algorithm class,
Collector and replay buffer over :class:`econ_env.integrations.tianshou.TianshouAECEnv`;
:class:`DalaMAPPO` subclasses PPO only where a turn-based multi-agent game needs it:

- ``_preprocess_batch`` chains each agent's own transitions
  (:func:`econ_env.integrations.tianshou.chain_agent_transitions`): every action gets the
  reward its round settled, its successor is the agent's own next turn, and GAE runs along
  that chain (upstream's GAE would chain the interleaved transitions of all agents); dead steps
  are dropped;
- ``_update_with_batch`` is PPO's clipped loss with minibatches shuffled by an owned
  ``np.random.Generator``.

All sampling uses owned generators (:class:`econ_env_agents.dala.networks.SeededNormal`);
weights are initialised from ``config.seed`` inside ``torch.random.fork_rng``. Checkpoints are
safetensors (:func:`econ_env_agents.common.save_checkpoint`). A trained agent is rebuilt for
evaluation from a checkpoint (:meth:`DalaMAPPOAgent.load`) or sized from the env's public
description alone (:meth:`DalaMAPPOAgent.from_spec`), without an env object.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from tianshou.algorithm import PPO
from tianshou.algorithm.algorithm_base import policy_within_training_step
from tianshou.algorithm.modelfree.a2c import A2CTrainingStats
from tianshou.algorithm.modelfree.reinforce import ProbabilisticActorPolicy
from tianshou.algorithm.optim import AdamOptimizerFactory
from tianshou.data import Collector, SequenceSummaryStats, VectorReplayBuffer, to_torch_as
from tianshou.env import DummyVectorEnv

from econ_env.core.layout import Layout
from econ_env.core.spec import EnvSpec
from econ_env.envs.auction.observation import ObsLayout
from econ_env.integrations.tianshou import TianshouAECEnv, chain_agent_transitions
from econ_env_agents.common import (
    load_checkpoint,
    resolve_device,
    save_checkpoint,
    seeded_generator,
)
from econ_env_agents.dala.networks import DalaActor, SeededNormal, ValueDensityCritic

__all__ = ["DalaMAPPO", "DalaMAPPOAgent", "MAPPOConfig", "train_mappo"]


@dataclass(frozen=True)
class MAPPOConfig:
    """Hyper-parameters of :func:`train_mappo` (validated; ``ValueError`` names the field)."""

    updates: int = 40  # PPO updates (collect, then learn)
    episodes_per_update: int = 48  # complete episodes collected per update
    n_envs: int = 4  # envs collected in parallel (Tianshou DummyVectorEnv)
    hidden: int = 64  # hidden width of actor and critic MLPs
    embed_dim: int = 8  # agent-id embedding size
    lr: float = 3e-3  # Adam learning rate
    gamma: float = 0.99  # discount per own turn
    gae_lambda: float = 0.95  # GAE λ along each agent's chain
    eps_clip: float = 0.2  # PPO ratio clip
    epochs: int = 4  # passes over each collected batch
    minibatch_size: int = 128  # transitions per gradient step
    vf_coef: float = 0.5  # value-loss weight
    ent_coef: float = 0.0  # entropy bonus
    max_grad_norm: float = 0.5  # gradient clipping
    init_log_std: float = 0.0  # initial log std of the Gaussian actor
    seed: int = 0  # weights, sampling, minibatches and env seeds
    device: str = "auto"  # auto | cpu | cuda[:N]

    def __post_init__(self) -> None:
        ints = ("updates", "episodes_per_update", "n_envs", "hidden", "embed_dim", "epochs")
        for name in (*ints, "minibatch_size"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"MAPPOConfig.{name} must be an int >= 1, got {v!r}")
        for name, lo, hi in (
            ("gamma", 0.0, 1.0),
            ("gae_lambda", 0.0, 1.0),
            ("eps_clip", 1e-6, 1.0),
            ("lr", 1e-8, 1.0),
            ("vf_coef", 0.0, 100.0),
            ("ent_coef", 0.0, 100.0),
            ("max_grad_norm", 1e-6, 1e6),
            ("init_log_std", -10.0, 2.0),
        ):
            v = getattr(self, name)
            if not isinstance(v, int | float) or not lo <= v <= hi:
                raise ValueError(f"MAPPOConfig.{name} must be in [{lo}, {hi}], got {v!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"MAPPOConfig.seed must be an int >= 0, got {self.seed!r}")
        if not isinstance(self.device, str):
            raise ValueError(
                f"MAPPOConfig.device must be 'auto', 'cpu' or 'cuda[:N]', got {self.device!r}"
            )


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


class DalaMAPPOAgent:
    """The trained bidder: ``act(obs[, agent])`` for evaluation, safetensors save/load.

    ``meta`` holds the sizes (see :meth:`from_spec`) and the observation layout (``"layout"``,
    ``Layout.to_dict()``; checkpoints without one use the auction's layout for ``n_agents``).
    """

    def __init__(self, meta: dict[str, Any], device: str = "auto", seed: int = 0) -> None:
        self.meta = dict(meta)
        self.device = resolve_device(device)
        if "layout" in meta:
            self.layout = Layout.from_dict(meta["layout"])
        else:
            self.layout = ObsLayout(int(meta["n_agents"]))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # weight init only; sampling uses self.generator
            self.actor = DalaActor(
                meta["obs_dim"],
                meta["act_dim"],
                meta["n_agents"],
                meta["hidden"],
                meta["embed_dim"],
                meta["init_log_std"],
            ).to(self.device)
            self.critic = ValueDensityCritic(
                meta["state_dim"], meta["n_agents"], meta["hidden"], meta["embed_dim"]
            ).to(self.device)
        self.generator = seeded_generator(seed, self.device)

    @classmethod
    def from_spec(cls, spec: EnvSpec, config: MAPPOConfig | None = None) -> DalaMAPPOAgent:
        """A fresh agent sized for the env ``spec`` describes (``econ_env.env_spec("auction_v0",
        ...)`` or ``env.unwrapped.env_spec``; continuous actions): no env object is needed."""
        if not isinstance(spec, EnvSpec):
            raise TypeError(f"from_spec needs an econ_env.EnvSpec, got {type(spec).__name__}")
        cfg = config or MAPPOConfig()
        act = spec.action_space
        if not isinstance(act, spaces.Box) or not isinstance(spec.observation_space, spaces.Box):
            raise ValueError("DalaMAPPOAgent needs action_type='continuous' (a Box action space)")
        missing = [f for f in ("draft_length", "agent_id") if f not in spec.layout.names]
        if missing or "max_draft_tokens" not in spec.config:
            raise ValueError(f"DalaMAPPOAgent plays auction_v0; {spec.env} lacks {missing}")
        meta = {
            "agents": list(spec.agents),
            "n_agents": spec.n_agents,
            "obs_dim": int(spec.observation_space.shape[0]),
            "state_dim": int(spec.state_space.shape[0]),
            "act_dim": int(act.shape[0]),
            "hidden": cfg.hidden,
            "embed_dim": cfg.embed_dim,
            "init_log_std": cfg.init_log_std,
            "max_draft_tokens": int(spec.config["max_draft_tokens"]),
            "layout": spec.layout.to_dict(),
        }
        return cls(meta, cfg.device, cfg.seed)

    @classmethod
    def from_env(cls, env: Any, config: MAPPOConfig | None = None) -> DalaMAPPOAgent:
        """A fresh agent sized for ``env`` (an auction_v0 env with continuous actions):
        :meth:`from_spec` of ``env.unwrapped.env_spec``."""
        return cls.from_spec(env.unwrapped.env_spec, config)

    def agent_index(self, obs: np.ndarray, agent: str | None) -> int:
        """The bidder's index: from its name, else from the observation's agent-id one-hot."""
        if agent is None:
            return int(np.argmax(obs[self.layout.slice("agent_id")]))
        if agent not in self.meta["agents"]:
            raise ValueError(f"unknown agent {agent!r}; this agent knows {self.meta['agents']}")
        return self.meta["agents"].index(agent)

    def act(self, obs: Any, agent: str | None = None) -> np.ndarray:
        """Deterministic action (the actor's mean, clipped to [-1, 1]) for one observation."""
        vec = np.asarray(obs["observation"] if isinstance(obs, dict) else obs, dtype=np.float32)
        if vec.shape != (self.meta["obs_dim"],):
            raise ValueError(f"obs must have shape ({self.meta['obs_dim']},), got {vec.shape}")
        with torch.no_grad():
            mu = self.actor.mean(vec[None], [self.agent_index(vec, agent)])
        return np.clip(mu[0].cpu().numpy(), -1.0, 1.0).astype(np.float32)

    def evaluate(self, state: np.ndarray, obs: np.ndarray, agent: str | None = None) -> dict:
        """The critic's value of ``agent`` in global ``state`` and its value density per token."""
        i = self.agent_index(np.asarray(obs), agent)
        tokens = float(obs[self.layout.index("draft_length")]) * self.meta["max_draft_tokens"]
        with torch.no_grad():
            v = self.critic.value(np.asarray(state, np.float32)[None], [i])
            d = ValueDensityCritic.density(v, torch.tensor([[tokens]], device=v.device))
        return {"value": float(v), "tokens": tokens, "density": float(d)}

    def make_algorithm(self, env: TianshouAECEnv, cfg: MAPPOConfig) -> DalaMAPPO:
        """Tianshou's PPO (as :class:`DalaMAPPO`) around this agent's networks."""
        gen = self.generator
        policy = ProbabilisticActorPolicy(
            actor=self.actor,
            dist_fn=lambda ls: torch.distributions.Independent(SeededNormal(*ls, gen), 1),
            action_space=env.action_space,
            action_scaling=False,
            action_bound_method=None,
            deterministic_eval=True,
        )
        return DalaMAPPO(
            rng=np.random.default_rng(cfg.seed),
            policy=policy,
            critic=self.critic,
            optim=AdamOptimizerFactory(lr=cfg.lr),
            eps_clip=cfg.eps_clip,
            vf_coef=cfg.vf_coef,
            ent_coef=cfg.ent_coef,
            max_grad_norm=cfg.max_grad_norm,
            gae_lambda=cfg.gae_lambda,
            gamma=cfg.gamma,
        )

    def save(self, path: str | Path) -> Path:
        """Write a safetensors checkpoint (weights + this agent's sizes as JSON metadata)."""
        tensors = {f"actor.{k}": v for k, v in self.actor.state_dict().items()}
        tensors.update({f"critic.{k}": v for k, v in self.critic.state_dict().items()})
        return save_checkpoint(path, tensors, {"kind": "dala_mappo", **self.meta})

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> DalaMAPPOAgent:
        """Read a checkpoint written by :meth:`save`."""
        tensors, meta = load_checkpoint(path)
        if meta.pop("kind", None) != "dala_mappo":
            raise ValueError(f"{str(path)!r} is not a DALA MAPPO checkpoint")
        agent = cls(meta, device)
        agent.actor.load_state_dict({k[6:]: v for k, v in tensors.items() if k[:6] == "actor."})
        agent.critic.load_state_dict({k[7:]: v for k, v in tensors.items() if k[:7] == "critic."})
        return agent

    from_checkpoint = load


@contextlib.contextmanager
def _quiet_tianshou_stats() -> Iterator[None]:
    """Tianshou logs a warning per collect for vector (multi-agent) rewards; mute it here."""
    log = logging.getLogger("tianshou.data.stats")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def train_mappo(
    env_fn: Callable[[], Any],
    cfg: MAPPOConfig | None = None,
    *,
    callback: Callable[[int, DalaMAPPOAgent, dict], None] | None = None,
) -> tuple[DalaMAPPOAgent, list[dict]]:
    """Train a :class:`DalaMAPPOAgent` on ``env_fn()`` (an auction_v0 AEC env factory).

    Returns the agent and one record per update: ``update``, ``episodes``, ``env_steps``,
    ``mean_return`` (team return per episode: credited rewards / n_agents), ``accuracy``,
    ``billed_tokens``, ``generated_tokens`` (means over the collected episodes) and the
    losses. ``callback(update, agent, record)`` runs after every update.
    """
    cfg = cfg or MAPPOConfig()
    probe = TianshouAECEnv(env_fn())
    agent = DalaMAPPOAgent.from_env(probe.env, cfg)
    algo = agent.make_algorithm(probe, cfg)
    n = agent.meta["n_agents"]
    horizon = n * (probe.env.unwrapped.config.max_rounds + 2)
    venv = DummyVectorEnv([lambda: TianshouAECEnv(env_fn()) for _ in range(cfg.n_envs)])
    venv.seed([cfg.seed * 100_003 + i for i in range(cfg.n_envs)])
    size = cfg.n_envs * cfg.episodes_per_update * horizon
    collector = Collector(algo.policy, venv, VectorReplayBuffer(size, cfg.n_envs))
    history: list[dict] = []
    steps = 0
    with _quiet_tianshou_stats():
        for update in range(cfg.updates):
            collector.reset_buffer()
            collected = collector.collect(
                n_episode=cfg.episodes_per_update, reset_before_collect=True
            )
            steps += collected.n_collected_steps
            buf = collector.buffer
            idx = buf.sample_indices(0)
            ends = idx[buf.done[idx]]
            agents = buf.obs.agent_index[idx].astype(int)
            with policy_within_training_step(algo.policy):
                stats = algo.update(buffer=buf, batch_size=cfg.minibatch_size, repeat=cfg.epochs)
            record = {
                "update": update,
                "episodes": len(ends),
                "env_steps": steps,
                "mean_return": float(buf.rew[idx, agents].sum() / n / max(len(ends), 1)),
                "accuracy": float((buf.info.correct[ends] > 0.5).mean()),
                "billed_tokens": float(buf.info.billed_tokens[ends].mean()),
                "generated_tokens": float(buf.info.generated_tokens[ends].mean()),
                **stats.get_loss_stats_dict(),
            }
            history.append(record)
            if callback is not None:
                callback(update, agent, record)
    return agent, history


def config_dict(cfg: MAPPOConfig) -> dict[str, Any]:
    """The config as a JSON-serialisable dict (for logs and checkpoints)."""
    return asdict(cfg)
