"""What the leaderboard shows about a submission's model, read from its ``metadata.json``.

:func:`read_metadata` parses the file (size-capped, bounded strict JSON, never through a symbolic
link) and :func:`model_info` turns it into a :class:`ModelInfo`: the **track** (``simulated`` when
the backend is the simulated model, ``real-model`` for any other backend), the backend name,
model id, revision, weights digest, the simulator's preset and seed when the run names them, a
short decoding summary (token caps per env; the belief ranges for debate envs), and whether the
metadata carries an ``evaluation`` block (written by ``econ-env bench evaluate``) and a
generation log. Everything comes from a stranger: strings are shortened and made display-safe
here, HTML-escaped by the page, and a field of the wrong type is shown as missing, never trusted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from econ_env.bench.limits import MAX_METADATA_BYTES
from econ_env.bench.safe_io import MissingFile, read_capped
from econ_env.bench.safe_json import loads_bounded
from econ_env.bench.safe_text import display_safe

__all__ = [
    "TRACKS",
    "ModelInfo",
    "decoding_summary",
    "model_info",
    "read_metadata",
    "simulator_summary",
]

TRACKS = ("simulated", "real-model")
"""The leaderboard's tracks, in page order."""
SIMULATED_BACKEND = "simulated"
_MAX_ENVS = 6  # envs summarised in the decoding column; the rest are counted
_CAPS = (  # metadata key -> label, in display order
    ("max_draft_tokens", "draft"),
    ("max_answer_tokens", "answer"),
    ("strategy_cap", "strategy"),
    ("commitment_cap", "commitment"),
)


@dataclass(frozen=True)
class ModelInfo:
    """A submission's track and model as shown on the page (all strings display-safe).

    ``conflict`` is set when the metadata's own ``track`` disagrees with its backend.
    """

    track: str
    backend: str = ""
    model_id: str = ""
    revision: str = ""
    weights_digest: str = ""
    simulator: str = ""
    decoding: str = ""
    evaluation: bool = False
    generation_log: str = ""
    conflict: str = ""

    def __post_init__(self) -> None:
        if self.track not in TRACKS:
            raise ValueError(f"track must be one of {TRACKS}, got {self.track!r}")


def _short(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _str(v: Any, n: int = 128) -> str:
    return display_safe(_short(v, n)) if isinstance(v, str) else ""


def _number(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return "?"
    return f"{v:g}"


def read_json_object(path: Path, name: str, limit: int) -> dict[str, Any]:
    """Parse the submission file ``path / name`` (size-capped at ``limit``, bounded strict JSON,
    never through a symbolic link) as a JSON object; ``ValueError`` with the reason."""
    try:
        raw = read_capped(path / name, limit)
    except MissingFile:
        raise ValueError(f"{name} is missing") from None
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    try:
        data = loads_bounded(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{name} must hold a JSON object")
    return data


def read_metadata(path: Path) -> dict[str, Any]:
    """Parse a submission's ``metadata.json`` (``ValueError`` with the reason)."""
    return read_json_object(path, "metadata.json", MAX_METADATA_BYTES)


def _env_decoding(name: str, cfg: Mapping[str, Any]) -> str:
    parts = [f"{label}≤{_number(cfg[key])}" for key, label in _CAPS if key in cfg]
    beliefs = cfg.get("beliefs")
    if "debate" in name and isinstance(beliefs, Mapping):
        if "t_min" in beliefs or "t_max" in beliefs:
            t = f"T {_number(beliefs.get('t_min'))}–{_number(beliefs.get('t_max'))}"
            parts.append(t)
        if "top_p_min" in beliefs or "top_p_max" in beliefs:
            p = f"top-p {_number(beliefs.get('top_p_min'))}–{_number(beliefs.get('top_p_max'))}"
            parts.append(p)
        if "rep_max" in beliefs:
            parts.append(f"rep≤{_number(beliefs.get('rep_max'))}")
    return f"{_str(name, 40)}: {', '.join(parts) or 'defaults'}"


def decoding_summary(decoding: Any) -> str:
    """A short text for ``metadata["decoding"]`` (``{env: {caps..., beliefs, ...}}``)."""
    if not isinstance(decoding, Mapping) or not decoding:
        return ""
    envs = [(k, v) for k, v in decoding.items() if isinstance(v, Mapping)]
    shown = [_env_decoding(str(k), v) for k, v in sorted(envs, key=lambda kv: str(kv[0]))]
    extra = len(shown) - _MAX_ENVS
    text = "; ".join(shown[:_MAX_ENVS]) + (f"; +{extra} more" if extra > 0 else "")
    return display_safe(_short(text, 300))


def simulator_summary(decoding: Any) -> str:
    """The simulated backend's preset and seed when the run's backend arguments name them."""
    if not isinstance(decoding, Mapping):
        return ""
    found: dict[str, str] = {}
    for _, cfg in sorted(decoding.items(), key=lambda kv: str(kv[0]))[: _MAX_ENVS * 4]:
        kwargs = cfg.get("backend_kwargs") if isinstance(cfg, Mapping) else None
        if not isinstance(kwargs, Mapping):
            continue
        if "preset" not in found and _str(kwargs.get("preset"), 64):
            found["preset"] = f"preset {_str(kwargs.get('preset'), 64)}"
        seed = kwargs.get("seed")
        if "seed" not in found and isinstance(seed, int) and not isinstance(seed, bool):
            found["seed"] = f"seed {seed}"
    return ", ".join(found[k] for k in ("preset", "seed") if k in found)


def _digest(v: Any) -> str:
    text = _str(v, 200)
    text = text.split(":", 1)[1] if text.startswith("sha256:") else text
    return text[:12]


def model_info(meta: Mapping[str, Any]) -> ModelInfo:
    """The :class:`ModelInfo` of a parsed ``metadata.json`` (``ValueError`` without a backend
    name: such a submission cannot be placed in a track)."""
    backend = meta.get("backend")
    if not isinstance(backend, Mapping) or not isinstance(backend.get("name"), str):
        raise ValueError("metadata.json: backend.name is missing, so the track is unknown")
    name = backend["name"]
    if not name:
        raise ValueError("metadata.json: backend.name is empty, so the track is unknown")
    track = "simulated" if name == SIMULATED_BACKEND else "real-model"
    declared = meta.get("track")
    conflict = ""
    if declared is not None and declared != track:
        conflict = (
            f"metadata.json: track {_str(repr(declared), 64)} but backend {_str(name, 64)!r} "
            f"(the simulated track is the {SIMULATED_BACKEND!r} backend, real-model any other)"
        )
    decoding = meta.get("decoding")
    return ModelInfo(
        track=track,
        backend=_str(name),
        model_id=_str(backend.get("model_id")),
        revision=_str(backend.get("revision"), 64),
        weights_digest=_digest(backend.get("weights_digest")),
        simulator=simulator_summary(decoding) if track == "simulated" else "",
        decoding=decoding_summary(decoding),
        evaluation=isinstance(meta.get("evaluation"), Mapping),
        generation_log=_str(meta.get("generation_log"), 64),
        conflict=conflict,
    )
