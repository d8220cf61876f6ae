"""MCP resources: everything in the store is inspectable, scoped like the tools."""

from resources import audit, memories, policies, profile, stats, tasks, sleep

MODULES = (stats, memories, audit, tasks, profile, sleep, policies)


def register(server, holder) -> None:
    """`holder.get()` gives the AppContext to resources that cannot take a request context."""
    for module in MODULES:
        module.register(server, holder)
