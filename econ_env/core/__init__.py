"""Core building blocks shared by the environments: token ledger, transcript, belief mapping."""

from econ_env.core.beliefs import BeliefMap, GenerationParams
from econ_env.core.ledger import BudgetExceeded, LedgerEntry, Role, TokenLedger
from econ_env.core.transcript import Message, Transcript

__all__ = [
    "BeliefMap",
    "BudgetExceeded",
    "GenerationParams",
    "LedgerEntry",
    "Message",
    "Role",
    "TokenLedger",
    "Transcript",
]
