"""Reference learning agents for econ-env's games.

- ``agents.dala``: utility-proportional bidding (α-REINFORCE) and the value-density critic.
- ``agents.econ``: belief networks, belief encoder and QMIX-style mixer for debate_v0.

The learning agents themselves land with the agents issue; this package fixes their place in
the layout (DESIGN.md §2, §7). Every agent will expose ``act(obs, agent) -> action``, the same
interface as :mod:`baselines`.
"""
