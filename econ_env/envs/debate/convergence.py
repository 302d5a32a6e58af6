"""Stop rules of debate_v0 (ECON's BNE loop, with the stop checks the public code lacks).

Checked after every settled round, in this order (the first that holds is the stop reason):

1. ``converged``: the commitment's answer equals the previous round's;
2. ``belief_converged``: the joint belief change ``‖B_t − B_{t−1}‖`` (Frobenius norm over
   executors × belief dimensions) is below ``epsilon``;
3. ``oscillation``: the commitment returns to the answer of two rounds earlier while differing
   from the last one (A → B → A);
4. ``max_rounds``: the round limit (a truncation; the others are terminations).

``budget_exhausted`` is decided by the game itself: a round whose tokens would overdraw the
budget is refused before it is charged.
"""

from __future__ import annotations

import numpy as np

TERMINAL_REASONS = ("converged", "belief_converged", "oscillation", "budget_exhausted")
STOP_REASONS = (*TERMINAL_REASONS, "max_rounds")


def belief_change(previous: np.ndarray | None, current: np.ndarray) -> float:
    """``‖B_t − B_{t−1}‖`` (Frobenius); infinity when there is no previous round."""
    if previous is None:
        return float("inf")
    return float(np.linalg.norm(current - previous))


def stop_reason(
    commitments: list[str | None],
    beliefs: list[np.ndarray],
    *,
    epsilon: float,
    max_rounds: int,
) -> str | None:
    """The reason to stop after the last settled round, or ``None`` to play on.

    Args:
        commitments: the canonical commitment answer of every settled round, oldest first.
        beliefs: the joint belief matrix (executors × belief_dim) of every settled round.
        epsilon: belief-change threshold (0 disables the rule).
        max_rounds: round limit.
    """
    t = len(commitments)
    if t >= 2 and commitments[-1] is not None and commitments[-1] == commitments[-2]:
        return "converged"
    if t >= 2 and epsilon > 0 and belief_change(beliefs[-2], beliefs[-1]) < epsilon:
        return "belief_converged"
    if t >= 3 and commitments[-1] == commitments[-3] and commitments[-1] != commitments[-2]:
        return "oscillation"
    if t >= max_rounds:
        return "max_rounds"
    return None
