"""Observation of auction_v0: a float32 vector with named fields, every value in [0, 1].

=====  ================  ==============================================================
index  name              meaning
=====  ================  ==============================================================
0      budget_left       remaining billed budget / budget
1      round             rounds played / max_rounds
2      draft_length      own draft's completion tokens / max_draft_tokens
3      confidence        exp(own draft's mean log-probability)
4      entropy           1 − exp(−own draft's mean entropy) (0 = certain)
5      agrees_plurality  1 if the own draft's answer is the current plurality answer
6      distinct_answers  number of distinct answers among all drafts / n_agents
7      last_price        clearing price of the last settled round (bid units)
8      affordable        1 if the own draft fits the remaining budget and the round cap
9      prev_bid          own bid in the last settled round
10..   last_speakers     n_agents entries: 1 for each winner of the last round
..     agent_id          n_agents entries: one-hot of the own index
..     task              8 entries: ``econ_env.tasks.features.task_features``
=====  ================  ==============================================================

With several message tiers (``tiers``, :mod:`econ_env.envs.auction.compress`) two fields
are appended after ``task``: ``tier_lengths`` (n_tiers entries: each tier's completion tokens /
max_draft_tokens) and ``tier_affordable`` (n_tiers entries: 1 if that tier's message can be
broadcast this round); ``infos`` then get an int ``tier`` (the tier index the bidder broadcast
last round, -1 if it did not speak).

On tasks with split facts (``task="split_facts"``, :mod:`econ_env.tasks.split_facts`) one more
scalar field, :data:`FACTS_FIELD` ``facts_known`` (the fraction of the item's facts the bidder
knows: its own share plus what it heard in broadcasts), is appended at the very end, and
``infos`` get a float ``facts_known`` key; otherwise the layout is exactly the table.

The table is :data:`FIELDS`, from which :class:`AuctionObserver` writes the vectors (by field
name) and the documentation prints it. The "plurality" and "distinct answers" statistics are
public signals the auctioneer announces (how many different answers are on the table and
whether yours leads), not other agents' draft text: an agent never observes an unbroadcast
draft.

Text never enters the observation. :meth:`AuctionObserver.infos` gives each bidder its numeric
``infos`` entry (round, token totals, the ending, whether it spoke last round, its last bid and
the last price: :mod:`econ_env.envs.observe`); :meth:`AuctionObserver.text_info` its text
(question, own draft and answer, the broadcasts heard so far, the stop reason, final and gold
answers).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from econ_env.core.layout import FieldSpec, Layout
from econ_env.envs.auction.compress import discrete_mask
from econ_env.envs.observe import add_agent_totals, shared_info, shared_text
from econ_env.tasks.features import TASK_FEATURE_DIM, task_features
from econ_env.tasks.split_facts import task_has_facts

if TYPE_CHECKING:
    from econ_env.envs.auction.config import AuctionConfig
    from econ_env.envs.auction.game import AuctionGame

__all__ = [
    "FACTS_FIELD",
    "FIELDS",
    "SCALARS",
    "AuctionObserver",
    "ObsLayout",
    "confidence_of",
    "entropy_feature",
]

FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("budget_left", 1, "remaining billed budget / budget"),
    FieldSpec("round", 1, "rounds played / max_rounds"),
    FieldSpec("draft_length", 1, "own draft's completion tokens / max_draft_tokens"),
    FieldSpec("confidence", 1, "exp(own draft's mean log-probability)"),
    FieldSpec("entropy", 1, "1 − exp(−own draft's mean entropy) (0 = certain)"),
    FieldSpec("agrees_plurality", 1, "1 if the own draft's answer is the current plurality answer"),
    FieldSpec("distinct_answers", 1, "number of distinct answers among all drafts / n_agents"),
    FieldSpec("last_price", 1, "clearing price of the last settled round (bid units)"),
    FieldSpec("affordable", 1, "1 if the own draft fits the remaining budget and the round cap"),
    FieldSpec("prev_bid", 1, "own bid in the last settled round"),
    FieldSpec("last_speakers", "n_agents", "n_agents entries: 1 for each winner of the last round"),
    FieldSpec("agent_id", "n_agents", "n_agents entries: one-hot of the own index"),
    FieldSpec(
        "task",
        TASK_FEATURE_DIM,
        f"{TASK_FEATURE_DIM} entries: ``econ_env.tasks.features.task_features``",
    ),
)
"""The documented layout, in vector order."""

SCALARS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.size == 1)

FACTS_FIELD = FieldSpec(
    "facts_known", 1, "fraction of the item's facts the bidder knows (split-facts tasks only)"
)
"""The field appended at the end of the vector on tasks with split facts."""

TIER_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("tier_lengths", "n_tiers", "n_tiers entries: each tier's tokens / max_draft_tokens"),
    FieldSpec("tier_affordable", "n_tiers", "n_tiers entries: 1 if that tier's message fits"),
)
"""The fields appended (before ``facts_known``) with several message tiers."""


class ObsLayout(Layout):
    """The layout of auction_v0's observation vector for ``n_agents`` bidders."""

    def __init__(self, n_agents: int, *, facts: bool = False, n_tiers: int = 1) -> None:
        self.n_agents = int(n_agents)
        self.facts = bool(facts)
        self.n_tiers = int(n_tiers)
        specs = FIELDS + (TIER_FIELDS if self.n_tiers > 1 else ())
        specs = (*specs, FACTS_FIELD) if self.facts else specs
        layout = Layout.build(specs, {"n_agents": self.n_agents, "n_tiers": self.n_tiers})
        super().__init__(layout.fields)

    @property
    def last_speakers(self) -> slice:
        return self.slice("last_speakers")

    @property
    def agent_id(self) -> slice:
        return self.slice("agent_id")

    @property
    def task(self) -> slice:
        return self.slice("task")


def confidence_of(mean_logprob: float) -> float:
    """Map a mean log-probability (<= 0) to (0, 1]."""
    return math.exp(min(mean_logprob, 0.0))


def entropy_feature(mean_entropy: float) -> float:
    """Map a mean entropy in nats (>= 0) to [0, 1)."""
    return 1.0 - math.exp(-max(mean_entropy, 0.0))


class AuctionObserver:
    """Writes every bidder's observation vector, action mask and info from the game state."""

    def __init__(self, config: AuctionConfig) -> None:
        self.config = config
        self.facts = task_has_facts(config.task)
        self.n_tiers = len(config.tiers)
        self.layout = ObsLayout(config.n_agents, facts=self.facts, n_tiers=self.n_tiers)
        self._identity = np.eye(config.n_agents, dtype=np.float32)
        self._task = np.zeros(TASK_FEATURE_DIM, dtype=np.float32)

    def start(self, game: AuctionGame) -> None:
        """Compute the episode's fixed features (once per reset, after the drafts)."""
        assert game.item is not None
        self._task = task_features(game.item)

    def observations(self, game: AuctionGame) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """``(rows, masks)``: one vector per bidder and, with discrete actions, its mask."""
        cfg, n = self.config, self.config.n_agents
        plural = game.plurality()
        speak = [game.can_speak(i) for i in range(n)]
        comps = [d.completion for d in game.drafts]
        speakers = np.zeros(n, dtype=np.float32)
        speakers[list(game.last_winners)] = 1.0
        values: dict[str, Any] = {
            "budget_left": game.ledger.remaining / cfg.budget,
            "round": min(game.round / cfg.max_rounds, 1.0),
            "draft_length": [min(c.completion_tokens / cfg.max_draft_tokens, 1.0) for c in comps],
            "confidence": [confidence_of(c.mean_logprob) for c in comps],
            "entropy": [entropy_feature(c.mean_entropy) for c in comps],
            "agrees_plurality": [d.answer is not None and d.answer == plural for d in game.drafts],
            "distinct_answers": len(game.answer_counts()) / n,
            "last_price": min(max(game.last_price, 0.0), 1.0),
            "affordable": speak,
            "prev_bid": game.prev_bids,
            "last_speakers": speakers,
            "agent_id": self._identity,
            "task": self._task,
        }
        if self.n_tiers > 1:
            fits = [game.tier_fits(i) for i in range(n)]
            values["tier_lengths"] = np.array(
                [[min(k / cfg.max_draft_tokens, 1.0) for k in game.tier_lengths(i)]
                 for i in range(n)], dtype=np.float32
            )  # fmt: skip
            values["tier_affordable"] = np.array(fits, dtype=np.float32)
        if self.facts:
            values["facts_known"] = game.knowledge.fractions()
        rows = self.layout.assemble(values, n)
        masks = None
        if cfg.action_type == "discrete" and self.n_tiers > 1:
            masks = [discrete_mask(game.tier_fits(i), cfg.bid_levels) for i in range(n)]
        elif cfg.action_type == "discrete":
            masks = [np.ones(cfg.bid_levels, dtype=np.int8) for _ in range(n)]
            for i in range(n):
                masks[i][1:] = speak[i]
        return rows, masks

    def infos(
        self, game: AuctionGame, masks: list[np.ndarray] | None = None
    ) -> list[dict[str, Any]]:
        """Every bidder's numeric ``infos`` entry (:mod:`econ_env.envs.observe`'s keys, then
        ``spoke``, ``bid`` and ``price``); ``masks`` are the action masks to copy in."""
        out = []
        winners = set(game.last_winners)
        for i in range(self.config.n_agents):
            info = shared_info(game, game.round, None if masks is None else masks[i])
            info["spoke"] = i in winners
            info["bid"] = float(game.prev_bids[i])
            info["price"] = float(game.last_price)
            if self.n_tiers > 1:
                info["tier"] = int(game.last_tiers[i])
            if self.facts:
                info["facts_known"] = float(game.knowledge.fraction(i))
            out.append(info)
        add_agent_totals(out, game.agents, game.ledger)
        return out

    def text_info(self, game: AuctionGame, index: int) -> dict[str, Any]:
        """Bidder ``index``'s text: the question, its draft and answer, the broadcasts heard
        as ``(speaker, text)`` pairs, and the ending (``None`` until the game is over)."""
        draft = game.drafts[index]
        heard = tuple((m.speaker, m.text) for m in game.transcript.public())
        return {**shared_text(game), "draft": draft.text, "answer": draft.answer, "heard": heard}
