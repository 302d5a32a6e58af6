"""Chat prompts of debate_v0 and the coordinator role's names.

The coordinator is an LLM role inside the environment (through the same ``Backend`` as the
executors): it writes a short *strategy* for the question at reset and, every round, a
*commitment* (a short final answer ending in ``\\boxed{}``) from the executors' answers. With
``groups = k >= 2`` a local coordinator commits for each group from its executors' answers and a
global coordinator commits from the local commitments. Executors never read each other's raw
answers: their prompt holds the question, the strategy and the previous global commitment.
``PROMPT_VERSION`` changes whenever the wording changes.

On tasks whose items carry facts (:mod:`econ_env.tasks.split_facts`) an executor's user message
starts with the question followed by its own share of the facts
(:func:`~econ_env.tasks.split_facts.share_question`; ``index`` and ``n_agents`` are required
then); the coordinator holds no facts of its own and its prompts keep the bare question (it
learns facts only through the answers it reads). With the game's ``carry_facts=True`` the
prompts list every fact their writer knows then instead (``known``: an executor's share and the
facts of the commitment it read; a coordinator's, the facts of the answers it reads, so its
prompt then carries a facts list too). Prompts of items without facts are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from econ_env.tasks.base import TaskItem
from econ_env.tasks.split_facts import item_facts, known_question, share_question

PROMPT_VERSION = "debate-v0.1"

COORDINATOR = "coordinator"


def local_coordinator(group: int) -> str:
    """Ledger name of group ``group``'s local coordinator."""
    return f"coordinator_{group}"


def _choice_hint(item: TaskItem) -> str:
    """The kind's extra instruction: a letter for choices, a code block for code items (the
    prompts of other kinds are unchanged, so ``PROMPT_VERSION`` stays)."""
    if item.kind == "choice":
        return " Answer with the letter of one option."
    if item.kind == "code":
        return " For a coding task, end with the whole function in a ```python block instead."
    return ""


def strategy_messages(item: TaskItem, soft_limit: int) -> tuple[dict[str, str], ...]:
    """The coordinator's strategy prompt (asked to stay within ``soft_limit`` tokens)."""
    return (
        {
            "role": "system",
            "content": (
                "You coordinate a team of solvers. Write a short strategy (at most "
                f"{soft_limit} tokens) for solving the problem. Do not solve it."
            ),
        },
        {"role": "user", "content": item.question},
    )


def executor_messages(
    agent: str,
    item: TaskItem,
    strategy: str,
    commitment: str | None,
    *,
    system_prompt: str | None = None,
    index: int | None = None,
    n_agents: int | None = None,
    known: Iterable[int] | None = None,
) -> tuple[dict[str, str], ...]:
    """An executor's prompt: question, strategy and (after round 0) the last commitment;
    ``system_prompt`` (a heterogeneous ``team``'s) is appended to the system message as
    ``"\\n\\n" + system_prompt``. ``index`` / ``n_agents``: the executor's seat and the number
    of executors, needed for an item with facts (the question is then followed by the
    executor's share of them). ``known``: the fact indices to list instead of the share
    (:func:`~econ_env.tasks.split_facts.known_question`)."""
    question = item.question
    if item_facts(item) and known is not None:
        question = known_question(item, known)
    elif item_facts(item):
        if index is None or n_agents is None:
            raise ValueError(f"item {item.id!r} has facts: pass index= and n_agents=")
        question = share_question(item, index, n_agents)
    system = (
        f"You are {agent}, a solver in a coordinated team. Follow the coordinator's strategy, "
        "think step by step, then finish with 'The answer is \\boxed{ANSWER}'." + _choice_hint(item)
    )
    if system_prompt is not None:
        system += "\n\n" + system_prompt
    user = f"{question}\n\nCoordinator's strategy: {strategy}"
    if commitment is not None:
        user += f"\n\nCoordinator's current commitment: {commitment}"
    return ({"role": "system", "content": system}, {"role": "user", "content": user})


def commitment_messages(
    item: TaskItem,
    answers: Sequence[tuple[str, str]],
    cap: int,
    known: Iterable[int] | None = None,
) -> tuple[dict[str, str], ...]:
    """The coordinator's commitment prompt over ``(name, answer text)`` pairs; ``known``: the
    fact indices the answers carry, listed after the question (``None``: the bare question)."""
    question = item.question if known is None else known_question(item, known)
    listing = "\n\n".join(f"[{name}] {text}" for name, text in answers)
    return (
        {
            "role": "system",
            "content": (
                "You coordinate a team of solvers. Read their answers and commit to one final "
                f"answer in at most {cap} tokens, ending with 'The answer is \\boxed{{ANSWER}}'."
                + _choice_hint(item)
            ),
        },
        {"role": "user", "content": f"{question}\n\nAnswers:\n\n{listing}"},
    )
