"""Text rendering of an auction_v0 episode: a readable round-by-round transcript.

Shows the question, each round's bids, winners (with the tier each broadcast when there are
several ``tiers``), clearing price, billed tokens and the broadcast
messages, then the ending (stop reason, final answer, gold, billed and generated totals).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from econ_env.envs.text import clip, footer

if TYPE_CHECKING:
    from econ_env.envs.auction.config import AuctionConfig
    from econ_env.envs.auction.game import AuctionGame

_WIDTH = 78


def render_text(game: AuctionGame, config: AuctionConfig) -> str:
    """The episode so far as text (what ``render_mode="ansi"`` returns)."""
    if game.item is None:
        return "auction_v0: not reset yet"
    lines = [
        "=" * _WIDTH,
        f"auction_v0 | {config.mechanism} | {config.n_agents} bidders | "
        f"budget {config.budget} tokens",
        f"Q [{game.item.id}]: {clip(game.item.question)}",
        "-" * _WIDTH,
    ]
    for r in game.history:
        bids = "  ".join(f"{game.agents[i]}={b:.2f}" for i, b in enumerate(r.bids))
        lines.append(f"round {r.round + 1}: bids {bids}")
        if r.winners:
            who = ", ".join(
                game.agents[i] + (f" ({config.tiers[r.tiers[i]]})" if r.tiers else "")
                for i in r.winners
            )
            pay = ", ".join(f"{r.payments[i]:.2f}" for i in r.winners)
            lines.append(
                f"  winner(s) {who} | price {r.clearing_price:.2f} | paid {pay} | "
                f"billed {r.billed} tokens"
            )
        else:
            lines.append(f"  nobody spoke | billed {r.billed} tokens")
        for speaker, text in r.messages:
            lines.append(f"  [{speaker}] {clip(text)}")
    answers = "  ".join(f"{game.agents[i]}: {d.answer}" for i, d in enumerate(game.drafts))
    lines.append(f"current answers  {answers}")
    lines += footer(game, config.budget, _WIDTH)
    return "\n".join(lines)
