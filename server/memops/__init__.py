"""Memory operations: what to do with a new statement, and how to rank recall candidates.

`load_ops()` gives the trained model; `RulesOps` is the baseline and fallback.
"""

from .schema import KINDS, MemoryOps, Neighbor, OpsDecision, RankCandidate


def __getattr__(name: str):
    # Lazy: importing torch takes ~2 s, and `server.memops.schema` is imported on the
    # server's start-up path, before the MCP handshake. The model loads in the background.
    if name in ("LearnedOps", "load_ops"):
        from . import learned

        return getattr(learned, name)
    if name == "RulesOps":
        from .rules import RulesOps

        return RulesOps
    raise AttributeError(name)

__all__ = ["KINDS", "LearnedOps", "MemoryOps", "Neighbor", "OpsDecision", "RankCandidate", "RulesOps", "load_ops"]
