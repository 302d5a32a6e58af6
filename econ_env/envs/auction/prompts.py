"""Chat prompts of auction_v0: the draft prompt and the revision prompt.

Prompts are plain chat messages so every backend (simulated, transformers, OpenAI-compatible)
sees the same conversation. ``PROMPT_VERSION`` changes whenever the wording changes, so cached
completions and benchmark submissions can name the prompts they were made with.

On tasks whose items carry facts (:mod:`econ_env.tasks.split_facts`) the user message holds the
question followed by the agent's own share of the facts
(:func:`~econ_env.tasks.split_facts.share_question`), so ``index`` (the agent's seat) is
required then; prompts of items without facts are unchanged. A revision prompt may instead list
every fact the agent knows then (``known``: its share and the facts it heard, the game's
``carry_facts=True``); with ``known`` equal to the share the text is the same. Code items
(``kind="code"``, HumanEval) add one sentence to the system message asking for a fenced code
block instead of ``\\boxed{}``; the prompts of every other kind are
unchanged, so ``PROMPT_VERSION`` stays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from econ_env.core.transcript import Message as TranscriptMessage
from econ_env.tasks.base import TaskItem
from econ_env.tasks.split_facts import item_facts, known_question, share_question

PROMPT_VERSION = "auction-v0.1"

_SYSTEM = (
    "You are {agent}, one of {n} agents solving a problem together. Messages cost tokens, so "
    "be brief. Think step by step, then finish with 'The answer is \\boxed{{ANSWER}}'."
)
_CHOICE_HINT = " Answer with the letter of one option."
_CODE_HINT = " For a coding task, end with the whole function in a ```python block instead."


def _system(
    agent: str, n_agents: int, item: TaskItem, system_prompt: str | None = None
) -> dict[str, str]:
    text = _SYSTEM.format(agent=agent, n=n_agents)
    if item.kind == "choice":
        text += _CHOICE_HINT
    elif item.kind == "code":
        text += _CODE_HINT
    if system_prompt is not None:  # the agent's own addition (a heterogeneous ``team``)
        text += "\n\n" + system_prompt
    return {"role": "system", "content": text}


def _question(
    n_agents: int, item: TaskItem, index: int | None, known: Iterable[int] | None = None
) -> str:
    if not item_facts(item):
        return item.question
    if known is not None:
        return known_question(item, known)
    if index is None:
        raise ValueError(f"item {item.id!r} has facts: pass index= (the agent's seat)")
    return share_question(item, index, n_agents)


def draft_messages(
    agent: str,
    n_agents: int,
    item: TaskItem,
    *,
    index: int | None = None,
    system_prompt: str | None = None,
) -> tuple[dict[str, str], ...]:
    """Messages for an agent's first draft (``index``: its seat, needed for items with facts;
    ``system_prompt``: appended to the system message as ``"\\n\\n" + system_prompt``)."""
    return (
        _system(agent, n_agents, item, system_prompt),
        {"role": "user", "content": _question(n_agents, item, index)},
    )


def revise_messages(
    agent: str,
    n_agents: int,
    item: TaskItem,
    own_draft: str,
    heard: Sequence[TranscriptMessage],
    *,
    index: int | None = None,
    system_prompt: str | None = None,
    known: Iterable[int] | None = None,
) -> tuple[dict[str, str], ...]:
    """Messages for a revision after hearing the broadcasts in ``heard`` (``index``: the
    agent's seat, needed for items with facts; ``system_prompt`` as in :func:`draft_messages`;
    ``known``: the fact indices to list instead of the agent's share, as
    :func:`~econ_env.tasks.split_facts.known_question` does)."""
    shared = "\n\n".join(f"[{m.speaker}] {m.text}" for m in heard)
    return (
        _system(agent, n_agents, item, system_prompt),
        {"role": "user", "content": _question(n_agents, item, index, known)},
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
