"""Configuration of auction_v0: a frozen dataclass validated at construction.

Every field is documented below; :func:`make_config` builds one from keyword arguments and
rejects unknown keys with a ``ValueError`` that names the key and lists the allowed ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from econ_env.core.beliefs import BeliefMap
from econ_env.core.team import check_team
from econ_env.envs.auction.mechanism import MECHANISMS
from econ_env.envs.auction.reward import REWARDS, AuctionReward, make_reward
from econ_env.envs.auction.tiers import TIERS
from econ_env.envs.validation import (
    MAX_AGENTS,
    MAX_BUDGET,
    MAX_ROUNDS,
    MAX_TOKENS,
    is_int,
    is_real,
    normalise_numbers,
    require,
)
from econ_env.envs.validation import make_config as _make_config

ACTION_TYPES = ("continuous", "discrete")
REWARD_MODES = tuple(REWARDS)
ANSWER_RULES = ("majority", "last_speaker", "confidence")
MAX_DRAFT_SAMPLES = 64
INVALID_ACTION_MODES = ("raise", "silence")
RENDER_MODES = ("ansi", "human")


@dataclass(frozen=True)
class AuctionConfig:
    """All settings of one auction_v0 environment.

    Attributes:
        n_agents: number of bidders (>= 1).
        mechanism: one of ``first_price``, ``second_price``, ``top_k``, ``softmax``, ``vcg``.
        top_k: speakers per round (1..n_agents); ``second_price`` requires 1.
        reserve: reserve price in bid units, in [0, 1); bids below it do not take part.
        softmax_temperature: temperature of the ``softmax`` mechanism (> 0).
        budget: billed-token budget of one episode (> 0).
        round_cap: cap on the broadcast tokens of one round (the VCG knapsack capacity; it also
            bounds every other mechanism); ``None`` means only the remaining budget caps it.
        max_rounds: rounds per episode (>= 1); the final answer is scored after the last one.
        max_draft_tokens: completion cap of every draft and revision (>= 1).
        action_type: ``continuous`` (``Box(-1, 1, (1 + belief_dim,))``) or ``discrete``
            (``Discrete(bid_levels)`` with level 0 = stay silent, and an action mask).
        bid_levels: K, the number of discrete bid levels including silence (>= 2).
        belief_dim: extra action dimensions mapped to the agent's generation parameters
            (continuous actions only; 0..16).
        reward_mode: ``team`` (shared correctness minus λ·billed/budget) or ``individual``
            (quasi-linear utility: credit for supporting the correct answer minus payments);
            the name of a built-in reward of :mod:`econ_env.envs.auction.reward`.
        cost_weight: λ, the weight of the token cost in the team reward (>= 0).
        reward: a reward object (:class:`~econ_env.envs.auction.reward.AuctionReward`) used
            instead of the one ``reward_mode`` and ``cost_weight`` name; give one or the other.
        answer_rule: how the final answer is chosen: ``majority`` of the final drafts,
            ``last_speaker``'s draft, or the draft with the highest ``confidence``.
        stop_on_consensus: end the episode (terminated) as soon as every draft has the same
            answer; ``False`` plays every round up to ``max_rounds`` or the budget.
        max_rounds_truncates: how an episode that reaches ``max_rounds`` is flagged: ``True``
            (auction_v0) as truncated, ``False`` (auction_v1) as terminated. The final answer
            is scored at that round and nothing follows it, so it is a true end of the game:
            learners that bootstrap a value on truncation (SB3, Tianshou, TorchRL, CleanRL)
            add a spurious ``γ·V(s_T)`` to the last reward when it is flagged truncated.
        carry_facts: on split-facts tasks, whether a broadcast carries its speaker's facts
            into the listeners' prompts. ``False`` (auction_v0's and auction_v1's default):
            every prompt lists only the agent's own share, and the facts a listener learns
            (:mod:`econ_env.envs.knowledge`) reach the simulated backend only, so a real model
            never reads them. ``True``: every revision prompt lists every fact its agent knows
            then (its share and those the broadcasts it heard carried). The facts ride with the
            message unbilled; the listener reads them as prompt tokens. Tasks without facts are
            unaffected.
        task: task source name (see ``econ_env.tasks.list_tasks()``) or a TaskSource object.
        task_kwargs: keyword arguments for the task source.
        backend: backend name (``"simulated"``) or a Backend object.
        backend_kwargs: keyword arguments for the backend (e.g. simulated model parameters).
        invalid_action: what a masked (unaffordable) discrete action does: ``raise`` a
            ValueError (default) or be treated as ``silence`` (for learners that ignore masks).
        beliefs: the belief → generation-parameter map.
        render_mode: ``None``, ``"ansi"`` or ``"human"``.
        info_text: also put each agent's text (question, drafts, answers, what it heard, the
            ending) into ``infos[agent]``; by default infos are numeric only and the text is
            ``env.unwrapped.text_info(agent)`` (see :mod:`econ_env.envs.observe`).
        team: heterogeneous agents (:mod:`econ_env.core.team`): ``None`` (default: every
            agent alike), a preset name (``one_expert``, ``uniform``, ``spread``) or a list of
            ``n_agents`` mappings with optional keys ``skill`` (simulated logit skill),
            ``model`` (a backend spec string answering that agent) and ``system_prompt``
            (appended to that agent's system message).
        tiers: the message tiers every draft is offered at (DALA's tiered messages), a
            non-empty subset of ``TIERS = ("full", "summary", "keywords")`` in that order;
            each non-full tier is written by a compression call after every draft and
            revision, and an agent bids per tier (:mod:`econ_env.envs.auction.tiers`). The
            default ``("full",)`` is the single-message game.
        draft_samples: k, the samples behind every agent's first draft (self-consistency,
            1..64): each agent draws k independent drafts (k requests, all generated tokens),
            keeps the first sample holding its samples' most common answer as its draft (what
            it bids on, broadcasts and is billed for), and until it revises, all k samples vote
            in the ``majority`` answer rule. The default 1 is the single-draft game;
            ``draft_samples=k`` with silent bidders is self-consistency over n·k drafts.
    """

    n_agents: int = 3
    mechanism: str = "second_price"
    top_k: int = 1
    reserve: float = 0.0
    softmax_temperature: float = 0.1
    budget: int = 2048
    round_cap: int | None = None
    max_rounds: int = 4
    max_draft_tokens: int = 256
    action_type: str = "continuous"
    bid_levels: int = 5
    belief_dim: int = 0
    reward_mode: str = "team"
    cost_weight: float = 1.0
    answer_rule: str = "majority"
    stop_on_consensus: bool = True
    max_rounds_truncates: bool = True
    carry_facts: bool = False
    task: Any = "arithmetic"
    task_kwargs: dict[str, Any] = field(default_factory=dict)
    backend: Any = "simulated"
    backend_kwargs: dict[str, Any] = field(default_factory=dict)
    invalid_action: str = "raise"
    beliefs: BeliefMap = field(default_factory=BeliefMap)
    render_mode: str | None = None
    info_text: bool = False
    reward: AuctionReward | None = None
    team: Any = None
    tiers: tuple[str, ...] = ("full",)
    draft_samples: int = 1

    def __post_init__(self) -> None:
        normalise_numbers(self)
        if isinstance(self.tiers, list):
            object.__setattr__(self, "tiers", tuple(self.tiers))

        def need(ok: bool, name: str, allowed: str) -> None:
            require(self, "auction_v0", ok, name, allowed)

        need(
            is_int(self.n_agents) and 1 <= self.n_agents <= MAX_AGENTS,
            "n_agents",
            f"an integer in [1, {MAX_AGENTS}]",
        )
        need(self.mechanism in MECHANISMS, "mechanism", f"one of {MECHANISMS}")
        need(
            is_int(self.top_k) and 1 <= self.top_k <= self.n_agents,
            "top_k",
            f"an integer in [1, n_agents={self.n_agents}]",
        )
        need(
            self.mechanism != "second_price" or self.top_k == 1,
            "top_k",
            "1 with mechanism='second_price' (use 'top_k' for a uniform-price multi-winner "
            "auction)",
        )
        need(is_real(self.reserve) and 0.0 <= self.reserve < 1.0, "reserve", "a float in [0, 1)")
        need(
            is_real(self.softmax_temperature) and self.softmax_temperature > 0,
            "softmax_temperature",
            "a float > 0",
        )
        need(
            is_int(self.budget) and 1 <= self.budget <= MAX_BUDGET,
            "budget",
            f"an integer in [1, {MAX_BUDGET}]",
        )
        need(
            self.round_cap is None
            or (is_int(self.round_cap) and 1 <= self.round_cap <= MAX_BUDGET),
            "round_cap",
            f"None or an integer in [1, {MAX_BUDGET}]",
        )
        need(
            is_int(self.max_rounds) and 1 <= self.max_rounds <= MAX_ROUNDS,
            "max_rounds",
            f"an integer in [1, {MAX_ROUNDS}]",
        )
        need(
            is_int(self.max_draft_tokens) and 1 <= self.max_draft_tokens <= MAX_TOKENS,
            "max_draft_tokens",
            f"an integer in [1, {MAX_TOKENS}]",
        )
        need(self.action_type in ACTION_TYPES, "action_type", f"one of {ACTION_TYPES}")
        need(
            is_int(self.bid_levels) and 2 <= self.bid_levels <= 101,
            "bid_levels",
            "an integer in [2, 101]",
        )
        need(
            is_int(self.belief_dim) and 0 <= self.belief_dim <= 16,
            "belief_dim",
            "an int in [0, 16]",
        )
        need(
            self.action_type == "continuous" or self.belief_dim == 0,
            "belief_dim",
            "0 when action_type='discrete' (beliefs need continuous actions)",
        )
        need(self.reward_mode in REWARD_MODES, "reward_mode", f"one of {REWARD_MODES}")
        need(is_real(self.cost_weight) and self.cost_weight >= 0, "cost_weight", "a float >= 0")
        need(self.answer_rule in ANSWER_RULES, "answer_rule", f"one of {ANSWER_RULES}")
        need(
            self.invalid_action in INVALID_ACTION_MODES,
            "invalid_action",
            f"one of {INVALID_ACTION_MODES}",
        )
        need(
            self.render_mode is None or self.render_mode in RENDER_MODES,
            "render_mode",
            f"None or one of {RENDER_MODES}",
        )
        need(isinstance(self.stop_on_consensus, bool), "stop_on_consensus", "True or False")
        need(isinstance(self.max_rounds_truncates, bool), "max_rounds_truncates", "True or False")
        need(isinstance(self.carry_facts, bool), "carry_facts", "True or False")
        need(isinstance(self.info_text, bool), "info_text", "True or False")
        need(
            isinstance(self.tiers, tuple)
            and len(self.tiers) >= 1
            and all(isinstance(t, str) and t in TIERS for t in self.tiers)
            and list(self.tiers) == [t for t in TIERS if t in self.tiers],
            "tiers",
            f"a non-empty tuple of distinct names from {TIERS}, in that order",
        )
        need(
            is_int(self.draft_samples) and 1 <= self.draft_samples <= MAX_DRAFT_SAMPLES,
            "draft_samples",
            f"an integer in [1, {MAX_DRAFT_SAMPLES}]",
        )
        check_team(self, "auction_v0")
        need(isinstance(self.task_kwargs, dict), "task_kwargs", "a dict")
        need(isinstance(self.backend_kwargs, dict), "backend_kwargs", "a dict")
        need(isinstance(self.beliefs, BeliefMap), "beliefs", "a BeliefMap")
        need(
            self.reward is None or isinstance(self.reward, AuctionReward),
            "reward",
            "None or an object with name, round(billed, payments, budget) and "
            "final(rewards, correct, supported)",
        )
        need(
            self.reward is None or (self.reward_mode == "team" and self.cost_weight == 1.0),
            "reward",
            "None when reward_mode or cost_weight is set (give one or the other)",
        )

    @property
    def reward_fn(self) -> AuctionReward:
        """The reward object in use: ``reward``, else the one ``reward_mode`` names."""
        if self.reward is not None:
            return self.reward
        return make_reward(self.reward_mode, self.cost_weight)

    @property
    def agents(self) -> list[str]:
        """The agent names, ``bidder_0 .. bidder_{n-1}``."""
        return [f"bidder_{i}" for i in range(self.n_agents)]


def make_config(config: AuctionConfig | None = None, **kwargs: Any) -> AuctionConfig:
    """A validated :class:`AuctionConfig` from an optional base config and overrides.

    Raises:
        ValueError: for an unknown key (naming it and listing the allowed keys) or an invalid
            value (naming the field and its allowed range).
    """
    return _make_config(AuctionConfig, "auction_v0", config, kwargs)
