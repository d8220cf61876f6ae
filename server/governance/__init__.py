"""Deterministic rules that no model may override: secrets and the transient gate."""
