"""The soak's info contract (:data:`INFO_CONTRACT`): every ``infos[agent]`` value numeric, the
same keys at every step, the action mask and the per-agent totals and game state agreeing with
the observation, the ledger and the game. Kept apart from the core checks so it can follow the
infos' design."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from econ_env.testing.soak.checks import INFO_CONTRACT, Problem

_NUMERIC_TYPES = frozenset(
    {bool, int, float, np.bool_, np.int8, np.int16, np.int32, np.int64, np.float32, np.float64}
)


def _is_numeric_value(v: Any) -> bool:
    t = type(v)
    if t in _NUMERIC_TYPES:
        return True
    if t is np.ndarray:
        return v.dtype.kind in "biuf"
    return isinstance(v, (int, float, np.number, np.bool_))


InfoReference = dict[str, tuple[frozenset[str], dict[str, tuple[int, ...]]]]
"""agent -> (the key set of its first infos, the shape of every array among them)."""


def check_info_contract(
    infos: Mapping[str, Mapping[str, Any]],
    observations: Mapping[str, Any],
    reference: InfoReference,
    *,
    discrete: bool,
    ledger: Any = None,
    game_over: bool | None = None,
) -> list[Problem]:
    """Problems of the infos against the info contract (adjust here when its design changes).

    - every value numeric: int, float, bool, a numpy number or a numeric numpy array (no str,
      None, dict, tuple or list);
    - the same key set at reset and at every step of the episode, arrays keeping their shape:
      ``reference`` is filled from the first infos seen of each agent (pass a new empty dict
      at every reset);
    - with a discrete action space, ``infos[agent]["action_mask"]`` equal to the observation's
      action mask (where the observation is given);
    - where present: ``agent_billed_tokens`` / ``agent_generated_tokens`` equal to the
      ledger's per-agent totals (when ``ledger`` is given), and ``game_over`` / ``stop_code``
      agreeing with ``game_over`` (when given).
    """
    out: list[Problem] = []
    by_agent = (ledger.billed_by_agent(), ledger.generated_by_agent()) if ledger else None
    for agent, info in infos.items():
        bad: dict[str, str] = {}
        shapes: dict[str, tuple[int, ...]] = {}
        for k, v in info.items():  # one pass: this runs for every agent at every step
            t = type(v)
            if t in _NUMERIC_TYPES:
                continue
            if t is np.ndarray:
                shapes[k] = v.shape
                if v.dtype.kind in "biuf":
                    continue
            elif _is_numeric_value(v):
                continue
            bad[k] = t.__name__
        if bad:
            out.append((INFO_CONTRACT, "info_numeric", f"infos[{agent}] non-numeric: {bad}"))
        ref = reference.get(agent)
        if ref is None:
            reference[agent] = (frozenset(info), shapes)
        else:
            if info.keys() != ref[0]:
                keys = frozenset(info)
                gained, lost = sorted(keys - ref[0]), sorted(ref[0] - keys)
                out.append(
                    (
                        INFO_CONTRACT,
                        "info_keys",
                        f"infos[{agent}] keys changed since reset: +{gained} -{lost}",
                    )
                )
            if shapes != ref[1]:
                out.append(
                    (INFO_CONTRACT, "info_shape", f"infos[{agent}] shapes {shapes} != {ref[1]}")
                )
        if discrete:
            obs = observations.get(agent)
            if isinstance(obs, Mapping) and "action_mask" in obs:
                mask = info.get("action_mask")
                if mask is None:
                    out.append((INFO_CONTRACT, "info_mask", f"infos[{agent}] has no 'action_mask'"))
                elif not np.array_equal(np.asarray(mask), obs["action_mask"]):
                    out.append(
                        (
                            INFO_CONTRACT,
                            "info_mask",
                            f"infos[{agent}]['action_mask'] = {np.asarray(mask).tolist()} "
                            f"!= the observation's {obs['action_mask'].tolist()}",
                        )
                    )
        if by_agent is not None:
            for key, totals in zip(("agent_billed_tokens", "agent_generated_tokens"), by_agent,
                                   strict=True):  # fmt: skip
                if key in info and info[key] != totals.get(agent, 0):
                    out.append(
                        (
                            INFO_CONTRACT,
                            "info_agent_totals",
                            f"infos[{agent}][{key!r}] = {info[key]!r}, ledger "
                            f"{totals.get(agent, 0)}",
                        )
                    )
        if game_over is not None:
            if "game_over" in info and bool(info["game_over"]) != game_over:
                out.append(
                    (
                        INFO_CONTRACT,
                        "info_game_over",
                        f"infos[{agent}]['game_over'] = {info['game_over']!r}, the game is "
                        f"{'over' if game_over else 'running'}",
                    )
                )
            if "stop_code" in info and (info["stop_code"] != 0) != game_over:
                out.append(
                    (
                        INFO_CONTRACT,
                        "info_game_over",
                        f"infos[{agent}]['stop_code'] = {info['stop_code']!r}, the game is "
                        f"{'over' if game_over else 'running'}",
                    )
                )
    return out
