"""Reverie: a governed long-term memory server for AI assistants (MCP)."""

__version__ = "0.1.0"
