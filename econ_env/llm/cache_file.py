"""The generation cache's SQLite file, outside any backend: where it lives by default, its
statistics, and clearing it (``econ-env cache stats|clear`` print these; the cached backend of
:mod:`econ_env.llm.cache` reports them too)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

__all__ = ["cache_stats", "clear_cache", "default_cache_path", "format_stats"]


def default_cache_path() -> Path:
    """``$ECON_ENV_HOME/cache/generations.sqlite`` (default home ``~/.cache/econ-env``)."""
    root = os.environ.get("ECON_ENV_HOME") or os.path.join(Path.home(), ".cache", "econ-env")
    return Path(root) / "cache" / "generations.sqlite"


def cache_stats(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Statistics of a cache file: path, rows, bytes (with WAL), per model rows/hits/misses."""
    p = Path(path) if path is not None else default_cache_path()
    if not p.exists():
        raise FileNotFoundError(f"no cache file at {p}")
    size = sum(
        Path(f"{p}{suffix}").stat().st_size
        for suffix in ("", "-wal", "-shm")
        if Path(f"{p}{suffix}").exists()
    )
    conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=30.0)
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        models: dict[str, dict[str, int]] = {}
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
    if not p.exists():
        raise FileNotFoundError(f"no cache file at {p}")
    conn = sqlite3.connect(p, timeout=30.0, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("BEGIN IMMEDIATE")
        if model is None:
            n = conn.execute("DELETE FROM generations").rowcount
            conn.execute("DELETE FROM counters")
            conn.execute("DELETE FROM specs")
        else:
            n = conn.execute("DELETE FROM generations WHERE model = ?", (model,)).rowcount
            conn.execute("DELETE FROM counters WHERE model = ?", (model,))
        conn.execute("COMMIT")
        conn.execute("VACUUM")
    finally:
        conn.close()
    return int(n)
