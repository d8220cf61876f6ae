"""Short garbage-collector pauses: what the models load is frozen out of the cyclic collector's full passes.

Why: importing and loading torch, ONNX Runtime and fastembed leaves ~265k objects the collector tracks, and
they live as long as the process. Every full (generation 2) pass walked all of them: 180-220 ms of CPU,
up to 0.5 s of wall time on a busy machine, landing on whichever call allocated at the wrong moment, often
the first recall after an import (bench/notes/recall-latency.md, Session 9). `gc.freeze()` moves them to
the permanent generation, so a full pass walks only what the workload keeps (a few ten thousand objects).
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_settled = False


def settle() -> None:
    """Once per process, when the models are loaded: collect, then freeze every object alive now.

    Objects frozen and later dropped are still freed by reference counting; only cyclic garbage among them
    would stay, and what is alive once the models load is the models, the libraries and their caches.
    """
    global _settled
    with _lock:
        if _settled:
            return
        _settled = True
    gc.collect()
    gc.freeze()


def settle_after(*loaders) -> None:
    """`settle()` in a background thread once every loader that loads lazily (has `wait`) has finished."""
    waits = [getattr(loader, "wait") for loader in loaders if hasattr(loader, "wait")]

    def run() -> None:
        try:
            for wait in waits:
                wait()
        except BaseException:  # a model that failed to load reports itself to its first caller
            return
        settle()

    threading.Thread(target=run, name="reverie-heap-settle", daemon=True).start()
