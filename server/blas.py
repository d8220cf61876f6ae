"""One BLAS thread while a batch of write decisions, or a recall's vector search, runs.

Why: a decision multiplies small matrices (the memory-ops net: 8 neighbours x a few hundred features; the
neighbour search: one vector against the namespace). OpenBLAS splits even these across its threads, and
on a busy 2-core machine the threads' hand-offs cost more than the arithmetic: measured here, a 1300x384
matrix-vector product took 843 us of CPU with 2 threads and 122 us with one, and an 8x600 by 600x256
product 1750 us against 236 us. The embedding model runs in ONNX Runtime's own threads, untouched.

The vector search (server/store/vector_index.py) holds it too: its products are matrix-vector ones, bound by
memory bandwidth, and a second thread only adds hand-offs (100k rows, two-pass: 8.4 -> 6.8 ms CPU per search
on the busy 2-core machine, `python -m bench.recall_stages --size 100000`).

Why scoped, not process-wide: other work in the process (a matrix-matrix product) may still gain from
threads. The limit is process-wide while held (that is how BLAS libraries work), so it is reference
counted: overlapping holders restore the threads only when the last one ends.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_holders = 0
_restore = None
_controller = None


@contextmanager
def one_thread() -> Iterator[None]:
    global _holders, _restore, _controller
    with _lock:
        if _holders == 0:
            if _controller is None:
                from threadpoolctl import ThreadpoolController

                _controller = ThreadpoolController()  # finds the loaded BLAS libraries once
            _restore = _controller.limit(limits=1, user_api="blas")
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _restore is not None:
                _restore.restore_original_limits()
                _restore = None
