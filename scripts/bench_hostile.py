"""Benchmark: one `monitor run` over hostile sources stays bounded in time and memory.

    scripts/bench hostile [--quick]

Four sources on loopback, with `timeout: 5`: a healthy feed, a server that drips its headers
a byte every 0.2 s forever, a stacked gzip bomb (`Content-Encoding: gzip, gzip`, 200 MB of
spaces in ~200 KB) and a feed declared UTF-8 with one invalid byte. Targets (issue 11): the
run finishes in under 60 s with peak memory under 400 MB, stores the healthy items, and keeps
the bad-byte feed's valid UTF-8 text intact. The baseline is the same command over the
healthy source alone, measured in the same run.
"""

from __future__ import annotations

import gzip
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import Report, ratio_figure  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GOOD = "\u201cOpen-weight\u201d \u2014 caf\u00e9"


def feed(title: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t'
            f"</title><item><title>{title}</title><link>https://example.org/a</link>"
            "<guid>a-1</guid><pubDate>Mon, 23 Nov 2026 12:00:00 GMT</pubDate></item>"
            "</channel></rss>").encode()


class Hostile:
    """A loopback server: /healthy, /drip (headers at 5 bytes/s), /bomb, /badbyte."""

    def __init__(self, bomb_mb: int) -> None:
        self.stop = threading.Event()
        self.bomb = gzip.compress(gzip.compress(b"<rss>" + b" " * (bomb_mb << 20)))
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by close() while waiting: the server is done
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _send(self, conn: socket.socket, body: bytes, *headers: str) -> None:
        head = ["HTTP/1.1 200 OK", "Content-Type: application/rss+xml",
                f"Content-Length: {len(body)}", "Connection: close", *headers]
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    def _one(self, conn: socket.socket) -> None:
        with conn:
            try:
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    request += chunk
                path = request.split(b" ", 2)[1]
                if path == b"/drip":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                    while not self.stop.wait(0.2):
                        conn.sendall(b"a")
                elif path == b"/bomb":
                    self._send(conn, self.bomb, "Content-Encoding: gzip, gzip")
                elif path == b"/badbyte":
                    self._send(conn, feed(f"{GOOD} \u00ff").replace(b"\xc3\xbf", b"\xff"))
                else:
                    self._send(conn, feed("A healthy feed"))
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def timed_run(base: str, paths: list[str], folder: Path) -> tuple[float, float, int, dict]:
    """Return wall seconds, peak MB, exit code and titles by source of one `monitor run`."""
    sources = folder / f"sources-{len(paths)}.yaml"
    lines = ["settings: {timeout: 5}", "sources:"]
    lines += [f"  - {{id: {p}, kind: feed, url: '{base}/{p}'}}" for p in paths]
    sources.write_text("\n".join(lines) + "\n")
    db = folder / f"m-{len(paths)}.db"
    # VmHWM of the run itself, read by a wrapper that execs it (ru_maxrss would report ours).
    wrapper = ("import os, subprocess, sys\n"
               "p = subprocess.Popen(sys.argv[1:])\n"
               "peak = 0\n"
               "while p.poll() is None:\n"
               "    try:\n"
               "        for line in open(f'/proc/{p.pid}/status'):\n"
               "            if line.startswith('VmHWM:'): peak = max(peak, int(line.split()[1]))\n"
               "    except OSError: pass\n"
               "    import time; time.sleep(0.05)\n"
               "print(peak, p.returncode)\n")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "monitor.cli",
                          "--db", str(db), "--sources", str(sources), "--quiet", "run"],
                         capture_output=True, text=True, cwd=ROOT, timeout=600,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    seconds = time.perf_counter() - t0
    peak_kb, code = out.stdout.split()[-2:]
    with sqlite3.connect(db) as conn:
        titles = dict(conn.execute("SELECT source_id, title FROM items"))
    return seconds, int(peak_kb) / 1024, int(code), titles


def run(quick: bool, report: Report) -> dict[str, Any]:
    report.line("== hostile: one run over a header drip, a stacked gzip bomb, a bad byte")
    server = Hostile(bomb_mb=20 if quick else 200)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
            folder = Path(tmp)
            base_s, base_mb, base_code, _ = timed_run(server.base, ["healthy"], folder)
            secs, mb, code, titles = timed_run(
                server.base, ["healthy", "drip", "bomb", "badbyte"], folder)
    finally:
        server.close()
    report.line(f"   healthy source alone:        {base_s:6.2f} s, peak {base_mb:6.1f} MB  "
                f"[baseline] exit {base_code}")
    report.line(f"   healthy + drip + bomb + bad: {secs:6.2f} s, peak {mb:6.1f} MB, exit {code}")
    stored = titles.get("healthy") == "A healthy feed"
    intact = titles.get("badbyte") == f"{GOOD} \ufffd"
    report.line(f"   healthy items stored: {stored}; bad-byte feed's valid text intact: {intact}")
    figures = [
        ratio_figure("hostile.run_seconds_vs_healthy_alone", secs, base_s, unit="s",
                     higher_is_better=True, baseline_name="healthy source alone",
                     measured_name="with drip, bomb and bad byte",
                     note=f"absolute {secs:.1f} s (target < 60 s)"),
        ratio_figure("hostile.peak_mb_vs_healthy_alone", mb, base_mb, unit="MB",
                     higher_is_better=True, baseline_name="healthy source alone",
                     measured_name="with drip, bomb and bad byte",
                     note=f"absolute {mb:.0f} MB (target < 400 MB)"),
    ]
    met = secs < 60 and mb < 400
    for f in figures:
        f["target"], f["met"] = "absolute (see note)", met
    report.line(f"   under 60 s: {secs < 60}; under 400 MB: {mb < 400}")
    return {"figures": figures, "ok": stored and intact and code == 1 and base_code == 0,
            "targets_met": met}
