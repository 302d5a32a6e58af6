"""The ``infos`` contract every econ-env game follows: numeric values under stable keys.

Vectorised RL libraries (SB3's ``VecEnv``, Tianshou's collectors, RLlib, TorchRL, SuperSuit)
stack ``infos`` into arrays using the keys of the first step. So ``infos[agent]`` holds the
**same keys at reset and at every step**, each an ``int``, ``float``, ``bool`` or a fixed-shape
numpy array, never text or ``None``:

==========================  ====================================================================
key                         value
==========================  ====================================================================
``round``                   rounds settled so far (int)
``billed_tokens``           the episode's billed tokens so far, every agent and role (int)
``generated_tokens``        every token any model read or produced this episode (int)
``remaining_budget``        the billed budget left (int)
``agent_billed_tokens``     the tokens billed to this agent (int)
``agent_generated_tokens``  the tokens this agent's own calls read or produced (int)
``game_over``               whether the episode has ended (bool)
``correct``                 whether the final answer is correct; ``False`` until ``game_over``
``stop_code``               0 while the game runs, else ``1 + STOP_REASONS.index(reason)``
``action_mask``             with discrete actions: the int8 mask of the observation (a copy)
==========================  ====================================================================

Each game adds its own numeric keys (documented in its env module). Text — the question, the
drafts and answers, the broadcasts heard, the strategy and commitments, the stop reason's name,
the final and gold answers — is in ``env.unwrapped.text_info(agent)``, and also merged into
``infos[agent]`` when the env is built with ``info_text=True`` (for people reading episodes,
not for vectorised learners).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "STOP_REASONS",
    "add_agent_totals",
    "shared_info",
    "shared_text",
    "stop_code",
    "stop_reason_of",
]

STOP_REASONS: tuple[str, ...] = (
    "consensus",
    "converged",
    "belief_converged",
    "oscillation",
    "budget_exhausted",
    "max_rounds",
)
"""Every stop reason of every game; ``infos[agent]["stop_code"] - 1`` indexes it."""


def stop_code(reason: str | None) -> int:
    """0 for a running game, else ``1 + STOP_REASONS.index(reason)``."""
    return 0 if reason is None else 1 + STOP_REASONS.index(reason)


def stop_reason_of(code: int) -> str | None:
    """The stop reason a ``stop_code`` stands for (``None`` for 0)."""
    if not 0 <= int(code) <= len(STOP_REASONS):
        raise ValueError(f"stop_code must be in [0, {len(STOP_REASONS)}], got {code!r}")
    return None if int(code) == 0 else STOP_REASONS[int(code) - 1]


def shared_info(game: Any, rounds: int, mask: np.ndarray | None) -> dict[str, Any]:
    """The numeric keys every game's ``infos[agent]`` starts with (see the module docstring);
    the per-agent totals are 0 until :func:`add_agent_totals` fills them."""
    ledger = game.ledger
    info: dict[str, Any] = {
        "round": int(rounds),
        "billed_tokens": int(ledger.billed_total),
        "generated_tokens": int(ledger.generated_total),
        "remaining_budget": int(ledger.remaining),
        "agent_billed_tokens": 0,
        "agent_generated_tokens": 0,
        "game_over": game.stop_reason is not None,
        "correct": bool(game.correct) if game.stop_reason is not None else False,
        "stop_code": stop_code(game.stop_reason),
    }
    if mask is not None:
        info["action_mask"] = mask.copy()
    return info


def add_agent_totals(infos: list[dict[str, Any]], agents: list[str], ledger: Any) -> None:
    """Fill ``agent_billed_tokens`` / ``agent_generated_tokens`` from the ledger (one pass)."""
    billed, generated = ledger.billed_by_agent(), ledger.generated_by_agent()
    for info, agent in zip(infos, agents, strict=True):
        info["agent_billed_tokens"] = int(billed.get(agent, 0))
        info["agent_generated_tokens"] = int(generated.get(agent, 0))


def shared_text(game: Any) -> dict[str, Any]:
    """The text every game's ``text_info(agent)`` starts with: the question and the ending
    (``None`` until the game is over)."""
    over = game.stop_reason is not None
    return {
        "question": game.item.question,
        "stop_reason": game.stop_reason,
        "final_answer": game.final_answer if over else None,
        "gold": game.item.gold if over else None,
    }
