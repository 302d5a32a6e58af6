"""Reading an OpenAI-compatible server's answers, sanity-checked (used by
:mod:`econ_env.llm.openai_backend`).

The backend hands the raw HTTP body of a ``200`` answer to :func:`decode_body` and the decoded
JSON object to :func:`completion_of`; nothing a server sends can reach a game unchecked:

- a body that is not JSON (empty, HTML, plain text, cut off) raises :class:`UnreadableAnswer`,
  which the backend retries like a transient failure (a proxy's page, a server restarting, a
  connection cut mid-answer) and reports as :class:`~econ_env.llm.base.BackendError` naming the
  URL when the retries are spent;
- a JSON answer that cannot be used raises :class:`~econ_env.llm.base.BackendError` naming the
  URL and the field at once, without retrying (a server that answers well-formed nonsense will
  answer it again): not an object, an ``error`` object, no ``choices``, a message without text,
  no ``usage``; token counts that are not ints ``>= 0``; ``completion_tokens`` above
  ``max_tokens + 1`` (the stop token may be counted); ``prompt_tokens`` above
  :func:`prompt_token_limit`; a token log-probability that is not a finite number ``<= 0``
  (NaN, ``+inf``; up to :data:`LOGPROB_SLACK` above 0 is rounding and is clamped; a
  ``top_logprobs`` entry of ``-inf`` is a zero-probability alternative and is allowed).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from econ_env.llm.base import BackendError, Completion, GenRequest

__all__ = [
    "LOGPROB_SLACK",
    "PROMPT_TOKENS_PER_BYTE",
    "UnreadableAnswer",
    "completion_of",
    "decode_body",
    "model_ids_of",
    "prompt_token_limit",
]

LOGPROB_SLACK = 1e-4
"""Log-probabilities up to this much above 0 are float rounding (clamped to 0); more is an error."""
PROMPT_TOKENS_PER_BYTE = 4
"""At most this many prompt tokens per UTF-8 byte of the messages' text (a byte-level tokenizer
gives at most one), before the margins of :func:`prompt_token_limit`."""


class UnreadableAnswer(Exception):
    """A ``200`` answer whose body is not JSON (retried by the backend; not a public error)."""


def _snippet(raw: bytes) -> str:
    text = " ".join(raw[:200].decode("utf-8", "replace").split())
    return text[:80] + ("…" if len(text) > 80 else "")


def decode_body(raw: bytes, content_type: str) -> Any:
    """The JSON value of a body; :class:`UnreadableAnswer` describing it when it is not JSON."""
    if not raw.strip():
        raise UnreadableAnswer(f"an empty body (Content-Type {content_type!r})")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        hint = ""
        if "html" in content_type.lower() or raw.lstrip()[:1] == b"<":
            hint = "; is base_url the API root (e.g. http://host:port/v1)?"
        raise UnreadableAnswer(
            f"a body that is not JSON (Content-Type {content_type!r}: {_snippet(raw)!r}){hint}"
        ) from None


def prompt_token_limit(req: GenRequest, margin: int) -> int:
    """The most prompt tokens a server may report for ``req``: ``PROMPT_TOKENS_PER_BYTE`` per
    UTF-8 byte of its messages, 64 per message (chat template) and ``margin`` (a system prompt
    the server adds)."""
    size = sum(len(str(m.get("content", "")).encode("utf-8")) for m in req.messages)
    return PROMPT_TOKENS_PER_BYTE * size + 64 * len(req.messages) + margin


def _field(obj: Any, key: str, where: str, url: str, kind: type | tuple[type, ...]) -> Any:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise BackendError(url, f"answered with {where}.{key} = {value!r}; expected a {names}")
    return value


def _count(usage: Mapping[str, Any], key: str, url: str) -> int:
    v = usage.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise BackendError(url, f"answered with usage.{key} = {v!r}; it must be an int >= 0")
    return v


def _logprob(value: Any, where: str, url: str, allow_minus_inf: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    v = float(value) if ok else math.nan
    if allow_minus_inf and v == -math.inf:
        return v
    if not math.isfinite(v) or v > LOGPROB_SLACK:
        raise BackendError(
            url, f"answered with {where} = {value!r}; a log-probability must be finite and <= 0"
        )
    return min(v, 0.0)


def _entropy(top: Sequence[float]) -> float:
    """Entropy (nats) of a top-k distribution plus its missing mass as one outcome."""
    probs = [math.exp(lp) for lp in top if lp > -math.inf]
    h = -sum(p * math.log(p) for p in probs if p > 0.0)
    rest = 1.0 - sum(probs)
    if rest > 1e-12:
        h -= rest * math.log(rest)
    return max(h, 0.0)


def _confidence(choice: Mapping[str, Any], url: str) -> tuple[float, float] | None:
    """``(mean_logprob, mean_entropy)`` from a choice's ``logprobs``, ``None`` without any."""
    lp = choice.get("logprobs")
    content = lp.get("content") if isinstance(lp, Mapping) else None
    if lp is not None and not isinstance(lp, Mapping):
        raise BackendError(url, f"answered with choices[0].logprobs = {lp!r}; expected an object")
    if not content:
        return None
    if not isinstance(content, list):
        raise BackendError(url, "answered with choices[0].logprobs.content that is not a list")
    lps: list[float] = []
    ents: list[float] = []
    for k, tok in enumerate(content):
        where = f"choices[0].logprobs.content[{k}]"
        if not isinstance(tok, Mapping):
            raise BackendError(url, f"answered with {where} = {tok!r}; expected an object")
        if tok.get("logprob") is not None:
            lps.append(_logprob(tok["logprob"], f"{where}.logprob", url))
        top = tok.get("top_logprobs") or []
        if not isinstance(top, list):
            raise BackendError(url, f"answered with {where}.top_logprobs that is not a list")
        alts = [
            _logprob(
                t.get("logprob") if isinstance(t, Mapping) else t,
                f"{where}.top_logprobs[{j}].logprob",
                url,
                allow_minus_inf=True,
            )
            for j, t in enumerate(top)
            if not (isinstance(t, Mapping) and t.get("logprob") is None)
        ]
        if alts:
            ents.append(_entropy(alts))
    if not lps:
        return None
    return min(sum(lps) / len(lps), 0.0), (sum(ents) / len(ents) if ents else 0.0)


def completion_of(
    data: Any, req: GenRequest, url: str, prompt_margin: int
) -> tuple[Completion, bool]:
    """The :class:`Completion` in a decoded answer to ``req`` and whether it lacked
    log-probabilities; :class:`~econ_env.llm.base.BackendError` naming ``url`` and the field
    for anything unusable (see the module docstring)."""
    if not isinstance(data, Mapping):
        raise BackendError(url, f"answered with JSON {type(data).__name__}, not an object")
    if "choices" not in data and "error" in data:
        err = data["error"]
        msg = err.get("message", err) if isinstance(err, Mapping) else err
        raise BackendError(url, f"answered 200 with an error: {msg!r}")
    choices = _field(data, "choices", "answer", url, list)
    if not choices or not isinstance(choices[0], Mapping):
        raise BackendError(url, f"answered with choices = {choices!r}; expected one choice")
    choice = choices[0]
    message = _field(choice, "message", "choices[0]", url, Mapping)
    text = message.get("content")
    if text is not None and not isinstance(text, str):
        raise BackendError(url, f"answered with choices[0].message.content = {text!r}")
    usage = data.get("usage")
    if not isinstance(usage, Mapping):
        raise BackendError(url, "returned no token usage; econ-env needs the server's counts")
    prompt_tokens = _count(usage, "prompt_tokens", url)
    completion_tokens = _count(usage, "completion_tokens", url)
    if completion_tokens > req.max_tokens + 1:
        raise BackendError(
            url,
            f"answered with usage.completion_tokens = {completion_tokens}; allowed [0, "
            f"{req.max_tokens + 1}] (max_tokens={req.max_tokens} plus the stop token)",
        )
    limit = prompt_token_limit(req, prompt_margin)
    if prompt_tokens > limit:
        raise BackendError(
            url,
            f"answered with usage.prompt_tokens = {prompt_tokens}; allowed [0, {limit}] for "
            f"this prompt (see econ_env.llm.openai_answer.prompt_token_limit)",
        )
    confidence = _confidence(choice, url)
    mean_lp, mean_ent = confidence if confidence is not None else (0.0, 0.0)
    completion = Completion(
        text=text or "",
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        mean_logprob=float(mean_lp),
        mean_entropy=float(mean_ent),
        finish_reason="length" if choice.get("finish_reason") == "length" else "stop",
    )
    return completion, confidence is None


def model_ids_of(data: Any, url: str) -> list[str]:
    """The model ids of a decoded ``GET /models`` answer."""
    entries = _field(data, "data", "GET /models answer", url, list)
    ids = [e.get("id") for e in entries if isinstance(e, Mapping)]
    if len(ids) != len(entries) or not all(isinstance(i, str) and i for i in ids):
        raise BackendError(url, f"answered GET /models with malformed entries {entries!r}")
    return ids
