"""Shared pieces of the benchmark (scripts/bench): the network guard, the loopback feed
servers (run in a child process), figures and the watchdog.

Nothing here touches the internet: every socket the benchmark opens is checked to be
loopback, and the servers bind 127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(ROOT))

LOOPBACK = "127.0.0.1"


# --- never the internet ------------------------------------------------------------------

def _is_loopback(host: object) -> bool:
    if host in (None, "localhost", b"localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host).strip("[]")).is_loopback
    except ValueError:
        return False


def forbid_network() -> None:
    """Refuse every connection and name lookup that is not loopback, for this process.

    Also drops proxy variables so httpx never routes loopback requests through a proxy.
    """
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                "all_proxy"):
        os.environ.pop(var, None)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost,::1"
    if getattr(socket, "_bench_guarded", False):
        return

    def check(address: Any) -> None:
        if isinstance(address, (str, bytes)):  # AF_UNIX path
            return
        if not _is_loopback(address[0]):
            raise OSError(f"bench: refused a non-loopback connection to {address!r}")

    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_loopback(host):
            raise socket.gaierror(f"bench: refused a lookup of non-loopback host {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo
    socket._bench_guarded = True  # type: ignore[attr-defined]


# --- a bounded wall clock ------------------------------------------------------------------

def start_watchdog(seconds: float, what: str) -> threading.Timer:
    """Kill this process (exit 124) if it is still running after ``seconds``."""
    def fire() -> None:
        sys.stderr.write(f"\nbench: {what} exceeded its {seconds:.0f}s time bound; aborting\n")
        sys.stderr.flush()
        os._exit(124)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return timer


# --- figures -------------------------------------------------------------------------------

def ratio_figure(name: str, value: float, baseline: float, *, unit: str, higher_is_better: bool,
                 target: float | None = None, baseline_name: str, measured_name: str,
                 note: str | None = None, target_max: bool = False) -> dict[str, Any]:
    """Return one reported figure: measured / baseline (or baseline / measured for times),
    with the raw numbers beside it and whether the target is met (ratio >= target, or
    ratio <= target when ``target_max``)."""
    if higher_is_better:
        r = value / baseline if baseline else float("inf")
    else:  # a time: the ratio is how many times faster than the baseline
        r = baseline / value if value else float("inf")
    fig: dict[str, Any] = {
        "name": name,
        "ratio": round(r, 3),
        "measured": {"name": measured_name, "value": round(value, 4), "unit": unit},
        "baseline": {"name": baseline_name, "value": round(baseline, 4), "unit": unit},
    }
    if target is not None:
        fig["target"] = f"<= {target}" if target_max else f">= {target}"
        fig["met"] = r <= target if target_max else r >= target
    if note:
        fig["note"] = note
    return fig


class Report:
    """Collects human-readable lines (printed as they come unless quiet) and JSON data."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def line(self, text: str = "") -> None:
        if not self.quiet:
            print(text, flush=True)


# --- loopback feed servers (child process) ------------------------------------------------

def rss_feed(server: int, slot: int, items: int = 5) -> bytes:
    """Return a small valid RSS 2.0 feed, distinct per (server, slot)."""
    base = f"http://{LOOPBACK}/s{server}/f{slot}"
    entries = []
    for i in range(items):
        entries.append(
            f"<item><title>Notice {server}-{slot}-{i}: comment period opens</title>"
            f"<link>{base}/notice-{i}</link>"
            f"<guid isPermaLink=\"false\">s{server}-f{slot}-n{i}</guid>"
            f"<pubDate>Mon, 0{1 + i % 9} Jul 2024 1{i % 10}:00:00 GMT</pubDate>"
            f"<description>&lt;p&gt;The agency &lt;em&gt;requests comment&lt;/em&gt; on "
            f"item {i} of feed {server}-{slot}.&lt;/p&gt;</description></item>")
    return (
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>"
        f"<title>Bench feed {server}-{slot}</title><link>{base}</link>"
        f"<description>loopback bench feed</description>{''.join(entries)}</channel></rss>"
    ).encode()


class FeedServers:
    """``count`` ThreadingHTTPServers on 127.0.0.1, each answering /f<slot>.rss after ``delay``
    seconds with a small RSS feed and its ETag, and 304 when If-None-Match matches."""

    def __init__(self, count: int, slots: int, delay: float) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.stats: Counter[str] = Counter()
        self.servers: list[ThreadingHTTPServer] = []
        self.bodies: dict[tuple[int, int], tuple[bytes, str]] = {}
        for n in range(count):
            for slot in range(slots):
                body = rss_feed(n, slot)
                self.bodies[(n, slot)] = (body, '"' + hashlib.sha1(body).hexdigest()[:20] + '"')
            self.servers.append(self._make(n))
        self.ports = [s.server_address[1] for s in self.servers]
        for s in self.servers:
            threading.Thread(target=s.serve_forever, daemon=True).start()

    def _make(self, n: int) -> ThreadingHTTPServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

            def do_GET(self) -> None:  # noqa: N802
                owner._serve(n, self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

        return Server((LOOPBACK, 0), Handler)

    def _serve(self, n: int, h: BaseHTTPRequestHandler) -> None:
        time.sleep(self.delay)
        try:
            slot = int(h.path.split("?")[0].rsplit("/f", 1)[1].removesuffix(".rss"))
            body, etag = self.bodies[(n, slot)]
        except (IndexError, ValueError, KeyError):
            with self.lock:
                self.stats["404"] += 1
            h.send_response(404)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if h.headers.get("If-None-Match") == etag:
            with self.lock:
                self.stats["304"] += 1
            h.send_response(304)
            h.send_header("ETag", etag)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        with self.lock:
            self.stats["200"] += 1
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        h.send_header("ETag", etag)
        h.end_headers()
        h.wfile.write(body)

    def close(self) -> None:
        for s in self.servers:
            s.shutdown()
            s.server_close()


def serve_main(argv: list[str]) -> None:
    """Child-process entry: serve, print the ports as one JSON line, then answer `stats` /
    `reset` commands on stdin until EOF, `quit` or the lifetime bound."""
    count, slots, delay, lifetime = int(argv[0]), int(argv[1]), float(argv[2]), float(argv[3])
    start_watchdog(lifetime, "the loopback feed servers")
    servers = FeedServers(count, slots, delay)
    print(json.dumps({"ports": servers.ports}), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "stats":
            with servers.lock:
                print(json.dumps(dict(servers.stats)), flush=True)
        elif cmd == "reset":
            with servers.lock:
                servers.stats.clear()
            print("{}", flush=True)
        elif cmd == "quit":
            break
    servers.close()


class ChildServer:
    """Loopback servers in a child process (so they do not share the GIL with the client),
    driven by one-line commands on its stdin; the child prints one JSON line when it is up
    and one JSON line per answer."""

    def __init__(self, argv: list[str], what: str) -> None:
        self.proc = subprocess.Popen([sys.executable, *argv], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        if not first:
            raise RuntimeError(f"bench: {what} did not start")
        self.started: dict[str, Any] = json.loads(first)

    def _ask(self, cmd: str) -> dict[str, int]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return {k: int(v) for k, v in json.loads(self.proc.stdout.readline()).items()}

    def stats(self) -> dict[str, int]:
        return self._ask("stats")

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ServerProcess(ChildServer):
    """The loopback feed servers of the crawl bench."""

    def __init__(self, count: int, slots: int, delay: float, lifetime: float) -> None:
        super().__init__([str(Path(__file__).resolve()), "serve", str(count), str(slots),
                          str(delay), str(lifetime)], "the loopback feed servers")
        self.ports: list[int] = self.started["ports"]

    def reset(self) -> None:
        self._ask("reset")


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "serve":
    serve_main(sys.argv[2:])
