"""The ``econ-env cache ...`` commands for the SQLite generation cache (:mod:`econ_env.llm.cache`).

The work is done by :func:`~econ_env.llm.cache_file.cache_stats`,
:func:`~econ_env.llm.cache_file.format_stats` and :func:`~econ_env.llm.cache_file.clear_cache`
(re-exported here); this module only parses and prints.

- ``econ-env cache stats [--path P] [--json]``: file, rows, size, hits and misses, per model;
- ``econ-env cache clear [--path P] [--model M]``: delete all rows (or one model's) and compact.

``--path`` defaults to ``$ECON_ENV_HOME/cache/generations.sqlite``; ``stats`` opens it read-only
(a published, read-only cache works). A missing, corrupt or foreign file prints an error naming
it and exits with 1.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
from typing import Any

from econ_env.llm.cache_file import (
    CacheFileError,
    cache_stats,
    clear_cache,
    default_cache_path,
    format_stats,
)

__all__ = ["add_commands", "cache_stats", "clear_cache", "format_stats", "run_command"]


def add_commands(sub: Any) -> list[str]:
    """Register ``cache stats`` and ``cache clear`` on an argparse subparsers object."""
    cache = sub.add_parser("cache", help="inspect or clear the SQLite generation cache")
    csub = cache.add_subparsers(dest="cache_command", required=True)
    st = csub.add_parser("stats", help="rows, size, hits/misses per model")
    st.add_argument("--path", default=None, help=f"cache file (default {default_cache_path()})")
    st.add_argument("--json", action="store_true", help="print JSON instead of a table")
    cl = csub.add_parser("clear", help="delete cached generations")
    cl.add_argument("--path", default=None, help="cache file (default: the default cache)")
    cl.add_argument("--model", default=None, help="only this model's rows (see cache stats)")
    return ["cache"]


def run_command(args: argparse.Namespace) -> int:
    """Dispatch a parsed ``cache`` command; returns the exit code."""
    try:
        if args.cache_command == "stats":
            stats = cache_stats(args.path)
            print(json.dumps(stats, indent=2) if args.json else format_stats(stats))
            return 0
        n = clear_cache(args.path, args.model)
    except (FileNotFoundError, CacheFileError, sqlite3.DatabaseError) as err:
        print(f"econ-env cache: {err}")
        return 1
    what = f"model {args.model!r}" if args.model else "all models"
    print(f"deleted {n} rows ({what})")
    return 0
