"""Chat prompts of auction_v0: the draft prompt and the revision prompt.

Prompts are plain chat messages so every backend (simulated, transformers, OpenAI-compatible)
sees the same conversation. ``PROMPT_VERSION`` changes whenever the wording changes, so cached
completions and benchmark submissions can name the prompts they were made with.
"""

from __future__ import annotations

from collections.abc import Sequence

from econ_env.core.transcript import Message as TranscriptMessage
from econ_env.tasks.base import TaskItem

PROMPT_VERSION = "auction-v0.1"

_SYSTEM = (
    "You are {agent}, one of {n} agents solving a problem together. Messages cost tokens, so "
    "be brief. Think step by step, then finish with 'The answer is \\boxed{{ANSWER}}'."
)
_CHOICE_HINT = " Answer with the letter of one option."


def _system(agent: str, n_agents: int, item: TaskItem) -> dict[str, str]:
    text = _SYSTEM.format(agent=agent, n=n_agents)
    if item.kind == "choice":
        text += _CHOICE_HINT
    return {"role": "system", "content": text}


def draft_messages(agent: str, n_agents: int, item: TaskItem) -> tuple[dict[str, str], ...]:
    """Messages for an agent's first draft."""
    return (_system(agent, n_agents, item), {"role": "user", "content": item.question})


def revise_messages(
    agent: str,
    n_agents: int,
    item: TaskItem,
    own_draft: str,
    heard: Sequence[TranscriptMessage],
) -> tuple[dict[str, str], ...]:
    """Messages for a revision after hearing the broadcasts in ``heard``."""
    shared = "\n\n".join(f"[{m.speaker}] {m.text}" for m in heard)
    return (
        _system(agent, n_agents, item),
        {"role": "user", "content": item.question},
        {"role": "assistant", "content": own_draft},
        {
            "role": "user",
            "content": (
                "Other agents said:\n\n"
                f"{shared}\n\n"
                "Reconsider your solution in the light of these messages and give your final "
                "answer."
            ),
        },
    )
