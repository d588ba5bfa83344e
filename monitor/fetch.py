"""fetch(client, source, state, settings) -> Fetched | None: one polite HTTP GET.  [httpx]

Conditional GET (ETag, Last-Modified), a streaming body cap, at most five redirects,
Retry-After on 429/503, and retries with backoff for transient failures. A 304 returns None.

``settings.timeout`` bounds each wait for data; a server that keeps trickling (a byte of its
headers or body every few seconds) never trips it, so each attempt also has a total deadline
of DEADLINE_FACTOR times the timeout, covering connect, headers and body together: the
network streams under httpx check it before every read and write.

Bodies are decompressed here, not by httpx, one bounded step at a time: every layer's output
counts against ``max_body_bytes`` while it streams, and more than two stacked encodings are
refused, so a small compressed bomb cannot expand in memory before the cap is checked.
"""

from __future__ import annotations

import random
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from .config import Settings, api_key
from .errors import DeliveryError, FetchError
from .types import Fetched, Source, SourceState

Sleep = Callable[[float], None]
_TRANSIENT_STATUS = {429, 500, 502, 503, 504}
DEADLINE_FACTOR = 4  # one attempt may take at most this many times settings.timeout
MAX_ENCODINGS = 2  # stacked Content-Encodings accepted ("gzip, gzip" is already odd)
_STEP = 64 * 1024  # the most one decompression step may produce
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class _Deadline(threading.local):
    """The monotonic time by which the current thread's request must be done (None: none)."""

    at: float | None = None


_DEADLINE = _Deadline()


def _left(timeout: float | None) -> float | None:
    """Return the wait allowed now: the timeout, shortened to what is left of the deadline."""
    at = _DEADLINE.at
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the attempt's total deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read and write waits no longer than the deadline allows."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname,
                                                     _left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's own sockets, wrapped in _DeadlineStream."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_tcp(host, port, _left(timeout),
                                                       local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_unix_socket(path, _left(timeout),
                                                               socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineTransport(httpx.HTTPTransport):
    """httpx's transport over connections that honour the per-attempt deadline."""

    def __init__(self, limits: httpx.Limits) -> None:
        # HTTPTransport's own __init__ would only build a pool (and an SSL context) to be
        # replaced here; its request handling and close use nothing but self._pool.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend())


def make_client(settings: Settings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """Return an httpx client with the project's timeouts, redirect limit and User-Agent."""
    limits = httpx.Limits(max_connections=max(settings.concurrency * 2, 10))
    return httpx.Client(
        transport=transport or _DeadlineTransport(limits),
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
        headers={"User-Agent": settings.user_agent_header(), "Accept-Encoding": "gzip, deflate"},
        limits=limits,
    )


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Return the wait a Retry-After header asks for (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def fetch(
    client: httpx.Client,
    source: Source,
    state: SourceState | None,
    settings: Settings,
    *,
    url: str | None = None,
    params: tuple[tuple[str, str], ...] | None = None,
    conditional: bool = True,
    sleep: Sleep = time.sleep,
) -> Fetched | None:
    """Return the response to one GET of the source (or ``url``), or None for 304 Not Modified.

    Transient failures are retried ``settings.retries`` times; then FetchError is raised with
    ``transient`` and ``retry_after`` set so the caller can schedule the next attempt.
    """
    target = url or source.url
    query = source.query if params is None and url is None else (params or ())
    headers: dict[str, str] = {}
    if conditional and state is not None:
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
    key = api_key(source)
    if key:
        headers["X-Api-Key"] = key
    attempts = max(1, settings.retries)
    started = time.monotonic()
    for attempt in range(1, attempts + 1):
        try:
            return _get_once(client, source, target, query, headers, settings, attempt)
        except FetchError as e:
            if not e.transient or attempt == attempts:
                if attempt > 1:
                    raise _after_attempts(e, attempt, time.monotonic() - started) from e
                raise
            wait = settings.retry_backoff * (2 ** (attempt - 1)) * (1 + random.random() / 4)
            if e.retry_after is not None:
                if e.retry_after > settings.max_retry_after:
                    raise
                wait = max(wait, e.retry_after)
            sleep(wait)
    raise FetchError(source.id, "no attempt made")  # pragma: no cover


def _after_attempts(e: FetchError, attempts: int, seconds: float) -> FetchError:
    """Return the error with how many attempts were made over how long."""
    return FetchError(e.source_id, f"{e.reason} ({attempts} attempts over {seconds:.1f} s)",
                      http_status=e.http_status, transient=e.transient,
                      retry_after=e.retry_after)


def _encodings(header: str | None) -> list[str]:
    """Return the Content-Encoding layers in the order they were applied (identity left out)."""
    return [c for c in (part.strip().lower() for part in (header or "").split(","))
            if c and c != "identity"]


class _Layers:
    """Streaming decompression of stacked encodings, each layer's output bounded by ``cap``."""

    def __init__(self, source_id: str, codings: list[str], cap: int) -> None:
        unknown = [c for c in codings if c not in _WBITS]
        if unknown:
            raise FetchError(source_id, f"unsupported Content-Encoding {', '.join(unknown)}")
        if len(codings) > MAX_ENCODINGS:
            raise FetchError(source_id, f"refused: {len(codings)} stacked Content-Encodings "
                             f"({', '.join(codings)}); at most {MAX_ENCODINGS} are accepted")
        self.source_id, self.cap = source_id, cap
        self.codings = list(reversed(codings))  # the last applied is undone first
        self.decoders = [zlib.decompressobj(_WBITS[c]) for c in self.codings]
        self.sizes = [0] * len(self.decoders)

    def _through(self, level: int, data: bytes) -> Iterator[bytes]:
        if level == len(self.decoders):
            yield data
            return
        d = self.decoders[level]
        while data:
            try:
                out = d.decompress(data, _STEP)
            except zlib.error as e:
                raise FetchError(self.source_id, f"body cannot be decoded "
                                 f"({self.codings[level]}): {e}") from e
            data = d.unconsumed_tail
            self.sizes[level] += len(out)
            # the last layer's output is the body, counted by the caller as it arrives
            if self.sizes[level] > self.cap and level < len(self.decoders) - 1:
                raise FetchError(self.source_id, f"body over the {self.cap:,}-byte cap "
                                 f"(after decompression, layer {level + 1} of "
                                 f"{len(self.decoders)}); stopped reading")
            if out:
                yield from self._through(level + 1, out)

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """Yield the decoded bytes of one raw chunk, in bounded pieces."""
        return self._through(0, chunk)

    def flush(self) -> Iterator[bytes]:
        """Yield what the decoders still hold at the end of the body."""
        for level, d in enumerate(self.decoders):
            rest = d.flush()
            if rest:
                self.sizes[level] += len(rest)
                yield from self._through(level + 1, rest)


def _host(e: httpx.HTTPError, url: str) -> str:
    """Return the host a failed request was for (a DNS error names none of its own)."""
    try:
        return e.request.url.host or ""
    except RuntimeError:  # no request attached
        return urlsplit(url).hostname or ""


def _redirect_note(requested: str, final: httpx.URL) -> str | None:
    """Return a note when the response came from another host than the one asked."""
    try:
        asked = (urlsplit(requested).hostname or "").lower()
    except ValueError:
        return None
    got = (final.host or "").lower()
    if asked and got and asked != got:
        return f"redirected to host {got}"
    return None


def _get_once(
    client: httpx.Client,
    source: Source,
    url: str,
    query: tuple[tuple[str, str], ...],
    headers: dict[str, str],
    settings: Settings,
    attempt: int,
) -> Fetched | None:
    started = time.monotonic()
    cap = settings.max_body_bytes
    limit = settings.timeout * DEADLINE_FACTOR
    _DEADLINE.at = started + limit

    def too_slow(total: int | None) -> FetchError:
        got = "" if total is None else f" ({total:,} bytes of the body so far)"
        return FetchError(source.id, f"gave up after {time.monotonic() - started:.1f} s: the "
                          f"response is arriving too slowly{got}; limit {DEADLINE_FACTOR} x "
                          f"timeout = {limit:g} s per attempt")  # not retried: it would
                          # hold the run (and the writer lock) for another whole deadline

    total: int | None = None
    try:
        with client.stream("GET", url, params=list(query) or None, headers=headers) as r:
            status = r.status_code
            if status == 304:
                return None
            if status >= 400:
                retry_after = retry_after_seconds(r.headers.get("retry-after"))
                raise FetchError(
                    source.id,
                    f"HTTP {status} {r.reason_phrase}".strip()
                    + (f" (Retry-After {retry_after:.0f}s)" if retry_after is not None else ""),
                    http_status=status,
                    transient=status in _TRANSIENT_STATUS,
                    retry_after=retry_after,
                )
            codings = _encodings(r.headers.get("content-encoding"))
            declared = r.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > cap and not codings:
                raise FetchError(source.id, f"body of {int(declared):,} bytes is over the "
                                 f"{cap:,}-byte cap", http_status=status)
            layers = _Layers(source.id, codings, cap) if codings else None
            if r.is_stream_consumed:  # a response built in memory (httpx.MockTransport)
                layers, stream = None, iter((r.content,))  # httpx decoded it already
            else:
                stream = r.iter_raw()
            chunks: list[bytes] = []
            total = 0
            for raw in stream:
                for chunk in (layers.feed(raw) if layers else (raw,)):
                    total += len(chunk)
                    if total > cap:
                        raise FetchError(source.id, f"body over the {cap:,}-byte cap "
                                         "(after decompression); stopped reading",
                                         http_status=status)
                    chunks.append(chunk)
                if time.monotonic() > _DEADLINE.at:
                    raise too_slow(total)
            if layers:
                chunks.extend(layers.flush())
            if not any(chunks):
                raise FetchError(source.id, f"HTTP {status}: empty body", http_status=status)
            note = _redirect_note(url, r.url)
            return Fetched(
                source_id=source.id,
                url=str(r.url),
                status=status,
                headers={k.lower(): v for k, v in r.headers.items()},
                body=b"".join(chunks),
                elapsed_ms=int((time.monotonic() - started) * 1000),
                attempts=attempt,
                notes=(note,) if note else (),
            )
    except httpx.TooManyRedirects as e:
        raise FetchError(source.id, f"more than {settings.max_redirects} redirects "
                         "(or a redirect loop)") from e
    except httpx.TimeoutException as e:
        if time.monotonic() >= _DEADLINE.at:
            raise too_slow(total) from e
        raise FetchError(source.id, f"timed out ({type(e).__name__})", transient=True) from e
    except httpx.DecodingError as e:
        raise FetchError(source.id, f"body cannot be decoded: {e}") from e
    except (httpx.NetworkError, httpx.RemoteProtocolError) as e:
        host = _host(e, url)
        raise FetchError(source.id, f"{type(e).__name__}"
                         f"{f' ({host})' if host else ''}: {e or 'connection failed'}",
                         transient=True) from e
    except httpx.InvalidURL as e:
        raise FetchError(source.id, f"invalid URL: {e}") from e
    except httpx.HTTPError as e:
        raise FetchError(source.id, f"{type(e).__name__}: {e}") from e
    finally:
        _DEADLINE.at = None


def post_json(client: httpx.Client, url: str, body: Any, timeout: float = 15.0) -> int:
    """POST a JSON body (an alert's webhook call) and return the HTTP status; raise
    DeliveryError on a network error or a status that is not 2xx. No redirect is followed:
    a webhook that moved is a configuration to fix, not a body to re-send elsewhere."""
    try:
        response = client.post(url, json=body, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as e:
        raise DeliveryError(f"webhook {_where(url)}: {type(e).__name__}: {e}") from e
    if not 200 <= response.status_code < 300:
        raise DeliveryError(f"webhook {_where(url)} answered HTTP {response.status_code}: "
                            f"{response.text[:200]}")
    return response.status_code


def _where(url: str) -> str:
    """Return a URL's scheme and host only: a webhook's path is its secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
