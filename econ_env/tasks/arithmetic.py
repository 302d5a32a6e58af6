"""Procedural, seedable, unlimited numeric tasks from the PyPI library ``reasoning-gym``.

:class:`ReasoningGymSource` wraps one or more reasoning-gym procedural datasets with numeric
answers (default ``basic_arithmetic``; also e.g. ``chain_sum``, ``decimal_arithmetic``,
``gsm_symbolic``). reasoning-gym builds item ``idx`` of a dataset from ``Random(seed + idx)``,
so an item is fully determined by (generator, config, seed, idx) and is regenerated on demand:

* ``sample(rng)`` draws the generator (by ``weights``) and ``idx`` in ``[0, size)`` from
  ``rng`` only, so the same ``rng`` state gives the same item;
* ids are ``"rg/<generator>/<seed>/<idx>"``; when the generator's settings differ from
  reasoning-gym's defaults a short hash of the overrides is appended to the generator name
  (``"rg/basic_arithmetic+1a2b3c4d/0/17"``) so that ids never collide across settings;
  ``get(id)`` regenerates the item (``KeyError`` if the id belongs to other settings);
* ``gold`` is the answer as a clean numeric string (a plain decimal as given, else the
  canonical form of :func:`~econ_env.tasks.answers.normalize_answer`);
* ``meta["difficulty"]`` is a heuristic in [0, 1]: with ``num_terms``/``num_digits`` metadata
  ``0.1 + 0.45 * min(1, (terms - 2) / 8) + 0.45 * min(1, (digits - 1) / 5)``; for
  ``gsm_symbolic`` ``min(1, solution steps / 8)``; otherwise ``min(1, numbers in question / 10)``.

Dataset objects are cached per (generator, seed). reasoning-gym's ``basic_arithmetic`` finds
divisors by trial division up to the square root of a product of operands, which took up to a
second for rare items; building a source therefore swaps that helper
(``reasoning_gym.arithmetic.basic_arithmetic.find_common_divisors``) for
:func:`common_divisors`, which returns the identical list (same values, same order) via
Pollard-rho factorisation, so items are unchanged and a ``sample`` stays well under 1 ms.
``reasoning_gym`` (about 1 s to import) is imported when the first source is built, never at
``import econ_env``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from econ_env.tasks.answers import normalize_answer
from econ_env.tasks.base import TaskItem

__all__ = ["ReasoningGymSource", "common_divisors", "make_arithmetic", "make_gsm_symbolic"]

_PLAIN_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?")
_COUNT_NUMBERS_RE = re.compile(r"\d+(?:\.\d+)?")
_CACHE_LIMIT = 64


def _clip01(x: float) -> float:
    return min(1.0, max(0.0, x))


# ----------------------------------------------------------------------------- divisors
_SMALL_PRIMES = [p for p in range(2, 1000) if all(p % q for q in range(2, math.isqrt(p) + 1))]
_MR_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71)


def _is_prime(n: int) -> bool:
    """Miller-Rabin; deterministic below 3.3e24 and with 20 bases far beyond."""
    if n < 2:
        return False
    for p in _MR_BASES:
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for a in _MR_BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _pollard_brent(n: int) -> int:
    """A non-trivial factor of the odd composite ``n`` (deterministic sequence of constants)."""
    for c in range(1, 10_000):
        y, m, g, r, q = 2, 128, 1, 1, 1
        x = ys = y
        while g == 1:
            x = y
            for _ in range(r):
                y = (y * y + c) % n
            k = 0
            while k < r and g == 1:
                ys = y
                for _ in range(min(m, r - k)):
                    y = (y * y + c) % n
                    q = q * abs(x - y) % n
                g = math.gcd(q, n)
                k += m
            r *= 2
        if g == n:
            g = 1
            while g == 1:
                ys = (ys * ys + c) % n
                g = math.gcd(abs(x - ys), n)
        if g != n:
            return g
    raise ArithmeticError(f"no factor found for {n}")  # pragma: no cover


def _factor(n: int, out: dict[int, int]) -> None:
    for p in _SMALL_PRIMES:
        if p * p > n:
            break
        while n % p == 0:
            out[p] = out.get(p, 0) + 1
            n //= p
    stack = [n] if n > 1 else []
    while stack:
        m = stack.pop()
        if _is_prime(m):
            out[m] = out.get(m, 0) + 1
        else:
            f = _pollard_brent(m)
            stack += [f, m // f]


def common_divisors(a: int, b: int) -> list[int]:
    """All divisors of ``gcd(|a|, |b|)`` in reasoning-gym's order ``[1, g, d2, g // d2, ...]``."""
    g = math.gcd(abs(a), abs(b))
    if g == 0:
        return []
    factors: dict[int, int] = {}
    _factor(g, factors)
    divisors = [1]
    for p, e in factors.items():
        divisors = [d * p**k for d in divisors for k in range(e + 1)]
    out: list[int] = []
    for d in sorted(d for d in divisors if d * d <= g):
        out.append(d)
        if d * d != g:
            out.append(g // d)
    return out


def _install_fast_divisors() -> None:
    from reasoning_gym.arithmetic import basic_arithmetic

    if basic_arithmetic.find_common_divisors is not common_divisors:
        basic_arithmetic.find_common_divisors = common_divisors


class ReasoningGymSource:
    """Unlimited numeric task items from reasoning-gym generators (see the module docstring).

    Args:
        generators: reasoning-gym dataset name(s), each with numeric answers.
        weights: sampling weight per generator (default uniform); non-negative, positive sum.
        seed: base seed of the reasoning-gym datasets (part of every id).
        size: number of distinct indices per generator to draw from (>= 1).
        name: the source's name.
        configs: per-generator overrides of reasoning-gym config fields,
            e.g. ``{"basic_arithmetic": {"max_terms": 4}}``.
        **settings: overrides applied to every generator whose config has that field
            (e.g. ``min_terms=2, max_terms=4, max_digits=3``); a field no generator knows
            raises ``ValueError``.
    """

    def __init__(
        self,
        generators: str | Sequence[str] = ("basic_arithmetic",),
        *,
        weights: Sequence[float] | None = None,
        seed: int = 0,
        size: int = 100_000,
        name: str = "arithmetic",
        configs: Mapping[str, Mapping[str, Any]] | None = None,
        **settings: Any,
    ) -> None:
        from reasoning_gym.factory import DATASETS  # heavy import, deliberately lazy

        _install_fast_divisors()

        gens = (generators,) if isinstance(generators, str) else tuple(generators)
        if not gens:
            raise ValueError("generators must name at least one reasoning-gym dataset")
        unknown = [g for g in gens if g not in DATASETS]
        if unknown:
            raise ValueError(
                f"generators: unknown reasoning-gym datasets {unknown}; "
                f"e.g. basic_arithmetic, chain_sum, decimal_arithmetic, gsm_symbolic"
            )
        if len(set(gens)) != len(gens):
            raise ValueError(f"generators must be distinct, got {gens}")
        if not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {seed!r}")
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"size must be an int >= 1, got {size!r}")
        if weights is None:
            probs = np.full(len(gens), 1.0 / len(gens))
        else:
            probs = np.asarray(weights, dtype=np.float64)
            if probs.shape != (len(gens),) or np.any(probs < 0) or not probs.sum() > 0:
                raise ValueError(
                    f"weights must be {len(gens)} non-negative numbers with a positive sum, "
                    f"got {weights!r}"
                )
            probs = probs / probs.sum()
        configs = dict(configs or {})
        bad = set(configs) - set(gens)
        if bad:
            raise ValueError(f"configs: keys {sorted(bad)} are not among generators {gens}")

        self.name = name
        self.generators = gens
        self.seed = seed
        self.size = size
        self._probs = probs
        self._cum = np.cumsum(probs)
        self._overrides: dict[str, dict[str, Any]] = {}
        self._tags: dict[str, str] = {}
        used: set[str] = set()
        for gen in gens:
            fields = {f.name for f in dataclasses.fields(DATASETS[gen][1])} - {"seed", "size"}
            over = {k: v for k, v in settings.items() if k in fields}
            used |= set(over)
            extra = dict(configs.get(gen, {}))
            bad_fields = set(extra) - fields
            if bad_fields:
                raise ValueError(
                    f"configs[{gen!r}]: unknown fields {sorted(bad_fields)}; "
                    f"allowed: {sorted(fields)}"
                )
            over.update(extra)
            self._overrides[gen] = over
            self._tags[gen] = self._tag(over)
        unused = set(settings) - used
        if unused:
            raise ValueError(f"settings {sorted(unused)} match no config field of {gens}")
        self._datasets: dict[tuple[str, int], Any] = {}
        for gen in gens:  # fail early on bad settings or non-numeric generators
            item = self._make(gen, seed, 0)
            if normalize_answer(item.gold, "numeric") is None:
                raise ValueError(f"generators: {gen!r} does not produce numeric answers")

    @staticmethod
    def _tag(overrides: Mapping[str, Any]) -> str:
        if not overrides:
            return ""
        blob = json.dumps(overrides, sort_keys=True, default=list)
        return "+" + hashlib.sha1(blob.encode()).hexdigest()[:8]

    def _dataset(self, gen: str, seed: int) -> Any:
        key = (gen, seed)
        ds = self._datasets.get(key)
        if ds is None:
            import reasoning_gym

            if len(self._datasets) >= _CACHE_LIMIT:
                self._datasets.clear()
            try:
                ds = reasoning_gym.create_dataset(
                    gen, seed=seed, size=self.size, **self._overrides[gen]
                )
            except (AssertionError, TypeError) as exc:
                raise ValueError(f"invalid settings for {gen!r}: {exc}") from None
            self._datasets[key] = ds
        return ds

    def _make(self, gen: str, seed: int, idx: int) -> TaskItem:
        raw = self._dataset(gen, seed)[idx]
        answer = str(raw["answer"]).strip()
        gold = answer if _PLAIN_NUMBER_RE.fullmatch(answer) else normalize_answer(answer, "numeric")
        md = raw.get("metadata", {})
        meta: dict[str, Any] = {
            "source": f"reasoning_gym/{gen}",
            "generator": gen,
            "seed": seed,
            "index": idx,
            "difficulty": self._difficulty(raw["question"], md),
        }
        for key in ("expression", "num_terms", "num_digits"):
            if key in md:
                meta[key] = md[key]
        return TaskItem(
            id=f"rg/{gen}{self._tags[gen]}/{seed}/{idx}",
            question=raw["question"],
            gold=gold if gold is not None else answer,
            kind="numeric",
            meta=meta,
        )

    @staticmethod
    def _difficulty(question: str, md: Mapping[str, Any]) -> float:
        terms, digits = md.get("num_terms"), md.get("num_digits")
        if isinstance(terms, int) and isinstance(digits, int):
            t = _clip01((terms - 2) / 8.0)
            d = _clip01((digits - 1) / 5.0)
            return round(_clip01(0.1 + 0.45 * t + 0.45 * d), 4)
        cot = md.get("answer_cot")
        if isinstance(cot, str):
            steps = sum(1 for line in cot.splitlines() if line.strip() and "####" not in line)
            return round(_clip01(steps / 8.0), 4)
        return round(_clip01(len(_COUNT_NUMBERS_RE.findall(question)) / 10.0), 4)

    def sample(self, rng: np.random.Generator) -> TaskItem:
        """Draw one item using only ``rng`` (generator by weight, then an index)."""
        g = 0
        if len(self.generators) > 1:
            g = min(int(np.searchsorted(self._cum, rng.random(), side="right")), len(self._cum) - 1)
        idx = int(rng.integers(self.size))
        return self._make(self.generators[g], self.seed, idx)

    def get(self, item_id: str) -> TaskItem:
        """Regenerate the item with this id (``KeyError`` naming the id when it is not ours)."""
        parts = item_id.split("/")
        if len(parts) == 4 and parts[0] == "rg" and parts[2].isdigit() and parts[3].isdigit():
            gen, _, tag = parts[1].partition("+")
            if gen in self._tags and self._tags[gen] == (f"+{tag}" if tag else ""):
                return self._make(gen, int(parts[2]), int(parts[3]))
        raise KeyError(
            f"no item with id {item_id!r} in task source {self.name!r} "
            f"(generators {self.generators}, settings {self._overrides})"
        )

    def ids(self) -> None:
        """``None``: the source is unlimited."""
        return None

    def __repr__(self) -> str:
        return (
            f"ReasoningGymSource(name={self.name!r}, generators={self.generators}, "
            f"seed={self.seed}, size={self.size})"
        )


def make_arithmetic(
    generators: str | Sequence[str] = ("basic_arithmetic",), **kwargs: Any
) -> ReasoningGymSource:
    """Factory for the ``"arithmetic"`` task (default: reasoning-gym ``basic_arithmetic``)."""
    kwargs.setdefault("name", "arithmetic")
    return ReasoningGymSource(generators, **kwargs)


def make_gsm_symbolic(**kwargs: Any) -> ReasoningGymSource:
    """Factory for the ``"gsm_symbolic"`` task (GSM-Symbolic templated word problems)."""
    kwargs.setdefault("name", "gsm_symbolic")
    return ReasoningGymSource(("gsm_symbolic",), **kwargs)
