"""Task items, answer extraction and checking, and the task sources (registry, datasets).

``make_task(name, **kwargs)`` builds a source by name (``list_tasks()`` lists them);
``extract_answer`` / ``normalize_answer`` / ``check_answer`` read and score answers;
``task_features`` turns an item into the fixed-size vector used in observations.
"""

from econ_env.tasks.answers import (
    CHOICE_LETTERS,
    answers_agree,
    check_answer,
    extract_answer,
    normalize_answer,
    parse_numeric,
)
from econ_env.tasks.arithmetic import ReasoningGymSource
from econ_env.tasks.base import TASK_KINDS, TaskItem, TaskKind, TaskSource
from econ_env.tasks.bundled import FiniteTaskSource, from_jsonl
from econ_env.tasks.features import TASK_FEATURE_DIM, TASK_FEATURE_NAMES, task_features
from econ_env.tasks.gsm8k import load_gsm8k
from econ_env.tasks.mmlu import format_choice_question, load_mmlu
from econ_env.tasks.registry import list_tasks, make_task, register_task

__all__ = [
    "CHOICE_LETTERS",
    "TASK_FEATURE_DIM",
    "TASK_FEATURE_NAMES",
    "TASK_KINDS",
    "FiniteTaskSource",
    "ReasoningGymSource",
    "TaskItem",
    "TaskKind",
    "TaskSource",
    "answers_agree",
    "check_answer",
    "extract_answer",
    "format_choice_question",
    "from_jsonl",
    "list_tasks",
    "load_gsm8k",
    "load_mmlu",
    "make_task",
    "normalize_answer",
    "parse_numeric",
    "register_task",
    "task_features",
]
