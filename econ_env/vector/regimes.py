"""Issue 14's regimes in the batched envs: heterogeneous teams and split facts, as tensors.

- Teams (config field ``team``, :func:`econ_env.core.team.resolve_team`): :func:`team_of`
  gives each agent's simulated skill (the profile's, else ``SimParams.skill_of``) and the
  characters its ``system_prompt`` adds to every one of its prompts (``"\\n\\n" + text``).
  Per-agent ``model`` entries need real backends: the batched env refuses them.
- Split facts (items with ``meta["facts"]``, :mod:`econ_env.tasks.split_facts`):
  :class:`FactTable` holds, per pool item, the number of facts, each agent's initial share as a
  bit mask (:func:`~econ_env.tasks.split_facts.share_indices`) and the characters the share
  adds to the agent's question (:func:`~econ_env.tasks.split_facts.share_question`), and the
  characters each fact adds to a list of known facts, so a game with ``carry_facts=True``
  counts the prompt of any known set (:meth:`FactTable.known_chars`, the length of
  :func:`~econ_env.tasks.split_facts.known_question`'s list).
  Known sets are int64 bit masks; :func:`popcount` counts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from econ_env.core.team import resolve_team
from econ_env.tasks.split_facts import item_facts, share_indices, share_question

__all__ = ["FactTable", "fact_table", "popcount", "spread", "team_of", "union"]

MAX_FACTS = 8
_HEAD = len("\n\nFacts you know:")  # then "\n- " + fact per known fact
_NONE = len("\n\nFacts you know: none.")


def team_of(
    cfg: Any, params: Any, env: str, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(skill (n,) float32, system_chars (n,) int64)`` of a config's team (``team=None``:
    the simulated backend's skills and no added characters)."""
    n = cfg.n_agents
    skill = [params.skill_of(i) for i in range(n)]
    extra = [0] * n
    team = getattr(cfg, "team", None)
    if team is not None:
        profiles = resolve_team(team, n)
        for i, prof in enumerate(profiles or ()):
            if prof.model is not None:
                raise ValueError(
                    f"econ_env.vector.{env}: team entry {i} sets model={prof.model!r}; the "
                    "batched env runs the simulated backend only (drop 'model' or use the text env)"
                )
            if prof.skill is not None:
                skill[i] = float(prof.skill)
            if prof.system_prompt is not None:
                extra[i] = 2 + len(prof.system_prompt)
    return (
        torch.tensor(skill, dtype=torch.float32, device=device),
        torch.tensor(extra, dtype=torch.int64, device=device),
    )


def popcount(x: torch.Tensor) -> torch.Tensor:
    """Set bits of non-negative int64 masks below ``1 << MAX_FACTS``."""
    out = torch.zeros_like(x)
    for j in range(MAX_FACTS):
        out = out + ((x >> j) & 1)
    return out


@dataclass(frozen=True)
class FactTable:
    """Per pool item: ``n_facts`` (M,), ``share`` (M, n) initial known masks, ``chars``
    (M, n) characters each agent's facts add to its question (all zero without facts) and
    ``fact_chars`` (M, MAX_FACTS) characters fact ``j`` adds to a list of known facts."""

    n_facts: torch.Tensor
    share: torch.Tensor
    chars: torch.Tensor
    fact_chars: torch.Tensor
    any: bool

    def known_chars(self, known: torch.Tensor, item: torch.Tensor) -> torch.Tensor:
        """Characters the facts list of known masks ``known`` (``(B, k)``) adds to item
        ``item[b]``'s question (``(B, k)``; 0 for an item without facts)."""
        fc = self.fact_chars.index_select(0, item)[:, None, :]  # (B, 1, MAX_FACTS)
        bits = (known[..., None] >> torch.arange(MAX_FACTS, device=known.device)) & 1
        listed = _HEAD + (bits * fc).sum(-1)
        nf = self.n_facts.index_select(0, item)[:, None]
        return torch.where(nf > 0, torch.where(known > 0, listed, _NONE), 0)

    def known_fraction(self, known: torch.Tensor, item: torch.Tensor) -> torch.Tensor:
        """Fraction of the item's facts in ``known`` (``(B, n)``; 1.0 without facts)."""
        nf = self.n_facts.index_select(0, item)[:, None]
        frac = popcount(known).to(torch.float32) / nf.clamp(min=1).to(torch.float32)
        return torch.where(nf > 0, frac, 1.0)


def fact_table(items: Any, n: int, device: torch.device) -> FactTable:
    """The :class:`FactTable` of a pool's items for ``n`` agents."""
    m = len(items)
    n_facts = np.zeros(m, np.int64)
    share = np.zeros((m, n), np.int64)
    chars = np.zeros((m, n), np.int64)
    fact_chars = np.zeros((m, MAX_FACTS), np.int64)
    for k, it in enumerate(items):
        facts = item_facts(it)
        if not facts:
            continue
        if len(facts) > MAX_FACTS:
            raise ValueError(f"item {it.id!r}: at most {MAX_FACTS} facts, got {len(facts)}")
        n_facts[k] = len(facts)
        for a in range(n):
            share[k, a] = sum(1 << j for j in share_indices(len(facts), a, n))
            chars[k, a] = len(share_question(it, a, n)) - len(it.question)
        fact_chars[k, : len(facts)] = [3 + len(f) for f in facts]

    def t(x: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(x, dtype=torch.int64, device=device)

    return FactTable(t(n_facts), t(share), t(chars), t(fact_chars), bool(n_facts.any()))


def spread(known: torch.Tensor, heard_from: torch.Tensor) -> torch.Tensor:
    """Known masks ``(B, n)`` after every listener ``l`` adds the known set of every speaker
    ``s`` with ``heard_from[b, l, s]`` (``(B, n, n)`` bool), as of before the broadcast."""
    out = known
    for s in range(known.shape[1]):
        out = out | torch.where(heard_from[:, :, s], known[:, s : s + 1], 0)
    return out


def union(known: torch.Tensor, members: torch.Tensor) -> torch.Tensor:
    """``(B, k)``: the union of the known masks ``(B, n)`` of each group's members
    (``members`` ``(k, n)`` bool)."""
    out = torch.zeros(known.shape[0], members.shape[0], dtype=known.dtype, device=known.device)
    for i in range(known.shape[1]):
        out = out | torch.where(members[None, :, i], known[:, i : i + 1], 0)
    return out
