"""The simulated backend itself: :class:`SimulatedBackend` and the texts it writes.

:class:`SimulatedBackend` draws each completion from the model documented in
:mod:`econ_env.llm.simulated` (parameters: :class:`~econ_env.llm.simulated.params.SimParams`;
wrong answers: :mod:`econ_env.llm.simulated.distractors`) and writes it as a templated text
with a real ``\\boxed{...}`` answer. A coordinator's strategy carries one of two method
markers, :data:`STRATEGY_GOOD` or :data:`STRATEGY_GENERIC`; the backend recognises its own
marker when an executor's prompt quotes the strategy (:func:`prompt_has_good_strategy`), and
calibration labels simulated strategies with :func:`strategy_is_good`.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from functools import lru_cache
from typing import Any

from econ_env.core.ledger import Role
from econ_env.llm.base import Completion, GenRequest, SimHints
from econ_env.llm.simulated.code_distractors import code_solution_key
from econ_env.llm.simulated.compression import (
    compression_text,
    compression_tokens,
    tier_factor,
)
from econ_env.llm.simulated.distractors import distractors, plurality, same_answer
from econ_env.llm.simulated.params import SimParams
from econ_env.tasks.code_check import parse_code_gold

__all__ = [
    "FILLER",
    "NUMBER_RE",
    "OPENINGS",
    "STRATEGY_GENERIC",
    "STRATEGY_GOOD",
    "SimulatedBackend",
    "prompt_has_good_strategy",
    "strategy_is_good",
]

_NO_HINTS = SimHints()
_MASK64 = (1 << 64) - 1
NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?")
FILLER = (
    "Working through the steps carefully, I combine the partial results and check each "
    "operation against the question before moving on. "
)
OPENINGS = ("Let me work through this.", "Let me think step by step.", "Reading carefully.")
"""The first sentence of a completion, by agent index (the templated texts' parts are public so
that the batched envs, :mod:`econ_env.vector`, can count their characters exactly)."""
STRATEGY_GOOD = "Method: apply the operations the question states, in order."
"""Marker of a strategy that points at the correct method (see :func:`strategy_is_good`)."""
STRATEGY_GENERIC = "Method: estimate from the largest quantity, then adjust."
"""Marker of a generic strategy with no useful hint."""


def _softplus(x: float) -> float:
    return x if x > 30.0 else math.log1p(math.exp(x))


@lru_cache(maxsize=65536)
def _item_key(item_id: str) -> int:
    """A stable 32-bit key of an item id (mixed into seeded requests' random streams)."""
    return zlib.crc32(item_id.encode())


@lru_cache(maxsize=4096)
def _right_answer(gold: str, kind: str) -> str:
    """What a correct agent answers: the gold, or for an executable code gold the reference
    solution's voting key (the code the envs extract from its fenced block)."""
    if kind == "code":
        key = code_solution_key(gold)
        if key is not None:
            return key
    return gold


def _fenced(item: Any) -> bool:
    """Whether answers to ``item`` are written as a fenced code block (executable code golds)."""
    return item.kind == "code" and parse_code_gold(item.gold) is not None


@lru_cache(maxsize=65536)
def _question_numbers(question: str) -> tuple[str, ...]:
    """The first three numbers mentioned in a question (for the templated reasoning)."""
    return tuple(NUMBER_RE.findall(question)[:3])


class SimulatedBackend:
    """Seeded stochastic agents answering task items (the model: :mod:`econ_env.llm.simulated`).

    Args:
        params: the model's parameters (default :class:`SimParams`()).
        seed: seed of the backend's own generator and part of every per-request seed.
        preset: name of a shipped fitted preset (see
            :func:`~econ_env.llm.simulated.params.list_presets`) used instead of ``params``
            (give one or the other).
        **param_overrides: fields of ``SimParams`` to replace, e.g. ``skill=0.5``.
    """

    name = "simulated"

    def __init__(
        self,
        params: SimParams | None = None,
        *,
        seed: int = 0,
        preset: str | None = None,
        **param_overrides: Any,
    ):
        if preset is not None:
            if params is not None:
                raise ValueError("SimulatedBackend: give params or preset, not both")
            params = SimParams.from_preset(preset)
        params = params if params is not None else SimParams()
        if param_overrides:
            known = {f.name for f in fields(SimParams)}
            unknown = sorted(set(param_overrides) - known)
            if unknown:
                raise ValueError(f"unknown SimParams fields {unknown}; known: {sorted(known)}")
            params = replace(params, **param_overrides)
        self.params = params
        self.seed = int(seed)
        self._rng = random.Random(self.seed & _MASK64)
        self._role_mu = dict(params.role_length_mu)

    @property
    def identity(self) -> dict[str, str]:
        """What a cache keys this backend on: its seed and a digest of its parameters (so
        ``simulated:1`` and ``simulated:2``, or two presets, never share cached rows)."""
        text = json.dumps(self.params.to_dict(), sort_keys=True)
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        return {"backend": "simulated", "seed": str(self.seed), "params": digest}

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        """Return one simulated completion per request, in order."""
        return [self._one(r) for r in requests]

    def _one(self, req: GenRequest) -> Completion:
        p = self.params
        hints = req.hints if req.hints is not None else _NO_HINTS
        item = hints.item
        if req.seed is None:
            rng = self._rng
        else:
            # Like a real model, the same seed on a different question gives an unrelated
            # sample: the item's id enters the stream, so seeds are not shared across items.
            item_key = _item_key(item.id) if item is not None else 0
            rng = random.Random(
                (((self.seed & _MASK64) << 64) | (req.seed & _MASK64)) << 32 | item_key
            )
        role = hints.role
        temp = req.temperature
        d_temp = temp - p.t_ref
        n_chars = sum(len(m.get("content", "")) for m in req.messages)
        prompt_tokens = math.ceil(n_chars / p.chars_per_token) + p.per_message_overhead * len(
            req.messages
        )
        if role is Role.COMPRESS and item is not None:
            return self._compress(item, hints, req, rng, prompt_tokens)
        mu = self._role_mu.get(role.value, p.length_mu)
        if p.repetition_shortening:
            mu -= p.repetition_shortening * (req.repetition_penalty - 1.0)
        want = max(p.min_tokens, round(math.exp(mu + p.length_sigma * rng.gauss(0.0, 1.0))))
        truncated = want > req.max_tokens
        tokens = req.max_tokens if truncated else want
        if item is None:
            z = rng.gauss(0.0, 1.0)
            text = "I have considered the request and will respond briefly."
        else:
            if role is Role.STRATEGY:
                answer, correct = "", rng.random() < p.strategy_hint
            else:
                answer, correct = self._answer(item, hints, req, rng)
            rho = p.rho_of(role.value)
            z = rho * (1.0 if correct else -1.0) + math.sqrt(1.0 - rho * rho) * rng.gauss(0.0, 1.0)
            text = self._text(item, hints, answer, correct, truncated, tokens)
        shift = p.temperature_confidence * d_temp
        return Completion(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=tokens,
            mean_logprob=-_softplus(p.logprob_offset - p.logprob_slope * z + shift),
            mean_entropy=_softplus(p.entropy_offset - p.entropy_slope * z + shift),
            finish_reason="length" if truncated else "stop",
        )

    def _compress(
        self, item: Any, hints: SimHints, req: GenRequest, rng: random.Random, prompt_tokens: int
    ) -> Completion:
        """A compression (message tier ``hints.tier``) of a draft: its length is the tier's
        ratio of ``hints.source_tokens``, its answer the draft's (``hints.own_answer``)."""
        p = self.params
        if hints.tier is None:
            raise ValueError("SimHints.tier must name the tier of a COMPRESS request")
        want = compression_tokens(p, hints.tier, hints.source_tokens, req.max_tokens)
        truncated = want > req.max_tokens
        tokens = req.max_tokens if truncated else want
        answer = hints.own_answer
        correct = answer is not None and same_answer(answer, item.gold, item.kind)
        rho = p.rho_of(Role.COMPRESS.value)
        z = rho * (1.0 if correct else -1.0) + math.sqrt(1.0 - rho * rho) * rng.gauss(0.0, 1.0)
        shift = p.temperature_confidence * (req.temperature - p.t_ref)
        return Completion(
            text=compression_text(p, hints.tier, answer, tokens, truncated, fenced=_fenced(item)),
            prompt_tokens=prompt_tokens,
            completion_tokens=tokens,
            mean_logprob=-_softplus(p.logprob_offset - p.logprob_slope * z + shift),
            mean_entropy=_softplus(p.entropy_offset - p.entropy_slope * z + shift),
            finish_reason="length" if truncated else "stop",
        )

    def _answer(
        self, item: Any, hints: SimHints, req: GenRequest, rng: random.Random
    ) -> tuple[str, bool]:
        """Draw (answer, is_correct) for one agent on one item."""
        p = self.params
        gold, kind = item.gold, item.kind
        temp = req.temperature
        role = hints.role
        if (role is Role.REVISE or role is Role.ANSWER) and not hints.learned:
            heard = hints.heard
            if role is Role.ANSWER:
                heard = tuple(h for h in heard if h)
            if heard:
                plural, share = plurality(heard, kind)
                plural_ok = same_answer(plural, gold, kind)
                adopt = (p.influence + p.truth_bias * plural_ok) * share
                if hints.heard_tiers:
                    adopt *= tier_factor(p, hints.heard, hints.heard_tiers, plural, kind)
                if role is Role.ANSWER and temp > p.t_ref:
                    adopt *= math.exp(-p.follow_temperature * (temp - p.t_ref))
                if rng.random() < adopt:
                    return plural, plural_ok
            own = hints.own_answer
            if own is not None and (heard or role is Role.REVISE):
                own_ok = same_answer(own, gold, kind)
                if rng.random() < p.stickiness + p.truth_bias * own_ok:
                    return own, own_ok
        elif role is Role.COMMITMENT:
            heard = tuple(h for h in hints.heard if h)
            if heard and rng.random() < p.coordinator_fidelity:
                plural = plurality(heard, kind)[0]
                return plural, same_answer(plural, gold, kind)
        difficulty = float(item.meta.get("difficulty", 0.5))
        if not 0.0 <= difficulty <= 1.0:
            raise ValueError(
                f"item {item.id!r}: meta['difficulty'] must be in [0, 1], got {difficulty}"
            )
        agent = -1 if role is Role.COMMITMENT else hints.agent_index
        skill = p.skill_of(agent) if hints.skill is None else hints.skill
        logit = (
            skill
            - p.difficulty_weight * (difficulty - 0.5)
            - p.temperature_effect * max(0.0, temp - p.t_ref)
        )
        if role is Role.ANSWER and prompt_has_good_strategy(req.messages):
            logit += p.strategy_bonus
        if hints.facts_known < 1.0:
            logit -= p.fact_weight * (1.0 - hints.facts_known)
        p_correct = 1.0 / (1.0 + math.exp(-logit)) if logit > -700 else 0.0
        if rng.random() < p_correct:
            return _right_answer(gold, kind), True
        if p.top_p_focus and req.top_p < 1.0:
            temp *= req.top_p**p.top_p_focus
        return self._distractor(item, temp, rng), False

    def _distractor(self, item: Any, temp: float, rng: random.Random) -> str:
        choices = item.meta.get("choices")
        n_choices = len(choices) if choices else 4
        ds = distractors(item.id, item.gold, item.kind, n_choices)
        if item.kind != "choice":
            ds = ds[: self.params.n_distractors]
        if not ds:
            return "raise NotImplementedError" if _fenced(item) else f"not {item.gold}"
        if temp <= 0.0 or len(ds) == 1:
            return ds[0]
        ratio = math.exp(-min(self.params.distractor_skew / temp, 700.0))
        total = (1.0 - ratio ** len(ds)) / (1.0 - ratio) if ratio < 1.0 else len(ds)
        u = rng.random() * total
        w = 1.0
        for d in ds:
            if u < w:
                return d
            u -= w
            w *= ratio
        return ds[-1]

    def _text(
        self,
        item: Any,
        hints: SimHints,
        answer: str,
        correct: bool,
        truncated: bool,
        tokens: int,
    ) -> str:
        """Templated text mentioning the question's numbers, ending with the boxed answer.

        A strategy ends with a check instruction instead (no answer) and carries its method
        marker. Filler reasoning steps (without digits) pad the text to about ``tokens *
        chars_per_token`` characters, so the text is as long as its simulated token count says
        and prompts that quote it (revisions) grow the way they would with a real model.
        """
        numbers = _question_numbers(item.question)
        heard = hints.heard
        role = hints.role
        fenced = _fenced(item)
        if role is Role.STRATEGY:
            parts = ["Plan:"]
            if numbers:
                parts.append(f"identify the quantities {', '.join(numbers)}.")
            parts.append(STRATEGY_GOOD if correct else STRATEGY_GENERIC)
            ending = " ..." if truncated else " Check the result before answering."
        else:
            parts = [OPENINGS[hints.agent_index % len(OPENINGS)]]
            if role is Role.COMMITMENT:
                if heard:
                    parts.append("I weighed the executors' answers against my own check.")
            elif role is Role.REVISE and heard:
                if fenced:
                    parts.append(f"I read the {len(heard)} programs the others wrote.")
                else:
                    parts.append(f"Others answered {', '.join(heard)}.")
            elif role is Role.ANSWER and heard and heard[0]:
                if fenced:
                    parts.append("I read the program the coordinator committed to.")
                else:
                    parts.append(f"The coordinator committed to {heard[0]}.")
            if numbers and role is not Role.COMMITMENT:
                parts.append(f"The question involves {', '.join(numbers)}.")
            if truncated:
                ending = " ..."
            elif fenced:
                ending = f" The answer is:\n```python\n{answer}\n```"
            else:
                ending = f" The answer is \\boxed{{{answer}}}."
        head = " ".join(parts)
        missing = int(tokens * self.params.chars_per_token) - len(head) - len(ending)
        if missing > 0:
            reps = missing // len(FILLER) + 1
            head = f"{head} {(FILLER * reps)[:missing].rsplit(' ', 1)[0]}"
        return head + ending


def prompt_has_good_strategy(messages: Sequence[Mapping[str, str]]) -> bool:
    """Whether a prompt quotes a simulated strategy that names the correct method.

    The simulated backend recognises its own strategy text: a debate executor's prompt quotes
    the coordinator's strategy, and when that is :data:`STRATEGY_GOOD` the executor's answer
    gets ``strategy_bonus``. A real model's strategy carries no marker and gives no bonus.
    """
    return any(strategy_is_good(m.get("content", "")) for m in messages)


def strategy_is_good(text: str) -> bool | None:
    """Whether a simulated strategy text names the correct method.

    ``True`` for :data:`STRATEGY_GOOD`, ``False`` for :data:`STRATEGY_GENERIC`, ``None`` for any
    other text (a real model's strategy: the simulated executors then get no bonus).
    """
    if STRATEGY_GOOD in text:
        return True
    if STRATEGY_GENERIC in text:
        return False
    return None
