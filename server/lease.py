"""A lease in the database: background work runs in exactly one process at a time per database file.

    lease = Lease(store, "sleep", ttl_s=60)
    if lease.acquire():          # True: ours until expires_at (renew() before then), False: another holder's
        try: ...
        finally: lease.release()

    with Lease(store, "sleep", 60, auto_renew=True) as lease:
        if lease.held: ...       # renewed every ttl/3 in the background while the block runs

A row `leases(name, holder, acquired_at, expires_at)` is the whole protocol:
acquire and renew are one write transaction each (SQLite's `BEGIN IMMEDIATE`,
PostgreSQL's write advisory lock: see pg_driver.py), so two processes, or two
replicas on one PostgreSQL database, never both see the lease free. A holder that dies stops renewing; once its
`expires_at` passes, the next `acquire()` anywhere takes the lease over.
Times are wall-clock seconds (`time.time`): replicas on several machines need synchronised clocks (NTP).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable



def _db_of(db_or_store):
    """A store's connection, or the connection itself (SQLite `Database` or PostgreSQL `PgDatabase`)."""
    return getattr(db_or_store, "db", db_or_store)


class Lease:
    def __init__(self, db_or_store, name: str, ttl_s: float, *, holder: str | None = None,
                 auto_renew: bool = False, clock: Callable[[], float] = time.time):
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        self.db = _db_of(db_or_store)
        self.name = name
        self.ttl_s = float(ttl_s)
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.auto_renew = auto_renew
        self.clock = clock
        self.held = False
        self.lost = False  # set when a background renewal found the lease taken over
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lease if it is free, expired or already ours; True if we hold it now."""
        now = self.clock()
        with self.db.write():
            row = self.db.one("SELECT holder, expires_at FROM leases WHERE name = ?", (self.name,))
            if row is not None and row[0] != self.holder and row[1] > now:
                self.held = False
                return False
            # Trigger: free, expired (its holder died or stalled) or ours. Outcome: ours until now + ttl.
            self.db.execute(
                "INSERT INTO leases(name, holder, acquired_at, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, acquired_at = excluded.acquired_at, "
                "expires_at = excluded.expires_at",
                (self.name, self.holder, now, now + self.ttl_s),
            )
        self.held, self.lost = True, False
        if self.auto_renew:
            self._start_renewing()
        return True

    def renew(self) -> bool:
        """Extend our lease by ttl; False (and `held` false) if it expired and someone else took it."""
        now = self.clock()
        with self.db.write():
            row = self.db.one("SELECT holder FROM leases WHERE name = ?", (self.name,))
            if row is None or row[0] != self.holder:
                self.held = False
                return False
            self.db.execute("UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ?", (now + self.ttl_s, self.name, self.holder))
        self.held = True
        return True

    def release(self) -> None:
        """Give the lease up now (only if it is still ours), so another process need not wait for expiry."""
        self._stop_renewing()
        with self.db.write():
            self.db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", (self.name, self.holder))
        self.held = False

    def holder_now(self) -> tuple[str, float] | None:
        """(holder, expires_at) of whoever holds the lease, expired or not; None if no one."""
        row = self.db.one("SELECT holder, expires_at FROM leases WHERE name = ?", (self.name,))
        return (row[0], row[1]) if row else None

    # -- background renewal -----------------------------------------------------------------------
    def _start_renewing(self) -> None:
        if self._renewer is not None and self._renewer.is_alive():
            return
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew_loop, name=f"lease-{self.name}", daemon=True)
        self._renewer.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            try:
                if not self.renew():
                    self.lost = True
                    return
            except Exception:  # a busy database: try again next period, the lease has 2/3 of its ttl left
                continue

    def _stop_renewing(self) -> None:
        self._stop.set()
        if self._renewer is not None and self._renewer is not threading.current_thread():
            self._renewer.join(timeout=5)
        self._renewer = None

    # -- context manager ----------------------------------------------------------------------------
    def __enter__(self) -> Lease:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        if self.held:
            self.release()
        else:
            self._stop_renewing()
