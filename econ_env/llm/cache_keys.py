"""What the generation cache keys on: backend identities, canonical requests and their keys.

A cached completion is stored under the SHA-256 of its *canonical request*
(:func:`canonical_request`): the inner backend's identity, the messages, ``max_tokens``,
``temperature``, ``top_p``, ``repetition_penalty``, ``seed`` and ``belief``.
``GenRequest.hints`` (simulation hints) never enter the key. Numbers are canonical:
``temperature=1`` and ``temperature=1.0`` are the same request, ``-0.0`` is ``0.0``, and a
non-finite number is refused.

The **identity** of a backend is its ``identity`` dict (:func:`backend_identity`; a backend
without one is keyed by ``{"name": backend.name}``). It must hold everything that changes the
backend's outputs, so that a replay never serves another model's completions:

- ``simulated``: its seed and a digest of all its :class:`~econ_env.llm.simulated.SimParams`
  (a preset is its parameters);
- ``hf``: the model name, the SHA-256 of its weights, the dtype, the stop strings and the
  soft-prompt projection (not the device: the same weights and dtype on CPU or CUDA are the same
  model, whose last bits may differ; record and replay on one device for bit-for-bit runs);
- ``openai``: the model id, the ``revision`` label, and the settings that change what is
  returned (log-probabilities on/off, ``top_logprobs``, the repetition-penalty field) when they
  differ from their defaults; the server's URL is *not* part of it (see
  :mod:`econ_env.llm.openai_backend`).

A spec string is resolved to an identity in replay mode without building the backend through
:func:`spec_key`: the spec *and its keyword arguments* (``cache:simulated`` with ``seed=7`` is
not ``cache:simulated``).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from econ_env.llm.base import Backend, GenRequest

__all__ = [
    "KEY_VERSION",
    "backend_identity",
    "canonical_request",
    "describe_request",
    "identity_text",
    "model_label",
    "request_key",
    "spec_key",
]

KEY_VERSION = 1
"""Version of the canonical request layout (part of every key)."""


def backend_identity(backend: Backend) -> dict[str, Any]:
    """The backend's ``identity`` dict when it has one, else ``{"name": backend.name}``."""
    ident = getattr(backend, "identity", None)
    if ident is None:
        return {"name": str(backend.name)}
    if not isinstance(ident, Mapping):
        raise ValueError(f"backend {backend.name!r}: identity must be a dict, got {ident!r}")
    return dict(ident)


def identity_text(identity: Mapping[str, Any]) -> str:
    """The identity as canonical JSON (sorted keys, no spaces), as it appears in messages."""
    return json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _num(name: str, x: Any) -> float:
    v = float(x)
    if not math.isfinite(v):
        raise ValueError(f"GenRequest.{name} must be finite to be cached, got {x!r}")
    return v + 0.0  # -0.0 -> 0.0


def canonical_request(identity: Mapping[str, Any], req: GenRequest) -> str:
    """The canonical JSON text hashed into the key (``hints`` are never part of it)."""
    body = {
        "v": KEY_VERSION,
        "identity": identity,
        "messages": [{str(k): str(v) for k, v in m.items()} for m in req.messages],
        "max_tokens": int(req.max_tokens),
        "temperature": _num("temperature", req.temperature),
        "top_p": _num("top_p", req.top_p),
        "repetition_penalty": _num("repetition_penalty", req.repetition_penalty),
        "seed": None if req.seed is None else int(req.seed),
        "belief": None if req.belief is None else [_num("belief", b) for b in req.belief],
    }
    try:
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as err:
        raise ValueError(f"identity {identity!r} must be JSON-serialisable: {err}") from None


def request_key(identity: Mapping[str, Any], req: GenRequest) -> str:
    """SHA-256 (hex) of :func:`canonical_request`."""
    return hashlib.sha256(canonical_request(identity, req).encode("utf-8")).hexdigest()


def spec_key(spec: str, kwargs: Mapping[str, Any]) -> str | None:
    """The text a spec string and its keyword arguments are remembered under (canonical JSON),
    or ``None`` when an argument is not JSON data (then the backend is always built)."""
    try:
        return json.dumps(
            [spec, dict(kwargs)],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
            allow_nan=False,
        )
    except (TypeError, ValueError):
        return None


def model_label(identity: Mapping[str, Any]) -> str:
    """The short name rows are grouped under in statistics (``model@revision``)."""
    label = identity.get("model") or identity.get("name") or identity.get("backend") or "?"
    rev = identity.get("revision")
    return f"{label}@{rev}" if rev else str(label)


def describe_request(req: GenRequest, key: str) -> str:
    """A short description of a request for error messages (last message and key prefix)."""
    last = req.messages[-1] if req.messages else {}
    text = " ".join(str(last.get("content", "")).split())
    snippet = text[:60] + ("…" if len(text) > 60 else "")
    return f"request (last message role={last.get('role')!r}: {snippet!r}; key={key[:16]})"
