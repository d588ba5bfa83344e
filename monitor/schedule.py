"""`monitor daemon`: APScheduler 3.x runs each source on its interval or crontab line and the
digest on its own crontab line.  [apscheduler]

Jobs run one at a time in one worker thread (so one database connection serves them all),
with coalescing, max_instances=1, a misfire grace time and a little jitter. The first job is
one pass over every due source, fetched concurrently as `monitor run` does; then each source
runs on its own schedule. A job that raises is logged and the scheduler goes on. SIGTERM or
SIGINT stop at once: queued jobs are dropped, the first pass stores the sources in hand
(each bounded by the request deadline) and fetches no more, and the daemon exits.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from . import deliver, logs, pipeline, store
from .config import Config, daemon_settings, missing_key, parse_since
from .errors import ConfigError, MonitorError
from .types import DaemonSettings, Source

if TYPE_CHECKING:
    import httpx
    from sqlite_utils import Database

log = logging.getLogger("monitor.daemon")
DIGEST_JOB = "digest"
FIRST_PASS = "first-pass"


class Stopping(Exception):
    """Raised inside the first pass after SIGTERM, so it fetches nothing more."""


def source_trigger(source: Source, settings: DaemonSettings, config: Config) -> BaseTrigger:
    """Return the trigger of a source's job; raise ConfigError for a bad crontab line."""
    if source.cron:
        try:
            trigger = CronTrigger.from_crontab(source.cron, timezone=settings.timezone)
            trigger.jitter = settings.jitter or None  # from_crontab takes no jitter
            return trigger
        except ValueError as e:
            raise ConfigError(f"bad crontab line {source.cron!r}: {e}", file=config.path,
                              entry=source.id, key="cron") from e
    return IntervalTrigger(seconds=source.interval, timezone=settings.timezone,
                           jitter=settings.jitter or None)


def check_schedule(config: Config) -> DaemonSettings:
    """Return the daemon settings after building every job's trigger, as the daemon will;
    raise ConfigError for a line the scheduler refuses (init and doctor check the same)."""
    settings = daemon_settings(config)
    for source in config.sources:
        source_trigger(source, settings, config)
    digest_trigger(settings, config)
    return settings


def digest_trigger(settings: DaemonSettings, config: Config) -> CronTrigger | None:
    """Return the digest job's trigger, or None when no digest is scheduled."""
    if not settings.digest_cron:
        return None
    try:
        return CronTrigger.from_crontab(settings.digest_cron, timezone=settings.timezone)
    except ValueError as e:
        raise ConfigError(f"bad crontab line {settings.digest_cron!r}: {e}", file=config.path,
                          entry="daemon", key="digest.cron") from e


class Daemon:
    """The scheduler and its jobs over one database and one HTTP client."""

    def __init__(self, config: Config, db: Database, client: httpx.Client, *,
                 password: str | None = None,
                 now: Callable[[], datetime] = pipeline.utcnow) -> None:
        self.config = config
        self.db = db
        self.client = client
        self.password = password
        self.now = now
        self.settings = daemon_settings(config)
        self.runs: dict[str, int] = {}
        self.stopping = threading.Event()
        self.scheduler = BackgroundScheduler(
            timezone=self.settings.timezone,
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": self.settings.misfire_grace_time})
        first_pass = False
        for source in config.sources:
            if not source.enabled:
                continue
            if missing_key(source):
                logs.event(log, "source_skipped", source=source.id,
                           reason=f"needs {source.api_key_env}")
                continue
            trigger = source_trigger(source, self.settings, config)
            first = self._first_run(source)
            if first is not None and first <= self.now():  # due now: the first pass runs it
                first_pass = True
                first = trigger.get_next_fire_time(None, self.now().astimezone(
                    trigger.timezone))
            self.scheduler.add_job(self.run_source, trigger, args=[source.id],
                                   id=f"source:{source.id}", name=source.id,
                                   next_run_time=first)
        if first_pass:
            self.scheduler.add_job(self.run_first_pass, id=FIRST_PASS, name=FIRST_PASS,
                                   next_run_time=self.now())
        trigger = digest_trigger(self.settings, config)
        if trigger is not None:
            self.scheduler.add_job(self.send_digest, trigger, id=DIGEST_JOB, name="digest")
        self.scheduler.add_listener(self._on_event,
                                    EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)

    def _first_run(self, source: Source) -> datetime | None:
        """Run a source soon after start when it is due (never run, or past its next attempt)."""
        state = store.get_states(self.db).get(source.id)
        now = self.now()
        if state is None or state.next_attempt is None:
            return now
        return max(state.next_attempt, now) if source.cron is None else None

    # --- jobs ---------------------------------------------------------------------------

    def run_first_pass(self) -> None:
        """Every source due at start-up, fetched concurrently as `monitor run` fetches them;
        after SIGTERM the sources in hand are stored and no more are fetched."""
        if self.stopping.is_set():
            return
        self.runs[FIRST_PASS] = self.runs.get(FIRST_PASS, 0) + 1

        def stored(_run: object) -> None:
            if self.stopping.is_set():
                raise Stopping

        try:
            pipeline.run(self.db, self.config, self.client, on_result=stored)
        except Stopping:
            logs.event(log, "first_pass", status="stopped")

    def run_source(self, source_id: str) -> None:
        """One source's run: fetch, parse, store, classify, cluster (none after SIGTERM)."""
        if self.stopping.is_set():
            return
        self.runs[source_id] = self.runs.get(source_id, 0) + 1
        pipeline.run(self.db, self.config, self.client, only=[source_id])

    def send_digest(self) -> None:
        """The scheduled digest: written to `out` and/or mailed, as configured."""
        self.runs[DIGEST_JOB] = self.runs.get(DIGEST_JOB, 0) + 1
        store.save_job_run(self.db, DIGEST_JOB, self.now(), "started")
        s = self.settings
        since = parse_since(s.digest_since, self.now())
        result = deliver.deliver_digest(self.db, self.config, since, send=s.digest_send,
                                         skip_empty=s.skip_empty, now=self.now(),
                                         password=self.password)
        if s.digest_out and not result.skipped:
            Path(s.digest_out).parent.mkdir(parents=True, exist_ok=True)
            Path(s.digest_out).write_text(deliver.render_digest(result.report, s.digest_format),
                                          encoding="utf-8")
        store.save_job_run(self.db, DIGEST_JOB, self.now(), "done")
        pipeline.send_alerts(self.db, self.config, self.client)  # e.g. held past quiet hours

    def _on_event(self, event: JobExecutionEvent) -> None:
        if event.code == EVENT_JOB_ERROR:
            logs.event(log, "job", logging.ERROR, job=event.job_id, status="error",
                       error=f"{type(event.exception).__name__}: {event.exception}")
        elif event.code == EVENT_JOB_MISSED:
            logs.event(log, "job", logging.WARNING, job=event.job_id, status="missed",
                       scheduled=event.scheduled_run_time)
        else:
            logs.event(log, "job", job=event.job_id, status="done")

    # --- running ------------------------------------------------------------------------

    def run_once(self) -> dict[str, Any]:
        """Run every due job once, in this thread, and return what ran."""
        runs = pipeline.run(self.db, self.config, self.client)
        ran_digest = False
        trigger = digest_trigger(self.settings, self.config)
        if trigger is not None and self._digest_due(trigger):
            try:
                self.send_digest()
                ran_digest = True
            except MonitorError as e:
                logs.event(log, "job", logging.ERROR, job=DIGEST_JOB, status="error",
                           error=str(e))
                raise
        return {"runs": runs, "digest": ran_digest}

    def _digest_due(self, trigger: CronTrigger) -> bool:
        """Due when a scheduled time has passed since the last digest (or in the last day)."""
        last = store.job_last_run(self.db, DIGEST_JOB)
        now = self.now()
        start = last or now - timedelta(days=1)
        nxt = trigger.get_next_fire_time(None, start.astimezone(trigger.timezone))
        return nxt is not None and nxt <= now

    def serve(self, stop: threading.Event | None = None) -> None:
        """Run until SIGTERM, SIGINT or ``stop``; the running job finishes first."""
        stop = stop or threading.Event()

        def handle(signum: int, _frame: object) -> None:
            logs.event(log, "stopping", signal=signal.Signals(signum).name)
            self.stopping.set()
            stop.set()

        main = threading.current_thread() is threading.main_thread()
        previous = ({sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
                    if main else {})
        self.scheduler.start()
        logs.event(log, "started", jobs=len(self.scheduler.get_jobs()),
                   timezone=self.settings.timezone)
        try:
            while not stop.wait(1.0):
                pass
        finally:
            self.stopping.set()  # queued jobs return at once; the running one stops early
            self.scheduler.shutdown(wait=True)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            logs.event(log, "stopped")
