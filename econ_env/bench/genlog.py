"""Generation logs of real-model runs: record every request and completion, serve them back.

A real-model submission (``econ-env bench run --backend SPEC``) carries ``generations.jsonl``:
one JSON object per generation request, in the order the env sent them (schema
``econ_env/bench/schemas/generation.schema.json``, published in ``docs/schemas/``)::

    {"v": 1, "episode_id": "auction-gsm8k|gsm8k/test/1|b512|s0", "call": 0, "index": 2,
     "request": {"messages": [...], "max_tokens": 256, "temperature": 0.7, "top_p": 1.0,
                 "repetition_penalty": 1.0, "seed": 123, "belief": null},
     "completion": {"text": "...", "prompt_tokens": 61, "completion_tokens": 40,
                    "mean_logprob": -0.61, "mean_entropy": 1.2, "finish_reason": "length"}}

``call`` numbers the env's batched backend calls within the episode (0, 1, ...) and ``index``
the request within its call. The request holds exactly the fields that key the generation cache
(:func:`econ_env.llm.cache_keys.canonical_request`), never the simulation hints.

- :class:`LoggingBackend` wraps the run's backend: every ``generate`` call goes through
  :func:`~econ_env.llm.base.generate_checked` (only valid completions are logged) and is kept
  under the episode id the runner sets (``backend.episode = id``) until the runner takes it
  (:meth:`LoggingBackend.take`) and writes it next to the episode's trace.
- :class:`LogReplayBackend` serves an episode's logged completions back, call by call, and
  raises :class:`LogMismatch` naming the first differing field when the env asks for anything
  else than what was logged (so ``bench verify`` proves that the env, fed the logged texts,
  reproduces the recorded ledger, bids, winners and answers).
- :func:`real_config` is the env config an episode of a real-model run records (the suite's
  config + ``backend`` spec and ``backend_kwargs``), and :func:`requests_cap` bounds the log
  lines of one episode from the suite's config (never from the submission).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from econ_env.llm.base import Backend, Completion, GenRequest, generate_checked
from econ_env.llm.cache_keys import backend_identity

__all__ = [
    "GENLOG",
    "LOG_VERSION",
    "LogMismatch",
    "LogReplayBackend",
    "LoggingBackend",
    "backend_metadata",
    "completion_from_json",
    "completion_to_json",
    "is_real_spec",
    "real_config",
    "request_to_json",
    "requests_cap",
]

GENLOG = "generations.jsonl"
LOG_VERSION = 1
REQUEST_FIELDS = (
    "messages",
    "max_tokens",
    "temperature",
    "top_p",
    "repetition_penalty",
    "seed",
    "belief",
)
COMPLETION_FIELDS = (
    "text",
    "prompt_tokens",
    "completion_tokens",
    "mean_logprob",
    "mean_entropy",
    "finish_reason",
)


def _float(x: Any) -> float:
    v = float(x)
    if not math.isfinite(v):
        raise ValueError(f"a logged number must be finite, got {x!r}")
    return v + 0.0  # -0.0 -> 0.0


def request_to_json(req: GenRequest) -> dict[str, Any]:
    """The logged form of a request: the cache-key fields (``hints`` never)."""
    return {
        "messages": [{"role": str(m["role"]), "content": str(m["content"])} for m in req.messages],
        "max_tokens": int(req.max_tokens),
        "temperature": _float(req.temperature),
        "top_p": _float(req.top_p),
        "repetition_penalty": _float(req.repetition_penalty),
        "seed": None if req.seed is None else int(req.seed),
        "belief": None if req.belief is None else [_float(b) for b in req.belief],
    }


def request_from_json(d: Mapping[str, Any]) -> GenRequest:
    """A :class:`GenRequest` from its logged form (no hints)."""
    return GenRequest(
        tuple({"role": m["role"], "content": m["content"]} for m in d["messages"]),
        int(d["max_tokens"]),
        temperature=float(d["temperature"]),
        top_p=float(d["top_p"]),
        repetition_penalty=float(d["repetition_penalty"]),
        seed=d["seed"],
        belief=None if d["belief"] is None else tuple(float(b) for b in d["belief"]),
    )


def completion_to_json(c: Completion) -> dict[str, Any]:
    """The logged form of a completion."""
    return {
        "text": c.text,
        "prompt_tokens": int(c.prompt_tokens),
        "completion_tokens": int(c.completion_tokens),
        "mean_logprob": _float(c.mean_logprob),
        "mean_entropy": _float(c.mean_entropy),
        "finish_reason": str(c.finish_reason),
    }


def completion_from_json(d: Mapping[str, Any]) -> Completion:
    """A :class:`Completion` from its logged form."""
    return Completion(**{k: d[k] for k in COMPLETION_FIELDS})


class LogMismatch(ValueError):
    """The env asked for something else than the generation log holds (the message names the
    episode, the call, the request and the first differing field)."""


class LoggingBackend:
    """A backend that records every request and completion of ``inner`` (module docstring).

    Attributes:
        inner: the wrapped backend.
        episode: the episode id the next calls are logged under (set by the runner).
    """

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.name = str(getattr(inner, "name", type(inner).__name__))
        self.episode: str | None = None
        self._entries: list[dict[str, Any]] = []
        self._calls = 0

    @property
    def identity(self) -> dict[str, Any]:
        """The inner backend's identity (:func:`econ_env.llm.cache_keys.backend_identity`)."""
        return backend_identity(self.inner)

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        if self.episode is None:
            raise RuntimeError("LoggingBackend.episode must be set before generating")
        requests = list(requests)
        completions = generate_checked(self.inner, requests)
        call = self._calls
        self._calls += 1
        for i, (r, c) in enumerate(zip(requests, completions, strict=True)):
            self._entries.append(
                {
                    "v": LOG_VERSION,
                    "episode_id": self.episode,
                    "call": call,
                    "index": i,
                    "request": request_to_json(r),
                    "completion": completion_to_json(c),
                }
            )
        return completions

    def start(self, episode: str) -> None:
        """Log the next calls under ``episode`` (forgets what an unfinished episode logged)."""
        self.episode, self._entries, self._calls = episode, [], 0

    def take(self) -> list[dict[str, Any]]:
        """The entries logged since :meth:`start`, handed over once."""
        out, self._entries = self._entries, []
        return out


class LogReplayBackend:
    """Serves the logged completions of one episode in order (module docstring).

    Args:
        entries: the episode's log entries (schema-valid objects), in log order.
        episode: the episode id, named in errors.
    """

    name = "log-replay"

    def __init__(self, entries: Sequence[Mapping[str, Any]], episode: str = "?") -> None:
        self.entries = list(entries)
        self.episode = episode
        self.pos = 0

    @property
    def unused(self) -> int:
        """Entries not served yet."""
        return len(self.entries) - self.pos

    def _fail(self, detail: str) -> LogMismatch:
        return LogMismatch(f"generation log, episode {self.episode}: {detail}")

    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        requests = list(requests)
        if self.pos >= len(self.entries):
            raise self._fail(
                f"the env asks for {len(requests)} more request(s) but the log's "
                f"{len(self.entries)} entries are used up"
            )
        call = self.entries[self.pos]["call"]
        end = self.pos
        while end < len(self.entries) and self.entries[end]["call"] == call:
            end += 1
        group = self.entries[self.pos : end]
        if len(group) != len(requests):
            raise self._fail(
                f"call {call} has {len(group)} logged request(s) but the env sent {len(requests)}"
            )
        out = []
        for k, (req, entry) in enumerate(zip(requests, group, strict=True)):
            asked = request_to_json(req)
            logged = entry["request"]
            for name in REQUEST_FIELDS:
                if asked[name] != logged.get(name):
                    raise self._fail(
                        f"call {call} request {k} (log entry {self.pos + k}): {name} "
                        f"{_short(logged.get(name))} in the log but the env asks "
                        f"{_short(asked[name])}"
                    )
            out.append(completion_from_json(entry["completion"]))
        self.pos = end
        return out


def _short(value: Any, n: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= n else text[: n - 3] + "..."


# ----------------------------------------------------------------------------- run configs
def is_real_spec(spec: str | None) -> bool:
    """Whether a backend spec names a non-simulated backend (``None`` is the simulated one)."""
    return spec is not None and spec.partition(":")[0] != "simulated"


def real_config(config: Mapping[str, Any], backend: Mapping[str, Any]) -> dict[str, Any]:
    """The env config a real-model episode records: ``config`` with the metadata's backend
    ``spec`` and ``kwargs`` (``backend_kwargs``)."""
    return {**config, "backend": backend["spec"], "backend_kwargs": dict(backend["kwargs"])}


def backend_metadata(
    backend: Backend, spec: str | None, kwargs: Mapping[str, Any] | None
) -> dict[str, Any]:
    """``metadata.json``'s ``backend`` object of a run on ``backend`` built from ``spec``."""
    ident = backend_identity(backend)
    name = str(getattr(backend, "name", type(backend).__name__))
    model_id = getattr(backend, "model_id", None) or ident.get("model") or name
    revision = getattr(backend, "revision", None) or ident.get("revision")
    digest = ident.get("weights_sha256")
    return {
        "name": name,
        "model_id": str(model_id),
        "revision": None if revision is None else str(revision),
        "weights_digest": None if digest is None else str(digest),
        "spec": spec,
        "kwargs": dict(kwargs or {}),
        "identity": ident,
    }


def requests_cap(config: Any) -> int:
    """Most log entries one episode of an env with ``config`` (its parsed config object) may
    have: a bound from the rounds, the agents and the message tiers, far above what a game
    sends (drafts, revisions and compressions per agent and round, strategy, commitment)."""
    rounds = int(getattr(config, "max_rounds", 4))
    agents = int(getattr(config, "n_agents", 3))
    tiers = len(getattr(config, "tiers", ("full",)) or ("full",))
    return (rounds + 2) * (agents + 2) * (tiers + 2) + 16


# ----------------------------------------------------------------------------- files
def dump_entry(entry: Mapping[str, Any]) -> str:
    """One log line (strict JSON, no NaN/Infinity, no newline)."""
    import json

    return json.dumps(entry, allow_nan=False, ensure_ascii=False, separators=(",", ":"))


def keep_finished(path: Any, done: Sequence[str]) -> None:
    """Resume support for the runner: rewrite the log at ``path`` keeping only the complete lines
    of the episodes in ``done`` (in ``done``'s order; an episode interrupted mid-run, whose trace
    was never written, and a partial last line are dropped)."""
    import json
    from pathlib import Path

    path = Path(path)
    if not path.exists():
        return
    by_episode: dict[str, list[str]] = {}
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    if not raw.endswith(b"\n"):
        lines = lines[:-1]  # a partial last line
    for line in lines:
        if not line.strip():
            continue
        try:
            entry = json.loads(line.decode("utf-8"))
            eid = entry["episode_id"]
        except (ValueError, UnicodeDecodeError, KeyError, TypeError):
            continue
        if isinstance(eid, str):
            by_episode.setdefault(eid, []).append(line.decode("utf-8"))
    text = "".join(line + "\n" for eid in done for line in by_episode.get(eid, []))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


class RealRun:
    """The runner's side of a real-model run: the backend built once from ``spec`` and wrapped
    in a :class:`LoggingBackend`, the configs envs are built with and recorded under, and the
    log file ``out_dir/generations.jsonl`` written episode by episode (resumable).

    Raises ``ValueError`` for a spec that cannot be built, ``backend_kwargs`` that are not JSON
    data, or an ``api_key`` among them (secrets never go into a submission: use the
    ``OPENAI_API_KEY`` environment variable)."""

    def __init__(self, spec: str, kwargs: Mapping[str, Any] | None, out_dir: Any) -> None:
        import json
        from pathlib import Path

        from econ_env.llm.registry import make_backend

        kwargs = dict(kwargs or {})
        if "api_key" in kwargs:
            raise ValueError("backend_kwargs must not hold api_key (use OPENAI_API_KEY)")
        try:
            json.dumps(kwargs, allow_nan=False)
        except (TypeError, ValueError) as err:
            raise ValueError(f"backend_kwargs must be JSON data: {err}") from None
        self.spec, self.kwargs = spec, kwargs
        self.backend = LoggingBackend(make_backend(spec, **kwargs))
        self.meta = backend_metadata(self.backend.inner, spec, kwargs)
        self.path = Path(out_dir) / GENLOG
        self._fh: Any = None

    def env_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """``config`` with the run's (logging) backend instance: what envs are built with."""
        return {**config, "backend": self.backend, "backend_kwargs": {}}

    def record_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """``config`` as the trace records it (:func:`real_config`)."""
        return real_config(config, self.meta)

    def resume(self, done: Sequence[str]) -> None:
        """Keep the log lines of the finished episodes ``done`` and open the log for appending."""
        keep_finished(self.path, done)
        self._fh = self.path.open("a", encoding="utf-8")

    def start(self, episode: str) -> None:
        self.backend.start(episode)

    def finish(self) -> None:
        """Append the finished episode's entries to the log (before its trace is written)."""
        self._fh.write("".join(dump_entry(e) + "\n" for e in self.backend.take()))
        self._fh.flush()

    def close(self, order: Sequence[str] | None = None) -> None:
        """Close the log; with ``order``, rewrite it in that episode order."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if order is not None:
            keep_finished(self.path, order)
