"""Train a MAPPO bidder on the batched auction (``econ_env.vector``), entirely on one device.

    OMP_NUM_THREADS=1 python examples/train_dala_vec.py --preset one_expert --updates 60
    OMP_NUM_THREADS=1 python examples/train_dala_vec.py --device cuda --num-envs 65536
    tensorboard --logdir runs

CleanRL-style single file. ``num_envs`` auctions run as tensors on ``--device`` (CPU or CUDA);
collection, GAE and the PPO update never leave it. MAPPO with parameter sharing: one actor reads
each bidder's own observation (which already holds its agent-id one-hot) and one centralised
critic reads the global state ``env.state()`` (every bidder's observation) and predicts every
bidder's value. Bids are by default a categorical over the bid levels (silence, or one of
``bid_levels - 1`` levels for one message tier) masked by ``info["action_mask"]``;
``--action-type continuous`` makes them a Gaussian clipped to [-1, 1] (the log-probability is
the unclipped sample's, as in CleanRL). On ``one_expert`` the discrete bids learn more within
the default 60 updates (text env, 500 seeds, 3 training seeds: 0.812 against the continuous
bids' 0.723; ``docs/guides/regimes.md``): the expert speaks only when outvoted.

Every ``--eval-every`` updates the deterministic actor (Gaussian mean / arg-max level) plays a
separate batched env reset with the fixed seed ``--eval-seed`` (``--eval-envs`` episodes, one
per env), next to the fixed baselines played the same way: ``silent`` (never bid), ``truthful``
(bid the own draft's ``confidence``), ``always`` (bid 1), ``round_robin`` and ``random``. It
logs mean team return, accuracy and billed tokens to TensorBoard (``runs/<run-name>``) and a
tqdm bar, saves the weights as safetensors, and at the end plays the trained actor in the *text*
env (``econ_env.auction_v0.parallel_env`` with the same config, ``--text-episodes`` fixed seeds)
next to the text env's best fixed baseline, to show that what it learnt transfers. On both envs
it then plays self-consistency at the learner's generated tokens (silent bidders with
``draft_samples = k``, the k around the learner's tokens; ``econ_env_baselines.self_consistency``)
and prints where the learner stands against it. A JSON summary (``summary.json``) holds every
number printed.

Presets (``--preset``, overridden field by field with ``--env-config "KEY=VALUE ..."``): the
named regimes of :mod:`econ_env.regimes` — ``one_expert`` (the default, auction_v1's defaults:
one expert, ``bidder_2`` with logit skill 2.5, among two novices at −1, λ = 1; silence is the best
fixed policy, ≈ 0.57, and a state-dependent one gets ≈ 0.8: the expert speaks when its answer
is not the plurality, the novices listen), ``tight_budget``, ``asymmetric`` (split facts),
``tiered``, ``default`` (auction_v0's defaults, where silence is the best fixed policy and the
discrete bids beat it by about +0.03) — and ``expert`` (one expert at λ = 0.5, the config of
issue 13's measurements).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch
from torch import nn

from econ_env.regimes import REGIMES
from econ_env_baselines.self_consistency import at_matched_tokens, describe
from econ_env_baselines.vector import BatchedBidders
from econ_env_baselines.vector import evaluate as evaluate_vec

PRESETS: dict[str, dict[str, Any]] = {
    **REGIMES["auction_v0"],
    "expert": {
        "n_agents": 3,
        "cost_weight": 0.5,
        "backend_kwargs": {"skill": (-1.0, -1.0, 2.5)},
    },
}
"""Named auction_v0 configs (keyword arguments of the batched and of the text env)."""

BASELINES = ("silent", "truthful", "always", "round_robin", "random")
"""The fixed policies evaluated next to the learner (the names of ``baselines/auction.py``)."""


@dataclass(frozen=True)
class Args:
    preset: str = "one_expert"
    """named auction config (a regime of econ_env.regimes or ``expert``; see the docstring)"""
    env_config: str = ""
    """overrides of the preset: space-separated KEY=VALUE auction_v0 fields (Python literals)"""
    action_type: str = "discrete"
    """discrete (masked categorical over bid levels and tiers) or continuous (clipped Gaussian)"""
    num_envs: int = 1024
    """auctions stepped in parallel"""
    num_steps: int = 8
    """rounds collected per env and update (an episode lasts at most max_rounds rounds)"""
    updates: int = 60
    """PPO updates (each collects num_envs * num_steps rounds)"""
    lr: float = 3e-3
    """Adam learning rate of actor and critic"""
    gamma: float = 0.99
    """discount per round"""
    gae_lambda: float = 0.95
    """GAE λ"""
    clip_coef: float = 0.2
    """PPO ratio clip"""
    epochs: int = 4
    """passes over every collected batch"""
    minibatches: int = 4
    """minibatches per pass (agent-steps of the batch are split evenly)"""
    ent_coef: float = 0.0
    """entropy bonus weight"""
    vf_coef: float = 0.5
    """value-loss weight"""
    max_grad_norm: float = 0.5
    """gradient-norm clip"""
    hidden: int = 64
    """hidden width of the actor and critic MLPs"""
    init_log_std: float = 0.0
    """initial log std of the Gaussian actor (continuous actions)"""
    eval_every: int = 10
    """evaluate every this many updates (and after the last one)"""
    eval_envs: int = 2048
    """evaluation episodes: one per env of a batched env reset with eval_seed"""
    eval_seed: int = 10_000
    """seed of the evaluation env (never used for training)"""
    text_episodes: int = 200
    """episodes of the final evaluation in the text env (seeds eval_seed, eval_seed + 1, ...)"""
    seed: int = 0
    """seed of weights, sampling, minibatches and the training env"""
    device: str = "cpu"
    """cpu, cuda or cuda:N (auto: CUDA when available)"""
    run_dir: str = "runs"
    """TensorBoard / checkpoint / summary root"""
    run_name: str = ""
    """run sub-directory (default: dala_vec_<preset>_<seed>_<time>)"""
    threads: int = 1
    """torch CPU threads"""
    progress: bool = True
    """show the tqdm progress bar"""

    def __post_init__(self) -> None:
        if self.preset not in PRESETS:
            raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {self.preset!r}")
        if self.action_type not in ("continuous", "discrete"):
            raise ValueError(
                f"action_type must be continuous or discrete, not {self.action_type!r}"
            )
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ValueError(f"device must be auto, cpu, cuda or cuda:N, got {self.device!r}")
        for name in (
            "num_envs",
            "num_steps",
            "updates",
            "epochs",
            "minibatches",
            "hidden",
            "eval_every",
            "eval_envs",
            "threads",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.text_episodes < 0:
            raise ValueError(f"text_episodes must be >= 0, got {self.text_episodes}")


def parse_args(argv: list[str] | None = None) -> Args:
    """CleanRL-style flags from the fields of :class:`Args` (their docstrings are the help)."""
    from econ_env.cli_args import parse_dataclass_args

    return parse_dataclass_args(Args, argv, description=__doc__.splitlines()[0])


def env_config(args: Args) -> dict[str, Any]:
    """The auction config of the run: the preset, the overrides, the action type."""
    from econ_env.cli_args import parse_key_values

    cfg = dict(PRESETS[args.preset])
    cfg.update(parse_key_values(shlex.split(args.env_config), "--env-config"))
    cfg["action_type"] = args.action_type
    return cfg


# ----------------------------------------------------------------------------- networks


def mlp(sizes: list[int], out_std: float = 1.0) -> nn.Sequential:
    """Tanh MLP, orthogonal init (CleanRL); the last layer scaled by ``out_std``."""
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        lin = nn.Linear(sizes[i], sizes[i + 1])
        last = i == len(sizes) - 2
        nn.init.orthogonal_(lin.weight, out_std if last else math.sqrt(2))
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if not last:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


class Actor(nn.Module):
    """Shared actor: one bidder's observation → Gaussian mean (+ log std) or bid-level logits."""

    def __init__(self, obs_dim: int, out_dim: int, hidden: int, discrete: bool, log_std: float):
        super().__init__()
        self.discrete = discrete
        self.body = mlp([obs_dim, hidden, hidden, out_dim], out_std=0.01)
        self.log_std = nn.Parameter(torch.full((0 if discrete else out_dim,), float(log_std)))

    def dist(
        self, obs: torch.Tensor, mask: torch.Tensor | None
    ) -> torch.distributions.Distribution:
        out = self.body(obs)
        if self.discrete:
            if mask is not None:
                out = out.masked_fill(~mask, -1e9)
            return torch.distributions.Categorical(logits=out)
        return torch.distributions.Normal(out, self.log_std.exp().expand_as(out))

    def greedy(self, obs: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """The deterministic action: the clipped mean, or the most likely allowed level."""
        out = self.body(obs)
        if self.discrete:
            if mask is not None:
                out = out.masked_fill(~mask, -1e9)
            return out.argmax(-1)
        return out.clamp(-1.0, 1.0)


class Critic(nn.Module):
    """Centralised critic: global state → one value per bidder."""

    def __init__(self, state_dim: int, n_agents: int, hidden: int):
        super().__init__()
        self.body = mlp([state_dim, hidden, hidden, n_agents], out_std=1.0)

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        return self.body(state)


def sample(dist: torch.distributions.Distribution, gen: torch.Generator) -> torch.Tensor:
    """A sample drawn from the owned generator (never the global torch RNG)."""
    if isinstance(dist, torch.distributions.Categorical):
        probs = dist.probs.reshape(-1, dist.probs.shape[-1])
        return torch.multinomial(probs, 1, generator=gen).reshape(dist.probs.shape[:-1])
    return torch.normal(dist.loc, dist.scale, generator=gen)


def log_prob(dist: torch.distributions.Distribution, action: torch.Tensor) -> torch.Tensor:
    lp = dist.log_prob(action)
    return lp if isinstance(dist, torch.distributions.Categorical) else lp.sum(-1)


def entropy(dist: torch.distributions.Distribution) -> torch.Tensor:
    ent = dist.entropy()
    return ent if isinstance(dist, torch.distributions.Categorical) else ent.sum(-1)


# ----------------------------------------------------------------------------- policies


def evaluate_text(
    config: dict[str, Any], act: Callable[[np.ndarray, str], Any], episodes: int, seed: int
) -> dict[str, float]:
    """``episodes`` episodes of the text env ``auction_v0.parallel_env(**config)`` (seeds
    ``seed, seed + 1, ...``) played by ``act(obs, agent)``: the metrics of evaluate_vec."""
    from econ_env import auction_v0

    env = auction_v0.parallel_env(**config)
    rows = []
    for ep in range(episodes):
        obs, infos = env.reset(seed=seed + ep)
        ret = 0.0
        while env.agents:
            obs, rewards, _, _, infos = env.step({a: act(obs[a], a) for a in env.agents})
            ret += sum(rewards.values()) / len(env.possible_agents)
        last = next(iter(infos.values()))
        rows.append(
            (
                ret,
                float(bool(last["correct"])),
                last["billed_tokens"],
                last["round"],
                last["generated_tokens"],
            )
        )
    env.close()
    if not rows:
        return {}
    r = np.asarray(rows, dtype=np.float64)
    return {
        "team_return": float(r[:, 0].mean()),
        "team_return_se": float(r[:, 0].std(ddof=1) / math.sqrt(len(r))) if len(r) > 1 else 0.0,
        "accuracy": float(r[:, 1].mean()),
        "billed_tokens": float(r[:, 2].mean()),
        "rounds": float(r[:, 3].mean()),
        "generated_tokens": float(r[:, 4].mean()),
    }


def text_actor(actor: Actor, device: torch.device) -> Callable[[Any, str], Any]:
    """The greedy actor as a text-env policy ``act(obs, agent)`` (Dict or vector observations)."""

    def act(obs: Any, agent: str) -> Any:
        vec = obs["observation"] if isinstance(obs, dict) else obs
        x = torch.as_tensor(np.asarray(vec, np.float32), device=device)[None]
        mask = None
        if isinstance(obs, dict):
            mask = torch.as_tensor(np.asarray(obs["action_mask"]) > 0, device=device)[None]
        with torch.no_grad():
            a = actor.greedy(x, mask)[0]
        return int(a) if actor.discrete else a.cpu().numpy().astype(np.float32)

    return act


# ----------------------------------------------------------------------------- training


def save_weights(path: Path, actor: Actor, critic: Critic, meta: dict[str, Any]) -> Path:
    from econ_env_agents.common import save_checkpoint

    tensors = {f"actor.{k}": v for k, v in actor.state_dict().items()}
    tensors.update({f"critic.{k}": v for k, v in critic.state_dict().items()})
    return save_checkpoint(path, tensors, {"kind": "dala_vec_mappo", **meta})


def load_actor(path: str | Path, device: str = "cpu") -> Actor:
    """The actor of a checkpoint written by this script."""
    from econ_env_agents.common import load_checkpoint

    tensors, meta = load_checkpoint(path)
    if meta.get("kind") != "dala_vec_mappo":
        raise ValueError(f"{str(path)!r} is not a train_dala_vec.py checkpoint")
    actor = Actor(meta["obs_dim"], meta["out_dim"], meta["hidden"], meta["discrete"], 0.0)
    actor.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("actor.")})
    return actor.to(device)


def episode_sums(info: dict[str, torch.Tensor], done: torch.Tensor) -> torch.Tensor:
    """``[episodes, Σ team return, Σ correct, Σ billed tokens]`` of the episodes that ended
    this step (``info["episode_*"]`` is valid where ``done``), as a device tensor (no sync)."""
    ret = info["episode_return"].double().mean(-1)
    parts = (ret, info["episode_correct"].double(), info["episode_billed"].double())
    return torch.stack([done.double().sum(), *(torch.where(done, x, 0.0).sum() for x in parts)])


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def train(
    args: Args,
    on_eval: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """Train, evaluate, checkpoint; returns the summary (also written to ``summary.json``).

    ``on_eval(record)`` runs after every evaluation (``record`` has ``update``, ``seconds``
    since training started (evaluations included), ``train_seconds`` (collection and updates
    only), ``agent_steps``, the learner's metrics under ``"mappo"`` and the best fixed
    baseline's name, team return and its standard error, ``best_baseline``,
    ``best_baseline_return`` and ``best_baseline_se``);
    returning True stops training early (used by ``benchmarks/time_to_baseline.py``).
    """
    import econ_env.vector as V
    from econ_env_agents.common import resolve_device

    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    config = env_config(args)
    name = args.run_name or f"dala_vec_{args.preset}_{args.seed}_{int(time.time())}"
    run = Path(args.run_dir) / name
    from torch.utils.tensorboard import SummaryWriter
    from tqdm import tqdm

    writer = SummaryWriter(str(run))
    writer.add_text("args", json.dumps(dataclasses.asdict(args)))
    writer.add_text("env_config", json.dumps(_jsonable(config)))

    env = V.make("auction_v0", num_envs=args.num_envs, device=device, seed=args.seed, **config)
    eval_env = V.make(
        "auction_v0", num_envs=args.eval_envs, device=device, seed=args.eval_seed, **config
    )
    n_agents, obs_dim, state_dim = env.n_agents, env.obs_dim, env.state_dim
    discrete = bool(env.discrete)
    out_dim = int(env.n_actions) if discrete else int(env.act_dim)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(args.seed)  # weight init only; sampling uses `gen`
        actor = Actor(obs_dim, out_dim, args.hidden, discrete, args.init_log_std).to(device)
        critic = Critic(state_dim, n_agents, args.hidden).to(device)
    params = [*actor.parameters(), *critic.parameters()]
    optim = torch.optim.Adam(params, lr=args.lr, eps=1e-5)
    gen = torch.Generator(device=device)
    gen.manual_seed(args.seed)
    meta = {
        "obs_dim": obs_dim,
        "out_dim": out_dim,
        "state_dim": state_dim,
        "n_agents": n_agents,
        "hidden": args.hidden,
        "discrete": discrete,
        "agents": list(env.agents),
        "layout": env.spec.layout.to_dict(),
        "env_config": _jsonable(config),
    }

    # ---- fixed baselines on the evaluation env (once: they do not learn)
    pol = BatchedBidders(eval_env, args.eval_seed)
    baselines = {b: evaluate_vec(eval_env, pol.fixed(b), args.eval_seed) for b in BASELINES}
    best = max(baselines, key=lambda b: baselines[b]["team_return"])
    tqdm.write(f"fixed baselines on {args.eval_envs} fixed-seed episodes (best: {best}):")
    for b, m in baselines.items():
        tqdm.write(f"  {b:<12} " + _fmt(m))

    T, N, A = args.num_steps, args.num_envs, n_agents
    obs_buf = torch.zeros(T, N, A, obs_dim, device=device)
    state_buf = torch.zeros(T, N, state_dim, device=device)
    act_buf = torch.zeros(
        (T, N, A) if discrete else (T, N, A, out_dim),
        device=device,
        dtype=torch.long if discrete else torch.float32,
    )
    mask_buf = torch.ones(T, N, A, out_dim, dtype=torch.bool, device=device) if discrete else None
    logp_buf = torch.zeros(T, N, A, device=device)
    rew_buf = torch.zeros(T, N, A, device=device)
    done_buf = torch.zeros(T, N, device=device)
    val_buf = torch.zeros(T, N, A, device=device)

    obs, _ = env.reset(seed=args.seed)
    state = env.state()
    mask = env.action_mask() if discrete else None
    history: list[dict[str, Any]] = []
    agent_steps = 0
    # finished training episodes: count, summed team return, correct answers, billed tokens
    ep_sums = torch.zeros(4, device=device, dtype=torch.float64)
    greedy = actor.greedy
    bar = tqdm(total=args.updates, desc="vec MAPPO", disable=not args.progress)
    start = time.perf_counter()
    train_seconds = 0.0
    stopped_early = False
    for update in range(1, args.updates + 1):
        t0 = time.perf_counter()
        # ---- collect
        with torch.no_grad():
            for t in range(T):
                dist = actor.dist(obs, mask)
                action = sample(dist, gen)
                obs_buf[t], state_buf[t], act_buf[t] = obs, state, action
                if discrete:
                    mask_buf[t] = mask
                logp_buf[t] = log_prob(dist, action)
                val_buf[t] = critic(state)
                env_action = action if discrete else action.clamp(-1.0, 1.0)
                obs, reward, terminated, truncated, info = env.step(env_action)
                done = terminated | truncated
                rew_buf[t], done_buf[t] = reward, done.float()
                state = env.state()
                mask = info.get("action_mask") if discrete else None
                ep_sums += episode_sums(info, done)
            agent_steps += T * N * A
            # ---- GAE (an ended episode is not bootstrapped: truncation is the game's own end)
            next_value = critic(state)
            adv = torch.zeros_like(rew_buf)
            last = torch.zeros(N, A, device=device)
            for t in reversed(range(T)):
                nonterminal = (1.0 - done_buf[t]).unsqueeze(-1)
                nxt = next_value if t == T - 1 else val_buf[t + 1]
                delta = rew_buf[t] + args.gamma * nxt * nonterminal - val_buf[t]
                last = delta + args.gamma * args.gae_lambda * nonterminal * last
                adv[t] = last
            returns = adv + val_buf

        # ---- PPO: actor over agent-steps (T*N*A), critic over env-steps (T*N, all bidders)
        b_obs = obs_buf.reshape(T * N, A, obs_dim)
        b_state = state_buf.reshape(T * N, state_dim)
        b_act = act_buf.reshape(T * N, A, *act_buf.shape[3:])
        b_mask = mask_buf.reshape(T * N, A, out_dim) if discrete else None
        b_logp, b_adv = logp_buf.reshape(T * N, A), adv.reshape(T * N, A)
        b_ret = returns.reshape(T * N, A)
        size = T * N
        mb = max(size // args.minibatches, 1)
        stats = torch.zeros(4, device=device)  # policy loss, value loss, entropy, approx KL
        steps = 0
        for _ in range(args.epochs):
            perm = torch.randperm(size, generator=gen, device=device)
            for s in range(0, size, mb):
                idx = perm[s : s + mb]
                dist = actor.dist(b_obs[idx], None if b_mask is None else b_mask[idx])
                new_logp = log_prob(dist, b_act[idx])
                ratio_log = new_logp - b_logp[idx]
                ratio = ratio_log.exp()
                a = b_adv[idx]
                a = (a - a.mean()) / (a.std() + 1e-8)
                pg = torch.max(-a * ratio, -a * ratio.clamp(1 - args.clip_coef, 1 + args.clip_coef))
                pg_loss = pg.mean()
                v_loss = 0.5 * (critic(b_state[idx]) - b_ret[idx]).pow(2).mean()
                ent = entropy(dist).mean()
                loss = pg_loss + args.vf_coef * v_loss - args.ent_coef * ent
                optim.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(params, args.max_grad_norm)
                optim.step()
                with torch.no_grad():
                    kl = ((ratio - 1) - ratio_log).mean()
                    stats += torch.stack([pg_loss.detach(), v_loss.detach(), ent.detach(), kl])
                steps += 1
        train_seconds += time.perf_counter() - t0
        names = ("policy_loss", "value_loss", "entropy", "approx_kl")
        rec: dict[str, Any] = dict(zip(names, (stats / steps).tolist(), strict=True))
        count, ret_sum, correct_sum, billed_sum = ep_sums.tolist()
        if count:
            rec["episode_return"] = ret_sum / count
            rec["accuracy"] = correct_sum / count
            rec["billed_tokens"] = billed_sum / count
            rec["episodes"] = int(count)
        ep_sums.zero_()
        rec["agent_steps_per_s"] = agent_steps / train_seconds
        for k, v in rec.items():
            writer.add_scalar(f"train/{k}", v, agent_steps)
        bar.set_postfix(
            ret=f"{rec.get('episode_return', float('nan')):.3f}",
            sps=f"{rec['agent_steps_per_s']:.3g}",
        )
        bar.update(1)

        if update % args.eval_every == 0 or update == args.updates:
            m = evaluate_vec(eval_env, greedy, args.eval_seed)
            record = {
                "update": update,
                "agent_steps": agent_steps,
                "seconds": time.perf_counter() - start,
                "train_seconds": train_seconds,
                "mappo": m,
                "best_baseline": best,
                "best_baseline_return": baselines[best]["team_return"],
                "best_baseline_se": baselines[best]["team_return_se"],
            }
            history.append(record)
            for k, v in m.items():
                writer.add_scalar(f"eval/mappo/{k}", v, agent_steps)
                for b in BASELINES:
                    writer.add_scalar(f"eval/{b}/{k}", baselines[b][k], agent_steps)
            tqdm.write(
                f"[eval @ update {update}, {agent_steps} agent-steps] mappo "
                + _fmt(m)
                + f" | best fixed ({best}) {baselines[best]['team_return']:.3f}"
            )
            if on_eval is not None and on_eval(record):
                stopped_early = True
                break
    bar.close()
    wall = time.perf_counter() - start
    weights = save_weights(run / "mappo_actor_critic.safetensors", actor, critic, meta)

    text: dict[str, Any] = {}
    if args.text_episodes:
        from econ_env import make_policy
        from econ_env.auction_v0 import env_spec

        actor.eval()
        text["mappo"] = evaluate_text(
            config, text_actor(actor, device), args.text_episodes, args.eval_seed
        )
        spec = env_spec(**config)
        for b in BASELINES:
            policy = make_policy(b, spec, args.eval_seed)
            text[b] = evaluate_text(config, policy.act, args.text_episodes, args.eval_seed)
        text_best = max(BASELINES, key=lambda b: text[b]["team_return"])
        print(f"text env auction_v0.parallel_env, {args.text_episodes} fixed-seed episodes:")
        for k in ("mappo", *BASELINES):
            print(f"  {k:<12} " + _fmt(text[k]) + ("  <- best fixed" if k == text_best else ""))
    final = history[-1]["mappo"] if history else {}
    print(
        f"vec env, {args.eval_envs} fixed-seed episodes: mappo "
        + _fmt(final)
        + f" | best fixed ({best}) "
        + _fmt(baselines[best])
    )
    # ---- self-consistency (silent bidders, draft_samples = k) at the learner's generated tokens
    sc: dict[str, dict[int, dict[str, float]]] = {}
    if final:

        def sc_vec(k: int) -> dict[str, float]:
            cfg = {**config, "draft_samples": k}
            e = V.make("auction_v0", num_envs=args.eval_envs, device=device, seed=args.eval_seed,
                       **cfg)  # fmt: skip
            silent = BatchedBidders(e, args.eval_seed).fixed("silent")
            return evaluate_vec(e, silent, args.eval_seed)

        sc["vec"] = at_matched_tokens(sc_vec, final["generated_tokens"])
        print("  vec env " + describe(sc["vec"], final, "mappo"))
    if text:
        from econ_env import make_policy
        from econ_env.auction_v0 import env_spec

        def sc_text(k: int) -> dict[str, float]:
            cfg = {**config, "draft_samples": k}
            silent = make_policy("silent", env_spec(**cfg), args.eval_seed)
            return evaluate_text(cfg, silent.act, args.text_episodes, args.eval_seed)

        sc["text"] = at_matched_tokens(sc_text, text["mappo"]["generated_tokens"])
        print("  text env " + describe(sc["text"], text["mappo"], "mappo"))
    summary = {
        "args": dataclasses.asdict(args),
        "env_config": _jsonable(config),
        "device": str(device),
        "updates": history[-1]["update"] if history else 0,
        "stopped_early": stopped_early,
        "agent_steps": agent_steps,
        "wall_seconds": wall,
        "train_seconds": train_seconds,
        "agent_steps_per_s": agent_steps / max(train_seconds, 1e-9),
        "vec_eval": {
            "episodes": args.eval_envs,
            "seed": args.eval_seed,
            "mappo": final,
            "baselines": baselines,
            "best_baseline": best,
        },
        "history": history,
        "text_eval": {"episodes": args.text_episodes, "seed": args.eval_seed, **text},
        "self_consistency": {env: {str(k): m for k, m in v.items()} for env, v in sc.items()},
        "weights": str(weights),
        "run_dir": str(run),
    }
    (run / "summary.json").write_text(json.dumps(summary, indent=2))
    writer.close()
    print(f"done: {run} (TensorBoard events, {weights.name}, summary.json)")
    return summary


def _fmt(m: dict[str, float]) -> str:
    if not m:
        return "(none)"
    return (
        f"return {m['team_return']:.3f} accuracy {m['accuracy']:.3f} "
        f"billed {m['billed_tokens']:.0f}"
    )


def main(argv: list[str] | None = None) -> int:
    train(parse_args(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
