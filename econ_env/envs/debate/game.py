"""The ECON game of debate_v0, independent of the PettingZoo API.

``start`` has the coordinator write a strategy (hard cap ``strategy_cap`` tokens; a cut is
recorded). ``settle`` plays one BNE round from the executors' belief vectors: each belief is
mapped to that executor's own generation parameters, all executors answer in one batched call,
the coordinator commits (per group, then globally when ``groups >= 2``), the answers and the
commitment are embedded, and every executor's reward ``α1·AL + α2·TS + α3·CC − λ·cost`` is
computed. All LLM calls of a round are billed together: if they would overdraw the budget the
whole round is refused before it is charged (its tokens count as generated, not billed) and the
episode ends with ``budget_exhausted``. Embedding reads count as generated tokens only.

A round is all or nothing: every backend call and embedding of a round is made, and every
completion checked (:func:`~econ_env.llm.base.generate_checked`: an invalid one raises
:class:`~econ_env.llm.base.BackendError`), before anything is applied, and when one fails the
ledger, transcript, history and the env's random generator are exactly as before, so the same
round can be played again. Actions are decoded and validated by
:meth:`DebateGame.decode_action` before anything is applied; :meth:`DebateGame.play_round`
returns a :class:`~econ_env.envs.types.RoundOutcome` (rewards and the stop reason) to the envs.

On split-facts tasks (:mod:`econ_env.envs.knowledge`) each executor's prompt holds its own share
of the facts; a commitment carries the union of the facts known to the executors whose answers
its coordinator read, and executors add the global commitment's facts when they read it in the
next round (applied only with the round, like everything else).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from econ_env.core.ledger import BudgetExceeded, Role, TokenLedger
from econ_env.core.team import AgentProfile, team_profiles
from econ_env.core.transcript import Transcript
from econ_env.envs.actions import box_action, discrete_action
from econ_env.envs.debate import convergence
from econ_env.envs.debate.config import DebateConfig
from econ_env.envs.debate.prompts import (
    COORDINATOR,
    commitment_messages,
    executor_messages,
    local_coordinator,
    strategy_messages,
)
from econ_env.envs.debate.reward import RewardBreakdown, similarity01
from econ_env.envs.debate.types import RoundRecord
from econ_env.envs.knowledge import FactKnowledge
from econ_env.envs.types import RoundOutcome
from econ_env.llm.base import Backend, Completion, GenRequest, SimHints, generate_checked
from econ_env.llm.embeddings import Embedder
from econ_env.tasks.answers import check_answer, extract_answer, normalize_answer
from econ_env.tasks.base import TaskItem

EMBEDDER = "embedder"


class DebateGame:
    """State and rules of one debate_v0 episode."""

    def __init__(
        self, config: DebateConfig, backend: Backend, embedder: Embedder, agents: list[str]
    ) -> None:
        self.config = config
        self.backend = backend
        self.embedder = embedder
        self.agents = agents
        self.n = len(agents)
        self.group = config.group_of()
        self.reward = config.reward_fn
        self.team = team_profiles(config) or (AgentProfile(),) * self.n  # heterogeneous agents
        if config.action_type == "discrete":
            self._presets = np.zeros((len(config.presets), config.belief_dim))
            self._presets[:, 0] = [value for _, value in config.presets]
        self.ledger = TokenLedger(config.budget)
        self.transcript = Transcript()
        self.item: TaskItem | None = None
        self.knowledge = FactKnowledge(None, self.n)
        self._reset_state()

    def _reset_state(self) -> None:
        self.strategy = ""
        self.strategy_tokens = 0
        self.strategy_truncated = False
        self.history: list[RoundRecord] = []
        self.commitments: list[str | None] = []
        self.belief_history: list[np.ndarray] = []
        self.stop_reason: str | None = None
        self.final_answer: str | None = None
        self.correct = False
        self.coordinator_known: frozenset[int] = frozenset()  # the last global commitment's

    # ------------------------------------------------------------------ reset
    def start(self, item: TaskItem, rng: np.random.Generator) -> None:
        """Reset the episode and have the coordinator write its strategy."""
        self.ledger.reset()
        self.transcript.clear()
        self.item = item
        self.knowledge = FactKnowledge(item, self.n)
        self._reset_state()
        cfg = self.config
        req = GenRequest(
            messages=strategy_messages(item, cfg.strategy_soft_limit),
            max_tokens=cfg.strategy_cap,
            temperature=cfg.beliefs.defaults.temperature,
            seed=int(rng.integers(2**31 - 1)),
            hints=SimHints(
                item, Role.STRATEGY, -1, facts_known=self.knowledge.fraction_of(frozenset())
            ),
        )
        (c,) = generate_checked(self.backend, [req])
        self.strategy = c.text
        self.strategy_tokens = c.completion_tokens
        self.strategy_truncated = c.finish_reason == "length"
        note = (
            f"cut at the hard cap of {cfg.strategy_cap} tokens" if self.strategy_truncated else ""
        )
        spec = {
            "agent": COORDINATOR,
            "role": Role.STRATEGY,
            "prompt_tokens": c.prompt_tokens,
            "completion_tokens": c.completion_tokens,
            "note": note,
        }
        try:
            self.ledger.record_many([spec])
        except BudgetExceeded:
            self.ledger.record_many([{**spec, "billed": 0, "note": "refused: over budget"}])
            self.strategy = ""
            self.finish("budget_exhausted")
            return
        self.transcript.add(0, COORDINATOR, Role.STRATEGY.value, c.text, tokens=c.completion_tokens)

    def _answer_of(self, c: Completion) -> str | None:
        assert self.item is not None
        return normalize_answer(extract_answer(c.text, self.item.kind), self.item.kind)

    # ------------------------------------------------------------------ actions
    def decode_action(self, index: int, action: object) -> np.ndarray:
        """Validate and decode executor ``index``'s action into its belief vector (nothing
        changes; ``ValueError`` naming the agent and the allowed values for an invalid one)."""
        cfg, agent = self.config, self.agents[index]
        if cfg.action_type == "discrete":
            return self._presets[discrete_action(agent, action, len(cfg.presets))]
        return box_action(agent, action, cfg.belief_dim)

    # ------------------------------------------------------------------ one round
    def play_round(self, beliefs: list[np.ndarray], rng: np.random.Generator) -> RoundOutcome:
        """Play one round from every executor's decoded belief; rewards and the ending."""
        record = self.settle(np.array(beliefs, dtype=np.float64), rng)
        rewards = np.array(
            [r.total for r in record.rewards] if record is not None else np.zeros(self.n),
            dtype=np.float64,
        )
        reason = self.stop_reason
        truncated = reason == "max_rounds" and self.config.max_rounds_truncates
        return RoundOutcome(rewards, reason, truncated)

    def settle(self, beliefs: np.ndarray, rng: np.random.Generator) -> RoundRecord | None:
        """Play one round with the executors' beliefs (n × belief_dim, in [-1, 1]).

        Returns the round's record, or ``None`` when the round was refused for budget (then
        ``stop_reason == "budget_exhausted"``).
        """
        state = rng.bit_generator.state
        try:
            return self._settle(beliefs, rng)
        except BaseException:
            rng.bit_generator.state = state  # nothing was applied: the round can be retried
            raise

    def _settle(self, beliefs: np.ndarray, rng: np.random.Generator) -> RoundRecord | None:
        cfg, item = self.config, self.item
        assert item is not None
        t = len(self.history)
        prev = self.history[-1] if self.history else None
        params = [cfg.beliefs.to_params(b) for b in beliefs]
        heard = (prev.commitment_answer,) if prev and prev.commitment_answer else ()
        know = self.knowledge  # executors learn the facts the commitment they read carries
        ex_known = [k | self.coordinator_known for k in know.known]
        ex_requests = [
            GenRequest(
                messages=executor_messages(
                    a,
                    item,
                    self.strategy,
                    prev.commitment if prev else None,
                    system_prompt=self.team[i].system_prompt,
                    index=i,
                    n_agents=self.n,
                    known=ex_known[i] if cfg.carry_facts else None,
                ),
                max_tokens=cfg.max_answer_tokens,
                temperature=p.temperature,
                top_p=p.top_p,
                repetition_penalty=p.repetition_penalty,
                seed=int(rng.integers(2**31 - 1)),
                belief=tuple(float(x) for x in beliefs[i]),
                hints=SimHints(
                    item,
                    Role.ANSWER,
                    i,
                    prev.answers[i] if prev else None,
                    heard,
                    skill=self.team[i].skill,
                    facts_known=know.fraction_of(ex_known[i]),
                    learned=know.learned(i, ex_known[i]),
                ),
            )
            for i, (a, p) in enumerate(zip(self.agents, params, strict=True))
        ]
        ex = generate_checked(self.backend, ex_requests)
        texts = [c.text for c in ex]
        answers = [self._answer_of(c) for c in ex]
        calls: list[tuple[str, Role, Completion]] = [
            (a, Role.ANSWER, c) for a, c in zip(self.agents, ex, strict=True)
        ]
        local: list[tuple[str, str | None]] = []
        if cfg.groups >= 2:
            members = [[i for i in range(self.n) if self.group[i] == g] for g in range(cfg.groups)]
            loc = generate_checked(
                self.backend,
                [
                    self._commit_request(
                        [(self.agents[i], texts[i]) for i in m],
                        [answers[i] for i in m],
                        rng,
                        frozenset().union(*(ex_known[i] for i in m)),
                    )
                    for m in members
                ],
            )
            local = [(c.text, self._answer_of(c)) for c in loc]
            calls += [(local_coordinator(g), Role.COMMITMENT, c) for g, c in enumerate(loc)]
            sources = [(local_coordinator(g), text) for g, (text, _) in enumerate(local)]
            heard_answers = [a for _, a in local]
        else:
            sources = list(zip(self.agents, texts, strict=True))
            heard_answers = answers
        global_known = frozenset().union(*ex_known)  # a commitment carries what it read
        (com,) = generate_checked(
            self.backend, [self._commit_request(sources, heard_answers, rng, global_known)]
        )
        calls.append((COORDINATOR, Role.COMMITMENT, com))
        commitment, commitment_answer = com.text, self._answer_of(com)
        emb = self.embedder.embed([*texts, commitment])
        embedding_tokens = int(sum(self.embedder.count_tokens([*texts, commitment])))
        specs = [
            {
                "agent": who,
                "role": role,
                "prompt_tokens": c.prompt_tokens,
                "completion_tokens": c.completion_tokens,
                "round": t,
            }
            for who, role, c in calls
        ]
        try:
            self.ledger.record_many(specs)
        except BudgetExceeded:
            note = "refused: over budget"
            self.ledger.record_many([{**s, "billed": 0, "note": note} for s in specs])
            self.finish("budget_exhausted")
            return None
        know.apply(ex_known)
        know.completed(range(self.n))
        self.coordinator_known = global_known
        self.ledger.record(EMBEDDER, Role.EMBEDDING, embedding_tokens, 0, billed=0, round=t)
        own = [c.prompt_tokens + c.completion_tokens for c in ex]
        shared = sum(c.prompt_tokens + c.completion_tokens for _, _, c in calls[self.n :]) / self.n
        costs = [(o + shared) / cfg.budget for o in own]
        rewards: list[RewardBreakdown] = self.reward.executor_rewards(
            answers=answers,
            commitment_answer=commitment_answer,
            gold=item.gold,
            kind=item.kind,
            executor_emb=emb[:-1],
            commitment_emb=emb[-1],
            costs=costs,
        )
        similarity = [similarity01(e, emb[-1]) for e in emb[:-1]]
        for a, text, ans in zip(self.agents, texts, answers, strict=True):
            self.transcript.add(
                t, a, Role.ANSWER.value, text, visible_to=frozenset((a,)), answer=ans
            )
        for g, (text, ans) in enumerate(local):
            group_members = frozenset(a for i, a in enumerate(self.agents) if self.group[i] == g)
            self.transcript.add(
                t,
                local_coordinator(g),
                Role.COMMITMENT.value,
                text,
                visible_to=group_members,
                answer=ans,
            )
        self.transcript.add(
            t, COORDINATOR, Role.COMMITMENT.value, commitment, answer=commitment_answer
        )
        record = RoundRecord(
            t,
            np.array(beliefs, dtype=np.float64),
            params,
            texts,
            answers,
            local,
            commitment,
            commitment_answer,
            similarity,
            rewards,
            sum(s["prompt_tokens"] + s["completion_tokens"] for s in specs),
            own,
        )
        self.history.append(record)
        self.commitments.append(commitment_answer)
        self.belief_history.append(record.beliefs)
        if cfg.early_stop:
            reason = convergence.stop_reason(
                self.commitments,
                self.belief_history,
                epsilon=cfg.epsilon,
                max_rounds=cfg.max_rounds,
            )
        else:
            reason = "max_rounds" if len(self.history) >= cfg.max_rounds else None
        if reason is None and self.ledger.remaining == 0:
            reason = "budget_exhausted"
        if reason is not None:
            self.finish(reason)
        return record

    def _commit_request(
        self,
        sources: list[tuple[str, str]],
        heard: list[str | None],
        rng: np.random.Generator,
        known: frozenset[int] = frozenset(),
    ) -> GenRequest:
        assert self.item is not None
        cfg = self.config
        return GenRequest(
            messages=commitment_messages(
                self.item, sources, cfg.commitment_cap, known if cfg.carry_facts else None
            ),
            max_tokens=cfg.commitment_cap,
            temperature=cfg.beliefs.defaults.temperature,
            seed=int(rng.integers(2**31 - 1)),
            hints=SimHints(
                self.item,
                Role.COMMITMENT,
                -1,
                heard=tuple(a for a in heard if a is not None),
                facts_known=self.knowledge.fraction_of(known),
            ),
        )

    # ------------------------------------------------------------------ public statistics
    def distinct_answers(self) -> int:
        return len(Counter(self.history[-1].answers)) if self.history else 0

    # ------------------------------------------------------------------ the end
    def finish(self, reason: str) -> None:
        """Record the stop reason; the final answer is the last commitment."""
        assert self.item is not None
        self.stop_reason = reason
        self.final_answer = self.commitments[-1] if self.commitments else None
        self.correct = bool(check_answer(self.final_answer, self.item.gold, self.item.kind))
