"""The simulated backend: a seeded stochastic model of agents answering questions (no text model).

It is the default backend for RL: fast (a few µs per request), seeded, and it emits templated text
with a real ``\\boxed{...}`` answer, so answer extraction, transcripts and rendering work unchanged.
All token counts are the *simulated model's* counts (a lognormal length model and a
characters-per-token prompt model whose parameters are later fitted to real traces), not a real
tokenizer's count. It plays both games: the auction's bidders (roles ``draft`` / ``revise``) and
the debate's coordinator (``strategy`` / ``commitment``, ``agent_index = -1``) and executors
(``answer``).

Simulation hints read from ``GenRequest.hints`` (:class:`~econ_env.llm.base.SimHints`):

- ``item`` (:class:`~econ_env.tasks.base.TaskItem`): gold answer, ``kind``,
  ``meta["difficulty"]`` in [0, 1] (default 0.5), ``meta["choices"]`` for choice items (default
  4 options). Without an item (or without hints) the backend returns a short generic text with no
  boxed answer, with simulated token counts and confidence signals (latent ``z ~ N(0, 1)``).
- ``agent_index`` (default 0): ``i >= 0`` uses ``SimParams.skill_of(i)``; ``-1`` is the
  coordinator, whose skill is ``coordinator_skill`` (roles strategy / commitment always use it).
- ``role`` (a ledger ``Role``, default ``DRAFT``): ``DRAFT`` answers afresh; ``REVISE`` answers
  again after hearing broadcasts; ``STRATEGY`` writes a plan with no answer; ``COMMITMENT``
  commits to an answer from the heard ones; ``ANSWER`` is a debate executor (revise-like when it
  heard a commitment, else a draft); any other role answers like a draft.
  ``SimParams.role_length_mu`` gives a role (by its value, e.g. ``"revise"``) its own length.
- ``own_answer`` (str | None): the agent's previous answer (roles revise / answer).
- ``heard`` (tuple): canonical answers broadcast to the agent since its last answer (revise), the
  previous commitment (answer), the executors' answers (commitment); ``None`` or empty entries
  (truncated outputs) are ignored by answer / commitment.
- ``facts_known`` (float in [0, 1], default 1.0) and ``learned`` (bool, default False): on
  ``split_facts`` tasks (:mod:`econ_env.tasks.split_facts`) the fraction of the item's facts the
  agent knows when writing the completion, and whether its known facts grew since its previous
  completion. The simulated text never lists the facts.
- ``tier``, ``source_tokens`` and ``heard_tiers`` (auction message tiers, DALA): a ``COMPRESS``
  request rewrites a draft of ``source_tokens`` completion tokens as the tier ``tier``
  (``summary`` / ``keywords``): ``max(1, ceil(ratio * source_tokens))`` tokens with the ratio from
  ``SimParams.tier_length``, clipped at ``max_tokens`` (finish ``"length"``), the draft's answer
  (``own_answer``), confidence signals drawn as for a draft, text ``"Summary: ..."`` /
  ``"Keywords: ..."`` ending with the boxed answer. ``heard_tiers`` (parallel to ``heard``;
  empty = all full) multiplies the probability of adopting the heard plurality by the mean
  ``SimParams.tier_influence`` (full: 1.0) of the heard messages carrying it.
- the strategy: the backend recognises its own strategy text. When a debate executor's prompt
  quotes :data:`STRATEGY_GOOD` (:func:`prompt_has_good_strategy`), the answer logit gets
  ``strategy_bonus``; a real model's strategy carries no marker and gives no bonus.

The model (every effect is a named field of :class:`SimParams`):

- correctness: ``p = sigmoid(skill - difficulty_weight*(difficulty - 0.5)
  - temperature_effect*max(0, T - t_ref) + strategy_bonus*[good strategy in the prompt])``.
- facts (information asymmetry): a fresh draw's logit also gets ``- fact_weight * (1 -
  facts_known)`` (0 for items without facts, where ``facts_known = 1``). A revise / answer
  request with ``learned = True`` skips adopting the heard plurality and keeping its own answer
  and answers afresh with its new ``facts_known`` (what it heard gave it new facts, so it
  re-solves).
- wrong answers are clustered so agents can agree on a wrong answer: each item has a small fixed
  set of distractors derived from its id (numeric: gold ± 1, ±10, ×10, ×2, /10 ...; choice: the
  other letters; latex: perturbed expressions; code: wrong-snippet markers), drawn with weights
  ``exp(-k * distractor_skew / T')`` for the k-th distractor, ``T' = T * top_p**top_p_focus``
  (``top_p_focus = 0``, the default, ignores top_p); higher T flattens them (more entropy), and
  T = 0 (greedy) always gives the modal distractor. The correctness draw itself stays stochastic
  at T = 0 (it models the agent's uncertainty about the item, not sampling).
- revise: with probability ``min(1, (influence + truth_bias*[plurality is correct]) * share)`` the
  agent adopts the plurality heard answer (``share`` = fraction of heard answers equal to it;
  answers are grouped by ``normalize_answer`` and judged by ``check_answer`` from
  :mod:`econ_env.tasks.answers`);
  otherwise with probability ``min(1, stickiness + truth_bias*[own answer is correct])`` it keeps
  its own answer; otherwise it answers afresh. ``truth_bias`` makes correct answers spread and
  persist more than wrong ones, which is what makes communication useful.
- answer (executor): with a heard commitment, as revise but the adoption probability is
  multiplied by ``follow_factor(T) = exp(-follow_temperature * max(0, T - t_ref))``: a
  conservative (low-T) belief follows the commitment, an exploratory (high-T) one diversifies.
  With nothing heard it is a draft (its own answer is ignored).
- strategy: with probability ``strategy_hint`` the plan names the correct method
  (:data:`STRATEGY_GOOD`), otherwise a generic one (:data:`STRATEGY_GENERIC`); it mentions the
  question's numbers and never contains a boxed answer. Its confidence latent uses
  ``s = +1`` for a good plan.
- commitment: with probability ``coordinator_fidelity`` the coordinator commits to the plurality
  of the heard answers (ties: the first heard); otherwise (and always when it heard nothing) it
  answers itself like a draft with ``coordinator_skill``. The short text ends in the boxed answer.
- lengths: ``completion_tokens = round(lognormal(mu, length_sigma))`` with ``mu`` =
  ``role_length_mu[role]`` or ``length_mu`` (minus ``repetition_shortening * (penalty - 1)``;
  0 by default), raised to ``min_tokens``; a draw above ``max_tokens`` is clipped, gets
  ``finish_reason="length"`` and a truncated text with no answer. Defaults: strategy ~40 tokens
  (13% truncated at the hard cap 70), commitment ~20 (3% over 50).
  ``prompt_tokens = ceil(total content chars / chars_per_token) + per_message_overhead * n_msgs``.
- confidence: ``z = rho*s + sqrt(1 - rho^2)*eps`` with ``s = +1`` if correct else -1,
  ``eps ~ N(0, 1)`` and ``rho`` = ``role_confidence_correlation[role]`` or
  ``confidence_correlation``; with ``dT = T - t_ref`` and
  ``e = temperature_confidence``: ``mean_logprob = -softplus(logprob_offset - logprob_slope*z
  + e*dT)`` (< 0) and ``mean_entropy = softplus(entropy_offset - entropy_slope*z + e*dT)`` (> 0).

Presets: ``SimParams.from_preset("qwen2.5-coder-0.5b")`` (or ``SimulatedBackend(preset=...)``,
``make_backend("simulated", preset=...)``) loads parameters fitted to a real model's traces by
``econ-env calibrate`` from ``econ_env/llm/presets/NAME.json``; :func:`list_presets` names them.
``SimParams.from_json(path)`` / ``to_json(path, metadata=...)`` read and write the same format
(``{"params": {...}, "metadata": {...}}``); an unknown field raises ``ValueError`` naming it.

The package, one concern per module:

- :mod:`~econ_env.llm.simulated.params`: :class:`SimParams`, :data:`DEFAULT_SKILL` and the
  presets (:func:`list_presets`);
- :mod:`~econ_env.llm.simulated.distractors`: each item's fixed wrong answers and the grouping
  of heard answers (``candidates``, ``distractors``, ``answer_key``, ``plurality``,
  ``same_answer``), shared with calibration;
- :mod:`~econ_env.llm.simulated.backend`: :class:`SimulatedBackend`, its text templates and the
  strategy markers (:data:`STRATEGY_GOOD`, :data:`STRATEGY_GENERIC`, :func:`strategy_is_good`,
  :func:`prompt_has_good_strategy`).

Randomness: a request with ``seed`` draws only from ``random.Random`` seeded by (backend seed,
request seed, a CRC-32 of the item id), so its completion does not depend on the rest of the
batch, and one seed on different questions gives unrelated samples (as with a real model: a
benchmark that replays seeds 0 and 1 on every item must not get the same luck on every item); a
request without a seed draws from the backend's own ``random.Random(seed)``. ``belief`` is
ignored. The global random state is never used.

Effect sizes (default parameters)
---------------------------------
Measured by ``OMP_NUM_THREADS=1 python benchmarks/simulated_effects.py --n 4000 --seed 0``
(16 numeric items of difficulty 0.5, executors 0..3, 4000 seeded requests per cell). ``acc``:
executor accuracy with nothing heard (``+hint``: the prompt quotes :data:`STRATEGY_GOOD`);
``distinct/4``: mean number of distinct answers among 4 executors, ``split``: rate of a
non-unanimous round; ``follow_ok`` / ``follow_bad``: agreement with a correct / wrong (modal
distractor) commitment, own answer from an earlier draft. Temperatures at or below
``t_ref = 0.7`` carry no accuracy or following penalty; lower ones only concentrate the wrong
answers::

    ===  =====  ========  ==========  =====  =========  ==========
      T    acc  acc+hint  distinct/4  split  follow_ok  follow_bad
    ===  =====  ========  ==========  =====  =========  ==========
    0.1  0.606     0.719        1.83  0.825      0.920       0.737
    0.7  0.616     0.719        2.19  0.878      0.934       0.696
    1.3  0.469     0.593        2.56  0.944      0.735       0.476
    ===  =====  ========  ==========  =====  =========  ==========

Coordinator commitments (T = 0.7, ``max_tokens=50``) given 0..3 of 3 heard answers correct
(accuracy among untruncated commitments; expected ``0.8*[plurality correct] + 0.2*0.73``)::

    ========  ==========  =========
    heard ok  commit acc  truncated
    ========  ==========  =========
         0/3       0.147      0.029
         1/3       0.284      0.028
         2/3       0.948      0.028
         3/3       0.943      0.030
    ========  ==========  =========
"""

from econ_env.llm.simulated.backend import (
    STRATEGY_GENERIC,
    STRATEGY_GOOD,
    SimulatedBackend,
    prompt_has_good_strategy,
    strategy_is_good,
)
from econ_env.llm.simulated.params import DEFAULT_SKILL, SimParams, list_presets

__all__ = [
    "DEFAULT_SKILL",
    "STRATEGY_GENERIC",
    "STRATEGY_GOOD",
    "SimParams",
    "SimulatedBackend",
    "list_presets",
    "prompt_has_good_strategy",
    "strategy_is_good",
]
