"""The generation cache's SQLite file, outside any backend: where it lives by default, opening
it (read-write or read-only), its statistics, clearing it and a compacted gzip copy to ship.

``econ-env cache stats|clear`` print these; the cached backend of :mod:`econ_env.llm.cache`
opens its file through :func:`connect_read_write` and :func:`connect_read_only`.

- Read-write connections open the path as a plain file name (no URI, so ``#``, ``?`` and ``%``
  in a path are just characters), switch the file to WAL mode and create the tables.
- Read-only connections (replay, statistics) open a ``file:`` URI built by
  :func:`file_uri` (the path percent-encoded, so ``#`` or ``?`` in it name the right file) with
  ``mode=ro``; a WAL-mode file that cannot get its ``-shm`` side file (a read-only folder, a
  published cache) is opened again with ``immutable=1``. Nothing is ever written.
- A file that is corrupt, truncated, not SQLite, or SQLite without the cache's tables raises
  :class:`CacheFileError` naming the file, never a bare ``sqlite3.DatabaseError``.

Files written by earlier econ-env versions keep working: the rows' keys are unchanged. Their
``specs`` table (which resolved a spec string to an identity without its keyword arguments) is
ignored; the spec's identity is remembered again, with its arguments, in ``spec_identities``
the next time it is recorded.
"""

from __future__ import annotations

import gzip
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "CacheFileError",
    "cache_stats",
    "clear_cache",
    "compact_gzip",
    "connect_read_only",
    "connect_read_write",
    "default_cache_path",
    "file_errors",
    "file_uri",
    "format_stats",
    "retry_locked",
]

T = TypeVar("T")

SCHEMA = """
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
CREATE TABLE IF NOT EXISTS spec_identities (
    spec TEXT NOT NULL,
    identity TEXT NOT NULL,
    PRIMARY KEY (spec, identity)
);
"""
"""The tables (``spec_identities.spec`` is :func:`~econ_env.llm.cache_keys.spec_key`'s text)."""


class CacheFileError(RuntimeError):
    """A cache file that cannot be used (corrupt, truncated, not SQLite, not a cache, or
    read-only where a write was needed); the message names the file.

    Attributes:
        path: the file.
        detail: what went wrong.
    """

    def __init__(self, path: str, detail: str) -> None:
        super().__init__(f"cache file {path}: {detail}")
        self.path = path
        self.detail = detail

    def __reduce__(self) -> tuple[type[CacheFileError], tuple[str, str]]:
        return (type(self), (self.path, self.detail))


def default_cache_path() -> Path:
    """``$ECON_ENV_HOME/cache/generations.sqlite`` (default home ``~/.cache/econ-env``)."""
    root = os.environ.get("ECON_ENV_HOME") or os.path.join(Path.home(), ".cache", "econ-env")
    return Path(root) / "cache" / "generations.sqlite"


def file_uri(path: str | os.PathLike[str], **params: str) -> str:
    """An SQLite ``file:`` URI for ``path`` (absolute, percent-encoded) with query ``params``."""
    uri = Path(os.path.abspath(path)).as_uri()
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{uri}?{query}" if query else uri


def is_locked(err: sqlite3.OperationalError) -> bool:
    """Whether ``err`` is SQLite's ``database is locked`` / ``busy`` (worth retrying)."""
    msg = str(err).lower()
    return "locked" in msg or "busy" in msg


def retry_locked(fn: Callable[[], T], busy_timeout: float) -> T:
    """Run ``fn``, retrying while SQLite reports the database locked or busy, for up to
    ``10 × busy_timeout`` seconds (then the error is raised)."""
    deadline = time.monotonic() + 10 * busy_timeout
    delay = 0.01
    while True:
        try:
            return fn()
        except sqlite3.OperationalError as err:
            if not is_locked(err) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def _explain(err: sqlite3.DatabaseError) -> str:
    msg = str(err)
    low = msg.lower()
    if "readonly" in low or "read-only" in low:
        return (
            f"{msg}: the file is read-only; replay it with mode='replay' (which never writes) "
            "or copy it somewhere writable"
        )
    if "not a database" in low or "malformed" in low or "no such table" in low:
        return f"{msg}: it is corrupt, truncated or not an econ-env generation cache"
    return msg


@contextmanager
def file_errors(path: str | os.PathLike[str]) -> Iterator[None]:
    """Turn SQLite errors other than ``locked`` / ``busy`` into :class:`CacheFileError` naming
    ``path``."""
    try:
        yield
    except sqlite3.OperationalError as err:
        if is_locked(err):
            raise
        raise CacheFileError(str(path), _explain(err)) from err
    except sqlite3.DatabaseError as err:
        raise CacheFileError(str(path), _explain(err)) from err


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _check_cache(conn: sqlite3.Connection, path: Path) -> None:
    """Read the schema (this is where SQLite notices a non-database or truncated file)."""
    names = _tables(conn)
    missing = sorted({"generations", "counters"} - names)
    if missing:
        raise CacheFileError(
            str(path), f"not an econ-env generation cache (no table {', '.join(missing)})"
        )
    conn.execute("SELECT key FROM generations LIMIT 1").fetchall()


def connect_read_write(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """Open (creating it and its folders) a cache file for reading and writing, in WAL mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_errors(path):
        conn = sqlite3.connect(
            str(path), timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            tables = retry_locked(lambda: _tables(conn), busy_timeout)
            if tables and "generations" not in tables:  # never add tables to another database
                raise CacheFileError(
                    str(path),
                    f"an SQLite database that is not an econ-env generation cache (tables "
                    f"{sorted(tables)}); choose another path",
                )
            retry_locked(lambda: conn.execute("PRAGMA journal_mode=WAL").fetchone(), busy_timeout)
            conn.execute("PRAGMA synchronous=NORMAL")
            retry_locked(lambda: conn.executescript(SCHEMA), busy_timeout)
            _check_cache(conn, path)
        except BaseException:
            conn.close()
            raise
    return conn


def _open_uri(path: Path, busy_timeout: float, params: dict[str, str]) -> sqlite3.Connection:
    conn = sqlite3.connect(
        file_uri(path, **params),
        uri=True,
        timeout=busy_timeout,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        retry_locked(lambda: _check_cache(conn, path), busy_timeout)
    except BaseException:
        conn.close()
        raise
    return conn


def connect_read_only(path: Path, busy_timeout: float = 30.0) -> sqlite3.Connection:
    """Open an existing cache file read-only (``mode=ro``; ``immutable=1`` for a WAL-mode file
    in a read-only place). ``FileNotFoundError`` when there is no file."""
    if not path.is_file():
        raise FileNotFoundError(f"no cache file at {path}")
    with file_errors(path):
        try:
            return _open_uri(path, busy_timeout, {"mode": "ro"})
        except sqlite3.OperationalError as err:
            msg = str(err).lower()
            if "unable to open" not in msg and "readonly" not in msg:
                raise
        # a WAL-mode file whose -shm side file cannot be created (a read-only folder): nobody
        # can be writing it, so it is read as immutable
        return _open_uri(path, busy_timeout, {"mode": "ro", "immutable": "1"})


def cache_stats(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Statistics of a cache file: path, rows, bytes (with WAL), per model rows/hits/misses.

    Opens the file read-only. ``FileNotFoundError`` without a file, :class:`CacheFileError` for
    a file that is not a usable cache.
    """
    p = Path(path) if path is not None else default_cache_path()
    size = sum(
        Path(f"{p}{suffix}").stat().st_size
        for suffix in ("", "-wal", "-shm")
        if Path(f"{p}{suffix}").exists()
    )
    conn = connect_read_only(p)
    try:
        models: dict[str, dict[str, int]] = {}
        with file_errors(p):
            for model, n in conn.execute("SELECT model, COUNT(*) FROM generations GROUP BY model"):
                models.setdefault(model, {"rows": 0, "hits": 0, "misses": 0})["rows"] = int(n)
            for model, h, m in conn.execute("SELECT model, hits, misses FROM counters"):
                entry = models.setdefault(model, {"rows": 0, "hits": 0, "misses": 0})
                entry.update(hits=int(h), misses=int(m))
    finally:
        conn.close()
    return {
        "path": str(p),
        "rows": sum(m["rows"] for m in models.values()),
        "bytes": size,
        "hits": sum(m["hits"] for m in models.values()),
        "misses": sum(m["misses"] for m in models.values()),
        "models": dict(sorted(models.items())),
    }


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def format_stats(stats: dict[str, Any]) -> str:
    """A readable table of :func:`cache_stats`."""
    lines = [
        f"cache {stats['path']}",
        f"rows {stats['rows']}  size {_size(stats['bytes'])}  "
        f"hits {stats['hits']}  misses {stats['misses']}",
    ]
    if stats["models"]:
        width = max(5, *(len(m) for m in stats["models"]))
        lines.append(f"{'model':<{width}}  {'rows':>8}  {'hits':>8}  {'misses':>8}")
        for model, s in stats["models"].items():
            lines.append(f"{model:<{width}}  {s['rows']:>8}  {s['hits']:>8}  {s['misses']:>8}")
    return "\n".join(lines)


def clear_cache(path: str | os.PathLike[str] | None = None, model: str | None = None) -> int:
    """Delete every row (or ``model``'s rows and counters) and compact; returns rows deleted."""
    p = Path(path) if path is not None else default_cache_path()
    if not p.is_file():
        raise FileNotFoundError(f"no cache file at {p}")
    conn = connect_read_write(p, 30.0)
    try:
        with file_errors(p):
            conn.execute("BEGIN IMMEDIATE")
            if model is None:
                n = conn.execute("DELETE FROM generations").rowcount
                conn.execute("DELETE FROM counters")
                conn.execute("DELETE FROM spec_identities")
            else:
                n = conn.execute("DELETE FROM generations WHERE model = ?", (model,)).rowcount
                conn.execute("DELETE FROM counters WHERE model = ?", (model,))
            conn.execute("COMMIT")
            conn.execute("VACUUM")
    finally:
        conn.close()
    return int(n)


def compact_gzip(path: str | os.PathLike[str]) -> bytes:
    """A consistent, vacuumed, gzip-compressed copy of the cache file at ``path`` (its WAL
    included; ``mtime=0``, so the same rows give the same bytes): what a study ships."""
    with file_errors(path), tempfile.TemporaryDirectory() as tmpdir:
        copy = Path(tmpdir) / "cache.sqlite"
        src = sqlite3.connect(file_uri(path, mode="ro"), uri=True)
        dst = sqlite3.connect(copy)
        try:
            src.backup(dst)
            dst.execute("VACUUM")
        finally:
            src.close()
            dst.close()
        return gzip.compress(copy.read_bytes(), mtime=0)
