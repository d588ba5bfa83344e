"""fetch(client, source, state, settings) -> Fetched | None: one polite HTTP GET.  [httpx]

Conditional GET (ETag, Last-Modified), a streaming body cap, at most five redirects,
Retry-After on 429/503, and retries with backoff for transient failures. A 304 returns None.

``settings.timeout`` bounds each wait for data; a body that keeps trickling in (a byte every
few seconds) never trips it, so one response may also take at most DEADLINE_FACTOR times the
timeout in all.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from .config import Settings, api_key
from .errors import FetchError
from .types import Fetched, Source, SourceState

Sleep = Callable[[float], None]
_TRANSIENT_STATUS = {429, 500, 502, 503, 504}
DEADLINE_FACTOR = 4  # one response may take at most this many times settings.timeout


def make_client(settings: Settings, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """Return an httpx client with the project's timeouts, redirect limit and User-Agent."""
    return httpx.Client(
        transport=transport,
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
        headers={"User-Agent": settings.user_agent_header(), "Accept-Encoding": "gzip, deflate"},
        limits=httpx.Limits(max_connections=max(settings.concurrency * 2, 10)),
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
    last: FetchError | None = None
    for attempt in range(1, attempts + 1):
        try:
            return _get_once(client, source, target, query, headers, settings, attempt)
        except FetchError as e:
            last = e
            if not e.transient or attempt == attempts:
                raise
            wait = settings.retry_backoff * (2 ** (attempt - 1)) * (1 + random.random() / 4)
            if e.retry_after is not None:
                if e.retry_after > settings.max_retry_after:
                    raise
                wait = max(wait, e.retry_after)
            sleep(wait)
    raise last if last else FetchError(source.id, "no attempt made")  # pragma: no cover


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
    deadline = started + settings.timeout * DEADLINE_FACTOR
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
            declared = r.headers.get("content-length")
            if (declared and declared.isdigit() and int(declared) > cap
                    and "content-encoding" not in r.headers):
                raise FetchError(source.id, f"body of {int(declared):,} bytes is over the "
                                 f"{cap:,}-byte cap", http_status=status)
            chunks: list[bytes] = []
            total = 0
            for chunk in r.iter_bytes():
                total += len(chunk)
                if total > cap:
                    raise FetchError(source.id, f"body over the {cap:,}-byte cap "
                                     "(after decompression); stopped reading",
                                     http_status=status)
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise FetchError(source.id, f"gave up after {time.monotonic() - started:.1f}"
                                     f" s: the body is arriving too slowly ({total:,} bytes "
                                     f"so far; limit {DEADLINE_FACTOR} x timeout)",
                                     http_status=status)
            return Fetched(
                source_id=source.id,
                url=str(r.url),
                status=status,
                headers={k.lower(): v for k, v in r.headers.items()},
                body=b"".join(chunks),
                elapsed_ms=int((time.monotonic() - started) * 1000),
                attempts=attempt,
            )
    except httpx.TooManyRedirects as e:
        raise FetchError(source.id, f"more than {settings.max_redirects} redirects "
                         "(or a redirect loop)") from e
    except httpx.TimeoutException as e:
        raise FetchError(source.id, f"timed out ({type(e).__name__})", transient=True) from e
    except httpx.DecodingError as e:
        raise FetchError(source.id, f"body cannot be decoded: {e}") from e
    except (httpx.NetworkError, httpx.RemoteProtocolError) as e:
        raise FetchError(source.id, f"{type(e).__name__}: {e or 'connection failed'}",
                         transient=True) from e
    except httpx.InvalidURL as e:
        raise FetchError(source.id, f"invalid URL: {e}") from e
    except httpx.HTTPError as e:
        raise FetchError(source.id, f"{type(e).__name__}: {e}") from e
