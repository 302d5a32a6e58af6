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
nearest level, masked levels becoming 0.

With message tiers (``tiers``) ``AlphaConfig.tiers`` says what the bidder offers:

- ``"first"`` (the default): only the first configured tier (the full draft by default), with
  one α per agent, and no bid for the others: it tunes how much to bid, not which granularity;
- ``"choose"``: each agent also learns which tier to offer: a softmax over tiers with logits
  θ_i. In training every episode draws the tier ``t ~ softmax(θ_i)`` next to log α, and
  REINFORCE updates θ_i with the same advantage (the log-probability of the episode's joint
  draw); evaluation offers ``argmax θ_i`` with the same bid ``α_i·û/L̂`` (no offer when that
  tier does not fit, ``tier_affordable`` = 0, or the bid is below ``min_bid``). Continuous
  actions only (a bid per tier). One α per tier, the bid in each tier's column, was tried first:
  under second price an agent's highest-bid tier is sent, so the α of the tier in use grew and
  the others never overtook it (two of three seeds kept the full draft where the summary pays
  more, on ``tiered``); sampling the tier explores every tier from the start.

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
from dataclasses import asdict
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
from econ_env_agents.dala.alpha_config import TIER_MODES, UTILITIES, AlphaConfig

__all__ = [
    "TIER_MODES",
    "UTILITIES",
    "AlphaAgent",
    "AlphaConfig",
    "play_episode",
    "train_alpha",
    "utility_of",
]

FIELDS = ("draft_length", "confidence", "entropy", "agrees_plurality", "distinct_answers",
          "affordable", "agent_id")  # fmt: skip
"""The observation fields the bidder reads (an env whose layout lacks one cannot be played)."""


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
        self.choose_tier = cfg.tiers == "choose" and self.n_tiers > 1
        """Whether the agent learns which tier to offer (logits ``theta``, ``(n, n_tiers)``)."""
        if self.choose_tier:
            if action_type != "continuous":
                raise ValueError(
                    "AlphaConfig.tiers='choose' needs continuous actions (a bid per tier), "
                    f"got action_type={action_type!r}"
                )
            if "tier_affordable" not in self.layout.names:
                raise ValueError("AlphaConfig.tiers='choose': the layout lacks tier_affordable")
        self.device = resolve_device(cfg.device)
        self.generator = seeded_generator(cfg.seed, self.device)
        self.episode_seeds = np.random.default_rng(cfg.seed)
        n = len(self.agents)
        self.mu = torch.full((n,), math.log(cfg.alpha_init), device=self.device)
        self.mu.requires_grad_(True)
        self.theta = torch.zeros((n, self.n_tiers if self.choose_tier else 0), device=self.device)
        self.theta.requires_grad_(True)
        self.baseline = torch.zeros(n, device=self.device)
        self.baseline_ready = False
        params = [self.mu, self.theta] if self.choose_tier else [self.mu]
        self.optimizer = torch.optim.Adam(params, lr=cfg.lr)

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

    @property
    def tiers(self) -> np.ndarray:
        """The tier index each agent offers when evaluated: ``argmax θ_i`` with
        ``tiers="choose"``, else 0 (the first configured tier)."""
        if not self.choose_tier:
            return np.zeros(len(self.agents), dtype=np.int64)
        return self.theta.detach().argmax(-1).cpu().numpy().astype(np.int64)

    @property
    def tier_probs(self) -> np.ndarray:
        """``softmax(θ)`` per agent, ``(n_agents, n_tiers)`` (empty columns without a choice)."""
        import torch

        return torch.softmax(self.theta.detach(), -1).cpu().numpy().astype(np.float64)

    def _agent_index(self, vec: np.ndarray, agent: str | None) -> int:
        if agent is None:
            return int(np.argmax(vec[self.layout.slice("agent_id")]))
        if agent not in self.index:
            raise ValueError(f"unknown agent {agent!r}; this AlphaAgent plays {self.agents}")
        return self.index[agent]

    def _value_bid(self, vec: np.ndarray, alpha: float) -> float:
        """``α·û/L̂`` clipped to [0, 1], or 0 below ``min_bid`` (affordability not checked)."""
        lay, cfg = self.layout, self.config
        u = utility_of(vec, lay, cfg.utility)
        length = max(float(vec[lay.index("draft_length")]), cfg.length_floor)
        b = min(max(alpha * u / length, 0.0), 1.0)
        return b if b >= cfg.min_bid else 0.0

    def bid(self, vec: np.ndarray, alpha: float) -> float:
        """The bid in [0, 1] for an observation vector with aggressiveness ``alpha``."""
        if vec[self.layout.index("affordable")] < 0.5:
            return 0.0
        return self._value_bid(vec, alpha)

    def tier_bids(self, vec: np.ndarray, alpha: float, tier: int) -> np.ndarray:
        """One bid per tier (``tiers="choose"``): ``α·û/L̂`` on ``tier`` when that tier fits
        and the bid reaches ``min_bid``, 0 on every other tier."""
        out = np.zeros(self.n_tiers)
        if vec[self.layout.slice("tier_affordable")][tier] >= 0.5:
            out[tier] = self._value_bid(vec, alpha)
        return out

    def offer(self, vec: np.ndarray, alpha: float, tier: int = 0) -> Any:
        """What the agent bids with aggressiveness ``alpha``: :meth:`bid` (a float), or with
        ``tiers="choose"`` :meth:`tier_bids` on ``tier``."""
        if self.choose_tier:
            return self.tier_bids(vec, float(alpha), int(tier))
        return self.bid(vec, float(alpha))

    def encode(self, obs: Any, bid: Any) -> Any:
        """The action carrying ``bid`` (a float, or one bid per tier with ``tiers="choose"``) in
        this agent's action space."""
        if self.action_type == "discrete":
            level = round(bid * (self.bid_levels - 1))
            if isinstance(obs, dict) and not obs["action_mask"][level]:
                level = 0
            return int(level)
        action = np.empty(self.action_dim, dtype=np.float32)
        if self.choose_tier:
            action[: self.n_tiers] = 2.0 * np.asarray(bid, np.float64) - 1.0
        else:
            action[0] = 2.0 * bid - 1.0  # the first configured tier (the full draft by default)
            action[1 : self.n_tiers] = -1.0  # no bid for the other message tiers
        action[self.n_tiers :] = self.neutral_belief
        return action

    def act(self, obs: Any, agent: str | None = None) -> Any:
        """Deterministic action (α = exp(μ)); ``agent`` defaults to the obs's agent-id one-hot."""
        vec = obs["observation"] if isinstance(obs, dict) else np.asarray(obs)
        i = self._agent_index(vec, agent)
        return self.encode(obs, self.offer(vec, self.alphas[i], self.tiers[i]))

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

    def sample_tiers(self, episodes: int) -> Any:
        """Exploration draws of the offered tier, ``(episodes, n_agents)`` int64, from
        ``softmax(θ)`` and the own generator (a mirrored antithetic pair shares its tiers);
        zeros, drawing nothing, without ``tiers="choose"``."""
        import torch

        n = len(self.agents)
        if not self.choose_tier:
            return torch.zeros((episodes, n), dtype=torch.long, device=self.device)
        half = episodes // 2 if self.config.antithetic else episodes
        probs = torch.softmax(self.theta.detach(), -1)
        draws = torch.multinomial(probs, half, replacement=True, generator=self.generator).T
        return torch.cat([draws, draws]) if self.config.antithetic else draws

    def update(self, log_alphas: Any, returns: Any, tiers: Any = None) -> dict[str, float]:
        """One REINFORCE step from ``(episodes, n_agents)`` log-α draws, agent returns and,
        with ``tiers="choose"``, the episodes' tier draws (:meth:`sample_tiers`)."""
        import torch

        x = torch.as_tensor(log_alphas, dtype=torch.float32, device=self.device)
        g = torch.as_tensor(returns, dtype=torch.float32, device=self.device)
        if x.shape != g.shape or x.ndim != 2 or x.shape[1] != len(self.agents):
            raise ValueError(
                f"log_alphas and returns must both have shape (episodes, {len(self.agents)}), "
                f"got {tuple(x.shape)} and {tuple(g.shape)}"
            )
        if self.choose_tier:
            if tiers is None:
                raise ValueError("update: tiers='choose' needs the episodes' tier draws (tiers=)")
            t = torch.as_tensor(tiers, dtype=torch.long, device=self.device)
            if t.shape != x.shape or bool(((t < 0) | (t >= self.n_tiers)).any()):
                raise ValueError(
                    f"tiers must have shape {tuple(x.shape)} with values in "
                    f"[0, {self.n_tiers}), got {tuple(t.shape)}"
                )
        if not self.baseline_ready:
            self.baseline = g.mean(0)
            self.baseline_ready = True
        advantage = g - self.baseline
        dist = torch.distributions.Normal(self.mu, self.config.sigma)
        logp = dist.log_prob(x)
        if self.choose_tier:  # the episode's joint draw: log α and the tier
            log_pi = torch.log_softmax(self.theta, -1).expand(x.shape[0], -1, -1)
            logp = logp + log_pi.gather(-1, t.unsqueeze(-1)).squeeze(-1)
        loss = -(advantage * logp).mean(0).sum()
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
        tensors = {"mu": self.mu, "baseline": self.baseline}
        if self.choose_tier:
            tensors["theta"] = self.theta
        return save_checkpoint(path, tensors, meta)

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
            if agent.choose_tier:
                agent.theta.copy_(tensors["theta"].to(agent.device))
        agent.baseline = tensors["baseline"].to(agent.device)
        agent.baseline_ready = bool(meta["baseline_ready"])
        return agent


def play_episode(
    env: Any, agent: AlphaAgent, alphas: np.ndarray, tiers: Any = None, **reset_kw: Any
) -> tuple:
    """One episode of a parallel auction env with fixed per-agent ``alphas`` (and, with
    ``tiers="choose"``, per-agent offered ``tiers``; default: the first tier).

    Returns ``(returns per agent, agent steps, final infos)``.
    """
    obs, infos = env.reset(**reset_kw)
    returns = np.zeros(len(agent.agents))
    tier = np.zeros(len(agent.agents), dtype=np.int64) if tiers is None else np.asarray(tiers)
    steps = 0
    while env.agents:
        actions = {}
        for a in env.agents:
            vec = obs[a]["observation"] if isinstance(obs[a], dict) else obs[a]
            i = agent.index[a]
            actions[a] = agent.encode(obs[a], agent.offer(vec, alphas[i], tier[i]))
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
        tiers = agent.sample_tiers(batch)
        alphas = np.exp(log_alphas.cpu().numpy().astype(np.float64))
        seeds = agent.episode_seeds.integers(2**31 - 1, size=batch)
        if cfg.antithetic:  # a mirrored pair plays the same episode seed
            seeds[batch // 2 :] = seeds[: batch // 2]
        returns = np.zeros((batch, len(agent.agents)))
        for e in range(batch):
            tier = tiers[e].cpu().numpy()
            returns[e], n, _ = play_episode(env, agent, alphas[e], tier, seed=int(seeds[e]))
            steps += n
        stats = agent.update(log_alphas, returns, tiers)
        done_eps += batch
        history.append(
            {"episodes": done_eps, "steps": steps, **stats, "alphas": agent.alphas.tolist()}
        )
    return agent, history
