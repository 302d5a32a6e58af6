"""Kendall's tau, the paired bootstrap and the comparison table of the sim-to-real study."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from econ_env.fidelity.report import compare, format_markdown
from econ_env.fidelity.stats import bootstrap_tau, kendall_tau, policy_stats
from econ_env.fidelity.study import EpisodeRecord


def _episodes(rates: dict[str, float], n: int, seed: int, game: str = "auction_v0"):
    rng = np.random.default_rng(seed)
    out = []
    for label, p in rates.items():
        for e in range(n):
            ok = bool(rng.random() < p)
            out.append(EpisodeRecord(label, game, e, 100 + e, f"item{e}", ok, 10 * e, 20 * e))
    return out


def test_kendall_tau_known_values() -> None:
    assert kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert kendall_tau([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # one swapped pair out of six: (5 - 1) / 6
    assert kendall_tau([1, 2, 3, 4], [1, 2, 4, 3]) == pytest.approx(4 / 6)
    assert math.isnan(kendall_tau([1.0], [2.0]))
    with pytest.raises(ValueError, match="3 scores against 2"):
        kendall_tau([1, 2, 3], [1, 2])


def test_policy_stats_means_and_intervals() -> None:
    eps = _episodes({"a": 0.5}, 40, seed=0)
    s = policy_stats(eps)["a"]
    acc = np.array([e.correct for e in eps], float)
    assert s.n == 40 and s.mean["correct"] == pytest.approx(acc.mean())
    assert s.half_width["correct"] == pytest.approx(1.96 * acc.std(ddof=1) / math.sqrt(40))
    assert s.mean["generated_tokens"] == pytest.approx(np.mean([20 * e for e in range(40)]))


def test_bootstrap_tau_agreeing_and_reversed_simulators() -> None:
    rates = {"a": 0.1, "b": 0.4, "c": 0.7, "d": 0.95}
    real = _episodes(rates, 60, seed=1)
    same = _episodes(rates, 60, seed=2)
    rev = _episodes(dict(zip(rates, reversed(list(rates.values())), strict=True)), 60, seed=3)
    tau, lo, hi = bootstrap_tau(real, same, list(rates), n_boot=300)
    assert tau == pytest.approx(1.0) and lo <= tau <= hi and lo > 0.3
    tau, lo, hi = bootstrap_tau(real, rev, list(rates), n_boot=300)
    assert tau == pytest.approx(-1.0) and hi < 0


def test_bootstrap_tau_names_a_policy_without_simulated_episodes() -> None:
    real = _episodes({"a": 0.2, "b": 0.8}, 10, seed=0)
    sim = _episodes({"a": 0.2}, 10, seed=1)
    with pytest.raises(ValueError, match="'b'"):
        bootstrap_tau(real, sim, ["a", "b"], n_boot=10)
    with pytest.raises(ValueError, match="metric"):
        bootstrap_tau(real, real, ["a", "b"], metric="speed", n_boot=10)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=2, max_size=5),
    st.lists(st.floats(0.0, 1.0), min_size=2, max_size=5),
    st.integers(0, 10_000),
)
def test_tau_and_its_interval_stay_in_range(real_rates, sim_rates, seed) -> None:
    k = min(len(real_rates), len(sim_rates))
    labels = [f"p{i}" for i in range(k)]
    real = _episodes(dict(zip(labels, real_rates, strict=False)), 8, seed)
    sim = _episodes(dict(zip(labels, sim_rates, strict=False)), 8, seed + 1)
    tau, lo, hi = bootstrap_tau(real, sim, labels, n_boot=50, seed=seed)
    for v in (tau, lo, hi):
        assert math.isnan(v) or -1.0 - 1e-9 <= v <= 1.0 + 1e-9
    if not (math.isnan(lo) or math.isnan(hi)):
        assert lo <= hi


def test_compare_scopes_games_and_ranks() -> None:
    real = _episodes({"a": 0.2, "b": 0.8}, 30, 0) + _episodes(
        {"x": 0.3, "y": 0.9}, 20, 1, "debate_v0"
    )
    sim = _episodes({"a": 0.25, "b": 0.7}, 30, 2) + _episodes(
        {"x": 0.9, "y": 0.2}, 20, 3, "debate_v0"
    )
    res = compare(real, sim, n_boot=100)
    assert set(res["tau"]) == {"all", "auction_v0", "debate_v0"}
    assert res["tau"]["auction_v0"]["correct"][0] == pytest.approx(1.0)
    assert res["tau"]["debate_v0"]["correct"][0] == pytest.approx(-1.0)
    rows = {r["policy"]: r for r in res["table"]}
    assert rows["b"]["real_rank"] < rows["a"]["real_rank"]
    md = format_markdown(res, title="t")
    assert "| a | auction_v0 | 30 |" in md and "debate_v0" in md
    with pytest.raises(ValueError, match="no simulated episodes"):
        compare(real, sim[:30])


def test_plot_titles_give_tau_per_game(tmp_path) -> None:
    from econ_env.fidelity.report import _tau_line, plot_comparison

    real = _episodes({"a": 0.2, "b": 0.8}, 30, 0) + _episodes(
        {"x": 0.3, "y": 0.9}, 20, 1, "debate_v0"
    )
    sim = _episodes({"a": 0.25, "b": 0.7}, 30, 2) + _episodes(
        {"x": 0.9, "y": 0.2}, 20, 3, "debate_v0"
    )
    res = compare(real, sim, n_boot=50)
    line = _tau_line("sim", res["tau"], "correct")
    assert line.startswith("sim: τ auction +1.00") and "debate -1.00" in line
    one_game = compare(real[:60], sim[:60], n_boot=50)
    assert _tau_line("sim", one_game["tau"], "correct").startswith("sim: τ = +1.00")
    plot_comparison({"sim": res}, tmp_path / "f.png")
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_team_return_prices_billed_tokens_and_can_reverse_the_accuracy_ranking() -> None:
    """``correct - cost_weight * billed / budget``: a policy that is more accurate but bills
    many tokens ranks below a silent one by return, and tau on return sees that."""

    def eps(label: str, p: float, billed: int, seed: int, game: str = "auction_v0"):
        rng = np.random.default_rng(seed)
        return [
            EpisodeRecord(label, game, e, e, f"i{e}", bool(rng.random() < p), billed, 2 * billed)
            for e in range(60)
        ]

    costs = {"auction_v0": (1.0, 1000)}
    real = eps("talk", 0.7, 500, 0) + eps("silent", 0.55, 0, 1)
    sim = eps("talk", 0.7, 500, 2) + eps("silent", 0.55, 0, 3)
    stats = policy_stats(real, costs)
    acc = np.mean([e.correct for e in real[:60]])
    assert stats["talk"].mean["team_return"] == pytest.approx(acc - 0.5)
    assert "team_return" not in policy_stats(real)["talk"].mean
    # the simulator below gets accuracy in the wrong order, the return in the right one
    flipped = eps("talk", 0.5, 500, 4) + eps("silent", 0.6, 0, 5)
    assert bootstrap_tau(real, flipped, ["talk", "silent"], n_boot=20)[0] < 0
    t = bootstrap_tau(real, flipped, ["talk", "silent"], metric="team_return", costs=costs)
    assert t[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="'auction_v0'"):
        bootstrap_tau(real, sim, ["talk", "silent"], metric="team_return", n_boot=5)
    with pytest.raises(ValueError, match="metric must be one of"):
        bootstrap_tau(real, sim, ["talk", "silent"], metric="reward", n_boot=5)
    # a game without costs has no return: its scope and "all" leave it out, the table shows —
    mixed_real = real + eps("x", 0.3, 0, 6, "debate_v0") + eps("y", 0.8, 0, 7, "debate_v0")
    mixed_sim = sim + eps("x", 0.3, 0, 8, "debate_v0") + eps("y", 0.8, 0, 9, "debate_v0")
    res = compare(mixed_real, mixed_sim, n_boot=20, costs=costs)
    assert "team_return" in res["tau"]["auction_v0"]
    assert "team_return" not in res["tau"]["all"] and "team_return" not in res["tau"]["debate_v0"]
    md = format_markdown(res)
    assert "Kendall τ, team return" in md and "| x | debate_v0 | 60 |" in md
    assert md.count(" — | — |") == 2
