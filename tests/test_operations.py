"""Running unattended: the writer lock, the daemon, crash recovery, readers during writes,
migrations, and a simulated week of schedules."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from click.testing import CliRunner

from monitor import deliver, pipeline, store
from monitor.cli import EXIT_LOCKED, cli
from monitor.config import load_config
from monitor.demo import SampleServer, sample_dir
from monitor.fetch import make_client
from monitor.schedule import Daemon

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MONITOR = [sys.executable, "-m", "monitor.cli"]


def sample_sources(tmp_path: Path, base: str, extra: str = "") -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text((sample_dir() / "sources.yaml").read_text().replace("{base}", base) + extra)
    return path


def monitor(db: Path, sources: Path, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([*MONITOR, "--db", str(db), "--sources", str(sources), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, **kw)


# --- the writer lock ----------------------------------------------------------------------

HOLD = ("import sys, time; from monitor import store\n"
        "with store.writer_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)")


def test_second_writer_says_so_and_a_killed_holder_does_not_block(tmp_path):
    db = tmp_path / "m.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE,
                              text=True, cwd=ROOT)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        sources = tmp_path / "s.yaml"
        sources.write_text("sources: []\n")
        result = CliRunner().invoke(cli, ["--db", str(db), "--sources", str(sources), "run"])
        assert result.exit_code == EXIT_LOCKED == 75
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and f"pid {holder.pid}" in lines[0] and "writing" in lines[0]
    finally:
        holder.kill()  # SIGKILL: no cleanup runs, the lock file stays behind
        holder.communicate()
    assert Path(f"{db}.lock").exists()
    result = CliRunner().invoke(cli, ["--db", str(db), "--sources", str(sources), "run"])
    assert result.exit_code == 0, result.output


# --- the daemon --------------------------------------------------------------------------

def test_daemon_once_runs_due_jobs_and_the_digest(tmp_path):
    # A daily digest whose time passed ten minutes ago: due on the first pass (it fell in the
    # last day), not on the second (its next time is tomorrow), whenever the test runs.
    from zoneinfo import ZoneInfo

    past = datetime.now(ZoneInfo("America/New_York")) - timedelta(minutes=10)
    with SampleServer(sample_dir()) as server:
        out = tmp_path / "digest.md"
        sources = sample_sources(tmp_path, server.base, (
            f"\ndaemon:\n  timezone: America/New_York\n  digest:\n"
            f"    cron: '{past.minute} {past.hour} * * *'\n"
            f"    send: false\n    out: {out}\n    format: md\n"))
        db = tmp_path / "m.db"
        first = CliRunner().invoke(cli, ["--db", str(db), "--sources", str(sources), "daemon",
                                         "--once"])
        assert first.exit_code == 0, first.output
        assert "17 sources: 17 ok" in first.output and "digest: sent" in first.output
        assert out.read_text().startswith("# Open-weight AI models")
        # Nothing is due a moment later: sources wait for their interval, the digest for
        # tomorrow.
        again = CliRunner().invoke(cli, ["--db", str(db), "--sources", str(sources), "daemon",
                                         "--once"])
        assert again.exit_code == 0 and "17 skipped" in again.output
        assert "digest: sent" not in again.output


def test_daemon_stops_cleanly_on_sigterm(tmp_path):
    with SampleServer(sample_dir(), delay=0.05) as server:
        sources = sample_sources(tmp_path, server.base)
        db = tmp_path / "m.db"
        proc = monitor(db, sources, "daemon")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.3)
            if db.exists():
                with sqlite3.connect(db) as conn:
                    try:
                        if conn.execute("SELECT count(*) FROM fetch_log").fetchone()[0] >= 3:
                            break
                    except sqlite3.OperationalError:
                        pass
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert time.monotonic() - started < 30
        assert "event=stopping signal=SIGTERM" in err and "event=stopped" in err
        assert "event=source_run" in err
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_job_that_raises_is_logged_and_the_scheduler_goes_on(tmp_path, monkeypatch,
                                                             caplog):
    config = load_config(sample_sources(tmp_path, "http://127.0.0.1:9"))
    db = store.memory_db()
    calls: list[str] = []

    def flaky(db, config, client, only=(), **kw):
        calls.append(tuple(only))
        if len(calls) == 1:
            raise RuntimeError("boom")
        return []

    monkeypatch.setattr(pipeline, "run", flaky)
    with make_client(config.settings) as client:
        # never-run sources are due at once: one concurrent first pass runs them all (#15);
        # each source's own job is brought forward to now as well
        d = Daemon(config, db, client)
        for job in d.scheduler.get_jobs():
            job.modify(next_run_time=datetime.now(UTC))
        stop = threading.Event()
        thread = threading.Thread(target=d.serve, args=(stop,))
        with caplog.at_level("INFO", logger="monitor"):
            thread.start()
            deadline = time.monotonic() + 20
            while len(calls) < 15 and time.monotonic() < deadline:
                time.sleep(0.05)
            stop.set()
            thread.join(20)
    assert () in calls  # the first pass: every due source in one concurrent run
    assert len(calls) >= 15  # the first job raised, the other fourteen still ran
    assert any("RuntimeError: boom" in str(getattr(r, "fields", {}).get("error"))
               for r in caplog.records)


# --- crash recovery ------------------------------------------------------------------------

def fingerprint(db: Path) -> dict:
    """What a run leaves: items, signals and the events' membership (ids may differ)."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        items = conn.execute("SELECT id, url, title, published FROM items ORDER BY id").fetchall()
        signals = conn.execute("SELECT item_id, relevant, relevance, topics, stance, authority "
                               "FROM signals ORDER BY item_id").fetchall()
        merges = dict(conn.execute("SELECT from_event, into_event FROM event_merges"))
        groups: dict[str, set[str]] = {}
        for item_id, event_id in conn.execute("SELECT item_id, event_id FROM event_items"):
            while event_id in merges:
                event_id = merges[event_id]
            groups.setdefault(event_id, set()).add(item_id)
    return {"items": items, "signals": signals,
            "events": sorted(sorted(g) for g in groups.values())}


class GatedServer(SampleServer):
    """The sample server, with a gate: once ``allow`` requests are served, later ones wait.

    A run whose next request is held cannot finish, so a test can interrupt it at a point
    defined by progress (how many answers it has had), whatever the machine's speed.
    """

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.lock = threading.Lock()
        self.served = 0
        self.allow: int | None = None
        self.gate = threading.Event()
        self.held = threading.Event()  # set once a request is waiting at the gate

    def arm(self, allow: int | None) -> None:
        """Serve ``allow`` more requests, then hold the rest (None: hold nothing)."""
        with self.lock:
            self.served, self.allow = 0, allow
            self.gate.clear()
            self.held.clear()
            if allow is None:
                self.gate.set()

    def release(self) -> None:
        self.gate.set()

    def _serve(self, h) -> None:  # type: ignore[no-untyped-def]
        with self.lock:
            self.served += 1
            hold = self.allow is not None and self.served > self.allow
        if hold:
            self.held.set()
            self.gate.wait(120)
        super()._serve(h)


def wait_for(condition, what: str, seconds: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    """Poll ``condition`` until it holds; fail naming ``what`` after a generous deadline."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def test_killed_runs_lose_nothing_and_converge(tmp_path):
    # Each run is killed after a number of answers drawn from the seed, while its next request
    # is held at the gate: so all twenty are interrupted mid-run (some while other sources'
    # writes are in flight) on a fast machine and on a slow one alike.
    rng = random.Random(20261127)
    with GatedServer(sample_dir()) as server:
        sources = sample_sources(tmp_path, server.base)
        clean = tmp_path / "clean.db"
        server.arm(None)
        done = monitor(clean, sources, "--quiet", "run", "--force")
        assert done.communicate(timeout=120) and done.returncode == 0
        first = server.served
        again = monitor(clean.with_name("again.db"), sources, "--quiet", "run", "--force")
        again.communicate(timeout=120)
        server.arm(None)
        repeat = monitor(clean.with_name("again.db"), sources, "--quiet", "run", "--force")
        assert repeat.communicate(timeout=120) and repeat.returncode == 0
        requests = min(first, server.served)  # a run with stored ETags may ask less
        assert requests >= 5, requests
        crashed = tmp_path / "crashed.db"
        killed = 0
        for _ in range(20):
            server.arm(rng.randrange(0, requests))
            proc = monitor(crashed, sources, "--quiet", "run", "--force")
            wait_for(lambda p=proc: server.held.is_set() or p.poll() is not None,
                     "the run to reach the gate")
            time.sleep(rng.uniform(0.0, 0.2))  # let writes already under way go on, or not
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                killed += 1
            server.release()
            proc.communicate(timeout=60)
        assert killed == 20  # every run really was interrupted
        server.arm(None)
        final = monitor(crashed, sources, "--quiet", "run", "--force")
        _, err = final.communicate(timeout=120)
        assert final.returncode == 0, err
    assert fingerprint(crashed) == fingerprint(clean)


def test_readers_always_answer_during_writes(tmp_path):
    with GatedServer(sample_dir()) as server:
        sources = sample_sources(tmp_path, server.base)
        db = tmp_path / "m.db"
        assert CliRunner().invoke(cli, ["--db", str(db), "--sources", str(sources),
                                        "init"]).exit_code == 0
        server.arm(4)  # the writer cannot finish until the readers have had their turns
        writer = monitor(db, sources, "--quiet", "run", "--force")
        wait_for(server.held.is_set, "the writer to reach the gate")
        answers = 0
        while answers < 6:
            if answers == 4:
                server.release()  # the rest are answered while the writer writes
            for command in (["signals", "--since", "all", "--format", "json"],
                            ["timeline", "--since", "all", "--json"]):
                reader = subprocess.run([*MONITOR, "--db", str(db), "--sources", str(sources),
                                         *command], capture_output=True, text=True, cwd=ROOT,
                                        timeout=60)
                assert reader.returncode == 0, reader.stderr
                assert "locked" not in reader.stderr
                json.loads(reader.stdout)
                answers += 1
        writer.communicate(timeout=120)
        assert writer.returncode == 0


# --- migrations ------------------------------------------------------------------------------

def test_a_first_schema_database_upgrades_in_place(tmp_path):
    db_path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "db" / "schema-1.db", db_path)
    with sqlite3.connect(db_path) as conn:
        before = conn.execute("SELECT id, title, url FROM items ORDER BY id").fetchall()
        applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")]
    assert applied == ["0001_crawl"] and len(before) > 30
    sources = tmp_path / "s.yaml"
    sources.write_text("sources: []\n")
    result = CliRunner().invoke(cli, ["--db", str(db_path), "--sources", str(sources),
                                      "classify"])
    assert result.exit_code == 0, result.output
    db = store.open_db(db_path)
    assert store.schema_version(db) == store.SCHEMA_VERSION
    assert db.execute("SELECT id, title, url FROM items ORDER BY id").fetchall() == before
    assert store.count_signals(db, "open-weights") == len(before)
    assert store.timeline(db, "open-weights")  # caught up: classified and clustered
    assert store.search_items(db, "weights")  # the full-text index came along


# --- a simulated week ------------------------------------------------------------------------

def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_a_simulated_week_runs_each_job_as_scheduled(tmp_path, monkeypatch):
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - {id: hourly, kind: feed, url: 'http://127.0.0.1:9/a', interval: 1h}\n"
        "  - {id: six-hourly, kind: feed, url: 'http://127.0.0.1:9/b', interval: 6h}\n"
        "  - {id: cron, kind: feed, url: 'http://127.0.0.1:9/c', cron: '30 8 * * *'}\n"
        "daemon:\n  timezone: America/New_York\n  jitter: 0\n"
        "  digest: {cron: '0 7 * * 1-5', send: false}\n")
    config = load_config(path)
    running = {"now": 0, "max": 0}
    lock = threading.Lock()

    def fake_run(db, config, client, only=(), **kw):
        with lock:
            running["now"] += 1
            running["max"] = max(running["max"], running["now"])
        time.sleep(0.001)
        with lock:
            running["now"] -= 1
        return []

    monkeypatch.setattr(pipeline, "run", fake_run)
    monkeypatch.setattr(deliver, "deliver_digest", lambda *a, **k: type(
        "R", (), {"skipped": True, "report": None})())
    start = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)  # a Monday
    with time_machine.travel(start, tick=False) as clock, \
            make_client(config.settings) as client:
        d = Daemon(config, store.open_db(tmp_path / "m.db"), client)
        for job in d.scheduler.get_jobs():  # the first run of each job at its trigger's time
            job.modify(next_run_time=job.trigger.get_next_fire_time(None, datetime.now(UTC)))
        d.scheduler.start(paused=True)
        d.scheduler.resume()
        files, memory = open_files(), rss_kb()
        for _minute in range(7 * 24 * 60):
            clock.shift(timedelta(minutes=1))
            d.scheduler._process_jobs()  # what the scheduler's thread does when it wakes
            # let the worker start what was submitted before the clock moves on
            d.scheduler._executors["default"]._pool.submit(lambda: None).result()
        d.scheduler._executors["default"]._pool.submit(lambda: None).result()
        assert open_files() <= files + 2
        assert rss_kb() < memory + 20_000
        d.scheduler.shutdown(wait=True)
    assert d.runs["hourly"] == 7 * 24
    assert d.runs["six-hourly"] == 7 * 4
    assert d.runs["cron"] == 7  # 08:30 New York, every day
    assert d.runs["digest"] == 5  # weekdays at 07:00
    assert running["max"] == 1  # never two jobs at once


def test_a_locked_run_is_silent_in_cron_mode(tmp_path):
    db = tmp_path / "m.db"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db)], stdout=subprocess.PIPE,
                              text=True, cwd=ROOT)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        sources = tmp_path / "s.yaml"
        sources.write_text("sources: []\n")
        quiet = subprocess.run([*MONITOR, "--db", str(db), "--sources", str(sources), "--quiet",
                                "run"], capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert quiet.returncode == EXIT_LOCKED and quiet.stdout == quiet.stderr == ""
    finally:
        holder.kill()
        holder.communicate()
