"""DALA's tiered messages in auction_v0: compressions, tier messages and tier bids.

With ``tiers`` beyond ``("full",)`` (:class:`~econ_env.envs.auction.config.AuctionConfig`)
every draft and revision is followed by one batched *compression* call that rewrites each
agent's new draft as every configured non-full tier (``summary``, ``keywords``):
:func:`compression_messages` is the prompt (the agent's own system message, then
:data:`COMPRESS_PROMPT`), :func:`tier_max_tokens` its completion cap. Compressions are recorded
in the ledger as generated tokens (role ``compress``) and billed only when their tier is
broadcast. The game keeps, per draft, one :class:`~econ_env.envs.auction.types.TierMessage`
per configured tier (``Draft.tiers``); the ``full`` tier is the draft itself.

Actions (``n_tiers > 1``): continuous ``Box(-1, 1, (n_tiers + belief_dim,))``, a bid
``(a + 1) / 2`` per tier in config order; discrete ``Discrete(1 + n_tiers * (K - 1))`` with
``K = bid_levels``: 0 is silence, ``a >= 1`` bids ``level / (K - 1)`` for tier
``(a - 1) // (K - 1)`` with ``level = (a - 1) % (K - 1) + 1`` (:func:`decode_discrete`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from econ_env.core.ledger import Role
from econ_env.envs.actions import box_action, discrete_action
from econ_env.envs.auction.types import Bid, TierMessage
from econ_env.llm.base import Completion, GenRequest, SimHints, generate_checked
from econ_env.tasks.answers import extract_answer, normalize_answer

AuctionGame = Any  # econ_env.envs.auction.game.AuctionGame (which imports this module)

__all__ = [
    "COMPRESS_PROMPT",
    "TIER_DIVISORS",
    "bid_array",
    "compression_messages",
    "decode_action",
    "decode_discrete",
    "generate",
    "n_discrete_actions",
    "tier_max_tokens",
]

COMPRESS_PROMPT = (
    "Rewrite the solution below as {what}, keeping the final answer as \\boxed{{...}}.\n\n{draft}"
)
"""The user message of a compression request (``what`` from :func:`tier_instruction`)."""

TIER_DIVISORS: dict[str, int] = {"summary": 3, "keywords": 8}
"""A compression's completion cap is ``max(1, max_draft_tokens // divisor)``."""


def tier_max_tokens(tier: str, max_draft_tokens: int) -> int:
    """The completion cap of a compression to ``tier``."""
    return max(1, int(max_draft_tokens) // TIER_DIVISORS[tier])


def tier_instruction(tier: str, max_draft_tokens: int) -> str:
    """``"a summary of at most N words"`` (N = the summary's token cap) or
    ``"a list of keywords"``."""
    if tier == "summary":
        return f"a summary of at most {tier_max_tokens(tier, max_draft_tokens)} words"
    if tier == "keywords":
        return "a list of keywords"
    raise ValueError(f"tiers: no compression for tier {tier!r}; allowed: {tuple(TIER_DIVISORS)}")


def compression_messages(
    system: dict[str, str], tier: str, draft: str, max_draft_tokens: int
) -> tuple[dict[str, str], ...]:
    """The compression prompt: the agent's system message, then the rewrite request."""
    what = tier_instruction(tier, max_draft_tokens)
    return (
        dict(system),
        {"role": "user", "content": COMPRESS_PROMPT.format(what=what, draft=draft)},
    )


def compressed_tiers(tiers: Sequence[str]) -> tuple[str, ...]:
    """The configured tiers written by a compression call (every one but ``full``)."""
    return tuple(t for t in tiers if t != "full")


def generate(
    game: AuctionGame,
    who: list[int],
    requests: list[GenRequest],
    completions: list[Completion],
    rng: np.random.Generator,
) -> list[Completion]:
    """The compressions of the new drafts ``completions`` of agents ``who`` (one batched call,
    agent-major then tier order); ``[]`` without compressed tiers (no call, no draw)."""
    cfg = game.config
    tiers = compressed_tiers(cfg.tiers)
    if not tiers or not who:
        return []
    assert game.item is not None
    kind = game.item.kind
    out: list[GenRequest] = []
    for i, req, c in zip(who, requests, completions, strict=True):
        answer = normalize_answer(extract_answer(c.text, kind), kind)
        p = game.params[i]
        for tier in tiers:
            out.append(
                GenRequest(
                    messages=compression_messages(
                        req.messages[0], tier, c.text, cfg.max_draft_tokens
                    ),
                    max_tokens=tier_max_tokens(tier, cfg.max_draft_tokens),
                    temperature=p.temperature,
                    top_p=p.top_p,
                    repetition_penalty=p.repetition_penalty,
                    seed=int(rng.integers(2**31 - 1)),
                    hints=SimHints(
                        game.item,
                        Role.COMPRESS,
                        i,
                        answer,
                        tier=tier,
                        source_tokens=c.completion_tokens,
                    ),
                )
            )
    return generate_checked(game.backend, out)


def attach(game: AuctionGame, who: list[int], compressions: list[Completion]) -> None:
    """Record the compressions of agents ``who``'s new drafts (ledger role ``compress``, billed
    0) and give each draft its tier messages (``Draft.tiers``, one per configured tier)."""
    cfg = game.config
    if len(cfg.tiers) == 1 and cfg.tiers[0] == "full":
        return
    assert game.item is not None
    kind = game.item.kind
    made = iter(compressions)
    for i in who:
        d = game.drafts[i]
        msgs = []
        for tier in cfg.tiers:
            if tier == "full":
                msgs.append(TierMessage(tier, d.text, d.answer, d.completion, d.call_index))
                continue
            c = next(made)
            entry = game.ledger.record(
                game.agents[i],
                Role.COMPRESS,
                c.prompt_tokens,
                c.completion_tokens,
                billed=0,
                round=game.round,
            )
            answer = normalize_answer(extract_answer(c.text, kind), kind)
            msgs.append(TierMessage(tier, c.text, answer, c, entry.index))
            game.transcript.add(
                game.round,
                game.agents[i],
                Role.COMPRESS.value,
                c.text,
                visible_to=frozenset((game.agents[i],)),
                tokens=c.completion_tokens,
                answer=answer,
            )
        d.tiers = tuple(msgs)


def n_discrete_actions(n_tiers: int, bid_levels: int) -> int:
    """Size of the discrete action space: silence plus ``bid_levels - 1`` levels per tier."""
    return 1 + n_tiers * (bid_levels - 1)


def decode_discrete(action: int, bid_levels: int) -> tuple[int, float]:
    """``(tier, bid)`` of a discrete action ``>= 1`` (see the module docstring)."""
    k1 = bid_levels - 1
    tier, level = (action - 1) // k1, (action - 1) % k1 + 1
    return tier, level / k1


def decode_action(game: AuctionGame, index: int, action: object) -> Bid:
    """Validate and decode agent ``index``'s tiered action (``ValueError`` naming the agent)."""
    cfg, agent = game.config, game.agents[index]
    nt = len(cfg.tiers)
    if cfg.action_type == "discrete":
        a = discrete_action(agent, action, n_discrete_actions(nt, cfg.bid_levels))
        bids = [0.0] * nt
        if a > 0:
            tier, bid = decode_discrete(a, cfg.bid_levels)
            if not game.tier_fits(index)[tier]:
                if cfg.invalid_action == "raise":
                    raise ValueError(
                        f"{agent}: action {a} is masked (its {cfg.tiers[tier]!r} message cannot "
                        "be broadcast this round); choose 0 (silence) or an unmasked action, or "
                        "pass invalid_action='silence'"
                    )
            else:
                bids[tier] = bid
        return Bid(max(bids), None, tuple(bids))
    a = box_action(agent, action, nt + cfg.belief_dim)
    params = cfg.beliefs.to_params(a[nt:]) if cfg.belief_dim else None
    bids = tuple(float((v + 1.0) / 2.0) for v in a[:nt])
    return Bid(max(bids), params, bids)


def bid_array(actions: Sequence[Bid], n_tiers: int) -> np.ndarray:
    """Bids as the game settles them: ``(n,)`` with one tier, ``(n, n_tiers)`` with several."""
    if n_tiers == 1:
        return np.array([a.bid for a in actions])
    return np.array(
        [a.tier_bids if a.tier_bids is not None else (a.bid,) * n_tiers for a in actions],
        dtype=np.float64,
    )


def discrete_mask(fits: Sequence[bool], bid_levels: int) -> np.ndarray:
    """The action mask of a tiered discrete action: silence always, each tier's levels when
    that tier's message fits."""
    k1 = bid_levels - 1
    mask = np.ones(1 + len(fits) * k1, dtype=np.int8)
    for t, ok in enumerate(fits):
        mask[1 + t * k1 : 1 + (t + 1) * k1] = ok
    return mask
