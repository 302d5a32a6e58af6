"""debate_v0 internals (ECON debate game): config, game rules, rewards, convergence, rendering."""
