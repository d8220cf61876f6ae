"""Retrieval benchmarks: dataset loaders, metrics and the harness behind `reverie bench retrieval`.

`datasets` and `metrics` use only the standard library, so the peer-system scripts
in `bench/peers/` (run from their own virtualenv) score with exactly the same code.
"""
