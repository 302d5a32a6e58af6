"""auction_v0's fixed bidders and simple state-dependent rules as batched tensor policies.

The policies of :mod:`econ_env_baselines.auction` rewritten for the batched twin
(:mod:`econ_env.vector`): each is a function ``act(obs, mask) -> action`` over observations of
shape ``(num_envs, n_agents, obs_dim)`` that reads fields by name through the env's documented
layout (``env.spec.layout``), so it plays exactly what the text policy plays.

- fixed policies (:data:`FIXED`): ``silent``, ``truthful``, ``always``, ``round_robin``,
  ``random`` — the baselines every learner is compared with;
- state-dependent rules (:func:`rule`): ``disagree`` bids the own confidence only while the
  drafts disagree (``distinct_answers > 1/n``); ``disagree@θ`` bids 1 while they disagree and
  the own confidence is at least θ. They are hand-written, not learned: the regime map
  (``benchmarks/regime_map.py``) uses them to show where a policy that reads the state beats
  every constant one.

With tiered messages (``tiers``) a bid goes to one tier (default the first configured tier,
``tier=``); the other tiers get no bid. :func:`evaluate` plays one episode per env and returns
the mean team return with its standard error, accuracy, billed and generated tokens, rounds and
the share of agent-rounds in which an agent spoke.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch

__all__ = ["FIXED", "BatchedBidders", "evaluate"]

FIXED: tuple[str, ...] = ("silent", "truthful", "always", "round_robin", "random")
"""The fixed baselines (names of :data:`econ_env_baselines.auction.POLICIES`)."""

Act = Callable[[torch.Tensor, "torch.Tensor | None"], torch.Tensor]


class BatchedBidders:
    """Batched bidding policies for one batched auction env.

    Args:
        env: a :class:`econ_env.vector.auction_env.VecAuctionEnv`.
        seed: seed of the generator the ``random`` bidder draws from.
        tier: index (in ``env.config.tiers``) of the tier every bid goes to.
    """

    def __init__(self, env: Any, seed: int = 0, tier: int = 0) -> None:
        self.env = env
        self.layout = env.spec.layout
        self.n_agents = int(env.n_agents)
        self.max_rounds = int(env.config.max_rounds)
        self.n_tiers = len(getattr(env.config, "tiers", ("full",)))
        if not 0 <= tier < self.n_tiers:
            raise ValueError(f"tier must be in [0, {self.n_tiers}), got {tier}")
        self.tier = tier
        self.gen = torch.Generator(device=env.device)
        self.gen.manual_seed(int(seed))

    def field(self, obs: torch.Tensor, name: str) -> torch.Tensor:
        """One scalar observation field, shape ``(num_envs, n_agents)``."""
        return obs[..., self.layout.index(name)]

    def from_bid(self, bid: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Encode bids in [0, 1] (``(N, A)``) as actions; a masked level becomes silence."""
        env = self.env
        if env.discrete:
            k = int(env.config.bid_levels) - 1
            level = torch.round(bid * k).long()
            action = torch.where(level > 0, 1 + self.tier * k + level - 1, torch.zeros_like(level))
            if mask is not None:
                allowed = mask.gather(-1, action.unsqueeze(-1)).squeeze(-1)
                action = torch.where(allowed, action, torch.zeros_like(action))
            return action
        action = torch.full((*bid.shape, env.act_dim), -1.0, device=bid.device)
        if env.act_dim > self.n_tiers:  # belief dimensions: the neutral belief
            action[..., self.n_tiers :] = 0.0
        action[..., self.tier] = 2.0 * bid - 1.0
        return action

    def fixed(self, name: str) -> Act:
        """The fixed baseline ``name`` (one of :data:`FIXED`)."""

        def silent(obs: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
            return self.from_bid(torch.zeros(obs.shape[:-1], device=obs.device), mask)

        def always(obs: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
            return self.from_bid(torch.ones(obs.shape[:-1], device=obs.device), mask)

        def truthful(obs: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
            ok = self.field(obs, "affordable") > 0.5
            conf = self.field(obs, "confidence")
            return self.from_bid(torch.where(ok, conf, torch.zeros_like(conf)), mask)

        def round_robin(obs: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
            played = torch.round(self.field(obs, "round") * self.max_rounds).long()
            me = obs[..., self.layout.slice("agent_id")].argmax(-1)
            return self.from_bid((played % self.n_agents == me).float(), mask)

        def random(obs: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
            env = self.env
            if env.discrete:
                probs = torch.ones(*obs.shape[:-1], env.n_actions, device=obs.device)
                if mask is not None:
                    probs = probs * mask
                flat = probs.reshape(-1, probs.shape[-1])
                return torch.multinomial(flat, 1, generator=self.gen).reshape(obs.shape[:-1])
            u = torch.rand((*obs.shape[:-1], env.act_dim), generator=self.gen, device=obs.device)
            return 2.0 * u - 1.0

        table = {
            "silent": silent,
            "always": always,
            "truthful": truthful,
            "round_robin": round_robin,
            "random": random,
        }
        if name not in table:
            raise ValueError(f"unknown fixed policy {name!r}; one of {FIXED}")
        return table[name]

    def rule(self, name: str) -> Act:
        """A state-dependent rule: ``disagree`` or ``disagree@θ`` (θ in [0, 1])."""
        base, _, theta_text = name.partition("@")
        if base != "disagree":
            raise ValueError(f"unknown rule {name!r}; 'disagree' or 'disagree@THETA'")
        theta = float(theta_text) if theta_text else None
        if theta is not None and not 0.0 <= theta <= 1.0:
            raise ValueError(f"rule {name!r}: θ must be in [0, 1]")
        one = 1.0 / self.n_agents + 1e-6

        def act(obs: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
            disagree = self.field(obs, "distinct_answers") > one
            ok = (self.field(obs, "affordable") > 0.5) & disagree
            conf = self.field(obs, "confidence")
            bid = conf if theta is None else (conf >= theta).float()
            return self.from_bid(torch.where(ok, bid, torch.zeros_like(bid)), mask)

        return act


def evaluate(env: Any, act: Act, seed: int) -> dict[str, float]:
    """Play one episode per env of ``env`` (reset with ``seed``, no autoreset) with ``act``.

    Returns the mean team return (mean over bidders, summed over the episode) and its standard
    error, accuracy, billed and generated tokens, rounds, and ``speak_rate`` (the share of
    agent-rounds in which the agent broadcast). With several message tiers it adds
    ``tier_rate_<tier>`` for each tier (the share of agent-rounds in which the agent broadcast
    that tier; they sum to ``speak_rate``).
    """
    env.autoreset = False
    obs, _ = env.reset(seed=seed)
    mask = env.action_mask()
    n, dev = env.num_envs, env.device
    finished = torch.zeros(n, dtype=torch.bool, device=dev)
    ret = torch.zeros(n, device=dev)
    out = {k: torch.zeros(n, device=dev) for k in ("correct", "billed", "generated", "rounds")}
    spoke = torch.zeros(n, device=dev)
    tiers = tuple(env.config.tiers) if getattr(env, "tiered", False) else ()
    by_tier = torch.zeros(n, len(tiers), device=dev)
    for _ in range(int(env.config.max_rounds) + 2):
        with torch.no_grad():
            action = act(obs, mask)
        obs, reward, terminated, truncated, info = env.step(action)
        live = ~finished
        ret += reward.float().mean(-1) * live
        spoke += info["spoke"].float().sum(-1) * live
        if tiers:  # env.last_tier: the tier each agent broadcast this round (-1: none)
            sent = env.last_tier[..., None] == torch.arange(len(tiers), device=dev)
            by_tier += sent.float().sum(1) * live[:, None]
        new = (terminated | truncated) & live
        for key in out:
            out[key] = torch.where(new, info[f"episode_{key}"].float(), out[key])
        finished |= new
        mask = info.get("action_mask")
        if bool(finished.all()):
            break
    if not bool(finished.all()):
        raise RuntimeError(f"{int((~finished).sum())} evaluation episodes did not end")
    agent_rounds = (out["rounds"] * env.n_agents).clamp(min=1.0)
    rates = {
        f"tier_rate_{t}": float((by_tier[:, k] / agent_rounds).mean()) for k, t in enumerate(tiers)
    }
    return {
        "team_return": float(ret.mean()),
        "team_return_se": float(ret.std() / math.sqrt(n)) if n > 1 else 0.0,
        "accuracy": float(out["correct"].mean()),
        "billed_tokens": float(out["billed"].mean()),
        "generated_tokens": float(out["generated"].mean()),
        "rounds": float(out["rounds"].mean()),
        "speak_rate": float((spoke / agent_rounds).mean()),
        **rates,
    }
