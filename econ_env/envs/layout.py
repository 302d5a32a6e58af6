"""Named scalar fields of the environments' observation vectors."""

from __future__ import annotations


def scalar_index(scalars: tuple[str, ...], name: str) -> int:
    """Index of scalar field ``name`` (``ValueError`` naming the allowed names otherwise)."""
    try:
        return scalars.index(name)
    except ValueError:
        raise ValueError(f"unknown scalar observation field {name!r}; one of {scalars}") from None
