"""auction_v1: the DALA auction with one expert among novices (communication pays at the defaults).

| Import             | ``from econ_env import auction_v1``                      |
|--------------------|----------------------------------------------------------|
| Same game as       | ``auction_v0`` (rules, spaces, observation, rewards)     |
| Default changes    | ``team="one_expert"``, ``max_rounds_truncates=False``    |
| Parallel API       | Yes, native (``auction_v1.parallel_env``)                |
| Registry ids       | ``econ_env/auction-v1``; single agent ``econ_env/Auction-v1`` |

auction_v1 is auction_v0 with two defaults changed. The bidders are a **team with one expert
among novices** (``team="one_expert"``: ``bidder_{n-1}`` has logit skill 2.5, every other
bidder −1.0; see :mod:`econ_env.core.team`). And an episode that reaches ``max_rounds`` is
flagged **terminated**, not truncated (``max_rounds_truncates=False``): the final answer is
scored at that round and nothing follows, so it is the game's own end (the round fraction is
in the observation), and a learner that bootstraps a value on truncation (SB3, Tianshou,
TorchRL, CleanRL) would add a spurious ``γ·V(s_T)`` to its last reward. Every other default —
3 bidders, second price, budget 2048, λ = 1, 4 rounds, simulated backend, reasoning-gym
arithmetic — and every rule, space, observation field, reward and stop reason are
auction_v0's (read its page for them).

Why the change. At auction_v0's defaults the best policy is a constant: never bidding (a
majority vote of three equally able drafts) returns 0.768 team return, every fixed policy that
talks returns less, and the best hand-written state-dependent rule we found also returns less
(0.653) — one round of talk bills ~500 tokens for a few points of accuracy. With one expert,
what an agent should do depends on who it is and on the state: the expert should speak when the
drafts disagree, the novices should listen. Measured on the batched twin (4,096 episodes,
``python benchmarks/regime_map.py``): best fixed policy ``silent`` 0.569, the rule "only the
expert bids, and only while the drafts disagree" 0.739 (+0.17); α-REINFORCE and MAPPO learn it
(docs/guides/regimes.md has the table, with 95% CIs over 3 training seeds, evaluated in this
text env). ``team=None, max_rounds_truncates=True`` gives auction_v0 back; any auction_v0
behaviour is reachable from auction_v1 by config and vice versa.

### Arguments

Every keyword argument of auction_v0 (:class:`~econ_env.envs.auction.config.AuctionConfig`);
``team`` defaults to ``"one_expert"`` and ``max_rounds_truncates`` to ``False``. A config
object passed as ``config=`` is used as given (its own ``team`` and flag).

### Observation

auction_v0's float32 vector, field by field (table below); ``agent_id`` tells a bidder which
seat it holds, which is how a policy can learn that seat ``n-1`` is the expert.

### Action

auction_v0's: ``Box(-1, 1, (n_tiers + belief_dim,))`` (a bid per message tier, then the belief)
or, with ``action_type="discrete"``, ``Discrete(1 + n_tiers·(bid_levels − 1))`` with an action
mask.

### Rewards

auction_v0's: in ``team`` mode every bidder gets ``correct − λ·billed/budget`` (the cost spread
over the rounds as billed); ``individual`` mode is the quasi-linear utility.

### Version History

- v1, econ-env 0.2.0 (unreleased): auction_v0 with ``team="one_expert"`` by default (issue
  14); an episode that reaches ``max_rounds`` is terminated, not truncated
  (``max_rounds_truncates=False``; issue 14, before 0.2.0 was released).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pettingzoo import AECEnv
from pettingzoo.utils import wrappers

from econ_env.core.spec import EnvSpec
from econ_env.envs.auction.config import AuctionConfig, make_config
from econ_env.envs.auction.env import AuctionEnv, AuctionParallelEnv, spec_of
from econ_env.envs.validation import env_kwargs, version_kwargs

__all__ = [
    "DEFAULTS",
    "NAME",
    "AuctionV1Env",
    "AuctionV1ParallelEnv",
    "env",
    "env_spec",
    "parallel_env",
    "raw_env",
]

NAME = "auction_v1"
DEFAULTS: dict[str, Any] = {"team": "one_expert", "max_rounds_truncates": False}
"""auction_v1's config overrides of auction_v0's defaults."""


class AuctionV1Env(AuctionEnv):
    """The raw AEC environment of auction_v1 (auction_v0 with :data:`DEFAULTS`)."""

    metadata: ClassVar[dict[str, Any]] = {**AuctionEnv.metadata, "name": NAME}
    defaults: ClassVar[dict[str, Any]] = DEFAULTS


class AuctionV1ParallelEnv(AuctionParallelEnv):
    """The native parallel environment of auction_v1."""

    metadata: ClassVar[dict[str, Any]] = {**AuctionParallelEnv.metadata, "name": NAME}
    defaults: ClassVar[dict[str, Any]] = DEFAULTS


def env_spec(config: AuctionConfig | None = None, **kwargs: Any) -> EnvSpec:
    """The public description of ``auction_v1.env(**kwargs)``, without building it."""
    if config is None:
        kwargs = version_kwargs(DEFAULTS, kwargs)
    return spec_of(make_config(config, **env_kwargs(kwargs)), NAME)


def raw_env(**kwargs: Any) -> AuctionV1Env:
    """The unwrapped AEC environment."""
    return AuctionV1Env(**kwargs)


def env(**kwargs: Any) -> AECEnv:
    """The AEC environment wrapped in PettingZoo's order-enforcing wrapper."""
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))


def parallel_env(**kwargs: Any) -> AuctionV1ParallelEnv:
    """The native parallel environment (all-or-nothing ``step``)."""
    return AuctionV1ParallelEnv(**kwargs)
