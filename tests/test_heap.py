"""server/heap.py: what the models load leaves the garbage collector's full passes, once, after they load."""

from __future__ import annotations

import gc
import threading
import time

from server import heap


def test_settle_freezes_what_is_alive_and_a_full_pass_then_walks_only_newer_objects(monkeypatch):
    monkeypatch.setattr(heap, "_settled", False)  # an app built by an earlier test may have settled this process
    held = [[i] for i in range(5000)]  # alive when the process settles, like a model's objects
    heap.settle()
    assert gc.get_freeze_count() > 0
    walked = len(gc.get_objects())  # the objects a full pass walks: frozen ones are not among them
    assert not any(o is held[0] for o in gc.get_objects())
    heap.settle()  # once per process: a second call freezes nothing more
    later = [[i] for i in range(100)]
    assert len(gc.get_objects()) <= walked + len(later) + 50
    assert any(o is later[0] for o in gc.get_objects())


def test_settle_after_waits_for_every_lazy_loader_and_not_for_a_failed_one(monkeypatch):
    calls = []
    monkeypatch.setattr(heap, "settle", lambda: calls.append(1))
    gate = threading.Event()

    class Loader:
        def wait(self):
            gate.wait(10)

    heap.settle_after(Loader(), object())  # an embedder loaded already has no `wait`
    time.sleep(0.2)
    assert calls == []
    gate.set()
    deadline = time.monotonic() + 10
    while not calls and time.monotonic() < deadline:
        time.sleep(0.01)
    assert calls == [1]

    class Broken:
        def wait(self):
            raise RuntimeError("the model failed to load")

    heap.settle_after(Broken())
    time.sleep(0.2)
    assert calls == [1]
