"""Peer memory systems, benchmarked from their own virtualenv (see bench/peers/README.md)."""
