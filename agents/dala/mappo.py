"""DALA's paper-style agent: a shared bid/belief actor with a centralised value-density critic,
trained by MAPPO on auction_v0 through Tianshou 2.0.1.

MAPPO here is parameter sharing: one actor (own observation + agent-id embedding) acts for
every bidder — a Gaussian over the bid for ``action_type="continuous"``, a masked categorical
over silence and the bid levels of every tier for ``action_type="discrete"`` — and one
centralised critic reads the global state ``env.state()`` plus the agent id
(:mod:`econ_env_agents.dala.networks`). Training uses Tianshou's PPO algorithm class, Collector
and replay buffer over :class:`econ_env.integrations.tianshou.TianshouAECEnv`;
:class:`~econ_env_agents.dala.ppo.DalaMAPPO` (in :mod:`econ_env_agents.dala.ppo`) subclasses
PPO only where a turn-based multi-agent game needs it.

All sampling uses owned generators (:class:`~econ_env_agents.dala.networks.SeededNormal`,
:class:`~econ_env_agents.dala.networks.SeededCategorical`);
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
from tianshou.algorithm.algorithm_base import policy_within_training_step
from tianshou.algorithm.modelfree.reinforce import ProbabilisticActorPolicy
from tianshou.algorithm.optim import AdamOptimizerFactory
from tianshou.data import Collector, VectorReplayBuffer
from tianshou.env import DummyVectorEnv

from econ_env.core.layout import Layout
from econ_env.core.spec import EnvSpec
from econ_env.envs.auction.observation import ObsLayout
from econ_env.integrations.tianshou import TianshouAECEnv
from econ_env_agents.common import (
    load_checkpoint,
    resolve_device,
    save_checkpoint,
    seeded_generator,
)
from econ_env_agents.dala.networks import (
    DalaActor,
    DalaCategoricalActor,
    SeededCategorical,
    SeededNormal,
    ValueDensityCritic,
)
from econ_env_agents.dala.ppo import DalaMAPPO

__all__ = ["TEXT_ENV_SETTINGS", "DalaMAPPO", "DalaMAPPOAgent", "MAPPOConfig", "train_mappo"]

TEXT_ENV_SETTINGS: dict[str, Any] = {
    "updates": 60,
    "episodes_per_update": 256,
    "n_envs": 16,
    "lr": 1e-3,
}
"""The :class:`MAPPOConfig` fields with which the discrete-bid MAPPO beats every fixed bidder on
the text env (``one_expert``, ``tight_budget``): the defaults of
``examples/train_dala_tianshou.py``, also trained by ``benchmarks/reference_agents.py
--tianshou-updates``, ``benchmarks/time_to_baseline.py --action-type discrete`` and
``tests/agents/test_dala_mappo_learns.py``."""


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
        self.discrete = bool(meta.get("discrete", False))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # weight init only; sampling uses self.generator
            sizes = (meta[k] for k in ("obs_dim", "act_dim", "n_agents", "hidden", "embed_dim"))
            self.actor: DalaActor | DalaCategoricalActor = (
                DalaCategoricalActor(*sizes)
                if self.discrete
                else DalaActor(*sizes, meta["init_log_std"])
            ).to(self.device)
            self.critic = ValueDensityCritic(
                meta["state_dim"], meta["n_agents"], meta["hidden"], meta["embed_dim"]
            ).to(self.device)
        self.generator = seeded_generator(seed, self.device)

    @classmethod
    def from_spec(cls, spec: EnvSpec, config: MAPPOConfig | None = None) -> DalaMAPPOAgent:
        """A fresh agent sized for the env ``spec`` describes (``econ_env.env_spec("auction_v0",
        ...)`` or ``env.unwrapped.env_spec``): a Gaussian actor for continuous actions, a masked
        categorical one for discrete actions. No env object is needed."""
        if not isinstance(spec, EnvSpec):
            raise TypeError(f"from_spec needs an econ_env.EnvSpec, got {type(spec).__name__}")
        cfg = config or MAPPOConfig()
        act, obs_space = spec.action_space, spec.observation_space
        discrete = isinstance(act, spaces.Discrete)
        if discrete and isinstance(obs_space, spaces.Dict) and "observation" in obs_space.spaces:
            obs_space = obs_space["observation"]
        if not isinstance(act, spaces.Box | spaces.Discrete) or not isinstance(
            obs_space, spaces.Box
        ):
            raise ValueError(
                "DalaMAPPOAgent needs a Box or Discrete action space and a Box observation "
                f"(or a Dict with 'observation' and 'action_mask'); {spec.env} has "
                f"{act} and {spec.observation_space}"
            )
        missing = [f for f in ("draft_length", "agent_id") if f not in spec.layout.names]
        if missing or "max_draft_tokens" not in spec.config:
            raise ValueError(f"DalaMAPPOAgent plays auction_v0; {spec.env} lacks {missing}")
        meta = {
            "agents": list(spec.agents),
            "n_agents": spec.n_agents,
            "obs_dim": int(obs_space.shape[0]),
            "state_dim": int(spec.state_space.shape[0]),
            "act_dim": int(act.n) if discrete else int(act.shape[0]),
            "discrete": discrete,
            "hidden": cfg.hidden,
            "embed_dim": cfg.embed_dim,
            "init_log_std": cfg.init_log_std,
            "max_draft_tokens": int(spec.config["max_draft_tokens"]),
            "layout": spec.layout.to_dict(),
        }
        return cls(meta, cfg.device, cfg.seed)

    @classmethod
    def from_env(cls, env: Any, config: MAPPOConfig | None = None) -> DalaMAPPOAgent:
        """A fresh agent sized for ``env`` (an auction_v0 env):
        :meth:`from_spec` of ``env.unwrapped.env_spec``."""
        return cls.from_spec(env.unwrapped.env_spec, config)

    def agent_index(self, obs: np.ndarray, agent: str | None) -> int:
        """The bidder's index: from its name, else from the observation's agent-id one-hot."""
        if agent is None:
            return int(np.argmax(obs[self.layout.slice("agent_id")]))
        if agent not in self.meta["agents"]:
            raise ValueError(f"unknown agent {agent!r}; this agent knows {self.meta['agents']}")
        return self.meta["agents"].index(agent)

    def act(self, obs: Any, agent: str | None = None) -> np.ndarray | int:
        """Deterministic action for one observation: the actor's mean clipped to [-1, 1]
        (continuous), or the most likely action the observation's ``action_mask`` allows
        (discrete; an observation without a mask allows every action)."""
        vec = np.asarray(obs["observation"] if isinstance(obs, dict) else obs, dtype=np.float32)
        if vec.shape != (self.meta["obs_dim"],):
            raise ValueError(f"obs must have shape ({self.meta['obs_dim']},), got {vec.shape}")
        index = [self.agent_index(vec, agent)]
        with torch.no_grad():
            if isinstance(self.actor, DalaCategoricalActor):
                mask = obs.get("action_mask") if isinstance(obs, dict) else None
                if mask is not None and np.shape(mask) != (self.meta["act_dim"],):
                    raise ValueError(
                        f"action_mask must have shape ({self.meta['act_dim']},), "
                        f"got {np.shape(mask)}"
                    )
                m = None if mask is None else np.asarray(mask)[None]
                return int(self.actor.logits(vec[None], index, m)[0].argmax())
            mu = self.actor.mean(vec[None], index)
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

        def dist_fn(out: Any) -> torch.distributions.Distribution:
            if self.discrete:
                return SeededCategorical(out, gen)
            return torch.distributions.Independent(SeededNormal(*out, gen), 1)

        policy = ProbabilisticActorPolicy(
            actor=self.actor,
            dist_fn=dist_fn,
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
