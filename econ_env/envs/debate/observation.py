"""Observation of debate_v0: a float32 vector with named fields, every value in [0, 1].

=====  =====================  ============================================================
index  name                   meaning
=====  =====================  ============================================================
0      budget_left            remaining billed budget / budget
1      round                  rounds played / max_rounds
2      strategy_length        strategy tokens / strategy_cap
3      strategy_truncated     1 if the strategy hit the hard cap and was cut
4..7   strategy_features      4 hashed word-bucket shares of the strategy text
8      agrees_commitment      1 if the own last answer equals the commitment's answer
9      commitment_similarity  embedding similarity of own answer and commitment, in [0, 1]
10     peers_agreement        share of the other executors whose answer equals the
                              commitment
11     distinct_answers       number of distinct executor answers / n_agents
12     agrees_local           1 if the own answer equals the own group's local commitment
                              (equals agrees_commitment when groups = 1)
13     commitment_changed     1 if the commitment's answer changed in the last round
14..   previous_belief        belief_dim entries: the own last belief mapped to [0, 1]
..     agent_id               n_agents entries: one-hot of the own index
..     task                   8 entries: ``econ_env.tasks.features.task_features``
=====  =====================  ============================================================

On tasks with split facts (``task="split_facts"``, :mod:`econ_env.tasks.split_facts`) one more
scalar field, :data:`FACTS_FIELD` ``facts_known`` (the fraction of the item's facts the executor
knows: its own share plus what the commitments it read carried), is appended at the very end,
and ``infos`` get a float ``facts_known`` key; otherwise the layout is exactly the table.

The table is :data:`FIELDS`, from which :class:`DebateObserver` writes the vectors (by field
name) and the documentation prints it. Before the first round the round statistics (8..13) and
the previous belief are 0. The peer statistics are aggregates the coordinator announces; an
executor never observes another executor's answer text.

Text never enters the observation. :meth:`DebateObserver.infos` gives each executor its numeric
``infos`` entry (token totals, the ending, the last round's generation parameters and reward
components: :mod:`econ_env.envs.observe` and :data:`INFO_KEYS`); :meth:`DebateObserver.text_info`
its text (strategy, own answer, the commitments, the stop reason, final and gold answers).
"""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING, Any

import numpy as np

from econ_env.core.layout import FieldSpec, Layout
from econ_env.envs.observe import add_agent_totals, shared_info, shared_text
from econ_env.tasks.features import TASK_FEATURE_DIM, task_features
from econ_env.tasks.split_facts import task_has_facts

if TYPE_CHECKING:
    from econ_env.envs.debate.config import DebateConfig
    from econ_env.envs.debate.game import DebateGame

__all__ = [
    "FACTS_FIELD",
    "FIELDS",
    "SCALARS",
    "STRATEGY_FEATURES",
    "DebateObsLayout",
    "DebateObserver",
    "strategy_features",
]

FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("budget_left", 1, "remaining billed budget / budget"),
    FieldSpec("round", 1, "rounds played / max_rounds"),
    FieldSpec("strategy_length", 1, "strategy tokens / strategy_cap"),
    FieldSpec("strategy_truncated", 1, "1 if the strategy hit the hard cap and was cut"),
    FieldSpec("strategy_features", 4, "4 hashed word-bucket shares of the strategy text"),
    FieldSpec("agrees_commitment", 1, "1 if the own last answer equals the commitment's answer"),
    FieldSpec(
        "commitment_similarity",
        1,
        "embedding similarity of own answer and commitment, in [0, 1]",
    ),
    FieldSpec(
        "peers_agreement", 1, "share of the other executors whose answer equals the commitment"
    ),
    FieldSpec("distinct_answers", 1, "number of distinct executor answers / n_agents"),
    FieldSpec(
        "agrees_local",
        1,
        "1 if the own answer equals the own group's local commitment (equals "
        "agrees_commitment when groups = 1)",
    ),
    FieldSpec("commitment_changed", 1, "1 if the commitment's answer changed in the last round"),
    FieldSpec(
        "previous_belief",
        "belief_dim",
        "belief_dim entries: the own last belief mapped to [0, 1]",
    ),
    FieldSpec("agent_id", "n_agents", "n_agents entries: one-hot of the own index"),
    FieldSpec(
        "task",
        TASK_FEATURE_DIM,
        f"{TASK_FEATURE_DIM} entries: ``econ_env.tasks.features.task_features``",
    ),
)
"""The documented layout, in vector order."""

SCALARS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.size == 1)
INFO_KEYS: tuple[str, ...] = (
    "strategy_tokens",
    "strategy_truncated",
    "commitment_changed",
    "temperature",
    "top_p",
    "repetition_penalty",
    "reward_ts",
    "reward_al",
    "reward_cc",
    "reward_cost",
    "reward_total",
    "agrees_commitment",
)
"""debate_v0's own numeric ``infos`` keys, after the shared ones (the last round's values;
the generation parameters and reward components are 0 before the first round)."""
STRATEGY_FEATURES = slice(4, 8)
ROUND_FIELDS: tuple[str, ...] = (
    "agrees_commitment",
    "commitment_similarity",
    "peers_agreement",
    "distinct_answers",
    "agrees_local",
    "commitment_changed",
    "previous_belief",
)
"""The fields the last round writes (all 0 before the first round)."""

FACTS_FIELD = FieldSpec(
    "facts_known", 1, "fraction of the item's facts the executor knows (split-facts tasks only)"
)
"""The field appended at the end of the vector on tasks with split facts."""


class DebateObsLayout(Layout):
    """The layout of debate_v0's observation vector."""

    def __init__(self, n_agents: int, belief_dim: int, *, facts: bool = False) -> None:
        self.n_agents, self.belief_dim = int(n_agents), int(belief_dim)
        self.facts = bool(facts)
        dims = {"n_agents": self.n_agents, "belief_dim": self.belief_dim}
        specs = (*FIELDS, FACTS_FIELD) if self.facts else FIELDS
        super().__init__(Layout.build(specs, dims).fields)

    @property
    def previous_belief(self) -> slice:
        return self.slice("previous_belief")

    @property
    def agent_id(self) -> slice:
        return self.slice("agent_id")

    @property
    def task(self) -> slice:
        return self.slice("task")


def strategy_features(text: str) -> np.ndarray:
    """4 hashed word-bucket shares of ``text`` (stable across processes; zeros for empty text)."""
    out = np.zeros(4, dtype=np.float32)
    words = text.lower().split()
    for w in words:
        out[zlib.crc32(w.encode()) % 4] += 1.0
    if words:
        out /= len(words)
    return out


class DebateObserver:
    """Writes every executor's observation vector, action mask and info from the game state."""

    def __init__(self, config: DebateConfig, embedder_name: str) -> None:
        self.config = config
        self.embedder_name = embedder_name
        self.facts = task_has_facts(config.task)
        self.layout = DebateObsLayout(config.n_agents, config.belief_dim, facts=self.facts)
        self._identity = np.eye(config.n_agents, dtype=np.float32)
        self._task = np.zeros(TASK_FEATURE_DIM, dtype=np.float32)
        self._strategy = np.zeros(4, dtype=np.float32)

    def start(self, game: DebateGame) -> None:
        """Compute the episode's fixed features (once per reset, after the strategy)."""
        assert game.item is not None
        self._task = task_features(game.item)
        self._strategy = strategy_features(game.strategy)

    def observations(self, game: DebateGame) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """``(rows, masks)``: one vector per executor and, with discrete actions, its mask."""
        cfg = self.config
        n = cfg.n_agents
        last = game.history[-1] if game.history else None
        if last is None:
            stats: dict[str, Any] = dict.fromkeys(ROUND_FIELDS, 0.0)
        else:
            agree = np.array([a is not None and a == last.commitment_answer for a in last.answers])
            if last.local:
                local = [
                    a is not None and a == last.local[game.group[i]][1]
                    for i, a in enumerate(last.answers)
                ]
            else:
                local = agree
            changed = len(game.commitments) >= 2 and game.commitments[-1] != game.commitments[-2]
            stats = {
                "agrees_commitment": agree,
                "commitment_similarity": np.clip(last.similarity, 0.0, 1.0),
                "peers_agreement": (agree.sum() - agree) / (n - 1) if n > 1 else 0.0,
                "distinct_answers": game.distinct_answers() / n,
                "agrees_local": local,
                "commitment_changed": float(changed),
                "previous_belief": (last.beliefs + 1.0) / 2.0,
            }
        values: dict[str, Any] = {
            "budget_left": game.ledger.remaining / cfg.budget,
            "round": min(len(game.history) / cfg.max_rounds, 1.0),
            "strategy_length": min(game.strategy_tokens / cfg.strategy_cap, 1.0),
            "strategy_truncated": float(game.strategy_truncated),
            "strategy_features": self._strategy,
            **stats,
            "agent_id": self._identity,
            "task": self._task,
        }
        if self.facts:
            values["facts_known"] = game.knowledge.fractions()
        rows = self.layout.assemble(values, n)
        masks = None
        if cfg.action_type == "discrete":  # every preset is always allowed
            masks = [np.ones(len(cfg.presets), dtype=np.int8) for _ in range(n)]
        return rows, masks

    def infos(
        self, game: DebateGame, masks: list[np.ndarray] | None = None
    ) -> list[dict[str, Any]]:
        """Every executor's numeric ``infos`` entry (:mod:`econ_env.envs.observe`'s keys, then
        :data:`INFO_KEYS`); ``masks`` are the action masks to copy in. Before the first round
        the round values are 0."""
        last = game.history[-1] if game.history else None
        changed = len(game.commitments) >= 2 and game.commitments[-1] != game.commitments[-2]
        out = []
        for i in range(self.config.n_agents):
            info = shared_info(game, len(game.history), None if masks is None else masks[i])
            info["strategy_tokens"] = int(game.strategy_tokens)
            info["strategy_truncated"] = bool(game.strategy_truncated)
            info["commitment_changed"] = bool(changed)
            if last is None:
                info.update(dict.fromkeys(INFO_KEYS[3:-1], 0.0))
                info["agrees_commitment"] = False
            else:
                r, p = last.rewards[i], last.params[i]
                info.update(
                    temperature=float(p.temperature),
                    top_p=float(p.top_p),
                    repetition_penalty=float(p.repetition_penalty),
                    reward_ts=float(r.ts),
                    reward_al=float(r.al),
                    reward_cc=float(r.cc),
                    reward_cost=float(r.cost),
                    reward_total=float(r.total),
                )
                answer = last.answers[i]
                info["agrees_commitment"] = answer is not None and answer == last.commitment_answer
            if self.facts:
                info["facts_known"] = float(game.knowledge.fraction(i))
            out.append(info)
        add_agent_totals(out, game.agents, game.ledger)
        return out

    def text_info(self, game: DebateGame, index: int) -> dict[str, Any]:
        """Executor ``index``'s text: the question, the strategy, its last answer, the
        commitments (global and, with groups, its group's) and the ending; ``None`` where there
        is none yet."""
        last = game.history[-1] if game.history else None
        local = last.local[game.group[index]] if last is not None and last.local else (None, None)
        return {
            **shared_text(game),
            "strategy": game.strategy,
            "embedder": self.embedder_name,
            "answer_text": last.texts[index] if last else None,
            "answer": last.answers[index] if last else None,
            "commitment": last.commitment if last else None,
            "commitment_answer": last.commitment_answer if last else None,
            "local_commitment": local[0],
            "local_commitment_answer": local[1],
        }
