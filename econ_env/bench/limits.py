"""The limits the verifier and the leaderboard apply to a submission before trusting any of it.

Submissions come from strangers (pull requests). Every limit here is a constant or follows from
the suite, never from the submission, so the verifier's time and memory are bounded by the
suite: the cheap checks (directory entries, file sizes, JSON depth, integer range, the number of
budgets, the number of trace lines) run before anything is expanded or re-scored.
docs/leaderboard.md lists them for submitters.
"""

from __future__ import annotations

__all__ = [
    "MAX_BUDGETS",
    "MAX_DIR_ENTRIES",
    "MAX_ERRORS",
    "MAX_ERROR_CHARS",
    "MAX_GENLOG_BYTES",
    "MAX_GOLD_BYTES",
    "MAX_INT",
    "MAX_JSON_DEPTH",
    "MAX_METADATA_BYTES",
    "MAX_RESULTS_BYTES",
    "MAX_TRACES_BYTES",
    "file_limit",
]

MAX_METADATA_BYTES = 1_000_000
"""``metadata.json``: at most 1 MB (an honest one is about 1.2 KB)."""
MAX_RESULTS_BYTES = 1_000_000
"""``results.json``: at most 1 MB (an honest one is about 1.5 KB)."""
MAX_TRACES_BYTES = 50_000_000
"""``traces.jsonl``: at most 50 MB (a complete dev-suite run is about 7 MB)."""
MAX_GENLOG_BYTES = 200_000_000
"""``generations.jsonl`` (real-model track): at most 200 MB, checked before parsing (a
``--limit 2`` dev run of SmolLM2 is about 1 MB); its lines are bounded too: the run's episodes
times :func:`econ_env.bench.genlog.requests_cap` of the suite's configs."""
MAX_GOLD_BYTES = 10_000_000
"""An external gold file (kept by the maintainers): at most 10 MB."""

MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays/objects in any JSON document (honest files reach 5)."""
MAX_INT = 2**53
"""Largest integer magnitude accepted anywhere (exactly representable as a double)."""
MAX_BUDGETS = 16
"""Most entries in ``metadata.json``'s ``budgets`` (a budget sweep's run)."""
MAX_DIR_ENTRIES = 64
"""Most entries looked at in a submission directory (the three files plus a few extras)."""
MAX_ERRORS = 20
"""Problems listed one by one in a verify report; the rest are counted in one line."""
MAX_ERROR_CHARS = 500
"""Longest problem line; values quoted from a submission are shortened first."""

_FILE_LIMITS = {
    "metadata.json": MAX_METADATA_BYTES,
    "results.json": MAX_RESULTS_BYTES,
    "traces.jsonl": MAX_TRACES_BYTES,
    "generations.jsonl": MAX_GENLOG_BYTES,
}


def file_limit(name: str, cap: int | None = None) -> int:
    """The size limit in bytes of the submission file ``name``, lowered to ``cap`` if given."""
    limit = _FILE_LIMITS[name]
    return limit if cap is None else min(limit, cap)
