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
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from econ_env.core.beliefs import GenerationParams
from econ_env.core.ledger import Role, TokenLedger
from econ_env.core.transcript import Transcript
from econ_env.envs.actions import box_action, discrete_action
from econ_env.envs.auction import prompts
from econ_env.envs.auction.config import AuctionConfig
from econ_env.envs.auction.mechanism import AuctionResult, run_auction
from econ_env.envs.auction.types import Bid, Draft, Heard, RoundRecord
from econ_env.envs.types import RoundOutcome
from econ_env.llm.base import Backend, Completion, GenRequest, SimHints, generate_checked
from econ_env.tasks.answers import check_answer, extract_answer, normalize_answer
from econ_env.tasks.base import TaskItem


class AuctionGame:
    """State and rules of one auction_v0 episode."""

    def __init__(self, config: AuctionConfig, backend: Backend, agents: list[str]) -> None:
        self.config = config
        self.backend = backend
        self.agents = agents
        self.n = len(agents)
        self.reward = config.reward_fn
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

    # ------------------------------------------------------------------ episode start
    def start(self, item: TaskItem, rng: np.random.Generator) -> None:
        """Reset all state and draft an answer for every agent."""
        self.ledger.reset()
        self.transcript.clear()
        self.item = item
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
        requests = [
            self._request(i, prompts.draft_messages(a, self.n, item), Role.DRAFT, None, (), rng)
            for i, a in enumerate(self.agents)
        ]
        self.drafts = [None] * self.n  # type: ignore[list-item]
        self._absorb(list(range(self.n)), requests, Role.DRAFT)

    def _request(
        self,
        i: int,
        messages: tuple[dict[str, str], ...],
        role: Role,
        own: str | None,
        heard: tuple[str, ...],
        rng: np.random.Generator,
    ) -> GenRequest:
        p = self.params[i]
        return GenRequest(
            messages=messages,
            max_tokens=self.config.max_draft_tokens,
            temperature=p.temperature,
            top_p=p.top_p,
            repetition_penalty=p.repetition_penalty,
            seed=int(rng.integers(2**31 - 1)),
            hints=SimHints(self.item, role, i, own, heard),
        )

    def _absorb(
        self,
        who: list[int],
        requests: list[GenRequest],
        role: Role,
        completions: list[Completion] | None = None,
    ) -> None:
        """Make the completions of ``requests`` (generated now, in one batched call, unless
        given) the drafts of agents ``who``."""
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

    # ------------------------------------------------------------------ public signals
    def answer_counts(self) -> Counter[str | None]:
        return Counter(d.answer for d in self.drafts)

    def plurality(self) -> str | None:
        """The most common non-empty draft answer (ties: the one held by the lowest index)."""
        counts = self.answer_counts()
        best, best_n = None, 0
        for d in self.drafts:
            if d.answer is not None and counts[d.answer] > best_n:
                best, best_n = d.answer, counts[d.answer]
        return best

    def bid_cost(self, i: int) -> int:
        """Tokens agent ``i`` would be billed for bidding with its current draft."""
        d = self.drafts[i]
        return 0 if d.prompt_billed else d.completion.prompt_tokens

    def can_speak(self, i: int) -> bool:
        """Whether agent ``i``'s draft could win this round on its own (unspoken and affordable)."""
        d = self.drafts[i]
        if d.spoken:
            return False
        cap = self.ledger.remaining - self.bid_cost(i)
        if self.config.round_cap is not None:
            cap = min(cap, self.config.round_cap)
        return d.completion.completion_tokens <= cap

    # ------------------------------------------------------------------ actions
    def decode_action(self, index: int, action: object) -> Bid:
        """Validate and decode agent ``index``'s action (nothing changes; ``ValueError`` naming
        the agent and the allowed values for an invalid one)."""
        cfg, agent = self.config, self.agents[index]
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
            result, billed = self.settle(np.array([a.bid for a in actions]), rng)
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
            reason, truncated = "max_rounds", True
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
        bid_list = [0.0 if d.spoken else float(b) for d, b in zip(drafts, bids, strict=True)]
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
        lengths = [d.completion.completion_tokens for d in drafts]
        rng_state = rng.bit_generator.state
        result = run_auction(
            cfg.mechanism,
            np.array(bid_list),
            np.array(lengths, dtype=np.int64),
            rng=rng,
            reserve=cfg.reserve,
            cap=cap,
            top_k=cfg.top_k,
            temperature=cfg.softmax_temperature,
        )
        revision = None
        if not (cfg.stop_on_consensus and self.consensus()) and self.round + 1 < cfg.max_rounds:
            try:
                who, requests = self._revision_requests(result.winners, rng)
                if who:
                    revision = (who, requests, generate_checked(self.backend, requests))
            except BaseException:
                rng.bit_generator.state = rng_state
                raise
        charges = [(i, Role.BID, tokens) for i, tokens in bid_charges.items() if tokens]
        charges += [(i, Role.BROADCAST, lengths[i]) for i in result.winners]
        if charges:
            self.ledger.charge_many(
                [
                    (self.agents[i], role, tokens, drafts[i].call_index, self.round)
                    for i, role, tokens in charges
                ]
            )
        for i, _, tokens in charges:
            billed[i] += tokens
        for i in bid_charges:
            drafts[i].prompt_billed = True
        messages = []
        for i in result.winners:
            d = drafts[i]
            d.spoken = True
            self.spoke[i].add(d.answer)
            self.transcript.add(
                self.round,
                self.agents[i],
                Role.BROADCAST.value,
                d.text,
                tokens=d.completion.completion_tokens,
                answer=d.answer,
            )
            messages.append((self.agents[i], d.text))
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
            )
        )
        self.prev_bids = bid_list
        self.last_winners = result.winners
        self.last_price = float(result.clearing_price)
        self.round += 1
        self.revised = revision is not None
        if revision is not None:
            self._absorb(revision[0], revision[1], Role.REVISE, revision[2])
        return result, billed

    def _revision_requests(
        self, winners: tuple[int, ...], rng: np.random.Generator
    ) -> tuple[list[int], list[GenRequest]]:
        """Requests of the agents that heard someone else's broadcast among ``winners``.

        That is every non-winner, and also each winner when several agents spoke (so with
        ``top_k = n_agents`` everyone speaks and revises every round: multi-agent debate). A
        sole winner heard nothing new and keeps its (now spoken) draft.
        """
        assert self.item is not None
        spoken = [
            Heard(self.agents[w], self.drafts[w].text, self.drafts[w].answer) for w in winners
        ]
        who, requests = [], []
        for i, agent in enumerate(self.agents):
            heard_msgs = [m for m in spoken if m.speaker != agent]
            if not heard_msgs:
                continue
            d = self.drafts[i]
            messages = prompts.revise_messages(agent, self.n, self.item, d.text, heard_msgs)
            heard = tuple(m.answer for m in heard_msgs if m.answer is not None)
            who.append(i)
            requests.append(self._request(i, messages, Role.REVISE, d.answer, heard, rng))
        return who, requests

    def consensus(self) -> bool:
        """All drafts carry the same (non-empty) answer."""
        first = self.drafts[0].answer
        return first is not None and all(d.answer == first for d in self.drafts)

    def budget_left_for_a_message(self) -> bool:
        """Whether the budget can still pay some current draft's bid prompt and broadcast."""
        remaining = self.ledger.remaining
        return any(
            self.bid_cost(i) + d.completion.completion_tokens <= remaining
            for i, d in enumerate(self.drafts)
        )

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
            self.final_answer = self.plurality()
        self.correct = bool(check_answer(self.final_answer, self.item.gold, self.item.kind))
        return self.correct
