"""Chat prompts of debate_v0 and the coordinator role's names.

The coordinator is an LLM role inside the environment (through the same ``Backend`` as the
executors): it writes a short *strategy* for the question at reset and, every round, a
*commitment* (a short final answer ending in ``\\boxed{}``) from the executors' answers. With
``groups = k >= 2`` a local coordinator commits for each group from its executors' answers and a
global coordinator commits from the local commitments. Executors never read each other's raw
answers: their prompt holds the question, the strategy and the previous global commitment.
``PROMPT_VERSION`` changes whenever the wording changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from econ_env.tasks.base import TaskItem

PROMPT_VERSION = "debate-v0.1"

COORDINATOR = "coordinator"


def local_coordinator(group: int) -> str:
    """Ledger name of group ``group``'s local coordinator."""
    return f"coordinator_{group}"


def _choice_hint(item: TaskItem) -> str:
    return " Answer with the letter of one option." if item.kind == "choice" else ""


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
    agent: str, item: TaskItem, strategy: str, commitment: str | None
) -> tuple[dict[str, str], ...]:
    """An executor's prompt: question, strategy and (after round 0) the last commitment."""
    system = (
        f"You are {agent}, a solver in a coordinated team. Follow the coordinator's strategy, "
        "think step by step, then finish with 'The answer is \\boxed{ANSWER}'." + _choice_hint(item)
    )
    user = f"{item.question}\n\nCoordinator's strategy: {strategy}"
    if commitment is not None:
        user += f"\n\nCoordinator's current commitment: {commitment}"
    return ({"role": "system", "content": system}, {"role": "user", "content": user})


def commitment_messages(
    item: TaskItem, answers: Sequence[tuple[str, str]], cap: int
) -> tuple[dict[str, str], ...]:
    """The coordinator's commitment prompt over ``(name, answer text)`` pairs."""
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
        {"role": "user", "content": f"{item.question}\n\nAnswers:\n\n{listing}"},
    )
