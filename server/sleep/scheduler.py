"""APScheduler wiring: sleep runs on a schedule inside the server process, and catches up after a gap.

A background scheduler (its own threads, never the event loop) fires the run,
which works in a child process (worker.py), on an interval (REVERIE_SLEEP_INTERVAL_MINUTES, default 6 h) or a crontab line
(REVERIE_SLEEP_CRON). coalesce=True and max_instances=1: missed fires collapse
into one run and runs never overlap in a process; the lease keeps them to one
process per database. Last-run times live in the database, so a server that only
lives while its client is open runs what is overdue shortly after start-up
(REVERIE_SLEEP_CATCH_UP_DELAY_S), in the background, never delaying the handshake.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from server.config import Settings
from server.sleep.runner import SleepRunner, last_run_at

log = logging.getLogger("reverie.sleep")


def trigger_of(settings: Settings):
    """The schedule from settings.

    Raises:
        ValueError: REVERIE_SLEEP_CRON is not a valid crontab line.
    """
    if settings.sleep_cron:
        return CronTrigger.from_crontab(settings.sleep_cron, timezone="UTC")
    return IntervalTrigger(minutes=settings.sleep_interval_minutes, timezone="UTC")


def overdue(settings: Settings, last: datetime | None, now: datetime) -> bool:
    """Whether a scheduled run was due between the last run and now (never run counts as due)."""
    if last is None:
        return True
    if settings.sleep_cron:
        fire = trigger_of(settings).get_next_fire_time(None, last + timedelta(seconds=1))
        return fire is not None and fire <= now
    return last + timedelta(minutes=settings.sleep_interval_minutes) <= now


class SleepScheduler:
    def __init__(self, service, *, runner: SleepRunner | None = None):
        self.service = service
        self.settings = service.settings
        self.stop = threading.Event()
        self.runner = runner or SleepRunner(service, isolated=True, stop=self.stop)
        self.runner.stop = self.stop
        self.scheduler = BackgroundScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": self.settings.sleep_misfire_grace_s},
        )
        self.last = None  # the last RunSummary (for tests and logs)

    def start(self) -> None:
        self.scheduler.add_job(self._run, trigger_of(self.settings), id="sleep", kwargs={"trigger": "schedule"})
        when = datetime.now().astimezone() + timedelta(seconds=self.settings.sleep_catch_up_delay_s)
        self.scheduler.add_job(self._catch_up, DateTrigger(run_date=when), id="sleep-catch-up")
        self.scheduler.start()

    def _catch_up(self) -> None:
        if self.service.store.namespaces() and overdue(self.settings, last_run_at(self.service.store), self.service.clock.now()):
            self._run(trigger="catch-up")

    def _run(self, trigger: str) -> None:
        if self.stop.is_set():
            return
        try:
            self.last = self.runner.run(trigger=trigger, log_fn=lambda m: log.info("sleep: %s", m))
            log.info("sleep %s run: %s, %d changes", trigger, self.last.status, self.last.changes)
        except Exception:  # never let a run kill the scheduler thread
            log.exception("sleep %s run failed", trigger)

    def shutdown(self, wait: bool = True) -> None:
        """Stop scheduling; a run in progress stops at its next step (finished steps stay done)."""
        self.stop.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
