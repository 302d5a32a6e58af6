"""The public signals of an auction_v0 round, read from the game's drafts and ledger.

:class:`AuctionSignals` is the part of :class:`~econ_env.envs.auction.game.AuctionGame` that
only reads state: the answers on the table (counts, plurality, consensus), what a bid would
cost, which of an agent's message tiers could still be broadcast, and whether the budget can pay
any message at all. The observer, the action masks and the game's stop rules use them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from econ_env.envs.auction.types import TierMessage

if TYPE_CHECKING:
    from econ_env.core.ledger import TokenLedger
    from econ_env.envs.auction.config import AuctionConfig
    from econ_env.envs.auction.types import Draft


def most_common(order: Sequence[str | None], votes: Sequence[str | None]) -> str | None:
    """The most common non-empty answer of ``votes``; ties go to the one that comes first in
    ``order``. ``None`` when no vote is non-empty."""
    counts = Counter(v for v in votes if v is not None)
    best, best_n = None, 0
    for a in order:
        if a is not None and counts[a] > best_n:
            best, best_n = a, counts[a]
    return best


class AuctionSignals:
    """Read-only signals of the current round (mixed into the game)."""

    config: AuctionConfig
    ledger: TokenLedger
    drafts: list[Draft]
    n: int

    def answer_counts(self) -> Counter[str | None]:
        return Counter(d.answer for d in self.drafts)

    def plurality(self) -> str | None:
        """The most common non-empty draft answer (ties: the one held by the lowest index)."""
        answers = [d.answer for d in self.drafts]
        return most_common(answers, answers)

    def vote_plurality(self) -> str | None:
        """The ``majority`` rule's final answer: the most common non-empty vote, where a
        self-consistent first draft (``draft_samples`` > 1) casts one vote per sample and any
        other draft one; ties go to the answer of the lowest-index draft holding it, then to the
        vote cast first. With one sample per draft this is :meth:`plurality`."""
        votes = [v for d in self.drafts for v in (d.votes or (d.answer,))]
        return most_common([d.answer for d in self.drafts] + votes, votes)

    def bid_cost(self, i: int) -> int:
        """Tokens agent ``i`` would be billed for bidding with its current draft."""
        d = self.drafts[i]
        return 0 if d.prompt_billed else d.completion.prompt_tokens

    def can_speak(self, i: int) -> bool:
        """Whether agent ``i``'s draft could win this round on its own (unspoken and affordable,
        in at least one tier)."""
        return any(self.tier_fits(i))

    def tier_fits(self, i: int) -> list[bool]:
        """Per configured tier, whether agent ``i``'s message of that tier could win this round."""
        d = self.drafts[i]
        cap = self.ledger.remaining - self.bid_cost(i)
        if self.config.round_cap is not None:
            cap = min(cap, self.config.round_cap)
        return [not d.spoken and n <= cap for n in self.tier_lengths(i)]

    def tier_lengths(self, i: int) -> list[int]:
        """Completion tokens of each configured tier of agent ``i``'s current draft."""
        d = self.drafts[i]
        if not d.tiers:
            return [d.completion.completion_tokens]
        return [m.completion.completion_tokens for m in d.tiers]

    def message(self, i: int, tier: int = 0) -> TierMessage:
        """Agent ``i``'s current message of the ``tier``-th configured tier."""
        d = self.drafts[i]
        if d.tiers:
            return d.tiers[tier]
        return TierMessage("full", d.text, d.answer, d.completion, d.call_index)

    def consensus(self) -> bool:
        """All drafts carry the same (non-empty) answer."""
        first = self.drafts[0].answer
        return first is not None and all(d.answer == first for d in self.drafts)

    def budget_left_for_a_message(self) -> bool:
        """Whether the budget can still pay some current draft's bid prompt and broadcast."""
        remaining = self.ledger.remaining
        return any(self.bid_cost(i) + min(self.tier_lengths(i)) <= remaining for i in range(self.n))
