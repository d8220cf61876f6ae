"""Reverie among other tools: client configuration (`install`), the Claude Desktop bundle (`bundle`) and
migration from other memory servers (`importers`)."""
