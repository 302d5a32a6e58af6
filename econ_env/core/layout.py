"""Named observation layouts: one table of fields from which the env writes its observation
vectors, policies read them, and the documentation prints them.

A game declares its fields once, as :class:`FieldSpec` entries whose size is a number or the
name of a dimension of the config (``"n_agents"``, ``"belief_dim"``, ...). :meth:`Layout.build`
resolves the sizes into a :class:`Layout` with fixed offsets. The observation writer fills a
vector with :meth:`Layout.assemble`, which takes one value per field *by name* and refuses a
missing or unknown name, so the writer and the documented table cannot drift apart;
:func:`layout_table` prints the table that the game's ``observation.py`` docstring shows (a test
compares them).

A layout is plain data (:meth:`Layout.to_dict` / :meth:`Layout.from_dict`), so a policy can be
given one without being given the env.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Field", "FieldSpec", "Layout", "layout_table"]


@dataclass(frozen=True)
class FieldSpec:
    """A documented field: its name, size (an int or a dimension name) and meaning."""

    name: str
    size: int | str
    meaning: str


@dataclass(frozen=True)
class Field:
    """A resolved field: name, offset, size and meaning."""

    name: str
    start: int
    size: int
    meaning: str = ""

    @property
    def slice(self) -> slice:
        return slice(self.start, self.start + self.size)


class Layout:
    """Fixed offsets of named fields in a float32 observation vector.

    Args:
        fields: ``(name, size, meaning)`` triples (or :class:`Field` / :class:`FieldSpec`
            with an int size), in vector order; names unique, sizes >= 0.
    """

    def __init__(self, fields: Sequence[Any]) -> None:
        out: list[Field] = []
        start = 0
        for f in fields:
            name, size, meaning = (
                (f.name, f.size, f.meaning) if isinstance(f, (Field, FieldSpec)) else tuple(f)
            )
            if not isinstance(name, str) or not name:
                raise ValueError(f"layout field names must be non-empty strings, got {name!r}")
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise ValueError(f"layout field {name!r}: size must be an int >= 0, got {size!r}")
            out.append(Field(name, start, size, str(meaning)))
            start += size
        names = [f.name for f in out]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"layout field names must be unique; repeated: {dupes}")
        self.fields: tuple[Field, ...] = tuple(out)
        self.size: int = start
        self._by_name = {f.name: f for f in out}
        self._name_set = frozenset(self._by_name)
        self._spans = tuple((f.name, f.start, f.start + f.size) for f in out)

    @classmethod
    def build(cls, specs: Sequence[FieldSpec], dims: Mapping[str, int]) -> Layout:
        """Resolve symbolic sizes with ``dims`` (``ValueError`` naming an unknown dimension)."""
        fields = []
        for s in specs:
            size = s.size
            if isinstance(size, str):
                if size not in dims:
                    raise ValueError(f"field {s.name!r} has size {size!r}; known: {sorted(dims)}")
                size = int(dims[size])
            fields.append((s.name, size, s.meaning))
        return cls(fields)

    # ------------------------------------------------------------------ lookups
    @property
    def names(self) -> tuple[str, ...]:
        """The field names, in vector order."""
        return tuple(f.name for f in self.fields)

    def _field(self, name: str) -> Field:
        try:
            return self._by_name[name]
        except KeyError:
            raise ValueError(
                f"unknown observation field {name!r}; one of {list(self.names)}"
            ) from None

    def slice(self, name: str) -> slice:
        """The index range of field ``name``."""
        return self._field(name).slice

    def index(self, name: str) -> int:
        """The index of a one-entry field (``ValueError`` for unknown or wider fields)."""
        f = self._field(name)
        if f.size != 1:
            raise ValueError(f"field {name!r} has {f.size} entries; use slice({name!r})")
        return f.start

    def field(self, obs: ArrayLike, name: str) -> float | np.ndarray:
        """Read field ``name`` of one observation vector (a float for a one-entry field)."""
        vec = np.asarray(obs)
        f = self._field(name)
        return float(vec[f.start]) if f.size == 1 else vec[f.slice]

    # ------------------------------------------------------------------ writing
    def assemble(self, values: Mapping[str, ArrayLike], rows: int) -> np.ndarray:
        """A ``(rows, size)`` float32 array with every field written from ``values[name]``.

        Every field must be given exactly once (a scalar, one value per row, one row for all
        rows, or a ``(rows, size)`` block); a missing or unknown name raises ``ValueError``.
        """
        if values.keys() != self._name_set:
            missing = [n for n in self.names if n not in values]
            unknown = sorted(set(values) - self._name_set)
            raise ValueError(f"observation fields missing: {missing}; unknown: {unknown}")
        out = np.empty((rows, self.size), dtype=np.float32)
        for name, start, stop in self._spans:
            v = values[name]
            if stop - start == 1 and not (isinstance(v, np.ndarray) and v.ndim == 2):
                out[:, start] = v  # a scalar or one value per row
            else:
                out[:, start:stop] = v
        return out

    # ------------------------------------------------------------------ data
    def to_dict(self) -> dict[str, Any]:
        """``{"fields": [[name, size, meaning], ...]}`` (JSON types)."""
        return {"fields": [[f.name, f.size, f.meaning] for f in self.fields]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Layout:
        """Inverse of :meth:`to_dict` (``ValueError`` on a malformed mapping)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("fields"), list):
            raise ValueError("a layout must be a mapping with a 'fields' list")
        fields = []
        for f in data["fields"]:
            if not isinstance(f, (list, tuple)) or len(f) != 3:
                raise ValueError(f"a layout field must be [name, size, meaning], got {f!r}")
            fields.append(tuple(f))
        return cls(fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Layout) and self.fields == other.fields

    def __hash__(self) -> int:
        return hash(self.fields)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(size={self.size}, fields={list(self.names)})"


def layout_table(specs: Sequence[FieldSpec], width: int = 62) -> str:
    """The reStructuredText table of ``specs`` that the observation modules' docstrings show.

    Index ranges are exact while sizes are numbers, then ``..`` (they depend on the config).
    Long meanings wrap at ``width`` characters.
    """
    name_w = max(len("name"), *(len(s.name) for s in specs))
    rows: list[tuple[str, str, list[str]]] = []
    start: int | None = 0
    for s in specs:
        if start is None:
            index = ".."
        elif isinstance(s.size, int) and s.size == 1:
            index = str(start)
        elif isinstance(s.size, int):
            index = f"{start}..{start + s.size - 1}"
        else:
            index = f"{start}.."
        start = start + s.size if (start is not None and isinstance(s.size, int)) else None
        rows.append((index, s.name, _wrap(s.meaning, width)))
    idx_w = max(len("index"), *(len(r[0]) for r in rows))
    mean_w = max(len("meaning"), *(len(line) for r in rows for line in r[2]))
    rule = f"{'=' * idx_w}  {'=' * name_w}  {'=' * mean_w}"
    lines = [rule, f"{'index':<{idx_w}}  {'name':<{name_w}}  meaning", rule]
    for index, name, meaning in rows:
        lines.append(f"{index:<{idx_w}}  {name:<{name_w}}  {meaning[0]}".rstrip())
        for more in meaning[1:]:
            lines.append(f"{'':<{idx_w}}  {'':<{name_w}}  {more}".rstrip())
    lines.append(rule)
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    lines.append(line)
    return lines
