"""Hidden evaluation seeds: drawn from a secret at evaluation time, published afterwards.

The maintainer evaluates an agent submission (``econ-env bench evaluate``) on seeds nobody knew
in advance. They come from a 32-byte secret (:func:`new_secret`): the seed ``i`` of a case is the
first four bytes (big-endian) of ``HMAC-SHA256(secret, f"{suite}|{version}|{case}|{i}")``, for
``i = 0, 1, ...``, skipping a value already drawn for that case, until the case has as many seeds
as the suite gives it (:func:`draw_seeds`). The submission's metadata carries the seeds and the
secret's commitment (sha256 hex, :func:`commitment`) but never the secret. When the results are
published the secret is too, and anyone can check that it matches the commitment and re-derives
the seeds (:func:`check_reveal`, ``econ-env bench reveal``), so the maintainer could not have
picked seeds that favour an entry after seeing it.

:func:`seeded_suite` is the suite with each case's seeds replaced: the verifier replays a run
whose metadata holds ``evaluation.seeds`` against it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from typing import Any

from econ_env.bench.suites import Suite

__all__ = [
    "SECRET_BYTES",
    "check_reveal",
    "commitment",
    "derive_seeds",
    "draw_seeds",
    "new_secret",
    "parse_secret",
    "seeded_suite",
]

SECRET_BYTES = 32
"""Length of a secret drawn by :func:`new_secret`."""
_MAX_SEEDS = 4096  # most seeds per case (a case of the shipped suites has 2)
_HEX64 = re.compile(r"[0-9a-f]{64}")


def new_secret() -> bytes:
    """A fresh secret: :data:`SECRET_BYTES` bytes from ``os.urandom``."""
    return os.urandom(SECRET_BYTES)


def commitment(secret: bytes) -> str:
    """The sha256 hex digest of ``secret`` (published before the secret)."""
    _check_secret(secret)
    return hashlib.sha256(secret).hexdigest()


def parse_secret(text: str) -> bytes:
    """The secret written as hex text (as in a secret file); ``ValueError`` otherwise."""
    value = text.strip().lower() if isinstance(text, str) else ""
    if not _HEX64.fullmatch(value):
        raise ValueError(f"a secret is {SECRET_BYTES} bytes written as 64 hex digits")
    return bytes.fromhex(value)


def _check_secret(secret: bytes) -> None:
    if not isinstance(secret, bytes) or len(secret) < 16:
        raise ValueError("secret must be bytes, at least 16 of them (new_secret() draws 32)")


def derive_seeds(
    secret: bytes, suite_name: str, suite_version: str, counts: Mapping[str, int]
) -> dict[str, tuple[int, ...]]:
    """``{case: seeds}`` with ``counts[case]`` unique seeds per case (see the module docstring)."""
    _check_secret(secret)
    out: dict[str, tuple[int, ...]] = {}
    for case, count in counts.items():
        if type(count) is not int or not 1 <= count <= _MAX_SEEDS:
            raise ValueError(f"case {case!r}: seed count must be an int in [1, {_MAX_SEEDS}]")
        seeds: list[int] = []
        i = 0
        while len(seeds) < count:
            msg = f"{suite_name}|{suite_version}|{case}|{i}".encode()
            seed = int.from_bytes(hmac.new(secret, msg, hashlib.sha256).digest()[:4], "big")
            if seed not in seeds:
                seeds.append(seed)
            i += 1
        out[case] = tuple(seeds)
    return out


def draw_seeds(secret: bytes, suite: Suite) -> dict[str, tuple[int, ...]]:
    """Per case of ``suite``, as many hidden seeds as the case has (unique, in ``[0, 2**32)``)."""
    counts = {c.name: len(c.seeds) for c in suite.cases}
    return derive_seeds(secret, suite.name, suite.version, counts)


def seeded_suite(suite: Suite, seeds: Mapping[str, Any]) -> Suite:
    """``suite`` with each case's seeds replaced by ``seeds[case]``.

    ``ValueError`` unless ``seeds`` names exactly the suite's cases, each with as many unique
    ints ``>= 0`` (at most ``2**53``) as the case has seeds. The name and version are kept: the
    episodes differ only in their seeds.
    """
    if not isinstance(seeds, Mapping):
        raise ValueError(f"seeds must map each case to its seeds, got {type(seeds).__name__}")
    names = suite.case_names()
    missing = [c for c in names if c not in seeds]
    extra = [str(c)[:80] for c in seeds if c not in names]
    if missing or extra:
        raise ValueError(
            f"seeds must name exactly the cases of {suite.name} {names}; "
            f"missing {missing}, unknown {extra[:5]}"
        )
    cases = []
    for case in suite.cases:
        got = seeds[case.name]
        ok = (
            isinstance(got, (list, tuple))
            and len(got) == len(case.seeds)
            and all(type(s) is int and 0 <= s <= 2**53 for s in got)
            and len(set(got)) == len(got)
        )
        if not ok:
            raise ValueError(
                f"seeds[{case.name!r}] must be {len(case.seeds)} unique ints in [0, 2**53], "
                f"got {str(got)[:80]}"
            )
        cases.append(dataclasses.replace(case, seeds=tuple(got)))
    return dataclasses.replace(suite, cases=tuple(cases))


def check_reveal(secret_hex: str, metadata: Mapping[str, Any]) -> list[str]:
    """Problems with a published secret (empty when it checks out).

    ``metadata`` is a submission's ``metadata.json`` object: its ``evaluation`` block gives the
    commitment and the seeds, its ``suite`` and ``suite_version`` the names the seeds were drawn
    under. The secret must hash to the commitment and re-derive every case's seeds.
    """
    try:
        secret = parse_secret(secret_hex)
    except ValueError as err:
        return [str(err)]
    evaluation = metadata.get("evaluation") if isinstance(metadata, Mapping) else None
    if not isinstance(evaluation, Mapping):
        return ["the metadata has no evaluation block (not a run of `econ-env bench evaluate`)"]
    problems = []
    claimed = evaluation.get("seed_commitment")
    if not isinstance(claimed, str) or not hmac.compare_digest(claimed, commitment(secret)):
        problems.append("the secret does not match the seed commitment in the metadata")
    seeds = evaluation.get("seeds")
    name, version = metadata.get("suite"), metadata.get("suite_version")
    if not isinstance(seeds, Mapping) or not seeds:
        return [*problems, "the evaluation block has no seeds"]
    if not isinstance(name, str) or not isinstance(version, str):
        return [*problems, "the metadata names no suite and suite_version"]
    counts = {c: len(s) if isinstance(s, list) else 0 for c, s in seeds.items()}
    try:
        derived = derive_seeds(secret, name, version, counts)
    except ValueError as err:
        return [*problems, f"cannot re-derive the seeds: {err}"]
    for case, got in seeds.items():
        if list(derived[case]) != got:
            problems.append(f"case {str(case)[:80]!r}: the seeds are not the ones the secret gives")
    return problems
