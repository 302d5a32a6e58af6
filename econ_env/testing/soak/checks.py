"""The soak's core checks (:data:`CORE`): observations against their spaces, the token ledger
(:class:`LedgerAudit`) and the infos' token totals against the ledger; and what every check
reports, a :data:`Problem`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces

CORE = "core"
INFO_CONTRACT = "info_contract"

Problem = tuple[str, str, str]
"""``(contract, check, detail)``: ``contract`` is :data:`CORE` or :data:`INFO_CONTRACT`."""

_REAL_TYPES = frozenset({int, float, np.int64, np.int32, np.float64, np.float32})


def _is_real_number(x: Any) -> bool:
    """An int or float (Python or numpy), not a bool."""
    if type(x) in _REAL_TYPES:
        return True
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(
        x, (bool, np.bool_)
    )


def _check_vector(box: spaces.Box, x: Any, what: str, out: list[Problem]) -> None:
    """``x`` is a float32 array of ``box``'s shape, finite and inside its bounds."""
    if not isinstance(x, np.ndarray):
        out.append((CORE, "obs_type", f"{what}: not a numpy array but {type(x).__name__}"))
        return
    if x.dtype != np.float32:
        out.append((CORE, "obs_dtype", f"{what}: dtype {x.dtype}, not float32"))
    if x.shape != box.shape:
        out.append((CORE, "obs_shape", f"{what}: shape {x.shape}, not {box.shape}"))
        return
    if x.dtype.kind not in "biuf":
        return
    if not np.isfinite(x).all():
        bad = np.flatnonzero(~np.isfinite(x)).tolist()
        out.append((CORE, "obs_finite", f"{what}: non-finite values at {bad}"))
        return
    below, above = x < box.low, x > box.high
    if below.any() or above.any():
        idx = np.flatnonzero(below | above).tolist()
        out.append(
            (CORE, "obs_bounds", f"{what}: values {x[idx].tolist()} at {idx} outside the box")
        )


def check_observation(space: spaces.Space, obs: Any, who: str = "obs") -> list[Problem]:
    """Problems of one observation against its space: a float32 finite vector in the box and,
    in a Dict space, an int8 0/1 action mask that allows at least one action."""
    out: list[Problem] = []
    if isinstance(space, spaces.Dict):
        if not isinstance(obs, Mapping) or set(obs) != set(space.spaces):
            keys = sorted(obs) if isinstance(obs, Mapping) else type(obs).__name__
            out.append((CORE, "obs_keys", f"{who}: {keys}, not {sorted(space.spaces)}"))
            return out
        _check_vector(space["observation"], obs["observation"], f"{who}['observation']", out)
        mask, mask_space = obs["action_mask"], space["action_mask"]
        if not isinstance(mask, np.ndarray) or mask.dtype != np.int8:
            kind = getattr(mask, "dtype", type(mask).__name__)
            out.append((CORE, "mask_dtype", f"{who}['action_mask']: {kind}, not int8"))
            return out
        if mask.shape != mask_space.shape:
            out.append(
                (CORE, "mask_shape", f"{who}['action_mask']: {mask.shape}, not {mask_space.shape}")
            )
            return out
        if ((mask != 0) & (mask != 1)).any():
            out.append((CORE, "mask_values", f"{who}['action_mask']: {mask.tolist()} not 0/1"))
        if not mask.any():
            out.append((CORE, "mask_all_zero", f"{who}['action_mask'] is all zero"))
        return out
    if isinstance(space, spaces.Box):
        _check_vector(space, obs, who, out)
        return out
    if not space.contains(obs):  # pragma: no cover - econ-env's spaces are Box or Dict
        out.append((CORE, "obs_space", f"{who}: {obs!r} not in {space}"))
    return out


class LedgerAudit:
    """Audits a token ledger incrementally (each entry once, the totals every call): remaining
    >= 0, billed + remaining = budget, billed <= generated in total, per agent and per
    generation (its own billed part plus the charges pointing at it), charges pointing at an
    earlier generation of the same agent, and the ledger's kept totals equal to its entries'.

    One audit follows one episode: a ledger that shrank or whose entries were replaced (a
    reset) starts the audit over.
    """

    def __init__(self) -> None:
        self._restart()

    def _restart(self) -> None:
        self._n = 0
        self._last: Any = None
        self._gen: list[int] = []  # generated tokens of every entry (0 for a charge)
        self._on: list[int] = []  # tokens billed against every generation (with its charges)
        self._billed = self._generated = 0
        self._agent_billed: dict[str, int] = {}
        self._agent_generated: dict[str, int] = {}

    def check(self, ledger: Any) -> list[Problem]:
        out: list[Problem] = []
        entries = ledger.entries
        if len(entries) < self._n or (self._n and entries[self._n - 1] is not self._last):
            self._restart()
        touched = set()
        gen, on = self._gen, self._on
        agent_billed, agent_generated = self._agent_billed, self._agent_generated
        for i in range(self._n, len(entries)):
            e = entries[i]
            g = e.prompt_tokens + e.completion_tokens
            if e.billed < 0 or e.prompt_tokens < 0 or e.completion_tokens < 0:
                out.append((CORE, "entry_negative", f"entry {i}: negative count {e!r}"))
            self._billed += e.billed
            self._generated += g
            agent_billed[e.agent] = agent_billed.get(e.agent, 0) + e.billed
            agent_generated[e.agent] = agent_generated.get(e.agent, 0) + g
            touched.add(e.agent)
            gen.append(g if e.ref is None else 0)
            on.append(0)
            if e.ref is None:
                target = i
            elif not (0 <= e.ref < i) or entries[e.ref].ref is not None or g:
                out.append(
                    (CORE, "entry_charge", f"entry {i}: charge {e!r} of no earlier generation")
                )
                continue
            elif entries[e.ref].agent != e.agent:
                out.append((CORE, "entry_charge", f"entry {i}: charges another agent's entry"))
                continue
            else:
                target = e.ref
            on[target] += e.billed
            if on[target] > gen[target]:
                t = entries[target]
                out.append(
                    (
                        CORE,
                        "billed_gt_generated",
                        f"entry {target} ({t.agent}, {getattr(t.role, 'value', t.role)}): "
                        f"billed {on[target]} (with its charges) > generated {gen[target]}",
                    )
                )
        if len(entries) > self._n:
            self._n, self._last = len(entries), entries[-1]
        for agent in sorted(touched):
            if agent_billed[agent] > agent_generated[agent]:
                out.append(
                    (
                        CORE,
                        "billed_gt_generated",
                        f"agent {agent}: billed {agent_billed[agent]} > generated "
                        f"{agent_generated[agent]}",
                    )
                )
        remaining, billed = ledger.remaining, ledger.billed_total
        generated = ledger.generated_total
        if remaining < 0:
            out.append((CORE, "budget_negative", f"ledger.remaining = {remaining} < 0"))
        if billed + remaining != ledger.budget:
            out.append(
                (CORE, "budget_sum", f"billed {billed} + remaining {remaining} != {ledger.budget}")
            )
        if billed > generated:
            out.append(
                (CORE, "billed_gt_generated", f"total billed {billed} > generated {generated}")
            )
        if (billed, generated) != (self._billed, self._generated):
            out.append(
                (
                    CORE,
                    "ledger_totals",
                    f"totals (billed {billed}, generated {generated}) != the entries' "
                    f"({self._billed}, {self._generated})",
                )
            )
        if (
            ledger.billed_by_agent() != agent_billed
            or ledger.generated_by_agent() != agent_generated
        ):
            out.append((CORE, "ledger_totals", "per-agent totals differ from the entries'"))
        return out


def check_ledger(ledger: Any) -> list[Problem]:
    """Problems of a token ledger (see :class:`LedgerAudit`), audited from scratch."""
    return LedgerAudit().check(ledger)


TOKEN_TOTALS: tuple[tuple[str, str], ...] = (
    ("billed_tokens", "billed_total"),
    ("generated_tokens", "generated_total"),
    ("remaining_budget", "remaining"),
)
"""``(info key, ledger attribute)`` pairs that must be equal after the reset and every step."""


def check_token_totals(infos: Mapping[str, Mapping[str, Any]], ledger: Any) -> list[Problem]:
    """Problems of the infos' token totals against the ledger."""
    out: list[Problem] = []
    want = [(key, getattr(ledger, attr)) for key, attr in TOKEN_TOTALS]
    for agent, info in infos.items():
        for key, value in want:
            got = info.get(key, "<missing>")
            if got != value or not _is_real_number(got):
                out.append(
                    (CORE, "info_totals", f"infos[{agent}][{key!r}] = {got!r}, ledger {value}")
                )
    return out
