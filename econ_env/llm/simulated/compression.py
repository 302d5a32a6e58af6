"""The simulated backend's compressions (DALA's message tiers) and tiered influence.

A ``COMPRESS`` request (:class:`~econ_env.llm.base.SimHints` ``tier``, ``source_tokens``,
``own_answer``) rewrites a draft as a shorter tier: :func:`compression_tokens` gives its length
(``max(1, ceil(ratio * source_tokens))`` clipped at ``max_tokens``) and :func:`compression_text`
its text (``"Summary: ..."`` / ``"Keywords: ..."`` ending with the draft's boxed answer unless
clipped). :func:`tier_factor` is the factor on the adoption probability of a heard plurality:
the mean ``tier_influence`` of the heard messages that carry it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from econ_env.llm.simulated.distractors import same_answer
from econ_env.llm.simulated.params import SimParams

__all__ = ["COMPRESS_FILLER", "compression_text", "compression_tokens", "tier_factor"]

COMPRESS_FILLER = "combine the stated quantities step by step and check the result. "
"""Filler words (no digits) padding a simulated compression to its token count."""

_LABELS = {"summary": "Summary:", "keywords": "Keywords:"}


def compression_tokens(params: SimParams, tier: str, source_tokens: int, max_tokens: int) -> int:
    """Unclipped length of a compression of a ``source_tokens`` draft to ``tier``."""
    del max_tokens
    return max(1, math.ceil(params.tier_ratio(tier) * source_tokens))


def compression_text(
    params: SimParams,
    tier: str,
    answer: str | None,
    tokens: int,
    truncated: bool,
    *,
    fenced: bool = False,
) -> str:
    """``"Summary: ..."`` / ``"Keywords: ..."`` about ``tokens`` tokens long, ending with
    ``\\boxed{answer}`` (``fenced``: a ```python block, for code items; ``" ..."`` when
    clipped or without an answer)."""
    head = _LABELS.get(tier, f"{tier.capitalize()}:")
    if truncated or answer is None:
        ending = " ..."
    elif fenced:
        ending = f"\n```python\n{answer}\n```"
    else:
        ending = f" \\boxed{{{answer}}}"
    missing = int(tokens * params.chars_per_token) - len(head) - len(ending)
    if missing > 0:
        reps = missing // len(COMPRESS_FILLER) + 1
        body = (COMPRESS_FILLER * reps)[:missing].rsplit(" ", 1)[0]
        if body:
            head = f"{head} {body}"
    return head + ending


def tier_factor(
    params: SimParams,
    heard: Sequence[str | None],
    heard_tiers: Sequence[str],
    plural: str,
    kind: str,
) -> float:
    """Mean ``tier_influence`` of the heard messages whose answer is ``plural`` (1.0 when
    ``heard_tiers`` is empty: every message full)."""
    if not heard_tiers:
        return 1.0
    weights = [
        params.tier_weight(t)
        for h, t in zip(heard, heard_tiers, strict=True)
        if h is not None and same_answer(h, plural, kind)
    ]
    return sum(weights) / len(weights) if weights else 1.0
