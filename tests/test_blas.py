"""server.blas: one BLAS thread while held, the original count back when the last holder leaves."""

from __future__ import annotations

import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")

from server import blas  # noqa: E402


def _threads() -> set[int]:
    return {info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"}


def test_overlapping_holders_restore_the_threads_only_when_the_last_leaves():
    import numpy as np  # noqa: F401  (loads the BLAS library)

    before = _threads()
    if not before:
        pytest.skip("no BLAS library loaded")
    with threadpoolctl.threadpool_limits(2, "blas"):
        outer = blas.one_thread()
        outer.__enter__()
        assert _threads() == {1}
        with blas.one_thread():
            assert _threads() == {1}
        assert _threads() == {1}  # the outer holder still runs its batch
        outer.__exit__(None, None, None)
        assert _threads() == {2}
    assert _threads() == before
