"""Self-consistency at matched generated tokens: the baseline a learner's tokens buy instead.

Self-consistency is silent bidders with auction_v0's ``draft_samples = k``: every bidder draws k
first drafts and the team answers the plurality of the n·k samples; it broadcasts nothing, so
its team return is its accuracy, and its generated tokens grow with k. A learner that generates
``G`` tokens per episode is compared with self-consistency at the largest k whose generated
tokens are at most ``G`` (:func:`matched`; at least k = 1) and at the next k above, which
spends more than the learner; and, on accuracy, with self-consistency's accuracy linearly
interpolated at ``G`` (:func:`interpolate`).

:func:`at_matched_tokens` plays k = 1, 2, ... with any ``play(k) -> metrics`` function (the
batched env's ``econ_env_baselines.vector.evaluate`` or a text-env loop) until a k generates
more than the learner, so it plays only the k it needs. The metrics are dicts with at least
``team_return``, ``accuracy`` and ``generated_tokens`` (the keys of
:func:`econ_env_baselines.vector.evaluate`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["MAX_K", "at_matched_tokens", "describe", "interpolate", "matched"]

MAX_K = 16
"""The largest k :func:`at_matched_tokens` plays by default."""

Metrics = Mapping[str, Any]


def matched(sc: Mapping[int, Metrics], tokens: float) -> tuple[int, int | None]:
    """The largest k of ``sc`` whose generated tokens are at most ``tokens`` (the smallest k
    when none is) and the next k (``None`` when every k played is at or below)."""
    if not sc:
        raise ValueError("matched: no self-consistency results (sc is empty)")
    ks = sorted(sc)
    below = [k for k in ks if sc[k]["generated_tokens"] <= tokens]
    at = max(below) if below else ks[0]
    above = [k for k in ks if k > at]
    return at, (above[0] if above else None)


def interpolate(sc: Mapping[int, Metrics], tokens: float) -> float | None:
    """Self-consistency's accuracy at ``tokens`` generated tokens, linear between the two k
    around it (``None`` outside the k played)."""
    pts = sorted((v["generated_tokens"], v["accuracy"]) for v in sc.values())
    for (x0, y0), (x1, y1) in itertools.pairwise(pts):
        if x0 <= tokens <= x1:
            return y0 + (y1 - y0) * (tokens - x0) / (x1 - x0) if x1 > x0 else max(y0, y1)
    return None


def at_matched_tokens(
    play: Callable[[int], Metrics], tokens: float, max_k: int = MAX_K
) -> dict[int, Metrics]:
    """``{k: play(k)}`` for k = 1, 2, ... up to the first k that generates more than ``tokens``
    (or ``max_k``): every k :func:`matched` and :func:`interpolate` need for a learner that
    generates ``tokens`` per episode."""
    if isinstance(max_k, bool) or not isinstance(max_k, int) or not 1 <= max_k <= 64:
        raise ValueError(f"max_k must be an int in [1, 64] (draft_samples), got {max_k!r}")
    out: dict[int, Metrics] = {}
    for k in range(1, max_k + 1):
        out[k] = play(k)
        if out[k]["generated_tokens"] > tokens:
            break
    return out


def describe(sc: Mapping[int, Metrics], learner: Metrics, name: str = "learner") -> str:
    """One line: self-consistency at the learner's generated tokens (and the next k), the
    learner's return against it, and its accuracy against self-consistency's at the same
    tokens."""
    tokens = float(learner["generated_tokens"])
    at, above = matched(sc, tokens)
    shown = []
    for k in (at, above):
        if k is not None:
            m = sc[k]
            more = " (spends more)" if m["generated_tokens"] > tokens else ""
            ret, gen = m["team_return"], m["generated_tokens"]
            shown.append(f"k={k} return {ret:.3f} @ {gen:,.0f}{more}")
    ret = learner["team_return"]
    side = f"above k={at}" if ret > sc[at]["team_return"] else f"not above k={at}"
    if above is not None and ret > sc[at]["team_return"]:  # the next k spends more tokens
        side += f" and above k={above}" if ret > sc[above]["team_return"] else f", not k={above}"
    line = (
        f"self-consistency at {name}'s {tokens:,.0f} generated tokens: {'; '.join(shown)}. "
        f"{name}: return {ret:.3f} ({side})"
    )
    acc = interpolate(sc, tokens)
    if acc is not None:
        side = "above" if learner["accuracy"] > acc else "on or below"
        line += f", accuracy {learner['accuracy']:.3f} vs {acc:.3f} at the same tokens ({side})"
    return line
