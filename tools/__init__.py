"""MCP tools: one thin module each (validate -> service -> typed result), registered by callback."""

from tools import correct, feedback, forget, policy, recall, remember, tasks, sleep

MODULES = (remember, recall, forget, correct, feedback, tasks, sleep, policy)


def register(server) -> None:
    for module in MODULES:
        module.register(server)
