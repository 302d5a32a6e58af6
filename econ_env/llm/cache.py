"""``cache``: a content-addressed SQLite cache in front of any backend.

``CachedBackend(inner, path=..., mode=...)`` stores every completion under a SHA-256 of the
*canonical request* (:mod:`econ_env.llm.cache_keys`): the inner backend's identity (everything
that changes its outputs: seed and parameters of the simulated backend, weights digest and dtype
of a local model, model id and decoding settings of a server), the messages, ``max_tokens``,
``temperature``, ``top_p``, ``repetition_penalty``, ``seed`` and ``belief``.
``GenRequest.hints`` (simulation hints) never enter the key.

Modes:

- ``"record"``: always call the inner backend and store (overwriting) what it returned;
- ``"replay"``: never call the inner backend and never write to the file; a miss raises
  :class:`CacheMiss` naming the request, its key and the backend identity that was looked up
  (and, when the file holds no row of that identity, the identities it does hold);
- ``"read-write"`` (default): hits come from the cache, misses go to the inner backend (one
  batched call for all misses of a batch, identical requests once) and are stored. When two
  processes race on the same key the first stored row wins and both return it.

Only valid completions are stored: the inner backend is called through
:func:`~econ_env.llm.base.generate_checked`, so a bad answer (negative counts, a NaN
log-probability, ...) raises :class:`~econ_env.llm.base.BackendError` and is never cached.

Files (:mod:`econ_env.llm.cache_file`): record and read-write use SQLite in WAL mode with a busy
timeout; writes use ``BEGIN IMMEDIATE`` and are retried on ``database is locked`` so many
processes (vectorised env workers) can share one file, and a writer killed mid-transaction
leaves the last committed rows intact. Replay opens the file read-only (``mode=ro``, or
``immutable=1`` for a WAL file in a read-only folder), so a shared, published cache may be a
read-only file; its hits and misses are counted in this object only (``stats()``'s
``session_hits`` / ``session_misses``), not in the file's counters. Floats are stored as their
``repr`` text (an exact round trip, ``-0.0`` included). Per-model hit and miss counters are
kept in the file; :func:`cache_stats` reads them and ``econ-env cache stats`` prints them
(:func:`clear_cache` empties the file). A corrupt or foreign file raises
:class:`CacheFileError` naming it.

In replay mode an inner backend given as a spec string is not built when the file already knows
the identity recorded for that spec *with the same keyword arguments* (``"simulated"`` with
``seed=7`` is another backend than ``"simulated"``), so a replay needs neither the server nor the
model weights. Note: requests with ``seed=None`` are cached like any other; the first stored
sample is replayed. The default path is ``$ECON_ENV_HOME/cache/generations.sqlite``
(``~/.cache/econ-env``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from econ_env.llm.base import Backend, Completion, GenRequest, generate_checked
from econ_env.llm.cache_file import (
    CacheFileError,
    cache_stats,
    clear_cache,
    connect_read_only,
    connect_read_write,
    default_cache_path,
    file_errors,
    format_stats,
    retry_locked,
)
from econ_env.llm.cache_keys import (
    backend_identity,
    canonical_request,
    describe_request,
    identity_text,
    model_label,
    request_key,
    spec_key,
)

__all__ = [
    "CACHE_MODES",
    "CacheFileError",
    "CacheMiss",
    "CachedBackend",
    "backend_identity",
    "cache_stats",
    "canonical_request",
    "clear_cache",
    "default_cache_path",
    "format_stats",
    "request_key",
]

CACHE_MODES = ("record", "replay", "read-write")
_CHUNK = 400  # keys per SELECT (well under SQLite's bound-parameter limit)
_SHOWN = 3  # identities named in a miss message


class CacheMiss(LookupError):
    """A replay-mode request that is not in the cache.

    Attributes:
        key: the request's key.
        identity: the backend identity that was looked up.
    """

    def __init__(self, message: str, key: str, identity: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.identity = identity

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.key, self.identity))


class CachedBackend:
    """A backend that answers from (and stores into) an SQLite cache; see the module docstring.

    Args:
        inner: the wrapped backend, a spec string for :func:`~econ_env.llm.registry.make_backend`
            or a ``Backend`` instance. A spec is built on first use.
        path: the SQLite file (default :func:`default_cache_path`); folders are created (not in
            replay mode, which needs an existing file).
        mode: ``"record"``, ``"replay"`` or ``"read-write"``.
        busy_timeout: seconds a statement waits on another process's lock (> 0); a write that
            still finds the database locked is retried for up to ``10 × busy_timeout`` seconds.
        **inner_kwargs: keyword arguments for ``make_backend(inner, ...)`` (spec strings only);
            they are part of what a spec string resolves to in replay mode.
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
        self._spec_key = None if self._spec is None else spec_key(self._spec, inner_kwargs)
        self.mode = mode
        self.read_only = mode == "replay"
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
        if self.read_only:
            conn = connect_read_only(self.path, self.busy_timeout)
        else:
            conn = connect_read_write(self.path, self.busy_timeout)
        self._conn, self._pid = conn, os.getpid()
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        retry_locked(lambda: conn.execute("BEGIN IMMEDIATE"), self.busy_timeout)
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
        """Identities recorded for this spec string with the same keyword arguments."""
        if self._spec_key is None:
            return []
        conn = self._connect()
        with file_errors(self.path):
            try:
                rows = conn.execute(
                    "SELECT identity FROM spec_identities WHERE spec = ?", (self._spec_key,)
                ).fetchall()
            except sqlite3.OperationalError as err:
                if "no such table" in str(err):  # a read-only file of an earlier version
                    return []
                raise
        return [json.loads(r[0]) for r in rows]

    def _file_identities(self, conn: sqlite3.Connection) -> dict[str, list[dict[str, Any]]]:
        """Per model label, the distinct identities of the file's rows (a slow scan, for error
        messages only)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for model, request in conn.execute("SELECT model, request FROM generations"):
            try:
                ident = json.loads(request).get("identity")
            except (ValueError, AttributeError):
                continue
            seen = out.setdefault(model, [])
            if ident not in seen:
                seen.append(ident)
        return out

    def _miss(self, conn: sqlite3.Connection, req: GenRequest, key: str) -> CacheMiss:
        identity = self.identity
        text = identity_text(identity)
        with file_errors(self.path):
            held = self._file_identities(conn)
        found = any(identity in idents for idents in held.values())
        head = f"cache miss in replay mode for {describe_request(req, key)} in {self.path}: "
        if found:
            why = f"the backend identity {text} has rows in this file, but not this request"
        else:
            others = [identity_text(i) for idents in held.values() for i in idents]
            if not others:
                holds = "the file is empty"
            else:
                more = " ..." if len(others) > _SHOWN else ""
                holds = f"the file holds {len(others)} other: {'; '.join(others[:_SHOWN])}{more}"
            why = f"the backend identity {text} was not found ({holds})"
        return CacheMiss(
            f"{head}{why}; record it first with mode='record' or 'read-write'", key, identity
        )

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
                found[key] = Completion(text, int(pt), int(ct), float(lp), float(ent), fin)
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
        model = model_label(identity)
        canon = [canonical_request(identity, r) for r in requests]
        keys = [hashlib.sha256(c.encode("utf-8")).hexdigest() for c in canon]
        conn = self._connect()
        found: dict[str, Completion] = {}
        if self.mode != "record":
            with file_errors(self.path):
                found = retry_locked(lambda: self._lookup(conn, keys), self.busy_timeout)
        todo: dict[str, int] = {}  # key -> index of its first request among the misses
        for i, k in enumerate(keys):
            if k not in found and k not in todo:
                todo[k] = i
        hits = sum(k in found for k in keys)
        if self.mode == "replay":
            self.hits += hits
            if todo:
                self.misses += len(keys) - hits
                k, i = next(iter(todo.items()))
                raise self._miss(conn, requests[i], k)
            return [found[k] for k in keys]
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
                if self._spec_key is not None:
                    w.execute(
                        "INSERT OR IGNORE INTO spec_identities VALUES (?, ?)",
                        (self._spec_key, json.dumps(identity, sort_keys=True)),
                    )
                self._count(w, model, hits, len(keys) - hits)
                # read-write: a row another process stored first wins (everyone returns it)
                if rows and self.mode == "read-write":
                    return self._lookup(w, list(todo))
                return {}

        with file_errors(self.path):
            stored = retry_locked(store, self.busy_timeout)
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
