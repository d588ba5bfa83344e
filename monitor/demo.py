"""The bundled sample corpus, served from a loopback HTTP server so the real fetch code runs.

Every body has the text ``{base}`` replaced by the server's base URL, so pagination links and
source URLs point back at the server. Responses carry an ETag and answer If-None-Match with 304.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

_TYPES = {".json": "application/json", ".rss": "application/rss+xml",
          ".xml": "application/rss+xml", ".atom": "application/atom+xml",
          ".html": "text/html; charset=utf-8"}


def sample_dir() -> Path:
    """Return the bundled sample corpus folder (``data/sample`` beside the package)."""
    return Path(__file__).resolve().parent.parent / "data" / "sample"


class SampleServer:
    """Serve ``root/http`` on 127.0.0.1 on a free port; use as a context manager."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0,
                 delay: float = 0.0) -> None:
        self.root = (root / "http").resolve()
        self.delay = delay  # seconds before each answer (tests slow it down to interrupt it)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                server._serve(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client that hung up (a killed run) is not the server's problem

        self.httpd = Server((host, port), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://{host}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        if self.delay:
            time.sleep(self.delay)
        path = unquote(urlsplit(h.path).path).lstrip("/")
        target = (self.root / path).resolve()
        if not target.is_file() or self.root not in target.parents:
            h.send_error(404, "Not Found")
            return
        body = target.read_bytes().replace(b"{base}", self.base.encode())
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        if h.headers.get("If-None-Match") == etag:
            h.send_response(304)
            h.send_header("ETag", etag)
            h.end_headers()
            return
        ctype = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
        h.send_response(200)
        h.send_header("Content-Type", ctype or "application/octet-stream")
        h.send_header("Content-Length", str(len(body)))
        h.send_header("ETag", etag)
        h.end_headers()
        h.wfile.write(body)

    def __enter__(self) -> SampleServer:
        self.thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
