"""The simulated backend: a seeded stochastic model of agents answering questions (no text model).

It is the default backend for RL: fast (a few µs per request), seeded, and it emits templated text
with a real ``\\boxed{...}`` answer, so answer extraction, transcripts and rendering work unchanged.
All token counts are the *simulated model's* counts (a lognormal length model and a
characters-per-token prompt model whose parameters are later fitted to real traces), not a real
tokenizer's count. It plays both games: the auction's bidders (roles ``draft`` / ``revise``) and
the debate's coordinator (``strategy`` / ``commitment``, ``agent_index = -1``) and executors
(``answer``).

Simulation hints read from ``GenRequest.hints`` (:class:`~econ_env.llm.base.SimHints`):

- ``item`` (:class:`~econ_env.tasks.base.TaskItem`): gold answer, ``kind``,
  ``meta["difficulty"]`` in [0, 1] (default 0.5), ``meta["choices"]`` for choice items (default
  4 options). Without an item (or without hints) the backend returns a short generic text with no
  boxed answer, with simulated token counts and confidence signals (latent ``z ~ N(0, 1)``).
- ``agent_index`` (default 0): ``i >= 0`` uses ``SimParams.skill_of(i)``; ``-1`` is the
  coordinator, whose skill is ``coordinator_skill`` (roles strategy / commitment always use it).
- ``role`` (a ledger ``Role``, default ``DRAFT``): ``DRAFT`` answers afresh; ``REVISE`` answers
  again after hearing broadcasts; ``STRATEGY`` writes a plan with no answer; ``COMMITMENT``
  commits to an answer from the heard ones; ``ANSWER`` is a debate executor (revise-like when it
  heard a commitment, else a draft); any other role answers like a draft.
  ``SimParams.role_length_mu`` gives a role (by its value, e.g. ``"revise"``) its own length.
- ``own_answer`` (str | None): the agent's previous answer (roles revise / answer).
- ``heard`` (tuple): canonical answers broadcast to the agent since its last answer (revise), the
  previous commitment (answer), the executors' answers (commitment); ``None`` or empty entries
  (truncated outputs) are ignored by answer / commitment.
- the strategy: the backend recognises its own strategy text. When a debate executor's prompt
  quotes :data:`STRATEGY_GOOD` (:func:`prompt_has_good_strategy`), the answer logit gets
  ``strategy_bonus``; a real model's strategy carries no marker and gives no bonus.

The model (every effect is a named field of :class:`SimParams`):

- correctness: ``p = sigmoid(skill - difficulty_weight*(difficulty - 0.5)
  - temperature_effect*max(0, T - t_ref) + strategy_bonus*[good strategy in the prompt])``.
- wrong answers are clustered so agents can agree on a wrong answer: each item has a small fixed
  set of distractors derived from its id (numeric: gold ± 1, ±10, ×10, ×2, /10 ...; choice: the
  other letters; latex: perturbed expressions; code: wrong-snippet markers), drawn with weights
  ``exp(-k * distractor_skew / T')`` for the k-th distractor, ``T' = T * top_p**top_p_focus``
  (``top_p_focus = 0``, the default, ignores top_p); higher T flattens them (more entropy), and
  T = 0 (greedy) always gives the modal distractor. The correctness draw itself stays stochastic
  at T = 0 (it models the agent's uncertainty about the item, not sampling).
- revise: with probability ``min(1, (influence + truth_bias*[plurality is correct]) * share)`` the
  agent adopts the plurality heard answer (``share`` = fraction of heard answers equal to it;
  answers are grouped by ``normalize_answer`` and judged by ``check_answer`` from
  :mod:`econ_env.tasks.answers`);
  otherwise with probability ``min(1, stickiness + truth_bias*[own answer is correct])`` it keeps
  its own answer; otherwise it answers afresh. ``truth_bias`` makes correct answers spread and
  persist more than wrong ones, which is what makes communication useful.
- answer (executor): with a heard commitment, as revise but the adoption probability is
  multiplied by ``follow_factor(T) = exp(-follow_temperature * max(0, T - t_ref))``: a
  conservative (low-T) belief follows the commitment, an exploratory (high-T) one diversifies.
  With nothing heard it is a draft (its own answer is ignored).
- strategy: with probability ``strategy_hint`` the plan names the correct method
  (:data:`STRATEGY_GOOD`), otherwise a generic one (:data:`STRATEGY_GENERIC`); it mentions the
  question's numbers and never contains a boxed answer. Its confidence latent uses
  ``s = +1`` for a good plan.
- commitment: with probability ``coordinator_fidelity`` the coordinator commits to the plurality
  of the heard answers (ties: the first heard); otherwise (and always when it heard nothing) it
  answers itself like a draft with ``coordinator_skill``. The short text ends in the boxed answer.
- lengths: ``completion_tokens = round(lognormal(mu, length_sigma))`` with ``mu`` =
  ``role_length_mu[role]`` or ``length_mu`` (minus ``repetition_shortening * (penalty - 1)``;
  0 by default), raised to ``min_tokens``; a draw above ``max_tokens`` is clipped, gets
  ``finish_reason="length"`` and a truncated text with no answer. Defaults: strategy ~40 tokens
  (13% truncated at the hard cap 70), commitment ~20 (3% over 50).
  ``prompt_tokens = ceil(total content chars / chars_per_token) + per_message_overhead * n_msgs``.
- confidence: ``z = rho*s + sqrt(1 - rho^2)*eps`` with ``s = +1`` if correct else -1,
  ``eps ~ N(0, 1)`` and ``rho = confidence_correlation``; with ``dT = T - t_ref`` and
  ``e = temperature_confidence``: ``mean_logprob = -softplus(logprob_offset - logprob_slope*z
  + e*dT)`` (< 0) and ``mean_entropy = softplus(entropy_offset - entropy_slope*z + e*dT)`` (> 0).

Presets: ``SimParams.from_preset("qwen2.5-coder-0.5b")`` (or ``SimulatedBackend(preset=...)``,
``make_backend("simulated", preset=...)``) loads parameters fitted to a real model's traces by
``econ-env calibrate`` from ``econ_env/llm/presets/NAME.json``; :func:`list_presets` names them.
``SimParams.from_json(path)`` / ``to_json(path, metadata=...)`` read and write the same format
(``{"params": {...}, "metadata": {...}}``); an unknown field raises ``ValueError`` naming it.

Randomness: a request with ``seed`` draws only from ``random.Random`` seeded by (backend seed,
request seed, a CRC-32 of the item id), so its completion does not depend on the rest of the
batch, and one seed on different questions gives unrelated samples (as with a real model: a
benchmark that replays seeds 0 and 1 on every item must not get the same luck on every item); a
request without a seed draws from the backend's own ``random.Random(seed)``. ``belief`` is
ignored. The global random state is never used.

Effect sizes (default parameters)
---------------------------------
Measured by ``OMP_NUM_THREADS=1 python benchmarks/simulated_effects.py --n 4000 --seed 0``
(16 numeric items of difficulty 0.5, executors 0..3, 4000 seeded requests per cell). ``acc``:
executor accuracy with nothing heard (``+hint``: ``strategy_good=True``); ``distinct/4``: mean
number of distinct answers among 4 executors, ``split``: rate of a non-unanimous round;
``follow_ok`` / ``follow_bad``: agreement with a correct / wrong (modal distractor) commitment,
own answer from an earlier draft. Temperatures at or below ``t_ref = 0.7`` carry no accuracy or
following penalty; lower ones only concentrate the wrong answers::

    ===  =====  ========  ==========  =====  =========  ==========
      T    acc  acc+hint  distinct/4  split  follow_ok  follow_bad
    ===  =====  ========  ==========  =====  =========  ==========
    0.1  0.606     0.719        1.83  0.825      0.920       0.737
    0.7  0.616     0.719        2.19  0.878      0.934       0.696
    1.3  0.469     0.593        2.56  0.944      0.735       0.476
    ===  =====  ========  ==========  =====  =========  ==========

Coordinator commitments (T = 0.7, ``max_tokens=50``) given 0..3 of 3 heard answers correct
(accuracy among untruncated commitments; expected ``0.8*[plurality correct] + 0.2*0.73``)::

    ========  ==========  =========
    heard ok  commit acc  truncated
    ========  ==========  =========
         0/3       0.147      0.029
         1/3       0.284      0.028
         2/3       0.948      0.028
         3/3       0.943      0.030
    ========  ==========  =========
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from econ_env.core.ledger import Role
from econ_env.llm.base import Completion, GenRequest, SimHints
from econ_env.tasks.answers import check_answer, normalize_answer

__all__ = [
    "DEFAULT_SKILL",
    "STRATEGY_GENERIC",
    "STRATEGY_GOOD",
    "SimParams",
    "SimulatedBackend",
    "list_presets",
    "prompt_has_good_strategy",
    "strategy_is_good",
]

_NO_HINTS = SimHints()

DEFAULT_SKILL: tuple[float, ...] = (0.8, 0.4, 0.0, 0.6, 0.2, 0.5, 0.3, 0.4)
"""Default per-agent skills (mean 0.4: ~60% correct at difficulty 0.5, T = 0.7); the tuple
repeats for games with more than 8 agents."""

_MASK64 = (1 << 64) - 1
_NUM_RE = re.compile(r"-?\d+(?:\.\d+)?")
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_FILLER = (
    "Working through the steps carefully, I combine the partial results and check each "
    "operation against the question before moving on. "
)
_OPENINGS = ("Let me work through this.", "Let me think step by step.", "Reading carefully.")
STRATEGY_GOOD = "Method: apply the operations the question states, in order."
"""Marker of a strategy that points at the correct method (see :func:`strategy_is_good`)."""
STRATEGY_GENERIC = "Method: estimate from the largest quantity, then adjust."
"""Marker of a generic strategy with no useful hint."""


def _finite(name: str, value: float, lo: float = -math.inf, hi: float = math.inf) -> None:
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ValueError(f"SimParams.{name} must be a finite number in [{lo}, {hi}], got {value!r}")


@dataclass(frozen=True)
class SimParams:
    """Parameters of the simulated agents (few, interpretable; fitted to real traces later).

    Attributes:
        skill: per-agent logit skill (tuple) or one float for every agent; finite.
        difficulty_weight: logit penalty per unit of item difficulty above 0.5; >= 0.
        temperature_effect: logit penalty per unit of temperature above ``t_ref``; >= 0.
        t_ref: temperature with no accuracy penalty; >= 0.
        distractor_skew: logit gap between successive distractors at T = 1; >= 0 (0 = uniform).
        n_distractors: wrong answers per non-choice item, in [1, 8].
        influence: base probability of adopting the plurality heard answer, in [0, 1].
        stickiness: probability of keeping one's own answer when not adopting, in [0, 1].
        truth_bias: bonus to adopting a correct plurality / keeping a correct own answer, [0, 1].
        length_mu: log-mean completion length (lognormal mu) for roles not in role_length_mu.
        role_length_mu: per-role log-mean lengths, e.g. ``(("revise", 4.5),)`` (or a mapping).
        length_sigma: lognormal sigma of completion lengths, in [0, 3].
        min_tokens: smallest completion length (before clipping at max_tokens); >= 0.
        chars_per_token: prompt characters per simulated token, in (0, 100].
        per_message_overhead: simulated tokens added per chat message; >= 0.
        confidence_correlation: rho, the correlation of the latent confidence with correctness.
        logprob_offset, logprob_slope: ``a``, ``b`` in ``mean_logprob = -softplus(a - b*z)``.
        entropy_offset, entropy_slope: ``c``, ``d`` in ``mean_entropy = softplus(c - d*z)``.
        temperature_confidence: shift of both signals per unit of ``T - t_ref``; >= 0.
        coordinator_skill: logit skill of the coordinator (``agent_index = -1``); finite.
        coordinator_fidelity: probability that a commitment takes the heard plurality, [0, 1].
        strategy_hint: probability that a strategy names the correct method, in [0, 1].
        strategy_bonus: logit bonus of an answer whose prompt has a good strategy; >= 0.
        follow_temperature: decay of an executor's commitment-following per unit of
            ``T - t_ref`` above 0; >= 0.
        top_p_focus: exponent sharpening distractors by ``T' = T * top_p**top_p_focus``; >= 0
            (0 = top_p ignored).
        repetition_shortening: log-length reduction per unit of ``repetition_penalty - 1``;
            >= 0 (0 = ignored).
    """

    skill: float | tuple[float, ...] = DEFAULT_SKILL
    difficulty_weight: float = 4.0
    temperature_effect: float = 1.0
    t_ref: float = 0.7
    distractor_skew: float = 0.7
    n_distractors: int = 4
    influence: float = 0.6
    stickiness: float = 0.6
    truth_bias: float = 0.2
    length_mu: float = 5.0
    role_length_mu: tuple[tuple[str, float], ...] = (
        ("revise", 4.5),
        ("strategy", math.log(40.0)),
        ("commitment", math.log(20.0)),
    )
    length_sigma: float = 0.5
    min_tokens: int = 8
    chars_per_token: float = 4.0
    per_message_overhead: int = 4
    confidence_correlation: float = 0.5
    logprob_offset: float = -0.8
    logprob_slope: float = 0.5
    entropy_offset: float = -0.3
    entropy_slope: float = 0.5
    temperature_confidence: float = 1.0
    coordinator_skill: float = 1.0
    coordinator_fidelity: float = 0.8
    strategy_hint: float = 0.6
    strategy_bonus: float = 0.5
    follow_temperature: float = 1.0
    top_p_focus: float = 0.0
    repetition_shortening: float = 0.0

    def __post_init__(self) -> None:
        skill = self.skill
        if isinstance(skill, (int, float)) and not isinstance(skill, bool):
            _finite("skill", float(skill))
        else:
            skill = tuple(float(s) for s in skill)
            if not skill:
                raise ValueError("SimParams.skill must be a float or a non-empty tuple of floats")
            for s in skill:
                _finite("skill", s)
            object.__setattr__(self, "skill", skill)
        for name in ("difficulty_weight", "temperature_effect", "t_ref", "distractor_skew"):
            _finite(name, getattr(self, name), 0.0)
        for name in (
            "influence",
            "stickiness",
            "truth_bias",
            "coordinator_fidelity",
            "strategy_hint",
        ):
            _finite(name, getattr(self, name), 0.0, 1.0)
        _finite("confidence_correlation", self.confidence_correlation, -1.0, 1.0)
        _finite("length_mu", self.length_mu, 0.0, 12.0)
        _finite("length_sigma", self.length_sigma, 0.0, 3.0)
        _finite("chars_per_token", self.chars_per_token, 1e-9, 100.0)
        for name in (
            "temperature_confidence",
            "strategy_bonus",
            "follow_temperature",
            "top_p_focus",
            "repetition_shortening",
        ):
            _finite(name, getattr(self, name), 0.0)
        _finite("coordinator_skill", self.coordinator_skill)
        for name in ("logprob_offset", "logprob_slope", "entropy_offset", "entropy_slope"):
            _finite(name, getattr(self, name))
        for name, lo, hi in (
            ("n_distractors", 1, 8),
            ("min_tokens", 0, 1 << 20),
            ("per_message_overhead", 0, 1 << 20),
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise ValueError(f"SimParams.{name} must be an int in [{lo}, {hi}], got {v!r}")
        roles = self.role_length_mu
        pairs = tuple(roles.items()) if isinstance(roles, Mapping) else tuple(roles)
        for pair in pairs:
            if len(pair) != 2 or not isinstance(pair[0], str) or not pair[0]:
                raise ValueError(
                    f"SimParams.role_length_mu entries must be (role, mu) pairs, got {pair!r}"
                )
            _finite("role_length_mu", pair[1], 0.0, 12.0)
        object.__setattr__(self, "role_length_mu", tuple((r, float(m)) for r, m in pairs))

    def skill_of(self, agent_index: int) -> float:
        """Skill of one agent (``ValueError`` naming the index when the tuple is too short).

        ``-1`` is the coordinator (``coordinator_skill``). The default tuple,
        :data:`DEFAULT_SKILL`, repeats for games with more than 8 agents.
        """
        if agent_index == -1:
            return self.coordinator_skill
        if self.skill == DEFAULT_SKILL and agent_index >= 0:
            return DEFAULT_SKILL[agent_index % len(DEFAULT_SKILL)]
        if isinstance(self.skill, tuple):
            if not 0 <= agent_index < len(self.skill):
                raise ValueError(
                    f"agent_index {agent_index} is out of range for SimParams.skill "
                    f"(a tuple of length {len(self.skill)})"
                )
            return self.skill[agent_index]
        return float(self.skill)

    # ------------------------------------------------------------------ presets and JSON
    def to_dict(self) -> dict[str, Any]:
        """The fields as JSON-ready values (tuples as lists, ``role_length_mu`` as a dict)."""
        out = asdict(self)
        out["skill"] = list(self.skill) if isinstance(self.skill, tuple) else self.skill
        out["role_length_mu"] = dict(self.role_length_mu)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: SimParams | None = None) -> SimParams:
        """Parameters from ``data`` (missing fields from ``base``, default ``SimParams()``);
        an unknown field raises ``ValueError`` naming it."""
        if not isinstance(data, Mapping):
            raise ValueError(f"SimParams data must be a mapping, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown SimParams field(s) {unknown}; known: {sorted(known)}")
        values = dict(data)
        if isinstance(values.get("skill"), list):
            values["skill"] = tuple(values["skill"])
        return replace(base if base is not None else cls(), **values)

    @classmethod
    def from_json(cls, path: str | Path) -> SimParams:
        """Load ``{"params": {...}, "metadata": {...}}`` (or a bare params mapping) from a file."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise ValueError(f"cannot read SimParams from {str(path)!r}: {err}") from None
        params = data.get("params", data) if isinstance(data, dict) else data
        return cls.from_dict(params)

    def to_json(self, path: str | Path, metadata: Mapping[str, Any] | None = None) -> None:
        """Write ``{"params": ..., "metadata": ...}`` (the :meth:`from_json` format)."""
        doc = {"params": self.to_dict(), "metadata": dict(metadata or {})}
        Path(path).write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n", encoding="utf-8")

    @classmethod
    def from_preset(cls, name: str) -> SimParams:
        """A shipped preset by name (``ValueError`` listing the presets when unknown)."""
        if name not in list_presets():
            raise ValueError(f"unknown simulator preset {name!r}; shipped: {list_presets()}")
        with resources.as_file(resources.files("econ_env.llm") / "presets" / f"{name}.json") as f:
            return cls.from_json(f)


def list_presets() -> list[str]:
    """Names of the shipped simulator presets (``econ_env/llm/presets/*.json``), sorted."""
    folder = resources.files("econ_env.llm") / "presets"
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))


def _softplus(x: float) -> float:
    return x if x > 30.0 else math.log1p(math.exp(x))


def _fmt_number(x: float, like: str) -> str:
    if "." not in like and float(x).is_integer():
        return str(int(x))
    decimals = max(len(like.split(".")[1]) if "." in like else 1, 1)
    return f"{x:.{decimals}f}"


def _candidates(gold: str, kind: str, n_choices: int) -> list[str]:
    """Plausible wrong answers for ``gold``, none equal to it (numeric ones compared by value)."""
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
        return [f"# wrong snippet {k}" for k in range(1, 9)]
    return [c for c in cands if not _same(c, gold, kind)]


@lru_cache(maxsize=65536)
def _distractors(item_id: str, gold: str, kind: str, n_choices: int) -> tuple[str, ...]:
    """Per-item distractors in a fixed order derived from the item id only."""
    cands = list(dict.fromkeys(_candidates(gold, kind, n_choices)))
    random.Random(zlib.crc32(item_id.encode())).shuffle(cands)
    return tuple(cands)


@lru_cache(maxsize=65536)
def _item_key(item_id: str) -> int:
    """A stable 32-bit key of an item id (mixed into seeded requests' random streams)."""
    return zlib.crc32(item_id.encode())


@lru_cache(maxsize=65536)
def _question_numbers(question: str) -> tuple[str, ...]:
    """The first three numbers mentioned in a question (for the templated reasoning)."""
    return tuple(_NUM_RE.findall(question)[:3])


@lru_cache(maxsize=65536)
def _same(answer: str, gold: str, kind: str) -> bool:
    """Whether ``answer`` matches ``gold`` (``check_answer``, cached: revise calls are hot)."""
    return check_answer(answer, gold, kind)


@lru_cache(maxsize=65536)
def _key(answer: str, kind: str) -> str:
    """Canonical key used to group heard answers (``normalize_answer``, else stripped text)."""
    key = normalize_answer(answer, kind)
    return key if key is not None else answer.strip()


def _plurality(heard: Sequence[str], kind: str) -> tuple[str, float]:
    """The most common heard answer (first heard wins ties) and its share of ``heard``."""
    groups: dict[str, list[str]] = {}
    for h in heard:
        groups.setdefault(_key(h, kind), []).append(h)
    best = max(groups.values(), key=len)
    return best[0], len(best) / len(heard)


class SimulatedBackend:
    """Seeded stochastic agents answering task items (see the module docstring for the model).

    Args:
        params: the model's parameters (default :class:`SimParams`()).
        seed: seed of the backend's own generator and part of every per-request seed.
        preset: name of a shipped fitted preset (:func:`list_presets`) used instead of
            ``params`` (give one or the other).
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
            rho = p.confidence_correlation
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

    def _answer(
        self, item: Any, hints: SimHints, req: GenRequest, rng: random.Random
    ) -> tuple[str, bool]:
        """Draw (answer, is_correct) for one agent on one item."""
        p = self.params
        gold, kind = item.gold, item.kind
        temp = req.temperature
        role = hints.role
        if role is Role.REVISE or role is Role.ANSWER:
            heard = hints.heard
            if role is Role.ANSWER:
                heard = tuple(h for h in heard if h)
            if heard:
                plural, share = _plurality(heard, kind)
                plural_ok = _same(plural, gold, kind)
                adopt = (p.influence + p.truth_bias * plural_ok) * share
                if role is Role.ANSWER and temp > p.t_ref:
                    adopt *= math.exp(-p.follow_temperature * (temp - p.t_ref))
                if rng.random() < adopt:
                    return plural, plural_ok
            own = hints.own_answer
            if own is not None and (heard or role is Role.REVISE):
                own_ok = _same(own, gold, kind)
                if rng.random() < p.stickiness + p.truth_bias * own_ok:
                    return own, own_ok
        elif role is Role.COMMITMENT:
            heard = tuple(h for h in hints.heard if h)
            if heard and rng.random() < p.coordinator_fidelity:
                plural = _plurality(heard, kind)[0]
                return plural, _same(plural, gold, kind)
        difficulty = float(item.meta.get("difficulty", 0.5))
        if not 0.0 <= difficulty <= 1.0:
            raise ValueError(
                f"item {item.id!r}: meta['difficulty'] must be in [0, 1], got {difficulty}"
            )
        agent = -1 if role is Role.COMMITMENT else hints.agent_index
        logit = (
            p.skill_of(agent)
            - p.difficulty_weight * (difficulty - 0.5)
            - p.temperature_effect * max(0.0, temp - p.t_ref)
        )
        if role is Role.ANSWER and prompt_has_good_strategy(req.messages):
            logit += p.strategy_bonus
        p_correct = 1.0 / (1.0 + math.exp(-logit)) if logit > -700 else 0.0
        if rng.random() < p_correct:
            return gold, True
        if p.top_p_focus and req.top_p < 1.0:
            temp *= req.top_p**p.top_p_focus
        return self._distractor(item, temp, rng), False

    def _distractor(self, item: Any, temp: float, rng: random.Random) -> str:
        choices = item.meta.get("choices")
        n_choices = len(choices) if choices else 4
        distractors = _distractors(item.id, item.gold, item.kind, n_choices)
        if item.kind != "choice":
            distractors = distractors[: self.params.n_distractors]
        if not distractors:
            return f"not {item.gold}"
        if temp <= 0.0 or len(distractors) == 1:
            return distractors[0]
        ratio = math.exp(-min(self.params.distractor_skew / temp, 700.0))
        total = (
            (1.0 - ratio ** len(distractors)) / (1.0 - ratio) if ratio < 1.0 else len(distractors)
        )
        u = rng.random() * total
        w = 1.0
        for d in distractors:
            if u < w:
                return d
            u -= w
            w *= ratio
        return distractors[-1]

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
        if role is Role.STRATEGY:
            parts = ["Plan:"]
            if numbers:
                parts.append(f"identify the quantities {', '.join(numbers)}.")
            parts.append(STRATEGY_GOOD if correct else STRATEGY_GENERIC)
            ending = " ..." if truncated else " Check the result before answering."
        else:
            parts = [_OPENINGS[hints.agent_index % len(_OPENINGS)]]
            if role is Role.COMMITMENT:
                if heard:
                    parts.append("I weighed the executors' answers against my own check.")
            elif role is Role.REVISE and heard:
                parts.append(f"Others answered {', '.join(heard)}.")
            elif role is Role.ANSWER and heard and heard[0]:
                parts.append(f"The coordinator committed to {heard[0]}.")
            if numbers and role is not Role.COMMITMENT:
                parts.append(f"The question involves {', '.join(numbers)}.")
            ending = " ..." if truncated else f" The answer is \\boxed{{{answer}}}."
        head = " ".join(parts)
        missing = int(tokens * self.params.chars_per_token) - len(head) - len(ending)
        if missing > 0:
            reps = missing // len(_FILLER) + 1
            head = f"{head} {(_FILLER * reps)[:missing].rsplit(' ', 1)[0]}"
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
