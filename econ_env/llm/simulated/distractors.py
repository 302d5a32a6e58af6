"""The simulated agents' answers: each item's fixed wrong answers and how heard answers group.

Wrong answers are clustered so that agents can agree on a wrong answer: every item has a small
fixed, ordered set of *distractors* derived from its id only (:func:`distractors`), the
simulated backend draws from them with decaying weights, and calibration scores a real model's
wrong answers against the same set. Heard answers are grouped by their canonical form
(:func:`answer_key`) and the group heard most often is the *plurality* (:func:`plurality`);
:func:`same_answer` judges an answer against the gold.

These helpers are hot (a revision groups and judges every heard answer), so the pure ones are
memoised with :func:`functools.lru_cache`.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Sequence
from functools import lru_cache

from econ_env.llm.simulated.code_distractors import code_candidates
from econ_env.tasks.answers import check_answer, normalize_answer

__all__ = ["answer_key", "candidates", "distractors", "plurality", "same_answer"]

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _fmt_number(x: float, like: str) -> str:
    """``x`` written like the number ``like`` (an integer stays one; else ``like``'s decimals)."""
    if "." not in like and float(x).is_integer():
        return str(int(x))
    decimals = max(len(like.split(".")[1]) if "." in like else 1, 1)
    return f"{x:.{decimals}f}"


def candidates(gold: str, kind: str, n_choices: int) -> list[str]:
    """Plausible wrong answers for ``gold``, none equal to it (numeric ones compared by value).

    By answer ``kind``: ``"choice"``: the other letters among the first ``n_choices`` (at least
    2); ``"numeric"``: gold ± 1, ×10, ±10, ×2, /10, +2, -gold, /2 written like the gold (for a
    gold that is not a finite number: textual variants); ``"latex"``: perturbed expressions;
    ``"code"`` with an executable code gold (HumanEval): mutants of the reference solution that
    fail its tests in the sandbox (:mod:`~econ_env.llm.simulated.code_distractors`); other code:
    wrong-snippet markers. The order is fixed; :func:`distractors`
    shuffles it per item.
    """
    if kind == "choice":
        return [c for c in _LETTERS[: max(n_choices, 2)] if c != gold.strip().upper()]
    if kind == "numeric":
        try:
            g = float(gold.replace(",", ""))
        except ValueError:
            g = None
        if g is not None and math.isfinite(g):
            vals = (g + 1, g - 1, g * 10, g + 10, g * 2, g - 10, g / 10, g + 2, -g, g / 2)
            seen: set[float] = {g}
            out = []
            for v in vals:
                text = _fmt_number(v, gold)
                shown = float(text)
                if shown not in seen:
                    seen.add(shown)
                    out.append(text)
            return out
        cands = [f"{gold}1", f"-{gold}", f"2*{gold}", f"{gold}+1", f"{gold}/2", f"{gold}0"]
    elif kind == "latex":
        cands = [
            f"{gold}+1",
            f"-({gold})",
            f"2({gold})",
            f"\\frac{{{gold}}}{{2}}",
            f"{gold}-1",
            f"({gold})^2",
            f"\\sqrt{{{gold}}}",
            f"{gold}+2",
        ]
    else:
        mutants = code_candidates(gold)
        if mutants is not None:
            return mutants
        return [f"# wrong snippet {k}" for k in range(1, 9)]
    return [c for c in cands if not same_answer(c, gold, kind)]


@lru_cache(maxsize=65536)
def distractors(item_id: str, gold: str, kind: str, n_choices: int) -> tuple[str, ...]:
    """An item's distractors: its distinct :func:`candidates` in an order derived from the item
    id only (a shuffle seeded by the id's CRC-32), so every backend seed, agent and process
    sees the same wrong answers in the same order; the first is the modal (greedy) one."""
    cands = list(dict.fromkeys(candidates(gold, kind, n_choices)))
    random.Random(zlib.crc32(item_id.encode())).shuffle(cands)
    return tuple(cands)


@lru_cache(maxsize=65536)
def same_answer(answer: str, gold: str, kind: str) -> bool:
    """Whether ``answer`` matches ``gold`` (``check_answer``, cached: revise calls are hot)."""
    return check_answer(answer, gold, kind)


@lru_cache(maxsize=65536)
def answer_key(answer: str, kind: str) -> str:
    """Canonical key used to group heard answers (``normalize_answer``, else stripped text)."""
    key = normalize_answer(answer, kind)
    return key if key is not None else answer.strip()


def plurality(heard: Sequence[str], kind: str) -> tuple[str, float]:
    """The most common heard answer (first heard wins ties) and its share of ``heard``.

    Answers are grouped by :func:`answer_key`; the returned answer is the first heard member
    of the largest group, as it was written. ``heard`` must not be empty.
    """
    groups: dict[str, list[str]] = {}
    for h in heard:
        groups.setdefault(answer_key(h, kind), []).append(h)
    best = max(groups.values(), key=len)
    return best[0], len(best) / len(heard)
