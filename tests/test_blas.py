"""server.blas: one BLAS thread while held, the original count back when the last holder leaves."""

from __future__ import annotations

import numpy as np  # noqa: F401  (loads numpy's BLAS, the one decisions use)
import pytest

threadpoolctl = pytest.importorskip("threadpoolctl")

from server import blas  # noqa: E402


def test_overlapping_holders_restore_the_threads_only_when_the_last_leaves():
    with blas.one_thread():
        pass  # finds the BLAS libraries loaded now (numpy's among them)
    tracked = {lib.filepath for lib in blas._controller.select(user_api="blas").lib_controllers}
    if not tracked:
        pytest.skip("no BLAS library loaded")

    def threads() -> set[int]:
        return {info["num_threads"] for info in threadpoolctl.threadpool_info() if info["filepath"] in tracked}

    with threadpoolctl.threadpool_limits(2, "blas"):
        outer = blas.one_thread()
        outer.__enter__()
        assert threads() == {1}
        with blas.one_thread():
            assert threads() == {1}
        assert threads() == {1}  # the outer holder still runs its batch
        outer.__exit__(None, None, None)
        assert threads() == {2}
