"""Who revises after an auction_v0 broadcast, and the revision requests they send.

:func:`revision_requests` builds, for every agent that heard someone else's broadcast this
round, the chat prompt quoting what it heard (the tier message each winner sent), the hints the
simulated backend reads (its own answer, the heard answers and their tiers, its known facts)
and a seed drawn from the env's generator. It changes nothing; the game generates and applies.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from econ_env.core.ledger import Role
from econ_env.envs.auction import prompts
from econ_env.envs.auction.types import Heard, TierMessage
from econ_env.llm.base import GenRequest


def revision_requests(
    game: Any,
    winners: tuple[int, ...],
    rng: np.random.Generator,
    known: list[frozenset[int]] | None = None,
    sent: dict[int, TierMessage] | None = None,
) -> tuple[list[int], list[GenRequest]]:
    """Requests of the agents that heard someone else's broadcast among ``winners``.

    ``game`` is the :class:`~econ_env.envs.auction.game.AuctionGame` of the round.

    That is every non-winner, and also each winner when several agents spoke (so with
    ``top_k = n_agents`` everyone speaks and revises every round: multi-agent debate). A
    sole winner heard nothing new and keeps its (now spoken) draft. ``known``: every
    agent's known fact indices after the broadcasts (default: the current ones). ``sent``:
    the tier message each winner broadcast (default: its draft).
    """
    assert game.item is not None
    sent = sent if sent is not None else {w: game.message(w) for w in winners}
    spoken = [Heard(game.agents[w], sent[w].text, sent[w].answer) for w in winners]
    tier_of = {game.agents[w]: sent[w].tier for w in winners}
    who, requests = [], []
    for i, agent in enumerate(game.agents):
        heard_msgs = [m for m in spoken if m.speaker != agent]
        if not heard_msgs:
            continue
        d = game.drafts[i]
        ki = None if known is None else known[i]
        listed = None  # carry_facts: the prompt lists every fact the agent knows now
        if game.config.carry_facts:
            listed = game.knowledge.known[i] if ki is None else ki
        messages = prompts.revise_messages(
            agent,
            game.n,
            game.item,
            d.text,
            heard_msgs,
            index=i,
            system_prompt=game.team[i].system_prompt,
            known=listed,
        )
        heard = tuple(m.answer for m in heard_msgs if m.answer is not None)
        tiers = ()
        if len(game.config.tiers) > 1:
            tiers = tuple(tier_of[m.speaker] for m in heard_msgs if m.answer is not None)
        who.append(i)
        requests.append(
            game.request(i, messages, Role.REVISE, d.answer, heard, rng, ki, heard_tiers=tiers)
        )
    return who, requests
