"""The simulated backend's parameters (:class:`SimParams`) and its shipped presets.

Every effect of the simulated agents (see :mod:`econ_env.llm.simulated`) is a named field of
:class:`SimParams`. ``SimParams.from_preset(name)`` loads parameters fitted to a real model's
traces by ``econ-env calibrate`` from ``econ_env/llm/presets/NAME.json``; :func:`list_presets`
names them. ``SimParams.from_json(path)`` / ``to_json(path, metadata=...)`` read and write the
same format (``{"params": {...}, "metadata": {...}}``); an unknown field raises ``ValueError``
naming it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_SKILL", "SimParams", "list_presets"]

DEFAULT_SKILL: tuple[float, ...] = (0.8, 0.4, 0.0, 0.6, 0.2, 0.5, 0.3, 0.4)
"""Default per-agent skills (mean 0.4: ~60% correct at difficulty 0.5, T = 0.7); the tuple
repeats for games with more than 8 agents."""


def _finite(name: str, value: float, lo: float = -math.inf, hi: float = math.inf) -> None:
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ValueError(f"SimParams.{name} must be a finite number in [{lo}, {hi}], got {value!r}")


def _tier_pairs(
    name: str, value: Any, lo: float, key: str = "tier"
) -> tuple[tuple[str, float], ...]:
    pairs = tuple(value.items()) if isinstance(value, Mapping) else tuple(value)
    for pair in pairs:
        if len(pair) != 2 or not isinstance(pair[0], str) or not pair[0]:
            raise ValueError(f"SimParams.{name} entries must be ({key}, value) pairs, got {pair!r}")
        _finite(name, pair[1], lo, 1.0)
    return tuple((t, float(v)) for t, v in pairs)


def _tier_value(name: str, pairs: tuple[tuple[str, float], ...], tier: str) -> float:
    for t, v in pairs:
        if t == tier:
            return v
    raise ValueError(f"SimParams.{name} has no entry for tier {tier!r}: {pairs}")


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
        role_confidence_correlation: per-role rho, e.g. ``(("draft", 0.2), ("answer", 0.1))``
            (or a mapping), each in [-1, 1]; a role not named uses ``confidence_correlation``.
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
        fact_weight: logit penalty per unit of the item's facts the agent does not know
            (``split_facts`` tasks): a fresh draw's logit gets ``- fact_weight * (1 -
            facts_known)``; >= 0.
        tier_length: per message tier, a compression's length as a fraction of the compressed
            draft's completion tokens, in (0, 1] (``(tier, ratio)`` pairs or a mapping).
        tier_influence: per message tier, the factor (in [0, 1]) on the probability of
            adopting a heard plurality carried by messages of that tier (``full`` is 1.0).
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
    role_confidence_correlation: tuple[tuple[str, float], ...] = ()
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
    fact_weight: float = 6.0
    tier_length: tuple[tuple[str, float], ...] = (("summary", 0.35), ("keywords", 0.12))
    tier_influence: tuple[tuple[str, float], ...] = (("summary", 0.75), ("keywords", 0.5))

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
            "fact_weight",
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
        for name, lo in (("tier_length", 1e-9), ("tier_influence", 0.0)):
            object.__setattr__(self, name, _tier_pairs(name, getattr(self, name), lo))
        rhos = _tier_pairs(
            "role_confidence_correlation", self.role_confidence_correlation, -1.0, key="role"
        )
        object.__setattr__(self, "role_confidence_correlation", rhos)

    def rho_of(self, role: str) -> float:
        """The confidence correlation of completions of ``role`` (a :class:`Role` value):
        ``role_confidence_correlation``'s entry for it, else ``confidence_correlation``."""
        for r, v in self.role_confidence_correlation:
            if r == role:
                return v
        return self.confidence_correlation

    def tier_ratio(self, tier: str) -> float:
        """The length ratio of a compression to ``tier`` (``ValueError`` naming an unknown one)."""
        return _tier_value("tier_length", self.tier_length, tier)

    def tier_weight(self, tier: str) -> float:
        """The influence factor of a message of ``tier`` (``"full"``: 1.0)."""
        if tier == "full":
            return 1.0
        return _tier_value("tier_influence", self.tier_influence, tier)

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
        out["tier_length"] = dict(self.tier_length)
        out["tier_influence"] = dict(self.tier_influence)
        out["role_confidence_correlation"] = dict(self.role_confidence_correlation)
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
