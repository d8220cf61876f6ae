"""MCP tools: one thin module each (validate -> service -> typed result), registered by callback."""

from tools import correct, feedback, forget, recall, remember

MODULES = (remember, recall, forget, correct, feedback)


def register(server) -> None:
    for module in MODULES:
        module.register(server)
