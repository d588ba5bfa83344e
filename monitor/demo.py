"""The demo: the bundled sample corpus, served from a loopback HTTP server so the real fetch
code runs, through the whole pipeline into every output.

Every body has the text ``{base}`` replaced by the server's base URL, so pagination links and
source URLs point back at the server. Responses carry an ETag and answer If-None-Match with 304.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

from . import pipeline, report, store
from .config import load_config
from .deliver import feed_id, render_digest
from .errors import ConfigError
from .fetch import make_client
from .outputs import calendar, render
from .types import EventScore, SourceRun

# Everything the demo writes into its folder, and nothing else: a rerun replaces these files
# only, and a folder holding anything more is refused, never emptied.
OUTPUT_NAMES = ("digest.md", "digest.html", "digest.txt", "feed.atom", "deadlines.ics",
                "index.html")
DB_NAMES = ("monitor.db", "monitor.db-wal", "monitor.db-shm", "monitor.db-journal")
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


@dataclass(frozen=True)
class DemoRun:
    """What the demo did: each source's run, the timeline, and where it left its files."""

    runs: tuple[SourceRun, ...]
    events: tuple[EventScore, ...]  # the timeline, newest first
    outputs: Path
    written: tuple[str, ...]  # the file names in ``outputs``
    db_path: Path
    sources: Path  # the sample's sources.yaml with the server's URL written in
    items: int
    last_day: str  # the newest publication day in the sample ("" when it has none)


def run_demo(root: Path, out_dir: Path, now: datetime,
             on_serve: Callable[[str, int], None] = lambda base, sources: None) -> DemoRun:
    """Recreate ``out_dir``, run the pipeline over the corpus at ``root`` served on loopback,
    write every output of it there; return what was done.

    ``on_serve`` hears the server's base URL and the number of sources before fetching starts.
    """
    prepare_folder(out_dir)
    db_path = out_dir / "monitor.db"
    with SampleServer(root) as server:
        config = load_config(root / "sources.yaml", base_url=server.base)
        db = store.open_db(db_path)
        try:
            on_serve(server.base, len(config.sources))
            with make_client(config.settings) as client:
                runs = pipeline.run(db, config, client, force=True)
            debate = config.debate
            assert debate is not None
            events = store.timeline(db, debate.id)
            rep = report.build(db, config, None, now)
            outputs = out_dir / "outputs"
            outputs.mkdir(exist_ok=True)
            written: dict[str, str | bytes] = {
                "digest.md": render_digest(rep, "md"), "digest.html": render_digest(rep, "html"),
                "digest.txt": render_digest(rep, "text"),
                "feed.atom": render.atom(rep, feed_id(debate.id)),
                "deadlines.ics": calendar.to_ics(store.deadlines(db, debate.id), debate.id,
                                                 debate.title, now),
                "index.html": render.page_html(rep),
            }
            assert tuple(written) == OUTPUT_NAMES
            for name, content in written.items():
                target = outputs / name
                if isinstance(content, bytes):
                    target.write_bytes(content)
                else:
                    target.write_text(content, encoding="utf-8")
            items = store.count_items(db)
            last_day = (db.execute("SELECT max(published) FROM items").fetchone()[0]
                        or "")[:10]
        finally:
            db.close()
    resolved = out_dir / "sources.yaml"
    resolved.write_text((root / "sources.yaml").read_text(encoding="utf-8")
                        .replace("{base}", server.base), encoding="utf-8")
    return DemoRun(runs=tuple(runs), events=tuple(events), outputs=outputs,
                   written=tuple(written), db_path=db_path, sources=resolved, items=items,
                   last_day=last_day)


def prepare_folder(out_dir: Path) -> None:
    """Make ``out_dir`` ready for a fresh demo: create it, or clear a previous demo's files
    from it; raise ConfigError, touching nothing, when it holds anything else."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"--out {out_dir}: is a file, not a folder")
    if not out_dir.exists():
        try:
            out_dir.mkdir(parents=True)
        except OSError as e:
            raise ConfigError(f"--out {out_dir}: cannot create it: {e.strerror or e}") from e
        return
    ours = {*DB_NAMES, "sources.yaml", "outputs"}
    outputs = out_dir / "outputs"
    foreign = sorted(p.name for p in out_dir.iterdir() if p.name not in ours)
    if outputs.is_dir():
        foreign += sorted(f"outputs/{p.name}" for p in outputs.iterdir()
                          if p.name not in OUTPUT_NAMES)
    elif outputs.exists():
        foreign.append("outputs")
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" * (len(foreign) > 3))
        raise ConfigError(f"--out {out_dir}: holds files the demo did not write ({shown}); "
                          "name a new or empty folder (nothing was changed)")
    try:
        for name in (*DB_NAMES, "sources.yaml"):
            (out_dir / name).unlink(missing_ok=True)
        for name in OUTPUT_NAMES:
            (outputs / name).unlink(missing_ok=True)
    except OSError as e:
        raise ConfigError(f"--out {out_dir}: cannot replace the previous demo's files: "
                          f"{e.strerror or e}") from e
