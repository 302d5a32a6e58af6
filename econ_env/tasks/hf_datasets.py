"""Task sources read through Hugging Face ``datasets``: any question/answer table.

``make_task("hf", path=..., ...)`` (:func:`load_hf_task`, options in :class:`HFTaskConfig`) turns
a table with a question and an answer column into a :class:`DatasetTaskSource`; the presets
``gsm8k_full``, ``svamp``, ``math500`` and ``mmlu_full`` (:mod:`econ_env.tasks.hf_presets`) fix
the field mappings and answer parsing of four benchmarks on top of :func:`open_dataset`.

:func:`open_dataset` takes a local JSONL / JSON / Parquet / Arrow / CSV file (read with
``datasets.load_dataset("json" | "parquet" | "arrow" | "csv", data_files={split: file})``, so
any split name fits a single file), a ``save_to_disk`` folder (``load_from_disk``; a
``DatasetDict`` folder by split) or a folder of data files (``load_dataset(folder)``), and
otherwise a hub id. With ``HF_DATASETS_OFFLINE=1`` (or ``HF_HUB_OFFLINE=1``, read at call time)
the hub is never contacted and a hub id loads only from the local ``datasets`` cache; when it
cannot be loaded, :class:`DatasetUnavailableError` names the env var and the ``path=`` option.
Items keep the row order; ids are ``<name>/<split>/<row index or id_field>``; ``limit`` keeps
the first rows; sampling is :class:`~econ_env.tasks.bundled.FiniteTaskSource`'s
(``rng.integers`` on the caller's generator).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from econ_env.tasks.answers import CHOICE_LETTERS, extract_answer, normalize_answer
from econ_env.tasks.base import TASK_KINDS, TaskItem
from econ_env.tasks.bundled import FiniteTaskSource
from econ_env.tasks.gsm8k import parse_gsm8k_answer
from econ_env.tasks.mmlu import format_choice_question

__all__ = [
    "ANSWER_FORMATS",
    "DATA_FILE_BUILDERS",
    "DatasetTaskSource",
    "DatasetUnavailableError",
    "HFTaskConfig",
    "dataset_rows",
    "gold_from_value",
    "hf_offline",
    "items_from_rows",
    "load_hf_task",
    "number_gold",
    "open_dataset",
]

DATA_FILE_BUILDERS = {
    ".jsonl": "json",
    ".json": "json",
    ".parquet": "parquet",
    ".arrow": "arrow",
    ".csv": "csv",
}
ANSWER_FORMATS = ("auto", "plain", "number", "gsm8k", "boxed", "index", "letter")
_TRUE = {"1", "ON", "YES", "TRUE"}


class DatasetUnavailableError(RuntimeError):
    """No source of a dataset could be reached (message says what to do)."""


class DatasetTaskSource(FiniteTaskSource):
    """A :class:`FiniteTaskSource` that remembers where its rows came from (``origin``)."""

    def __init__(self, name: str, items: Sequence[TaskItem], *, origin: str) -> None:
        super().__init__(name, items)
        self.origin = origin

    def filter(self, predicate: Any, *, name: str | None = None) -> DatasetTaskSource:
        """A new source with the items for which ``predicate(item)`` is true."""
        kept = [it for it in self.items() if predicate(it)]
        return DatasetTaskSource(name or self.name, kept, origin=self.origin)

    def __repr__(self) -> str:
        return f"DatasetTaskSource(name={self.name!r}, n_items={len(self)}, origin={self.origin!r})"


# ----------------------------------------------------------------------------- opening
def _datasets() -> Any:
    try:
        import datasets
    except ImportError:
        raise ImportError(
            "loading Hugging Face datasets needs the 'datasets' package: "
            "pip install 'econ-env[datasets]'"
        ) from None
    return datasets


def hf_offline() -> bool:
    """Whether the hub must not be contacted (``HF_DATASETS_OFFLINE``, else ``HF_HUB_OFFLINE``)."""
    for var in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE"):
        value = os.environ.get(var)
        if value is not None:
            return value.strip().upper() in _TRUE
    return bool(getattr(_datasets().config, "HF_HUB_OFFLINE", False))


@contextlib.contextmanager
def _offline_mode(offline: bool) -> Iterator[None]:
    """Make ``datasets`` honour an offline env var set after it was imported."""
    config = _datasets().config
    if not offline or config.HF_HUB_OFFLINE:
        yield
        return
    config.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        config.HF_HUB_OFFLINE = False


def _looks_local(path: str) -> bool:
    p = Path(path)
    return (
        p.is_absolute()
        or path.startswith((".", "~"))
        or path.count("/") > 1
        or "\\" in path
        or "".join(p.suffixes[-2:]).removesuffix(".gz") in DATA_FILE_BUILDERS
        or p.suffix in DATA_FILE_BUILDERS
    )


def _pick_split(obj: Any, split: str, where: str) -> Any:
    if not hasattr(obj, "keys"):  # a Dataset: the folder holds one split
        return obj
    if split not in obj:
        raise ValueError(f"split {split!r} not in {where}; available splits: {sorted(obj)}")
    return obj[split]


def open_dataset(
    path: str | Path,
    *,
    split: str = "test",
    config: str | None = None,
    revision: str | None = None,
    cache_dir: str | None = None,
    hint: str = "",
) -> tuple[Any, str]:
    """A ``datasets.Dataset`` for ``path`` (local file/folder or hub id) and its origin label.

    A single local file is read as split ``split`` whatever its name. ``hint`` is appended to
    the error raised when a hub id cannot be loaded (presets name their offline package).
    """
    datasets = _datasets()
    text = str(path)
    local = Path(text).expanduser()
    if local.is_dir():
        if (local / "dataset_dict.json").exists() or (local / "state.json").exists():
            return _pick_split(datasets.load_from_disk(str(local)), split, text), f"disk:{local}"
        loaded = datasets.load_dataset(str(local), cache_dir=cache_dir)
        return _pick_split(loaded, split, text), f"folder:{local}"
    if local.is_file():
        suffix = local.suffix if local.suffix != ".gz" else Path(local.stem).suffix
        builder = DATA_FILE_BUILDERS.get(suffix)
        if builder is None:
            raise ValueError(
                f"path {text!r}: unsupported file type {suffix!r}; "
                f"use one of {sorted(DATA_FILE_BUILDERS)} or a save_to_disk folder"
            )
        try:
            ds = datasets.load_dataset(
                builder, data_files={split: str(local)}, split=split, cache_dir=cache_dir
            )
        except Exception as err:
            raise ValueError(f"cannot read {text!r} as {builder}: {err}") from err
        return ds, f"file:{local}"
    if _looks_local(text):
        raise FileNotFoundError(
            f"path {text!r} does not exist (expected a local JSONL/Parquet/Arrow/CSV file or a "
            "folder; a hub dataset is named 'owner/name')"
        )
    offline = hf_offline()
    try:
        with _offline_mode(offline):
            ds = datasets.load_dataset(
                text, config, split=split, revision=revision, cache_dir=cache_dir
            )
    except Exception as err:
        env_var = next(
            (v for v in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE") if os.environ.get(v)),
            "HF_DATASETS_OFFLINE",
        )
        why = (
            f"offline mode is on ({env_var}) and it is not in the local datasets cache"
            if offline
            else "the hub could not be reached or has no such dataset/config/split"
        )
        fixes = ["pass path=<a local .jsonl/.parquet/.arrow file or save_to_disk folder>"]
        fixes += [hint] if hint else []
        fixes += [f"unset {env_var} to download it"] if offline else []
        raise DatasetUnavailableError(
            f"cannot load hub dataset {text!r} (config {config!r}, split {split!r}): {why} "
            f"[{type(err).__name__}: {str(err)[:300]}]. To fix: " + "; or ".join(fixes) + "."
        ) from err
    return ds, f"hub:{text}"


def dataset_rows(ds: Any, required: Sequence[str], where: str) -> list[dict[str, Any]]:
    """The rows of ``ds`` as dicts, after checking that the ``required`` columns exist."""
    columns = list(ds.column_names)
    for field_name in required:
        if field_name not in columns:
            raise ValueError(f"field {field_name!r} not in {where}; columns: {columns}")
    return list(ds.to_list())


# ----------------------------------------------------------------------------- generic
def _fields(value: str | Sequence[str] | None, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    out = (value,) if isinstance(value, str) else tuple(value)
    if not out or not all(isinstance(v, str) and v for v in out):
        raise ValueError(f"{name} must be a column name or a non-empty list of them, got {value!r}")
    return out


@dataclass(frozen=True)
class HFTaskConfig:
    """How to read a question/answer table (the keyword arguments of ``make_task("hf")``).

    Attributes:
        path: hub id (``"openai/gsm8k"``) or a local file / ``save_to_disk`` folder.
        split: split name (a single local file is read as this split).
        config: hub configuration name (``"main"`` for ``openai/gsm8k``).
        question_field: column, or columns joined with a space, holding the question.
        answer_field: column holding the answer.
        kind: ``numeric``, ``choice``, ``latex`` or ``code``.
        answer_format: ``auto`` (by kind and value), ``plain``, ``number``, ``gsm8k``
            (``#### N``), ``boxed`` (last ``\\boxed{}``), ``index`` (0-based choice index),
            ``letter``.
        choices_field: for ``choice``: a list column, or several option columns.
        id_field: column used in the item id (default: the row index).
        difficulty_field: column with a difficulty in [0, 1] (default 0.5 for every item).
        task_name: source name and id prefix (default: the hub id or the file stem).
        limit: keep only the first ``limit`` rows (>= 1).
        revision / cache_dir: passed to ``datasets.load_dataset``.
    """

    path: str
    split: str = "test"
    config: str | None = None
    question_field: str | tuple[str, ...] = "question"
    answer_field: str = "answer"
    kind: str = "numeric"
    answer_format: str = "auto"
    choices_field: str | tuple[str, ...] | None = None
    id_field: str | None = None
    difficulty_field: str | None = None
    task_name: str | None = None
    limit: int | None = None
    revision: str | None = None
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.path, (str, Path)) or not str(self.path).strip():
            raise ValueError(f"path must be a hub id or a local path, got {self.path!r}")
        object.__setattr__(self, "path", str(self.path))
        if not isinstance(self.split, str) or not self.split:
            raise ValueError(f"split must be a non-empty string, got {self.split!r}")
        object.__setattr__(self, "question_field", _fields(self.question_field, "question_field"))
        if not isinstance(self.answer_field, str) or not self.answer_field:
            raise ValueError(f"answer_field must be a column name, got {self.answer_field!r}")
        if self.kind not in TASK_KINDS:
            raise ValueError(f"kind must be one of {TASK_KINDS}, got {self.kind!r}")
        if self.answer_format not in ANSWER_FORMATS:
            raise ValueError(
                f"answer_format must be one of {ANSWER_FORMATS}, got {self.answer_format!r}"
            )
        object.__setattr__(self, "choices_field", _fields(self.choices_field, "choices_field"))
        if self.kind == "choice" and self.choices_field is None:
            raise ValueError("choices_field is required when kind='choice'")
        if self.limit is not None and (
            isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1
        ):
            raise ValueError(f"limit must be an integer >= 1 or None, got {self.limit!r}")
        if self.task_name is not None and (
            not isinstance(self.task_name, str) or not self.task_name
        ):
            raise ValueError(
                f"task_name must be a non-empty string or None, got {self.task_name!r}"
            )

    @property
    def source_name(self) -> str:
        """The source name (and item id prefix)."""
        if self.task_name:
            return self.task_name
        p = Path(self.path)
        if p.exists() or _looks_local(self.path):
            return p.name.split(".")[0] or "hf"
        return self.path


def number_gold(value: Any) -> str:
    """A numeric answer as a clean string (``27.0`` -> ``"27"``, ``"1,234"`` -> ``"1234"``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip().replace(",", "")
    key = normalize_answer(text, "numeric")
    if key is None:
        raise ValueError(f"not a number: {value!r}")
    if "/" in key and "/" not in text:  # keep a decimal as written ("2.50" -> "2.5")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return key


def gold_from_value(value: Any, fmt: str, kind: str, n_choices: int, choices: Sequence[str]) -> str:
    if fmt == "auto":
        if kind == "numeric":
            fmt = "gsm8k" if isinstance(value, str) and "####" in value else "number"
        elif kind == "choice":
            text = str(value).strip()
            if isinstance(value, int) or text.isdigit():
                fmt = "index"
            elif text in choices and len(text) > 1:
                return CHOICE_LETTERS[list(choices).index(text)]
            else:
                fmt = "letter"
        elif kind == "latex":
            fmt = "boxed" if "\\boxed" in str(value) else "plain"
        else:
            fmt = "plain"
    if fmt == "gsm8k":
        return parse_gsm8k_answer(str(value))
    if fmt == "number":
        return number_gold(value)
    if fmt == "boxed":
        found = extract_answer(str(value), "latex")
        if found is None:
            raise ValueError(f"no \\boxed{{...}} answer in {str(value)[:80]!r}")
        return found
    if fmt == "index":
        index = int(value)
        if not 0 <= index < n_choices:
            raise ValueError(f"choice index {index} is outside 0..{n_choices - 1}")
        return CHOICE_LETTERS[index]
    if fmt == "letter":
        letter = str(value).strip().upper()
        if letter not in CHOICE_LETTERS[:n_choices]:
            raise ValueError(f"answer {value!r} is not one of {CHOICE_LETTERS[:n_choices]!r}")
        return letter
    text = str(value).strip()
    if not text:
        raise ValueError("empty answer")
    return text


def _meta_value(value: Any) -> bool:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return True
    return isinstance(value, list) and all(isinstance(v, (str, int, float, bool)) for v in value)


def items_from_rows(
    rows: Sequence[Mapping[str, Any]], cfg: HFTaskConfig, where: str
) -> list[TaskItem]:
    """Task items from table rows read with the mapping in ``cfg`` (errors name row and field)."""
    name, split = cfg.source_name, cfg.split
    used = {*cfg.question_field, cfg.answer_field, *(cfg.choices_field or ())}
    items = []
    for i, row in enumerate(rows):
        try:
            question = " ".join(str(row[f]).strip() for f in cfg.question_field)
            choices: tuple[str, ...] = ()
            if cfg.choices_field is not None:
                if len(cfg.choices_field) == 1:
                    choices = tuple(str(c).strip() for c in row[cfg.choices_field[0]])
                else:
                    choices = tuple(str(row[f]).strip() for f in cfg.choices_field)
                question = format_choice_question(question, choices)
            gold = gold_from_value(
                row[cfg.answer_field], cfg.answer_format, cfg.kind, len(choices), choices
            )
            difficulty = 0.5
            if cfg.difficulty_field is not None:
                difficulty = float(row[cfg.difficulty_field])
                if not 0.0 <= difficulty <= 1.0:
                    raise ValueError(f"{cfg.difficulty_field!r} = {difficulty} is not in [0, 1]")
            key = row[cfg.id_field] if cfg.id_field is not None else i
        except (ValueError, TypeError, KeyError) as err:
            raise ValueError(f"{where}, row {i}: {err}") from None
        meta = {k: v for k, v in row.items() if k not in used and _meta_value(v)}
        meta.update(source=name, split=split, row=i, difficulty=difficulty)
        if choices:
            meta["choices"] = choices
        items.append(TaskItem(f"{name}/{split}/{key}", question, gold, cfg.kind, meta))  # type: ignore[arg-type]
    return items


def load_hf_task(**kwargs: Any) -> DatasetTaskSource:
    """The ``hf`` task: any question/answer dataset (keyword arguments of :class:`HFTaskConfig`)."""
    known = [f.name for f in fields(HFTaskConfig)]
    unknown = sorted(set(kwargs) - set(known))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for task 'hf'; known: {known}")
    cfg = HFTaskConfig(**kwargs)
    ds, origin = open_dataset(
        cfg.path,
        split=cfg.split,
        config=cfg.config,
        revision=cfg.revision,
        cache_dir=cfg.cache_dir,
    )
    if cfg.limit is not None:
        ds = ds.select(range(min(cfg.limit, len(ds))))
    where = f"{cfg.path!r} split {cfg.split!r}"
    required = [*cfg.question_field, cfg.answer_field, *(cfg.choices_field or ())]
    required += [f for f in (cfg.id_field, cfg.difficulty_field) if f is not None]
    rows = dataset_rows(ds, required, where)
    if not rows:
        raise ValueError(f"{where} has no rows")
    return DatasetTaskSource(cfg.source_name, items_from_rows(rows, cfg, where), origin=origin)
