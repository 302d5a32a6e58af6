"""DALA's repo-style bidder: ``bid = α·û/L̂`` with one α per agent tuned by REINFORCE.

Every bidder estimates the utility û of its current draft from its own observation (read
through the env's observation :class:`~econ_env.core.layout.Layout`, ``spec.layout``) and
divides it by the draft's length L̂ (``draft_length``: completion tokens / ``max_draft_tokens``,
floored at ``length_floor``), so it bids value per token, scaled by its aggressiveness α:

- ``utility="logprob"``: û = ``confidence`` = exp(mean log-probability of the draft);
- ``utility="entropy"``: û = 1 − ``entropy`` feature = exp(−mean entropy);
- ``utility="heuristic"``: û from public signals only: 1 when the own draft agrees with the
  announced plurality answer, else 1 / (number of distinct answers).

The bid is clipped to [0, 1]; a bid below ``min_bid`` (or an undeliverable draft, ``affordable``
= 0) is not submitted (silence: bidding costs the draft's prompt tokens). In the continuous
action space the bid is encoded as ``a[0] = 2·bid − 1`` and the belief dimensions get the
env's neutral belief (default generation parameters); in the discrete one it is rounded to the
nearest level, masked levels becoming 0. With message tiers (``tiers``) the bidder offers only the
first configured tier (the full draft by default) and bids nothing for the others: α-REINFORCE
tunes how much to bid, not which granularity to send (MAPPO learns that).

Training (:func:`train_alpha`) follows the DALA repository: each agent's log α is drawn per
episode from ``N(μ_i, sigma²)``; after ``batch_episodes`` episodes every μ_i takes an Adam step on
the REINFORCE loss ``−(G_i − b_i)·log N(log α_i; μ_i, sigma²)``, where G_i is the agent's return
(team mode: ``correct − λ·billed/budget``) and b_i an exponential moving average of past
returns. Evaluation (:meth:`AlphaAgent.act`) is deterministic with ``α_i = exp(μ_i)``.
Weights are saved with safetensors (``save`` / ``load``), never pickle.

Build an agent for training with :meth:`AlphaAgent.from_env`, or from the env's public
description alone with :meth:`AlphaAgent.from_spec` (``econ_env.env_spec("auction_v0", ...)``):
evaluation needs no env object.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from econ_env.core.layout import Layout
from econ_env.core.spec import EnvSpec
from econ_env.envs.auction.observation import ObsLayout
from econ_env_agents.common import (
    load_checkpoint,
    resolve_device,
    save_checkpoint,
    seeded_generator,
)

__all__ = ["UTILITIES", "AlphaAgent", "AlphaConfig", "play_episode", "train_alpha", "utility_of"]

UTILITIES = ("logprob", "entropy", "heuristic")
FIELDS = ("draft_length", "confidence", "entropy", "agrees_plurality", "distinct_answers",
          "affordable", "agent_id")  # fmt: skip
"""The observation fields the bidder reads (an env whose layout lacks one cannot be played)."""


def _need(ok: bool, name: str, allowed: str, value: Any) -> None:
    if not ok:
        raise ValueError(f"AlphaConfig.{name} must be {allowed}, got {value!r}")


@dataclass(frozen=True)
class AlphaConfig:
    """Settings of the α-REINFORCE bidder and its trainer.

    Attributes:
        utility: û estimator, one of ``logprob``, ``entropy``, ``heuristic``.
        alpha_init: initial α of every agent (> 0); the untrained agent bids with it.
        sigma: standard deviation of the per-episode exploration of log α (> 0).
        lr: Adam learning rate of the μ parameters (> 0).
        baseline_decay: β of the moving-average baseline ``b ← β·b + (1 − β)·mean G``, in [0, 1).
        min_bid: bids below it are not submitted (silence), in [0, 1).
        length_floor: lower bound of L̂ (the draft-length fraction), in (0, 1].
        episodes: training episodes of :func:`train_alpha` (>= 1).
        batch_episodes: episodes per REINFORCE update (>= 1).
        antithetic: draw exploration noise in mirrored pairs (+ε, −ε) and play both episodes of a
            pair on the same env seed (common random numbers): a large variance reduction for the
            same REINFORCE estimator; ``batch_episodes`` must then be even.
        seed: seed of the exploration generator and of the training episodes' env seeds.
        device: ``"auto"`` (CUDA when available), ``"cpu"`` or ``"cuda[:N]"``.
    """

    utility: str = "logprob"
    alpha_init: float = 1.0
    sigma: float = 0.5
    lr: float = 0.1
    baseline_decay: float = 0.9
    min_bid: float = 0.5
    length_floor: float = 0.01
    episodes: int = 3000
    batch_episodes: int = 32
    antithetic: bool = True
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        _need(self.utility in UTILITIES, "utility", f"one of {UTILITIES}", self.utility)
        for name in ("alpha_init", "sigma", "lr"):
            v = getattr(self, name)
            _need(_real(v) and math.isfinite(v) and v > 0, name, "a finite float > 0", v)
        _need(
            _real(self.baseline_decay) and 0 <= self.baseline_decay < 1,
            "baseline_decay",
            "a float in [0, 1)",
            self.baseline_decay,
        )
        _need(_real(self.min_bid) and 0 <= self.min_bid < 1, "min_bid", "in [0, 1)", self.min_bid)
        _need(
            _real(self.length_floor) and 0 < self.length_floor <= 1,
            "length_floor",
            "a float in (0, 1]",
            self.length_floor,
        )
        for name in ("episodes", "batch_episodes"):
            v = getattr(self, name)
            _need(_int(v) and v >= 1, name, "an integer >= 1", v)
        _need(isinstance(self.antithetic, bool), "antithetic", "True or False", self.antithetic)
        _need(
            not self.antithetic or self.batch_episodes % 2 == 0,
            "batch_episodes",
            "an even integer when antithetic=True",
            self.batch_episodes,
        )
        _need(_int(self.seed) and self.seed >= 0, "seed", "an integer >= 0", self.seed)
        _need(isinstance(self.device, str), "device", "'auto', 'cpu' or 'cuda[:N]'", self.device)


def _real(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _n_agents(layout: Layout) -> int:
    ids = layout.slice("agent_id")
    return ids.stop - ids.start


def utility_of(vec: np.ndarray, layout: Layout, utility: str) -> float:
    """û of the own draft from an observation vector (see the module docstring)."""
    if utility == "logprob":
        return float(vec[layout.index("confidence")])
    if utility == "entropy":
        return 1.0 - float(vec[layout.index("entropy")])
    if utility == "heuristic":
        if vec[layout.index("agrees_plurality")] >= 0.5:
            return 1.0
        distinct = float(vec[layout.index("distinct_answers")]) * _n_agents(layout)
        return 1.0 / max(distinct, 1.0)
    raise ValueError(f"utility must be one of {UTILITIES}, got {utility!r}")


class AlphaAgent:
    """Per-agent α bidders for one auction_v0 configuration (build with :meth:`from_spec` or
    :meth:`from_env`).

    ``layout`` is the observation layout (``spec.layout``); without one the auction's layout for
    ``len(agents)`` bidders is used.
    """

    def __init__(
        self,
        agents: list[str],
        config: AlphaConfig | None = None,
        *,
        action_type: str = "continuous",
        action_dim: int = 1,
        bid_levels: int = 5,
        neutral_belief: list[float] | None = None,
        n_tiers: int = 1,
        layout: Layout | None = None,
    ) -> None:
        import torch

        if not agents:
            raise ValueError("agents must name at least one bidder")
        if action_type not in ("continuous", "discrete"):
            raise ValueError(f"action_type must be 'continuous' or 'discrete', got {action_type!r}")
        self.config = cfg = config or AlphaConfig()
        self.agents = list(agents)
        self.index = {a: i for i, a in enumerate(self.agents)}
        self.layout = layout if layout is not None else ObsLayout(len(self.agents))
        missing = [f for f in FIELDS if f not in self.layout.names]
        if missing or _n_agents(self.layout) != len(self.agents):
            raise ValueError(
                f"AlphaAgent needs an observation with the fields {list(FIELDS)} (agent_id of "
                f"{len(self.agents)} entries); the layout lacks {missing}"
            )
        self.action_type = action_type
        self.action_dim = int(action_dim)
        self.bid_levels = int(bid_levels)
        self.n_tiers = int(n_tiers)
        n_belief = self.action_dim - self.n_tiers
        belief = list(neutral_belief or [0.0] * n_belief)
        if action_type == "continuous" and len(belief) != n_belief:
            raise ValueError(f"neutral_belief must have {n_belief} entries, got {len(belief)}")
        self.neutral_belief = [float(b) for b in belief]
        self.device = resolve_device(cfg.device)
        self.generator = seeded_generator(cfg.seed, self.device)
        self.episode_seeds = np.random.default_rng(cfg.seed)
        n = len(self.agents)
        self.mu = torch.full((n,), math.log(cfg.alpha_init), device=self.device)
        self.mu.requires_grad_(True)
        self.baseline = torch.zeros(n, device=self.device)
        self.baseline_ready = False
        self.optimizer = torch.optim.Adam([self.mu], lr=cfg.lr)

    @classmethod
    def from_spec(cls, spec: EnvSpec, config: AlphaConfig | None = None) -> AlphaAgent:
        """An agent for the env described by ``spec`` (``econ_env.env_spec("auction_v0", ...)``
        or ``env.unwrapped.env_spec``): its agents, action space, layout and belief map."""
        if not isinstance(spec, EnvSpec):
            raise TypeError(f"from_spec needs an econ_env.EnvSpec, got {type(spec).__name__}")
        missing = [f for f in FIELDS if f not in spec.layout.names]
        if missing:
            raise ValueError(
                f"AlphaAgent plays auction_v0 (a bidder's observation); {spec.env} lacks the "
                f"observation fields {missing}"
            )
        ecfg = spec.config
        belief_dim = int(ecfg["belief_dim"])
        n_tiers = len(ecfg.get("tiers", ("full",)))
        b = ecfg["beliefs"]
        neutral = [
            2 * (b["default_temperature"] - b["t_min"]) / (b["t_max"] - b["t_min"]) - 1,
            2 * (b["default_top_p"] - b["top_p_min"]) / max(b["top_p_max"] - b["top_p_min"], 1e-12)
            - 1,
            -1.0,
        ][:belief_dim] + [0.0] * max(0, belief_dim - 3)
        return cls(
            list(spec.agents),
            config,
            action_type=str(ecfg["action_type"]),
            action_dim=n_tiers + belief_dim,
            bid_levels=int(ecfg["bid_levels"]),
            neutral_belief=neutral,
            n_tiers=n_tiers,
            layout=spec.layout,
        )

    @classmethod
    def from_env(cls, env: Any, config: AlphaConfig | None = None) -> AlphaAgent:
        """An agent matching ``env``'s agents and action space (AEC or parallel auction_v0):
        :meth:`from_spec` of ``env.unwrapped.env_spec``."""
        spec = getattr(env.unwrapped, "env_spec", None)
        if not isinstance(spec, EnvSpec):
            name = env.unwrapped.metadata.get("name")
            raise ValueError(f"AlphaAgent plays auction_v0, got env {name!r}")
        return cls.from_spec(spec, config)

    # ------------------------------------------------------------------ acting
    @property
    def alphas(self) -> np.ndarray:
        """The deterministic α of every agent, ``exp(μ)``."""
        return np.exp(self.mu.detach().cpu().numpy().astype(np.float64))

    def _agent_index(self, vec: np.ndarray, agent: str | None) -> int:
        if agent is None:
            return int(np.argmax(vec[self.layout.slice("agent_id")]))
        if agent not in self.index:
            raise ValueError(f"unknown agent {agent!r}; this AlphaAgent plays {self.agents}")
        return self.index[agent]

    def bid(self, vec: np.ndarray, alpha: float) -> float:
        """The bid in [0, 1] for an observation vector with aggressiveness ``alpha``."""
        lay, cfg = self.layout, self.config
        if vec[lay.index("affordable")] < 0.5:
            return 0.0
        u = utility_of(vec, lay, cfg.utility)
        length = max(float(vec[lay.index("draft_length")]), cfg.length_floor)
        b = min(max(alpha * u / length, 0.0), 1.0)
        return b if b >= cfg.min_bid else 0.0

    def encode(self, obs: Any, bid: float) -> Any:
        """The action carrying ``bid`` in this agent's action space."""
        if self.action_type == "discrete":
            level = round(bid * (self.bid_levels - 1))
            if isinstance(obs, dict) and not obs["action_mask"][level]:
                level = 0
            return int(level)
        action = np.empty(self.action_dim, dtype=np.float32)
        action[0] = 2.0 * bid - 1.0  # the first configured tier (the full draft by default)
        action[1 : self.n_tiers] = -1.0  # no bid for the other message tiers
        action[self.n_tiers :] = self.neutral_belief
        return action

    def act(self, obs: Any, agent: str | None = None) -> Any:
        """Deterministic action (α = exp(μ)); ``agent`` defaults to the obs's agent-id one-hot."""
        vec = obs["observation"] if isinstance(obs, dict) else np.asarray(obs)
        i = self._agent_index(vec, agent)
        return self.encode(obs, self.bid(vec, float(self.alphas[i])))

    # ------------------------------------------------------------------ learning
    def sample_log_alphas(self, episodes: int) -> Any:
        """Exploration draws of log α, shape ``(episodes, n_agents)``, from the own generator."""
        import torch

        half = episodes // 2 if self.config.antithetic else episodes
        noise = torch.randn((half, len(self.agents)), generator=self.generator, device=self.device)
        if self.config.antithetic:
            noise = torch.cat([noise, -noise])
            if episodes % 2:
                raise ValueError(f"episodes must be even with antithetic=True, got {episodes}")
        return self.mu.detach() + self.config.sigma * noise

    def update(self, log_alphas: Any, returns: Any) -> dict[str, float]:
        """One REINFORCE step from ``(episodes, n_agents)`` log-α draws and agent returns."""
        import torch

        x = torch.as_tensor(log_alphas, dtype=torch.float32, device=self.device)
        g = torch.as_tensor(returns, dtype=torch.float32, device=self.device)
        if x.shape != g.shape or x.ndim != 2 or x.shape[1] != len(self.agents):
            raise ValueError(
                f"log_alphas and returns must both have shape (episodes, {len(self.agents)}), "
                f"got {tuple(x.shape)} and {tuple(g.shape)}"
            )
        if not self.baseline_ready:
            self.baseline = g.mean(0)
            self.baseline_ready = True
        advantage = g - self.baseline
        dist = torch.distributions.Normal(self.mu, self.config.sigma)
        loss = -(advantage * dist.log_prob(x)).mean(0).sum()
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        beta = self.config.baseline_decay
        self.baseline = beta * self.baseline + (1 - beta) * g.mean(0)
        return {"loss": float(loss.detach()), "mean_return": float(g.mean())}

    # ------------------------------------------------------------------ checkpoints
    def save(self, path: str | Path) -> Path:
        """Write μ and the baseline (safetensors) with the config and action spec as metadata."""
        meta = {
            "kind": "dala_alpha",
            "alpha": asdict(self.config),
            "agents": self.agents,
            "action_type": self.action_type,
            "action_dim": self.action_dim,
            "bid_levels": self.bid_levels,
            "neutral_belief": self.neutral_belief,
            "n_tiers": self.n_tiers,
            "baseline_ready": self.baseline_ready,
            "layout": self.layout.to_dict(),
        }
        return save_checkpoint(path, {"mu": self.mu, "baseline": self.baseline}, meta)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> AlphaAgent:
        """Rebuild an agent saved by :meth:`save` (``device`` overrides the saved one)."""
        import torch

        tensors, meta = load_checkpoint(path)
        if meta.get("kind") != "dala_alpha":
            raise ValueError(f"{str(path)!r} is not an α-REINFORCE checkpoint")
        agent = cls(
            meta["agents"],
            AlphaConfig(**{**meta["alpha"], "device": device}),
            action_type=meta["action_type"],
            action_dim=meta["action_dim"],
            bid_levels=meta["bid_levels"],
            neutral_belief=meta["neutral_belief"],
            n_tiers=int(meta.get("n_tiers", 1)),
            layout=Layout.from_dict(meta["layout"]) if "layout" in meta else None,
        )
        with torch.no_grad():
            agent.mu.copy_(tensors["mu"].to(agent.device))
        agent.baseline = tensors["baseline"].to(agent.device)
        agent.baseline_ready = bool(meta["baseline_ready"])
        return agent


def play_episode(env: Any, agent: AlphaAgent, alphas: np.ndarray, **reset_kw: Any) -> tuple:
    """One episode of a parallel auction env with fixed per-agent ``alphas``.

    Returns ``(returns per agent, agent steps, final infos)``.
    """
    obs, infos = env.reset(**reset_kw)
    returns = np.zeros(len(agent.agents))
    steps = 0
    while env.agents:
        actions = {}
        for a in env.agents:
            vec = obs[a]["observation"] if isinstance(obs[a], dict) else obs[a]
            actions[a] = agent.encode(obs[a], agent.bid(vec, float(alphas[agent.index[a]])))
        obs, rewards, _, _, infos = env.step(actions)
        steps += len(actions)
        for a, r in rewards.items():
            returns[agent.index[a]] += r
    return returns, steps, infos


def train_alpha(
    env: Any, agent: AlphaAgent | None = None, config: AlphaConfig | None = None
) -> tuple[AlphaAgent, list[dict[str, float]]]:
    """Tune the agents' α by REINFORCE on a parallel auction env; returns (agent, history).

    ``history`` has one entry per update: ``episodes`` and ``steps`` so far (agent steps, one
    bidder's action each), the batch's ``mean_return`` and the current ``alphas``.
    """
    agent = agent or AlphaAgent.from_env(env, config)
    cfg = agent.config
    history: list[dict[str, Any]] = []
    done_eps, steps = 0, 0
    while done_eps < cfg.episodes:
        batch = min(cfg.batch_episodes, cfg.episodes - done_eps)
        if cfg.antithetic:
            batch += batch % 2
        log_alphas = agent.sample_log_alphas(batch)
        alphas = np.exp(log_alphas.cpu().numpy().astype(np.float64))
        seeds = agent.episode_seeds.integers(2**31 - 1, size=batch)
        if cfg.antithetic:  # a mirrored pair plays the same episode seed
            seeds[batch // 2 :] = seeds[: batch // 2]
        returns = np.zeros((batch, len(agent.agents)))
        for e in range(batch):
            returns[e], n, _ = play_episode(env, agent, alphas[e], seed=int(seeds[e]))
            steps += n
        stats = agent.update(log_alphas, returns)
        done_eps += batch
        history.append(
            {"episodes": done_eps, "steps": steps, **stats, "alphas": agent.alphas.tolist()}
        )
    return agent, history
