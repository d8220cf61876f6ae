"""MCP tools: one thin module each (validate -> service -> typed result), registered by callback."""

from tools import correct, feedback, forget, recall, remember, tasks

MODULES = (remember, recall, forget, correct, feedback, tasks)


def register(server) -> None:
    for module in MODULES:
        module.register(server)
