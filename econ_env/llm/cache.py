"""``cache``: a content-addressed SQLite cache in front of any backend.

``CachedBackend(inner, path=..., mode=...)`` stores every completion under a SHA-256 of the
*canonical request*: the inner backend's identity (its ``identity`` dict when it has one, else
``{"name": backend.name}``), the messages, ``max_tokens``, ``temperature``, ``top_p``,
``repetition_penalty``, ``seed`` and ``belief``. ``GenRequest.hints`` (simulation hints) never
enters the key. Numbers are canonical: ``temperature=1`` and ``temperature=1.0`` are the same
request, ``-0.0`` is ``0.0``, and a non-finite belief is refused.

Modes:

- ``"record"``: always call the inner backend and store (overwriting) what it returned;
- ``"replay"``: never call the inner backend; a miss raises :class:`CacheMiss` naming the
  request (role and first characters of its last message) and its key;
- ``"read-write"`` (default): hits come from the cache, misses go to the inner backend (one
  batched call for all misses of a batch, identical requests once) and are stored. When two
  processes race on the same key the first stored row wins and both return it.

The database is SQLite in WAL mode with a busy timeout; writes use ``BEGIN IMMEDIATE`` and are
retried on ``database is locked`` so many processes (vectorised env workers) can share one file,
and a writer killed mid-transaction leaves the last committed rows intact. Floats are stored as
their ``repr`` text (an exact round trip, ``-0.0``, infinities and NaN included; SQLite's
``REAL`` would turn ``-0.0`` into ``0`` and NaN into ``NULL``). Per-model hit and miss
counters are kept in the file; :func:`cache_stats` reads them and ``econ-env cache stats`` prints
them (:func:`clear_cache` empties the file).

In replay mode an inner backend given as a spec string is not built when the file already knows
the identity recorded for that spec, so a replay needs neither the server nor the model weights.
Note: requests with ``seed=None`` are cached like any other; the first stored sample is replayed.
The default path is ``$ECON_ENV_HOME/cache/generations.sqlite`` (``~/.cache/econ-env``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from econ_env.llm.base import Backend, Completion, GenRequest, generate_checked
from econ_env.llm.cache_file import cache_stats, clear_cache, default_cache_path, format_stats

__all__ = [
    "CACHE_MODES",
    "CacheMiss",
    "CachedBackend",
    "backend_identity",
    "cache_stats",
    "clear_cache",
    "default_cache_path",
    "format_stats",
    "request_key",
]

CACHE_MODES = ("record", "replay", "read-write")
KEY_VERSION = 1
_CHUNK = 400  # keys per SELECT (well under SQLite's bound-parameter limit)
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS generations (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    request TEXT NOT NULL,
    text TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    mean_logprob TEXT NOT NULL,
    mean_entropy TEXT NOT NULL,
    finish_reason TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS generations_model ON generations(model);
CREATE TABLE IF NOT EXISTS counters (
    model TEXT PRIMARY KEY,
    hits INTEGER NOT NULL DEFAULT 0,
    misses INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS specs (
    spec TEXT NOT NULL,
    identity TEXT NOT NULL,
    PRIMARY KEY (spec, identity)
);
"""


class CacheMiss(LookupError):
    """A replay-mode request that is not in the cache."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


def backend_identity(backend: Backend) -> dict[str, Any]:
    """The backend's ``identity`` dict when it has one, else ``{"name": backend.name}``."""
    ident = getattr(backend, "identity", None)
    if ident is None:
        return {"name": str(backend.name)}
    if not isinstance(ident, Mapping):
        raise ValueError(f"backend {backend.name!r}: identity must be a dict, got {ident!r}")
    return dict(ident)


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


def _model_label(identity: Mapping[str, Any]) -> str:
    label = identity.get("model") or identity.get("name") or "?"
    rev = identity.get("revision")
    return f"{label}@{rev}" if rev else str(label)


def _describe(req: GenRequest, key: str) -> str:
    last = req.messages[-1] if req.messages else {}
    text = " ".join(str(last.get("content", "")).split())
    snippet = text[:60] + ("…" if len(text) > 60 else "")
    return f"request (last message role={last.get('role')!r}: {snippet!r}; key={key[:16]})"


def _is_locked(err: sqlite3.OperationalError) -> bool:
    msg = str(err).lower()
    return "locked" in msg or "busy" in msg


class CachedBackend:
    """A backend that answers from (and stores into) an SQLite cache; see the module docstring.

    Args:
        inner: the wrapped backend, a spec string for :func:`~econ_env.llm.registry.make_backend`
            or a ``Backend`` instance. A spec is built on first use.
        path: the SQLite file (default :func:`default_cache_path`); folders are created.
        mode: ``"record"``, ``"replay"`` or ``"read-write"``.
        busy_timeout: seconds a statement waits on another process's lock (> 0); a write that
            still finds the database locked is retried for up to ``10 × busy_timeout`` seconds.
        **inner_kwargs: keyword arguments for ``make_backend(inner, ...)`` (spec strings only).
    """

    def __init__(
        self,
        inner: str | Backend,
        *,
        path: str | os.PathLike[str] | None = None,
        mode: str = "read-write",
        busy_timeout: float = 30.0,
        **inner_kwargs: Any,
    ) -> None:
        if mode not in CACHE_MODES:
            raise ValueError(f"CachedBackend.mode must be one of {CACHE_MODES}, got {mode!r}")
        if not busy_timeout > 0:
            raise ValueError(f"CachedBackend.busy_timeout must be > 0 seconds, got {busy_timeout}")
        if isinstance(inner, str):
            self._spec: str | None = inner
            self._inner: Backend | None = None
        elif isinstance(inner, Backend):
            if inner_kwargs:
                raise ValueError(f"keyword arguments {sorted(inner_kwargs)} need a spec string")
            self._spec, self._inner = None, inner
        else:
            raise ValueError(f"CachedBackend.inner must be a spec string or a Backend: {inner!r}")
        self._inner_kwargs = inner_kwargs
        self.mode = mode
        self.path = Path(path) if path is not None else default_cache_path()
        self.busy_timeout = float(busy_timeout)
        self.name = f"cache({inner if self._spec else self._inner.name})"  # type: ignore[union-attr]
        self.hits = 0
        self.misses = 0
        self._identity: dict[str, Any] | None = None
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = -1

    # ------------------------------------------------------------------ plumbing
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_conn=None, _pid=-1, _lock=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    @property
    def inner(self) -> Backend:
        """The wrapped backend (built from its spec on first access)."""
        if self._inner is None:
            from econ_env.llm.registry import make_backend

            assert self._spec is not None
            self._inner = make_backend(self._spec, **self._inner_kwargs)
        return self._inner

    @property
    def identity(self) -> dict[str, Any]:
        """The inner backend's identity (part of every key)."""
        if self._identity is None:
            if self._inner is None and self.mode == "replay":
                known = self._known_identities()
                if len(known) == 1:
                    self._identity = known[0]
                    return self._identity
            self._identity = backend_identity(self.inner)
        return self._identity

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            self._retry(lambda: conn.execute("PRAGMA journal_mode=WAL").fetchone())
            conn.execute("PRAGMA synchronous=NORMAL")
            self._retry(lambda: conn.executescript(_SCHEMA))
        except BaseException:
            conn.close()
            raise
        self._conn, self._pid = conn, os.getpid()
        return conn

    def _retry(self, fn: Callable[[], T]) -> T:
        """Run ``fn``, retrying while SQLite reports the database locked/busy (bounded)."""
        deadline = time.monotonic() + 10 * self.busy_timeout
        delay = 0.01
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as err:
                if not _is_locked(err) or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 1.0)

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        self._retry(lambda: conn.execute("BEGIN IMMEDIATE"))
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        """Close this process's connection (it reopens on the next use)."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn, self._pid = None, -1

    # ------------------------------------------------------------------ rows
    def _known_identities(self) -> list[dict[str, Any]]:
        conn = self._connect()
        rows = conn.execute("SELECT identity FROM specs WHERE spec = ?", (self._spec,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def _lookup(self, conn: sqlite3.Connection, keys: Sequence[str]) -> dict[str, Completion]:
        found: dict[str, Completion] = {}
        uniq = list(dict.fromkeys(keys))
        for start in range(0, len(uniq), _CHUNK):
            chunk = uniq[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(
                "SELECT key, text, prompt_tokens, completion_tokens, mean_logprob, mean_entropy, "
                f"finish_reason FROM generations WHERE key IN ({marks})",
                chunk,
            ).fetchall()
            for key, text, pt, ct, lp, ent, fin in rows:
                found[key] = Completion(
                    text,
                    int(pt),
                    int(ct),
                    float(lp),
                    float(ent),
                    fin,
                )
        return found

    def _count(self, conn: sqlite3.Connection, model: str, hits: int, misses: int) -> None:
        conn.execute(
            "INSERT INTO counters(model, hits, misses) VALUES (?, ?, ?) ON CONFLICT(model) "
            "DO UPDATE SET hits = hits + excluded.hits, misses = misses + excluded.misses",
            (model, hits, misses),
        )

    # ------------------------------------------------------------------ Backend API
    def generate(self, requests: Sequence[GenRequest]) -> list[Completion]:
        """One completion per request, in order (see the module docstring for the modes)."""
        with self._lock:
            return self._generate(list(requests))

    def _generate(self, requests: list[GenRequest]) -> list[Completion]:
        if not requests:
            return []
        identity = self.identity
        model = _model_label(identity)
        canon = [canonical_request(identity, r) for r in requests]
        keys = [hashlib.sha256(c.encode("utf-8")).hexdigest() for c in canon]
        conn = self._connect()
        found = {} if self.mode == "record" else self._retry(lambda: self._lookup(conn, keys))
        todo: dict[str, int] = {}  # key -> index of its first request among the misses
        for i, k in enumerate(keys):
            if k not in found and k not in todo:
                todo[k] = i
        hits = sum(k in found for k in keys)
        if todo and self.mode == "replay":
            k, i = next(iter(todo.items()))
            raise CacheMiss(
                f"cache miss in replay mode for {_describe(requests[i], k)} in {self.path} "
                f"(model {model!r}); record it first with mode='record' or 'read-write'",
                k,
            )
        fresh: list[Completion] = []
        if todo:
            fresh = generate_checked(self.inner, [requests[i] for i in todo.values()])
        rows = [
            (
                k,
                model,
                canon[i],
                c.text,
                int(c.prompt_tokens),
                int(c.completion_tokens),
                repr(float(c.mean_logprob)),
                repr(float(c.mean_entropy)),
                str(c.finish_reason),
                time.time(),
            )
            for (k, i), c in zip(todo.items(), fresh, strict=True)
        ]
        verb = "INSERT OR REPLACE" if self.mode == "record" else "INSERT OR IGNORE"

        def store() -> dict[str, Completion]:
            with self._write() as w:
                if rows:
                    w.executemany(f"{verb} INTO generations VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
                if self._spec is not None:
                    w.execute(
                        "INSERT OR IGNORE INTO specs VALUES (?, ?)",
                        (self._spec, json.dumps(identity, sort_keys=True)),
                    )
                self._count(w, model, hits, len(keys) - hits)
                # read-write: a row another process stored first wins (everyone returns it)
                if rows and self.mode == "read-write":
                    return self._lookup(w, list(todo))
                return {}

        stored = self._retry(store)
        if self.mode == "record":
            stored = {k: c for k, c in zip(todo, fresh, strict=True)}
        self.hits += hits
        self.misses += len(keys) - hits
        out = {**found, **stored}
        return [out[k] for k in keys]

    # ------------------------------------------------------------------ statistics
    def stats(self) -> dict[str, Any]:
        """Rows, file size, hits/misses per model (and this object's own hit/miss counts)."""
        with self._lock:
            return {
                **cache_stats(self.path),
                "session_hits": self.hits,
                "session_misses": self.misses,
            }
