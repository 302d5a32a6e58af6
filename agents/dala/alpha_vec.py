"""α-REINFORCE on the batched auction (:mod:`econ_env.vector`): the same bidder, trained in seconds.

:class:`~econ_env_agents.dala.alpha.AlphaAgent` bids ``α_i·û/L̂`` and tunes each agent's
``μ_i = log α_i`` by REINFORCE on whole-episode returns. On the text env one update plays
``batch_episodes`` episodes one after the other; here one update plays ``num_envs`` episodes at
once as tensors, each with its own exploration draw ``log α ~ N(μ, σ²)`` per agent, and hands the
draws and the agents' returns to the very same :meth:`AlphaAgent.update`. The trained agent is
an ordinary ``AlphaAgent``: save it, load it, evaluate it in the text env (``agent.act``).

:func:`batched_bids` is the tensor form of :meth:`AlphaAgent.bid` (the same utility, length
floor, ``min_bid`` and affordability rule; tested equal on observations of both envs).
"""

from __future__ import annotations

from typing import Any

import torch

from econ_env_agents.dala.alpha import AlphaAgent, AlphaConfig

__all__ = ["batched_bids", "greedy_policy", "play_batch", "train_alpha_vec"]


def batched_bids(
    agent: AlphaAgent, obs: torch.Tensor, alphas: torch.Tensor, tiers: torch.Tensor | None = None
) -> torch.Tensor:
    """Bids in [0, 1] of shape ``(N, A)`` for observations ``(N, A, D)`` and α ``(N, A)``; with
    ``tiers="choose"`` one bid per tier, ``(N, A, T)``, on the offered ``tiers`` ``(N, A)``
    (default: the first tier), as :meth:`AlphaAgent.tier_bids`."""
    lay, cfg = agent.layout, agent.config
    conf = obs[..., lay.index("confidence")]
    if cfg.utility == "logprob":
        u = conf
    elif cfg.utility == "entropy":
        u = 1.0 - obs[..., lay.index("entropy")]
    else:
        ids = lay.slice("agent_id")
        distinct = obs[..., lay.index("distinct_answers")] * (ids.stop - ids.start)
        agrees = obs[..., lay.index("agrees_plurality")] >= 0.5
        u = torch.where(agrees, torch.ones_like(conf), 1.0 / distinct.clamp(min=1.0))
    length = obs[..., lay.index("draft_length")].clamp(min=cfg.length_floor)
    bid = (alphas * u / length).clamp(0.0, 1.0)
    if not agent.choose_tier:
        ok = (obs[..., lay.index("affordable")] >= 0.5) & (bid >= cfg.min_bid)
        return torch.where(ok, bid, torch.zeros_like(bid))
    if tiers is None:
        tiers = torch.zeros(alphas.shape, dtype=torch.long, device=obs.device)
    fits = obs[..., lay.slice("tier_affordable")].gather(-1, tiers.unsqueeze(-1)).squeeze(-1)
    bid = torch.where((fits >= 0.5) & (bid >= cfg.min_bid), bid, torch.zeros_like(bid))
    one_hot = torch.nn.functional.one_hot(tiers, agent.n_tiers).to(bid.dtype)
    return one_hot * bid.unsqueeze(-1)


def _encode(agent: AlphaAgent, env: Any, bid: torch.Tensor, mask: torch.Tensor | None) -> Any:
    if env.discrete:
        level = torch.round(bid * (agent.bid_levels - 1)).long()
        if mask is not None:
            allowed = mask.gather(-1, level.unsqueeze(-1)).squeeze(-1)
            level = torch.where(allowed, level, torch.zeros_like(level))
        return level
    shape = bid.shape[:-1] if agent.choose_tier else bid.shape
    action = torch.empty(*shape, env.act_dim, device=bid.device)
    if agent.choose_tier:
        action[..., : agent.n_tiers] = 2.0 * bid - 1.0
    else:
        action[..., 0] = 2.0 * bid - 1.0  # the first configured tier, as AlphaAgent.encode
        action[..., 1 : agent.n_tiers] = -1.0
    if env.act_dim > agent.n_tiers:
        action[..., agent.n_tiers :] = torch.tensor(agent.neutral_belief, device=bid.device)
    return action


def greedy_policy(agent: AlphaAgent, env: Any) -> Any:
    """The deterministic agent (α = exp(μ)) as a batched policy ``act(obs, mask) -> action``."""
    alphas = torch.as_tensor(agent.alphas, dtype=torch.float32, device=env.device)
    tiers = torch.as_tensor(agent.tiers, dtype=torch.long, device=env.device)

    def act(obs: torch.Tensor, mask: torch.Tensor | None) -> Any:
        shape = obs.shape[:-1]
        bids = batched_bids(agent, obs, alphas.expand(shape), tiers.expand(shape))
        return _encode(agent, env, bids, mask)

    return act


def play_batch(
    agent: AlphaAgent,
    env: Any,
    log_alphas: torch.Tensor,
    seed: int,
    tiers: torch.Tensor | None = None,
) -> torch.Tensor:
    """One episode per env of the batched auction ``env`` (reset with ``seed``) with per-env,
    per-agent ``log_alphas`` ``(num_envs, n_agents)`` (and offered ``tiers``, same shape, with
    ``tiers="choose"``); returns every agent's summed reward."""
    env.autoreset = False
    obs, _ = env.reset(seed=seed)
    mask = env.action_mask()
    alphas = log_alphas.to(env.device).exp()
    tiers = None if tiers is None else tiers.to(env.device)
    n = env.num_envs
    finished = torch.zeros(n, dtype=torch.bool, device=env.device)
    returns = torch.zeros(n, env.n_agents, device=env.device)
    for _ in range(int(env.config.max_rounds) + 2):
        action = _encode(agent, env, batched_bids(agent, obs, alphas, tiers), mask)
        obs, reward, terminated, truncated, info = env.step(action)
        returns += reward.float() * (~finished).unsqueeze(-1)
        finished |= terminated | truncated
        mask = info.get("action_mask")
        if bool(finished.all()):
            return returns
    raise RuntimeError(f"{int((~finished).sum())} episodes did not end")


def train_alpha_vec(
    env: Any,
    agent: AlphaAgent | None = None,
    config: AlphaConfig | None = None,
    updates: int = 30,
    seed: int = 0,
) -> tuple[AlphaAgent, list[dict[str, Any]]]:
    """Tune the agents' α by REINFORCE on a batched auction; returns ``(agent, history)``.

    Every update plays ``env.num_envs`` episodes (env seed ``seed + update``), one exploration
    draw of log α per episode and agent (antithetic pairs when ``config.antithetic``).
    ``history`` holds ``episodes``, ``mean_return`` and ``alphas`` per update.
    """
    if agent is None:
        agent = AlphaAgent.from_spec(env.spec, config)
    if updates < 1:
        raise ValueError(f"updates must be >= 1, got {updates}")
    n = env.num_envs
    if agent.config.antithetic and n % 2:
        raise ValueError(f"num_envs must be even with antithetic=True, got {n}")
    history: list[dict[str, Any]] = []
    for u in range(updates):
        log_alphas = agent.sample_log_alphas(n)
        tiers = agent.sample_tiers(n)
        returns = play_batch(agent, env, log_alphas, seed + u, tiers)
        stats = agent.update(log_alphas, returns.to(agent.device), tiers)
        history.append({"episodes": n * (u + 1), **stats, "alphas": agent.alphas.tolist()})
    return agent, history
