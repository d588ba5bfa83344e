"""Issue #15 at a terminal and under a service manager: the daemon stops promptly on SIGTERM
with slow sources in flight and queued, Ctrl-C during `run` is one line, tables fit an 80x24
terminal with their ids whole, and the progress bar shares no line with anything."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.demo import SampleServer, sample_dir

ROOT = Path(__file__).resolve().parent.parent
MONITOR = [sys.executable, "-m", "monitor.cli"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class HeldServer(SampleServer):
    """The sample server, holding every answer until released (a slow or hung host)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.lock = threading.Lock()
        self.arrived = 0
        self.gate = threading.Event()

    def _serve(self, h) -> None:  # type: ignore[no-untyped-def]
        with self.lock:
            self.arrived += 1
        self.gate.wait(120)
        super()._serve(h)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after a generous deadline."""
    deadline = time.monotonic() + 120
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def slow_sources(path: Path, base: str, n: int = 10) -> Path:
    """Write ``n`` feed sources on the one host of ``base``: two fetched at once (per_host),
    the rest queued, each request cut off after 2 s of silence."""
    path.write_text("settings: {timeout: 2, retries: 1, per_host: 2}\nsources:\n" + "".join(
        f"  - {{id: slow-{i}, kind: feed, url: '{base}/ntia/rss.xml?copy={i}', "
        "interval: 1h}\n" for i in range(n)))
    return path


# --- the daemon under SIGTERM ---------------------------------------------------------------

@pytest.mark.parametrize("hosts", ["answer after the stop", "hang"])
def test_daemon_exits_promptly_on_sigterm_with_ten_slow_sources(tmp_path, hosts):
    with HeldServer(sample_dir()) as server:
        sources = slow_sources(tmp_path / "sources.yaml", server.base)
        log = tmp_path / "monitor.log"
        db = tmp_path / "m.db"
        proc = subprocess.Popen([*MONITOR, "--db", str(db), "--sources", str(sources),
                                 "--log-file", str(log), "daemon"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # the first pass fetches concurrently, as `run` does: two requests at once
            wait_for(lambda: server.arrived >= 2 or proc.poll() is not None,
                     "two sources in flight")
            proc.send_signal(signal.SIGTERM)
            wait_for(lambda: log.exists() and "event=stopping" in log.read_text(),
                     "the daemon to take the signal")
            if hosts == "answer after the stop":
                server.gate.set()
            out, err = proc.communicate(timeout=15)  # the bound the issue asks for
        finally:
            server.gate.set()
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err + out
    text = log.read_text()
    assert "event=stopped" in text and "event=first_pass status=stopped" in text
    assert server.arrived == 2  # the eight queued sources were never fetched
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT status FROM fetch_log").fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert 1 <= len(rows) <= 2  # what was in hand was stored, nothing else
    expected = "ok" if hosts == "answer after the stop" else "error"
    assert {r[0] for r in rows} == {expected}


# --- on a terminal ------------------------------------------------------------------------

def terminal(args: list[str], *, until: Callable[[], bool] | None = None,
             then: Callable[[int], None] | None = None) -> tuple[int, str]:
    """Run ``monitor`` on an 80x24 pseudo-terminal, in its own process group as a shell
    runs a foreground job; once ``until`` holds call ``then(pgid)``. Return its exit code and
    the screen's text (colours and cursor moves removed, carriage returns as line ends)."""
    parent, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "COLUMNS": "80", "LINES": "24", "TERM": "xterm-256color"}
    proc = subprocess.Popen([*MONITOR, *args], stdin=child, stdout=child, stderr=child,
                            cwd=ROOT, env=env, close_fds=True, start_new_session=True)
    os.close(child)
    out = b""
    fired = False
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if not fired and until is not None and until():
            assert then is not None
            then(proc.pid)
            fired = True
        ready, _, _ = select.select([parent], [], [], 0.05)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(parent, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(parent)
    screen = ANSI.sub("", out.decode("utf-8", "replace")).replace("\r\n", "\n")
    return proc.wait(60), screen.replace("\r", "\n")


def test_ctrl_c_during_run_is_one_line(tmp_path):
    with HeldServer(sample_dir()) as server:
        sources = slow_sources(tmp_path / "sources.yaml", server.base)

        def interrupt(pgid: int) -> None:
            os.killpg(pgid, signal.SIGINT)  # what the terminal does on Ctrl-C
            server.gate.set()

        code, screen = terminal(["--db", str(tmp_path / "m.db"), "--sources", str(sources),
                                 "run"], until=lambda: server.arrived >= 2, then=interrupt)
    assert code == 130, screen
    assert "Traceback" not in screen and "closed" not in screen, screen
    said = [line for line in screen.splitlines() if "interrupted" in line]
    assert len(said) == 1 and said[0].startswith("Error: interrupted: run stopped"), screen


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    done = subprocess.run([*MONITOR, "demo", "--out", str(out)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return out


def fits(screen: str) -> None:
    """Every line fits 80 columns, unless it is one unbreakable token (a long link)."""
    for line in screen.splitlines():
        assert len(line) <= 80 or len(line.split()) == 1 or line.split()[-1].startswith(
            ("http", "[")), line


def test_tables_fit_80_columns_with_headers_and_whole_ids(demo):
    base = ["--db", str(demo / "monitor.db"), "--sources", str(demo / "sources.yaml")]
    ids = [s["id"] for s in json.loads(subprocess.run(
        [*MONITOR, *base, "signals", "--since", "all", "--json"], capture_output=True,
        text=True, cwd=ROOT, timeout=120).stdout)]
    code, screen = terminal([*base, "signals", "--since", "all"])
    assert code == 0, screen
    fits(screen)
    assert "title / id" in screen.splitlines()[0]
    words = set(screen.split())
    assert ids and all(i in words for i in ids)  # each id whole, ready to paste into explain
    events = json.loads(subprocess.run([*MONITOR, *base, "timeline", "--since", "all",
                                        "--json"], capture_output=True, text=True, cwd=ROOT,
                                       timeout=120).stdout)["events"]
    code, screen = terminal([*base, "timeline", "--since", "all"])
    assert code == 0 and "event" in screen.splitlines()[1], screen
    fits(screen)
    assert all(e["id"] in screen.split() for e in events)
    code, screen = terminal([*base, "event", events[0]["id"]])
    assert code == 0, screen
    fits(screen)
    code, screen = terminal([*base, "sources"])
    assert code == 0, screen
    fits(screen)
    assert screen.split()[:3] == ["last", "success", "/"] or "source" in screen.split()[:8]
    assert all(f"{s} " in screen for s in ("fr-ntia", "fr-public-inspection",
                                           "broadband-breakfast"))
    assert "federal_register" in screen.split()  # a word is never split over two lines


def test_progress_and_log_lines_share_no_line_and_a_failure_shows_once(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text("settings: {retries: 1}\nsources:\n" + "".join(
        f"  - {{id: gone-{i}, kind: feed, url: 'http://127.0.0.1:9/{i}.xml'}}\n"
        for i in range(3)))
    code, screen = terminal(["--db", str(tmp_path / "m.db"), "--sources", str(sources), "run"])
    assert code == 1, screen
    for line in screen.splitlines():
        assert not ("━" in line and "time=" in line), line
    for i in range(3):
        shown = [line for line in screen.splitlines()
                 if line.startswith(f"gone-{i} ") and "error" in line]
        assert len(shown) == 1, screen
    assert "event=source_run" not in screen  # the table says it; the log line is not repeated
