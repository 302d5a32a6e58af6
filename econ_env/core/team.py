"""Heterogeneous agents: the ``team`` config field of auction_v0 and debate_v0.

A team gives each agent a profile (:class:`AgentProfile`):

- ``skill``: the agent's logit skill on the simulated backend (it replaces
  ``SimParams.skill_of(agent)`` for that agent's requests; the debate coordinator keeps
  ``coordinator_skill``);
- ``model``: a backend spec string (``"hf:smollm2"``, ``"openai:URL"``, ``"simulated:7"``) that
  answers that agent's requests (the env routes each request by its agent,
  :class:`econ_env.llm.routed.RoutedBackend`); agents without one use the config's backend;
- ``system_prompt``: text appended to that agent's system message as ``"\\n\\n" +
  system_prompt`` (auction drafts and revisions, debate executor answers; nowhere else).

A team is a preset name (:data:`TEAM_PRESETS`) or a sequence of ``n_agents`` mappings with those
optional keys (or :class:`AgentProfile` objects), so a config holding one stays JSON data.
:func:`normalise_team` validates it (``ValueError`` naming ``team``) and
:func:`resolve_team` turns it into one profile per agent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "TEAM_KEYS",
    "TEAM_PRESETS",
    "AgentProfile",
    "check_team",
    "normalise_team",
    "public_team",
    "resolve_team",
    "team_profiles",
]

EXPERT_SKILL = 2.5
"""Logit skill of the ``one_expert`` preset's expert and the top of ``spread``."""
NOVICE_SKILL = -1.0
"""Logit skill of the ``one_expert`` preset's novices and the bottom of ``spread``."""
UNIFORM_SKILL = 0.4
"""Logit skill of every agent of the ``uniform`` preset (the simulated default's mean)."""

TEAM_PRESETS: dict[str, str] = {
    "one_expert": (
        f"agent n-1 is an expert (skill {EXPERT_SKILL}), every other agent a novice "
        f"(skill {NOVICE_SKILL})"
    ),
    "uniform": f"every agent has skill {UNIFORM_SKILL}",
    "spread": (
        f"skills evenly spaced from {NOVICE_SKILL} (agent 0) to {EXPERT_SKILL} (agent n-1); "
        f"one agent: {EXPERT_SKILL}"
    ),
}
"""Team presets (name -> description); each is defined for any ``n_agents >= 1``."""

TEAM_KEYS = ("skill", "model", "system_prompt")
"""The keys a team entry may have."""


@dataclass(frozen=True)
class AgentProfile:
    """One agent's profile in a heterogeneous team (every field optional).

    Attributes:
        skill: logit skill on the simulated backend (finite), or ``None`` for the backend's own.
        model: backend spec string answering this agent's requests, or ``None`` for the
            config's backend.
        system_prompt: text appended to the agent's system message (``"\\n\\n" + text``), or
            ``None``.
    """

    skill: float | None = None
    model: str | None = None
    system_prompt: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The non-``None`` fields as a team entry (JSON data)."""
        out: dict[str, Any] = {}
        for key in TEAM_KEYS:
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def _preset(name: str, n: int) -> tuple[dict[str, Any], ...]:
    if name == "one_expert":
        return tuple({"skill": EXPERT_SKILL if i == n - 1 else NOVICE_SKILL} for i in range(n))
    if name == "uniform":
        return tuple({"skill": UNIFORM_SKILL} for _ in range(n))
    if n == 1:
        return ({"skill": EXPERT_SKILL},)
    step = (EXPERT_SKILL - NOVICE_SKILL) / (n - 1)
    return tuple({"skill": NOVICE_SKILL + step * i} for i in range(n))


def _entry(i: int, entry: Any) -> dict[str, Any]:
    """One team entry validated and normalised to a plain dict."""
    if isinstance(entry, AgentProfile):
        entry = entry.to_dict()
    if not isinstance(entry, Mapping):
        raise ValueError(
            f"team[{i}] must be a mapping with optional keys {list(TEAM_KEYS)} "
            f"(or an AgentProfile), got {entry!r}"
        )
    unknown = sorted(str(k) for k in entry if k not in TEAM_KEYS)
    if unknown:
        raise ValueError(f"team[{i}] has unknown key(s) {unknown}; allowed: {list(TEAM_KEYS)}")
    out: dict[str, Any] = {}
    skill = entry.get("skill")
    if skill is not None:
        ok = not isinstance(skill, bool) and hasattr(skill, "__float__")
        value = float(skill) if ok else math.nan
        if not math.isfinite(value) or isinstance(skill, str):
            raise ValueError(f"team[{i}].skill must be a finite float or None, got {skill!r}")
        out["skill"] = value
    for key in ("model", "system_prompt"):
        value = entry.get(key)
        if value is not None:
            if not isinstance(value, str) or not value.strip():
                raise ValueError(
                    f"team[{i}].{key} must be a non-empty string or None, got {value!r}"
                )
            out[key] = value
    return out


def normalise_team(team: Any, n_agents: int) -> str | tuple[dict[str, Any], ...] | None:
    """``team`` validated: ``None``, a preset name, or a tuple of ``n_agents`` plain dicts
    (numbers as floats, ``None`` values dropped, :class:`AgentProfile` entries as dicts).

    Raises:
        ValueError: naming ``team`` (and the entry) for an unknown preset, a value that is not a
            sequence of mappings, a wrong length, an unknown key, a non-finite skill or a model /
            system prompt that is not a non-empty string.
    """
    if team is None:
        return None
    if isinstance(team, str):
        if team not in TEAM_PRESETS:
            raise ValueError(f"team must be one of the presets {sorted(TEAM_PRESETS)} "
                             f"or a sequence of n_agents mappings, got {team!r}")  # fmt: skip
        return team
    if isinstance(team, Mapping) or not isinstance(team, Sequence):
        raise ValueError(
            f"team must be None, a preset name {sorted(TEAM_PRESETS)} or a list of n_agents "
            f"mappings with optional keys {list(TEAM_KEYS)}, got {team!r}"
        )
    if len(team) != n_agents:
        raise ValueError(
            f"team must have one entry per agent (n_agents={n_agents}), got {len(team)} entries"
        )
    return tuple(_entry(i, e) for i, e in enumerate(team))


def resolve_team(team: Any, n_agents: int) -> tuple[AgentProfile, ...] | None:
    """One :class:`AgentProfile` per agent for ``team`` (``None`` when ``team`` is ``None``).

    Raises ``ValueError`` naming ``team`` for an invalid value (see :func:`normalise_team`).
    """
    if isinstance(n_agents, bool) or not isinstance(n_agents, int) or n_agents < 1:
        raise ValueError(f"resolve_team: n_agents must be an int >= 1, got {n_agents!r}")
    norm = normalise_team(team, n_agents)
    if norm is None:
        return None
    entries = _preset(norm, n_agents) if isinstance(norm, str) else norm
    return tuple(AgentProfile(**e) for e in entries)


def public_team(team: Any) -> Any:
    """A (normalised) team as it appears in an env's public spec: JSON data without the
    ``model`` keys (which model plays an agent is not part of the rules, as the config's
    ``backend`` is not)."""
    if team is None or isinstance(team, str):
        return team
    return [{k: v for k, v in dict(e).items() if k != "model"} for e in team]


def check_team(config: Any, env_name: str) -> None:
    """Validate and normalise a frozen config's ``team`` field in place (its ``__post_init__``
    calls this after ``n_agents`` is checked); ``ValueError`` naming ``team`` otherwise."""
    try:
        norm = normalise_team(config.team, config.n_agents)
    except ValueError as err:
        raise ValueError(f"{env_name}: team={config.team!r} is invalid; {err}") from None
    object.__setattr__(config, "team", norm)


def team_profiles(config: Any) -> tuple[AgentProfile, ...] | None:
    """The profiles of a (validated) config's team, one per agent, or ``None``."""
    return resolve_team(config.team, config.n_agents)
