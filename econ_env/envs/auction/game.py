"""The DALA game of auction_v0, independent of the PettingZoo API.

One episode is one task item. ``start`` asks every agent for a draft (one batched backend
call). ``settle`` runs one round once every agent has bid: the mechanism picks the speakers
among the agents whose current draft is unspoken and fits the round's token cap; the bid
prompts of the bidders and the winners' completions are charged to the ledger; winners'
drafts are broadcast; if the episode goes on, every agent that heard someone else's broadcast
(every non-winner, and each winner when several spoke) revises its draft (one batched call).
The game also decides when the episode ends (``consensus``, ``budget_exhausted``,
``max_rounds``) and, through the config's reward object (:mod:`econ_env.envs.auction.reward`),
what every bidder receives: :meth:`AuctionGame.settle` returns a
:class:`~econ_env.envs.types.RoundOutcome`. Actions are decoded and validated by
:meth:`AuctionGame.decode_action` before anything is applied. The envs (``env.py``) turn this
into PettingZoo's AEC and parallel APIs.

A round is all or nothing: the revision call is made, and every completion it returns is
checked (:func:`~econ_env.llm.base.generate_checked`), *before* anything of the round is
applied, so when the backend fails (a dead server raises
:class:`~econ_env.llm.base.BackendUnavailable`) or returns an invalid completion (a negative
count, a NaN log-probability, ... raise :class:`~econ_env.llm.base.BackendError`) the ledger,
transcript, drafts, round counter and the env's random generator are exactly as before the
round, and the same step can be retried.

Billing (DALA's accounting): an agent that bids pays the prompt tokens of the call that
produced its draft, once per draft; a winner also pays its draft's completion tokens. Silent
agents pay nothing. Every call is recorded in the ledger as *generated* tokens whether or not it
is ever billed. A draft that has been broadcast cannot be broadcast again until its author has
revised it after hearing someone else.

Message tiers (``tiers``, :mod:`econ_env.envs.auction.compress`): each draft and revision call is
followed, before anything is applied, by one batched compression call; a winner broadcasts (and
pays the completion tokens of) the tier :func:`~econ_env.envs.auction.tiers.run_tiered_auction`
chose, and a keywords broadcast carries no facts.

On split-facts tasks (:mod:`econ_env.envs.knowledge`) each prompt holds the agent's own share
of the facts, and every listener of a broadcast learns the speaker's known facts.
"""

from __future__ import annotations

import numpy as np

from econ_env.core.beliefs import GenerationParams
from econ_env.core.ledger import Role, TokenLedger
from econ_env.core.team import AgentProfile, team_profiles
from econ_env.core.transcript import Transcript
from econ_env.envs.actions import box_action, discrete_action
from econ_env.envs.auction import compress, prompts, samples
from econ_env.envs.auction.config import AuctionConfig
from econ_env.envs.auction.mechanism import AuctionResult
from econ_env.envs.auction.revision import revision_requests
from econ_env.envs.auction.signals import AuctionSignals
from econ_env.envs.auction.tiers import run_tiered_auction
from econ_env.envs.auction.types import Bid, Draft, RoundRecord
from econ_env.envs.knowledge import FactKnowledge
from econ_env.envs.types import RoundOutcome
from econ_env.llm.base import Backend, Completion, GenRequest, SimHints, generate_checked
from econ_env.tasks.answers import check_answer, extract_answer, normalize_answer
from econ_env.tasks.base import TaskItem


class AuctionGame(AuctionSignals):
    """State and rules of one auction_v0 episode."""

    def __init__(self, config: AuctionConfig, backend: Backend, agents: list[str]) -> None:
        self.config = config
        self.backend = backend
        self.agents = agents
        self.n = len(agents)
        self.reward = config.reward_fn
        self.team = team_profiles(config) or (AgentProfile(),) * self.n  # heterogeneous agents
        self.ledger = TokenLedger(config.budget)
        self.transcript = Transcript()
        self.item: TaskItem | None = None
        self.drafts: list[Draft] = []
        self.params: list[GenerationParams] = []
        self.round = 0
        self.history: list[RoundRecord] = []
        self.prev_bids: list[float] = [0.0] * self.n
        self.last_winners: tuple[int, ...] = ()
        self.last_price = 0.0
        self.spoke: list[set[str | None]] = []
        self.stop_reason: str | None = None
        self.final_answer: str | None = None
        self.correct = False
        self.revised = False
        self.last_tiers: tuple[int, ...] = (-1,) * self.n  # tier each agent broadcast last round
        self.knowledge = FactKnowledge(None, self.n)

    # ------------------------------------------------------------------ episode start
    def start(self, item: TaskItem, rng: np.random.Generator) -> None:
        """Reset all state and draft an answer for every agent."""
        self.ledger.reset()
        self.transcript.clear()
        self.item = item
        self.knowledge = FactKnowledge(item, self.n)
        self.round = 0
        self.history = []
        self.prev_bids = [0.0] * self.n
        self.last_winners = ()
        self.last_price = 0.0
        self.spoke = [set() for _ in range(self.n)]
        self.stop_reason = None
        self.final_answer = None
        self.correct = False
        neutral = self.config.beliefs.to_params(None)
        self.params = [neutral] * self.n
        k = self.config.draft_samples
        requests = [
            self.request(
                i,
                prompts.draft_messages(
                    a, self.n, item, index=i, system_prompt=self.team[i].system_prompt
                ),
                Role.DRAFT,
                None,
                (),
                rng,
            )
            for i, a in enumerate(self.agents)
        ]
        if k > 1:  # nested samples: k + 1 samples hold the k samples' requests
            requests = samples.expand(requests, k, rng)
        self.drafts = [None] * self.n  # type: ignore[list-item]
        self.last_tiers = (-1,) * self.n
        who = list(range(self.n))
        completions = generate_checked(self.backend, requests)
        every, kept, votes = completions, list(range(self.n)), []
        if k > 1:  # self-consistency: keep each agent's most common answer's first sample
            kept, votes = samples.choose(samples.sample_answers(completions, item.kind), k)
            requests = [requests[j] for j in kept]
            completions = [completions[j] for j in kept]
        compressed = compress.generate(self, who, requests, completions, rng)
        if k > 1:  # every call has succeeded: record the samples not kept (generated only)
            samples.record_extra(self.ledger, self.agents, every, kept, k, self.round)
        self._absorb(who, requests, Role.DRAFT, completions, compressed)
        for i, v in enumerate(votes):
            self.drafts[i].votes = v

    def request(
        self,
        i: int,
        messages: tuple[dict[str, str], ...],
        role: Role,
        own: str | None,
        heard: tuple[str, ...],
        rng: np.random.Generator,
        known: frozenset[int] | None = None,
        heard_tiers: tuple[str, ...] = (),
    ) -> GenRequest:
        """Agent ``i``'s request; ``known``: the fact indices it knows when writing it (default:
        its current known set)."""
        p = self.params[i]
        facts = self.knowledge.known[i] if known is None else known
        return GenRequest(
            messages=messages,
            max_tokens=self.config.max_draft_tokens,
            temperature=p.temperature,
            top_p=p.top_p,
            repetition_penalty=p.repetition_penalty,
            seed=int(rng.integers(2**31 - 1)),
            hints=SimHints(
                self.item,
                role,
                i,
                own,
                heard,
                facts_known=self.knowledge.fraction_of(facts),
                learned=self.knowledge.learned(i, facts),
                skill=self.team[i].skill,
                heard_tiers=heard_tiers,
            ),
        )

    def _absorb(
        self,
        who: list[int],
        requests: list[GenRequest],
        role: Role,
        completions: list[Completion] | None = None,
        compressed: list[Completion] | None = None,
    ) -> None:
        """Make the completions of ``requests`` (generated now, in one batched call, unless
        given) the drafts of agents ``who``; ``compressed``: their tier compressions."""
        if completions is None:
            completions = generate_checked(self.backend, requests)
        assert self.item is not None
        kind = self.item.kind
        for i, c in zip(who, completions, strict=False):
            entry = self.ledger.record(
                self.agents[i],
                role,
                c.prompt_tokens,
                c.completion_tokens,
                billed=0,
                round=self.round,
            )
            answer = normalize_answer(extract_answer(c.text, kind), kind)
            self.drafts[i] = Draft(c.text, answer, c, entry.index)
            self.transcript.add(
                self.round,
                self.agents[i],
                role.value,
                c.text,
                visible_to=frozenset((self.agents[i],)),
                tokens=c.completion_tokens,
                answer=answer,
            )
        compress.attach(self, who, compressed or [])
        self.knowledge.completed(who)

    # ------------------------------------------------------------------ actions
    def decode_action(self, index: int, action: object) -> Bid:
        """Validate and decode agent ``index``'s action (nothing changes; ``ValueError`` naming
        the agent and the allowed values for an invalid one)."""
        cfg, agent = self.config, self.agents[index]
        if len(cfg.tiers) > 1:
            return compress.decode_action(self, index, action)
        if cfg.action_type == "discrete":
            level = discrete_action(agent, action, cfg.bid_levels)
            if level > 0 and not self.can_speak(index):
                if cfg.invalid_action == "raise":
                    raise ValueError(
                        f"{agent}: action {level} is masked (its draft cannot be broadcast this "
                        "round); choose 0 (silence) or pass invalid_action='silence'"
                    )
                level = 0
            return Bid(level / (cfg.bid_levels - 1))
        a = box_action(agent, action, 1 + cfg.belief_dim, scalar_ok=True)
        params = cfg.beliefs.to_params(a[1:]) if cfg.belief_dim else None
        return Bid((a[0] + 1.0) / 2.0, params)

    # ------------------------------------------------------------------ one round
    def play_round(self, actions: list[Bid], rng: np.random.Generator) -> RoundOutcome:
        """Settle one round from every bidder's decoded action; decide rewards and the ending.

        All or nothing: when the backend fails, nothing of the round (ledger, drafts, the
        generation parameters the actions carry, ``rng``) has changed and the call can be
        repeated.
        """
        cfg = self.config
        old_params = list(self.params)
        for i, a in enumerate(actions):
            if a.params is not None:
                self.params[i] = a.params
        try:
            result, billed = self.settle(compress.bid_array(actions, len(cfg.tiers)), rng)
        except BaseException:
            self.params = old_params
            raise
        payments = result.payments if result is not None else np.zeros(self.n)
        rewards = self.reward.round(billed, payments, cfg.budget)
        reason, truncated = None, False
        if result is None:
            reason = "budget_exhausted"
        elif cfg.stop_on_consensus and self.consensus():
            reason = "consensus"
        elif self.round >= cfg.max_rounds:
            reason, truncated = "max_rounds", cfg.max_rounds_truncates
        elif not self.budget_left_for_a_message():  # the drafts are already revised
            reason = "budget_exhausted"
        if reason is not None:
            correct = self.finish(reason)
            supported = [self.final_answer in self.spoke[i] for i in range(self.n)]
            self.reward.final(rewards, correct, supported)
        return RoundOutcome(np.asarray(rewards, dtype=np.float64), reason, truncated)

    def settle(
        self, bids: np.ndarray, rng: np.random.Generator
    ) -> tuple[AuctionResult | None, np.ndarray]:
        """Settle a round with bids in [0, 1]; return the result and billed tokens per agent.

        Returns ``(None, zeros)`` and sets ``stop_reason = "budget_exhausted"`` when the bid
        prompts alone would overdraw the budget (nothing is charged then). When the episode goes
        on after this round (no consensus, rounds left) the agents that heard someone else
        revise; ``self.revised`` says whether they did. A failing backend call raises before
        any state (the random generator included) has changed.
        """
        cfg = self.config
        drafts = self.drafts
        offers = np.array(bids, dtype=np.float64).reshape(self.n, -1)  # (n, n_tiers)
        offers[[d.spoken for d in drafts]] = 0.0
        bid_list = offers.max(axis=1).tolist()
        bid_charges = {
            i: self.bid_cost(i) for i, b in enumerate(bid_list) if b > 0.0 and b >= cfg.reserve
        }
        total_bid = sum(bid_charges.values())
        billed = np.zeros(self.n, dtype=np.int64)
        remaining = self.ledger.remaining
        if total_bid > remaining:
            self.stop_reason = "budget_exhausted"
            return None, billed
        cap = remaining - total_bid
        if cfg.round_cap is not None:
            cap = min(cap, cfg.round_cap)
        lengths = np.array([self.tier_lengths(i) for i in range(self.n)], dtype=np.int64)
        rng_state = rng.bit_generator.state
        tiered = run_tiered_auction(
            cfg.mechanism,
            offers,
            lengths,
            rng=rng,
            reserve=cfg.reserve,
            cap=cap,
            top_k=cfg.top_k,
            temperature=cfg.softmax_temperature,
        )
        result = tiered.result
        sent = {w: self.message(w, tiered.tier_of[w]) for w in result.winners}
        revision = None
        known = self.knowledge.after_broadcast(  # a keywords message carries no facts
            result.winners, [sent[w].tier for w in result.winners]
        )
        if not (cfg.stop_on_consensus and self.consensus()) and self.round + 1 < cfg.max_rounds:
            try:
                who, requests = revision_requests(self, result.winners, rng, known, sent)
                if who:
                    done = generate_checked(self.backend, requests)
                    revision = (who, requests, done,
                                compress.generate(self, who, requests, done, rng))  # fmt: skip
            except BaseException:
                rng.bit_generator.state = rng_state
                raise
        charges = [
            (i, Role.BID, tokens, drafts[i].call_index)
            for i, tokens in bid_charges.items()
            if tokens
        ]
        charges += [
            (i, Role.BROADCAST, sent[i].completion.completion_tokens, sent[i].call_index)
            for i in result.winners
        ]
        if charges:
            self.ledger.charge_many(
                [(self.agents[i], role, n, ref, self.round) for i, role, n, ref in charges]
            )
        for i, _, tokens, _ in charges:
            billed[i] += tokens
        for i in bid_charges:
            drafts[i].prompt_billed = True
        messages = []
        for i in result.winners:
            d, m = drafts[i], sent[i]
            d.spoken = True
            self.spoke[i].add(m.answer)
            self.transcript.add(
                self.round,
                self.agents[i],
                Role.BROADCAST.value,
                m.text,
                tokens=m.completion.completion_tokens,
                answer=m.answer,
            )
            messages.append((self.agents[i], m.text))
        payments = result.payments.tolist()
        self.history.append(
            RoundRecord(
                self.round,
                tuple(bid_list),
                result.winners,
                tuple(payments),
                float(result.clearing_price),
                int(billed.sum()),
                tuple(messages),
                tiered.tier_of if len(cfg.tiers) > 1 else (),
            )
        )
        self.last_tiers = tiered.tier_of
        self.prev_bids = bid_list
        self.last_winners = result.winners
        self.last_price = float(result.clearing_price)
        self.round += 1
        self.revised = revision is not None
        self.knowledge.apply(known)
        if revision is not None:
            self._absorb(revision[0], revision[1], Role.REVISE, revision[2], revision[3])
        return result, billed

    # ------------------------------------------------------------------ the end
    def finish(self, reason: str) -> bool:
        """Choose the final answer, score it and record the stop reason; returns correctness."""
        assert self.item is not None
        self.stop_reason = reason
        rule = self.config.answer_rule
        broadcasts = [m for m in self.transcript.public() if m.role == Role.BROADCAST.value]
        if rule == "last_speaker" and broadcasts:
            self.final_answer = broadcasts[-1].answer
        elif rule == "confidence":
            best = max(range(self.n), key=lambda i: self.drafts[i].completion.mean_logprob)
            self.final_answer = self.drafts[best].answer
        else:
            self.final_answer = self.vote_plurality()
        self.correct = bool(check_answer(self.final_answer, self.item.gold, self.item.kind))
        return self.correct
