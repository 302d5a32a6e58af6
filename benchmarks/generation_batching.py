"""Generation throughput of the ``hf`` backend: batched vs sequential drafts, and batch scaling.

Default mode (SmolLM2-135M-Instruct, CPU or GPU): each round builds the n draft requests of one
auction_v0 reset (the env's own draft prompts for a bundled GSM8K question, sampled at
temperature 0.7 with per-request seeds) and generates them once as one batched call and once as
n sequential calls, alternating which goes first. The seeds make both produce the same tokens,
so tokens/s compare the same work. Prints tokens/s of each and their ratio per round and the
median ratio (target >= 3x at n = 4 on CPU).

``--qwen2-random``: a Qwen2 architecture with random weights (config built in code, no download;
``--size 0.5b`` = Qwen2.5-0.5B's shape, 494M parameters; ``--size tiny`` for a quick CPU run)
behind a synthetic word-level tokenizer, saved to a temporary folder and loaded by the ``hf``
backend. For batch 1/8/64 it prints tokens/s through the backend and through a bare greedy
KV-cache loop over the same model, against the memory-bandwidth bound on decoding
``batch / (params x bytes/param / bandwidth)`` (weights read once per step; KV-cache reads and
compute ignored), and the measured ratios between batch sizes.

    OMP_NUM_THREADS=1 python benchmarks/generation_batching.py [--n 4] [--max-tokens 128]
    python benchmarks/generation_batching.py --qwen2-random --size 0.5b --bandwidth-gbs 4800
    OMP_NUM_THREADS=1 python benchmarks/generation_batching.py --qwen2-random --size tiny

On a small CPU machine keep torch at one thread (``--threads 1``, the default): spinning OpenMP
threads on busy cores made generation several times slower.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from typing import Any

import numpy as np
import torch

from econ_env.envs.auction.prompts import draft_messages
from econ_env.llm.base import GenRequest
from econ_env.llm.hf import HFBackend
from econ_env.tasks.registry import make_task

QWEN2_SHAPES = {
    "0.5b": {
        "vocab_size": 151936,
        "hidden_size": 896,
        "intermediate_size": 4864,
        "num_hidden_layers": 24,
        "num_attention_heads": 14,
        "num_key_value_heads": 2,
    },
    "tiny": {
        "vocab_size": 4096,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
    },
}
BANDWIDTH_GBS = {"H200": 4800.0, "H100": 3350.0, "A100": 2039.0, "L4": 300.0}


def _sync() -> None:
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def drafts(args: argparse.Namespace) -> None:
    backend = HFBackend(args.model, device=args.device, dtype=args.dtype, num_threads=args.threads)
    print(f"{backend.name} on {backend.device} ({backend.dtype}); n={args.n} drafts per round")
    source = make_task("gsm8k")
    rng = np.random.default_rng(args.seed)
    backend.generate([GenRequest(({"role": "user", "content": "Hi"},), max_tokens=4)])  # warm-up
    ratios = []
    print(f"{'round':>5} {'tokens':>7} {'batched tok/s':>14} {'sequential tok/s':>17} {'ratio':>6}")
    for r in range(args.rounds):
        item = source.sample(rng)
        reqs = [
            GenRequest(
                draft_messages(f"bidder_{i}", args.n, item),
                max_tokens=args.max_tokens,
                temperature=0.7,
                seed=args.seed * 100_003 + r * args.n + i,
            )
            for i in range(args.n)
        ]
        timed: dict[str, tuple[float, list[Any]]] = {}
        for mode in ("batched", "sequential") if r % 2 == 0 else ("sequential", "batched"):
            _sync()
            start = time.perf_counter()
            outs = backend.generate(reqs) if mode == "batched" else [
                backend.generate([q])[0] for q in reqs
            ]  # fmt: skip
            _sync()
            timed[mode] = (time.perf_counter() - start, outs)
        (tb, ob), (ts, os_) = timed["batched"], timed["sequential"]
        tokens = sum(c.completion_tokens for c in ob)
        same = sum(a.text == b.text for a, b in zip(ob, os_, strict=True))
        ratios.append(ts / tb * tokens / sum(c.completion_tokens for c in os_))
        print(
            f"{r:>5} {tokens:>7} {tokens / tb:>14.1f} "
            f"{sum(c.completion_tokens for c in os_) / ts:>17.1f} {ratios[-1]:>5.2f}x"
            + ("" if same == args.n else f"  ({args.n - same} texts differ)")
        )
    med = statistics.median(ratios)
    verdict = "meets" if med >= 3.0 else "misses"
    print(f"median batched/sequential throughput ratio at n={args.n}: {med:.2f}x ({verdict} 3x)")


def _random_qwen2_folder(size: str, dtype: torch.dtype, seed: int, folder: str) -> int:
    """Save a random-weight Qwen2 and a matching word-level tokenizer; returns the parameters."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    shape = QWEN2_SHAPES[size]
    vocab = shape["vocab_size"]
    config = Qwen2Config(
        **shape,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        eos_token_id=vocab - 1,
        pad_token_id=vocab - 1,
        bos_token_id=None,
    )
    torch.manual_seed(seed)  # weight init only; the benchmark takes --seed
    model = Qwen2ForCausalLM(config).to(dtype)
    model.save_pretrained(folder)
    tok = Tokenizer(models.WordLevel({f"t{i}": i for i in range(vocab)}, unk_token="t0"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=f"t{vocab - 1}", pad_token=f"t{vocab - 1}"
    )
    fast.chat_template = "{% for m in messages %}{{ m['content'] }} {% endfor %}"
    fast.save_pretrained(folder)
    return sum(p.numel() for p in model.parameters())


@torch.inference_mode()
def _bare_loop(model: Any, batch: int, prompt: int, new: int, gen: torch.Generator) -> float:
    """Tokens/s of a plain greedy KV-cache loop (no sampling, no per-row bookkeeping)."""
    dev = model.device
    ids = torch.randint(0, model.config.vocab_size - 1, (batch, prompt), generator=gen).to(dev)
    _sync()
    start = time.perf_counter()
    out = model(input_ids=ids, use_cache=True, logits_to_keep=1)
    for _ in range(new - 1):
        nxt = out.logits[:, -1].argmax(-1, keepdim=True)
        out = model(input_ids=nxt, past_key_values=out.past_key_values, use_cache=True)
    _sync()
    return batch * new / (time.perf_counter() - start)


def qwen2_random(args: argparse.Namespace) -> None:
    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else args.device
    device = "cpu" if device == "auto" else device
    dtype = torch.bfloat16 if device.startswith("cuda") else torch.float32
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    bandwidth = args.bandwidth_gbs
    if bandwidth is None:
        name = torch.cuda.get_device_name() if device.startswith("cuda") else "CPU"
        bandwidth = next((v for k, v in BANDWIDTH_GBS.items() if k in name), 20.0)
        print(f"bandwidth {bandwidth:.0f} GB/s assumed for {name} (set --bandwidth-gbs)")
    from transformers import PreTrainedTokenizerFast

    gen = torch.Generator().manual_seed(args.seed)
    with tempfile.TemporaryDirectory(prefix="qwen2-random-") as folder:
        n_params = _random_qwen2_folder(args.size, dtype, args.seed, folder)
        backend = HFBackend(folder, device=device, dtype=dtype, max_batch_size=max(args.batches))
        # AutoTokenizer maps a qwen2 config to Qwen2Tokenizer; use the word-level one we saved
        backend.tokenizer = PreTrainedTokenizerFast.from_pretrained(folder)
    nbytes = n_params * torch.finfo(dtype).bits // 8
    step_floor = nbytes / (bandwidth * 1e9)
    print(
        f"Qwen2 {args.size} random weights: {n_params / 1e6:.1f}M params, {dtype}, {device}; "
        f"weights {nbytes / 1e9:.2f} GB → >= {step_floor * 1e3:.3f} ms per decode step"
    )
    vocab = backend.model.config.vocab_size
    prompt = " ".join(
        f"t{i}" for i in torch.randint(1, vocab - 1, (args.prompt_len,), generator=gen)
    )
    msgs = ({"role": "user", "content": prompt},)
    backend.generate([GenRequest(msgs, max_tokens=2)])  # warm-up
    _bare_loop(backend.model, 1, 8, 2, gen)
    rows = []
    for b in args.batches:
        reqs = [
            GenRequest(msgs, max_tokens=args.new_tokens, temperature=1.0, seed=args.seed + i)
            for i in range(b)
        ]
        _sync()
        start = time.perf_counter()
        outs = backend.generate(reqs)
        _sync()
        tps = sum(c.completion_tokens for c in outs) / (time.perf_counter() - start)
        bare = _bare_loop(backend.model, b, args.prompt_len, args.new_tokens, gen)
        rows.append((b, tps, bare, b / step_floor))
    print(f"{'batch':>5} {'hf tok/s':>10} {'bare tok/s':>11} {'bound tok/s':>12} "
          f"{'hf/bound':>9} {'bare/bound':>11}")  # fmt: skip
    for b, tps, bare, bound in rows:
        print(f"{b:>5} {tps:>10.1f} {bare:>11.1f} {bound:>12.0f} {tps / bound:>9.3f} "
              f"{bare / bound:>11.3f}")  # fmt: skip
    base = rows[0]
    for b, tps, bare, _ in rows[1:]:
        print(
            f"batch {b} vs {base[0]}: hf {tps / base[1]:.1f}x, bare {bare / base[2]:.1f}x "
            f"(ideal {b / base[0]:.0f}x while weight-bandwidth bound)"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--qwen2-random", action="store_true", help="batch scaling of a random Qwen2")
    p.add_argument("--model", default="smollm2", help="hf model for the drafts mode")
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n", type=int, default=4, help="drafts per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--max-tokens", type=int, default=128, help="cap of every draft")
    p.add_argument("--dtype", default=None, help="drafts mode: float32 / bfloat16 (default: auto)")
    p.add_argument("--size", choices=sorted(QWEN2_SHAPES), default=None)
    p.add_argument("--batches", type=int, nargs="+", default=[1, 8, 64])
    p.add_argument("--new-tokens", type=int, default=64)
    p.add_argument("--prompt-len", type=int, default=64)
    p.add_argument("--bandwidth-gbs", type=float, default=None, help="memory bandwidth, GB/s")
    args = p.parse_args()
    if args.qwen2_random:
        if args.size is None:
            args.size = "0.5b" if torch.cuda.is_available() else "tiny"
        qwen2_random(args)
    else:
        drafts(args)


if __name__ == "__main__":
    main()
