"""The one polite HTTP client: timeouts, size caps, conditional GET, Retry-After, per-host limits.

Every network call in waitbuddy (push alerts, feeds, page metadata) goes through :class:`Client`.
The policy, in one place:

- **URLs**: only ``http``/``https`` with a host (:func:`waitbuddy.text.openable_url`), checked again
  at every redirect hop. Redirects are followed by hand, at most ``max_redirects``: the body of a
  3xx is never read, ``Authorization`` and ``Cookie`` are dropped when the host changes, and
  301/302/303 turn a POST into a GET as browsers do.
- **Time**: ``timeout`` is the connect timeout and the idle-read timeout of one attempt.
  ``budget`` bounds the whole call (every attempt, body download, backoff and Retry-After wait);
  nothing sleeps past it. Per call, defaulting to the client's. It holds during every read too: a
  server that drips a byte a second (each byte resets a socket timeout) is hung up on at the
  deadline, in the headers or the body, and the call fails "timed out after <budget>s".
- **Size**: bodies are streamed and counted *after* decompression; past ``max_bytes`` the call
  stops reading and fails (a declared ``Content-Length`` over the cap fails before reading).
  With ``truncate=True`` it keeps the first ``max_bytes`` instead and sets ``Response.truncated``
  (a 20 MB page still gives its title from the first MBs). With ``body_types`` (media types, e.g.
  ``{"text/html"}``), a 2xx whose declared ``Content-Type`` is another type comes back with its
  headers, an empty body and ``truncated`` set, without downloading it (a PDF link costs no PDF).
  A response without a ``Content-Type`` is read. ``max_bytes`` may be given per call (a feed may
  be 10 MB and is refused past it; a page is cut at 2 MB), as may ``max_wait``.
- **Retries**: up to ``retries`` more attempts for connection errors, timeouts, 5xx and 429,
  waiting ``backoff * 2**n`` or the server's ``Retry-After`` (seconds or HTTP date). A
  Retry-After longer than ``max_wait`` or the rest of the budget is not slept through: the call
  fails at once ("rate limited (429), retry after 120s") and the host is left alone until then
  (later calls fail fast without touching the network). Other 4xx are final. A read timeout on a
  non-idempotent method (POST) is not retried: the server probably acted on it, and a resend
  would duplicate the alert.
- **Conditional GET**: :meth:`Client.get` with ``etag``/``last_modified``; a 304 comes back as a
  :class:`Response` with ``not_modified`` set (2xx and 304 return, everything else raises).
- **Per-host limits**: at most ``HostLimit.concurrency`` requests in flight and request starts at
  least ``HostLimit.min_interval`` apart, per host or per configured domain (``"arxiv.org"``
  covers ``export.arxiv.org`` too, so the API and RSS share one 3 s clock).
- **Secrets**: :class:`HttpError` never contains the URL (an ntfy topic or a webhook URL is a
  password) and is raised without the library exception chained to it.

Thread safety: each call uses its own ``requests.Session``. Sessions are not documented as
thread-safe (psf/requests#2766) and one session behind a lock would serialize unrelated hosts;
what we lose is keep-alive between calls, which costs little at our volume. The only shared
state, the per-host bookkeeping, sits behind one lock.
"""

from __future__ import annotations

import functools
import json as jsonlib
import math
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

from waitbuddy import __version__
from waitbuddy.text import openable_url

USER_AGENT = f"waitbuddy/{__version__}"
MAX_WAIT = 60.0  # the longest single wait (backoff or Retry-After) a call will sleep through
ERROR_BODY_LIMIT = 64 * 1024  # of an error response we keep only this much, for diagnostics
CHUNK_SIZE = 64 * 1024
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([\w.:-]+)", re.IGNORECASE)

Sleep = Callable[[float], None]


class HttpError(Exception):
    """A call that gave no usable response. ``str()`` is one short line for people.

    ``status``: the HTTP status, if the server answered. ``retry_after``: seconds the server asked
    us to wait. ``transient``: trying again later may work. ``ambiguous``: the server may have
    acted on the request. ``response``: the (truncated) error response, if any.
    """

    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None,
                 transient: bool = False, ambiguous: bool = False, response: Response | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
        self.transient = transient
        self.ambiguous = ambiguous
        self.response = response

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # case-insensitive lookups
    body: bytes
    url: str  # the final URL, after redirects
    truncated: bool = False  # the body is only the start (truncate=True) or was skipped (body_types)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("ETag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("Last-Modified")

    @property
    def max_age(self) -> float | None:
        """Seconds the response may be reused (Cache-Control max-age; no-store/no-cache -> 0)."""
        control = self.headers.get("Cache-Control") or ""
        if re.search(r"no-store|no-cache", control, re.IGNORECASE):
            return 0.0
        match = _MAX_AGE.search(control)
        return float(match.group(1)) if match else None

    @property
    def text(self) -> str:
        """The body decoded with the declared charset (UTF-8 if none or unknown)."""
        match = _CHARSET.search(self.headers.get("Content-Type") or "")
        try:
            return self.body.decode(match.group(1) if match else "utf-8", errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.body)


@dataclass(frozen=True)
class HostLimit:
    concurrency: int = 4  # requests in flight at once
    min_interval: float = 0.0  # seconds between request starts (arXiv asks for 3)


@dataclass
class _HostState:
    slots: threading.BoundedSemaphore
    next_start: float = 0.0  # monotonic time before which no request may start
    cooldown_until: float = 0.0  # monotonic time the server asked us to wait for
    cooldown_status: int = 429


class Client:
    def __init__(self, *, timeout: float = 10.0, max_bytes: int = 5 * 1024 * 1024, retries: int = 2,
                 backoff: float = 0.5, user_agent: str = USER_AGENT, max_redirects: int = 5,
                 max_wait: float = MAX_WAIT, budget: float = 120.0,
                 host_limits: Mapping[str, HostLimit] | None = None,
                 default_host_limit: HostLimit = HostLimit(), clock: Callable[[], float] = time.monotonic,
                 sleep: Sleep = time.sleep) -> None:
        """``clock`` and ``sleep``: the monotonic clock and the wait every limit, backoff and
        deadline uses (a test passes a fake pair to check arXiv's spacing without waiting)."""
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.retries = max(retries, 0)
        self.backoff = backoff
        self.user_agent = user_agent
        self.max_redirects = max_redirects
        self.max_wait = max_wait
        self.budget = budget
        self.host_limits = {domain.lower().strip("."): limit for domain, limit in (host_limits or {}).items()}
        self.default_host_limit = default_host_limit
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        self._hosts: dict[str, _HostState] = {}

    def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
            headers: Mapping[str, str] | None = None, **options: Any) -> Response:
        """GET; with a stored ``etag``/``last_modified`` it is conditional and may return 304."""
        merged = dict(headers or {})
        if etag:
            merged["If-None-Match"] = etag
        if last_modified:
            merged["If-Modified-Since"] = last_modified
        return self.request("GET", url, headers=merged, **options)

    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                data: bytes | None = None, json: Any = None, retry: bool = True, sleep: Sleep | None = None,
                budget: float | None = None, truncate: bool = False,
                body_types: Collection[str] | None = None, max_bytes: int | None = None,
                max_wait: float | None = None) -> Response:
        """One call with the module's policy; returns a 2xx or 304 Response, else raises HttpError.

        ``truncate`` and ``body_types``: see the Size rule in the module docstring. ``budget``,
        ``max_bytes`` and ``max_wait`` default to the client's: one client serves pages (2 MB, cut)
        and feeds (10 MB, refused past it) with one set of host limits.
        """
        sleep = self.sleep if sleep is None else sleep
        reading = _Reading(truncate, None if body_types is None else frozenset(t.lower() for t in body_types),
                           self.max_bytes if max_bytes is None else max_bytes,
                           self.max_wait if max_wait is None else max_wait)
        checked = openable_url(url)
        if checked is None:
            raise HttpError("refusing non-http(s) URL")
        method = method.upper()
        seconds = self.budget if budget is None else budget
        deadline = self.clock() + seconds
        key, limit = self._limit_for(urlsplit(checked).hostname or "")
        state = self._state(key, limit)
        self._respect_cooldown(state, deadline, sleep, reading.max_wait)
        with _Watchdog(seconds) as watchdog:
            return self._attempts(state, limit, method, checked, headers, data, json, retry, deadline, sleep,
                                  reading, watchdog)

    def _attempts(self, state: _HostState, limit: HostLimit, method: str, url: str,
                  headers: Mapping[str, str] | None, data: bytes | None, json: Any, retry: bool, deadline: float,
                  sleep: Sleep, reading: _Reading, watchdog: _Watchdog) -> Response:
        """The first attempt and the retries the policy allows, all before ``deadline``."""
        attempts = 1 + (self.retries if retry else 0)
        error: HttpError | None = None
        for attempt in range(attempts):
            if error is not None:
                self._wait_before_retry(error, attempt, deadline, sleep, reading.max_wait)
            try:
                response = self._attempt_in_turn(state, limit, method, url, headers, data, json, deadline, sleep,
                                                 reading, watchdog)
            except HttpError as failure:
                error = failure
            else:
                if 200 <= response.status < 300 or response.status == 304:
                    return response
                error = _status_error(response)
            self._note_cooldown(state, error)
            if not (error.transient and (method in IDEMPOTENT or not error.ambiguous)):
                raise error
        assert error is not None
        raise error

    # -- per-host bookkeeping -------------------------------------------------------------------

    def limit_for(self, host: str) -> tuple[str, HostLimit]:
        """The key and limit ``host`` is counted under (callers group work by it: one lane per slot)."""
        return self._limit_for(host)

    def _limit_for(self, host: str) -> tuple[str, HostLimit]:
        """The configured domain covering ``host`` (longest match), else the host itself."""
        host = host.lower().rstrip(".")
        matches = [domain for domain in self.host_limits if host == domain or host.endswith("." + domain)]
        if matches:
            domain = max(matches, key=len)
            return domain, self.host_limits[domain]
        return host, self.default_host_limit

    def _state(self, key: str, limit: HostLimit) -> _HostState:
        with self._lock:
            state = self._hosts.get(key)
            if state is None:
                state = self._hosts[key] = _HostState(threading.BoundedSemaphore(max(limit.concurrency, 1)))
            return state

    def _respect_cooldown(self, state: _HostState, deadline: float, sleep: Sleep, max_wait: float) -> None:
        """A host that told us to wait is not asked again before then (wait if it fits, else fail fast)."""
        with self._lock:
            remaining, status = state.cooldown_until - self.clock(), state.cooldown_status
        if remaining <= 0:
            return
        if remaining > max_wait or self.clock() + remaining >= deadline:
            raise HttpError(_status_reason(status, remaining), status=status, retry_after=remaining, transient=True)
        sleep(remaining)

    def _note_cooldown(self, state: _HostState, error: HttpError) -> None:
        if error.retry_after is not None and error.status in (429, 503):
            with self._lock:
                until = self.clock() + error.retry_after
                if until > state.cooldown_until:
                    state.cooldown_until, state.cooldown_status = until, error.status

    def _attempt_in_turn(self, state: _HostState, limit: HostLimit, method: str, url: str,
                         headers: Mapping[str, str] | None, data: bytes | None, json: Any,
                         deadline: float, sleep: Sleep, reading: _Reading, watchdog: _Watchdog) -> Response:
        """One attempt holding one of the host's slots, started no sooner than its spacing allows."""
        if not state.slots.acquire(timeout=max(deadline - self.clock(), 0.0)):
            raise HttpError("timed out waiting for a turn at this host", transient=True)
        try:
            with self._lock:
                now = self.clock()
                start = max(now, state.next_start)
                if start >= deadline:
                    raise HttpError("timed out waiting for a turn at this host", transient=True)
                state.next_start = start + limit.min_interval
            if start > now:
                sleep(start - now)
            return self._attempt(method, url, headers, data, json, deadline, reading, watchdog)
        finally:
            state.slots.release()

    def _wait_before_retry(self, error: HttpError, attempt: int, deadline: float, sleep: Sleep,
                           max_wait: float) -> None:
        """Sleep the server's Retry-After or our backoff, or give up with ``error`` if it won't fit."""
        wait = error.retry_after if error.retry_after is not None else self.backoff * 2 ** (attempt - 1)
        if wait > max_wait or self.clock() + wait >= deadline:
            raise error
        sleep(wait)

    # -- one attempt ----------------------------------------------------------------------------

    def _attempt(self, method: str, url: str, headers: Mapping[str, str] | None, data: bytes | None,
                 json: Any, deadline: float, reading: _Reading, watchdog: _Watchdog) -> Response:
        import requests

        timeout = max(min(self.timeout, deadline - self.clock()), 0.001)
        try:
            response = self._exchange(method, url, headers, data, json, deadline, reading, watchdog)
        except requests.RequestException as exc:
            raise watchdog.error() if watchdog.fired else _translate(exc, timeout) from None
        except UnicodeError:
            raise HttpError("header value is not latin-1 text") from None
        if watchdog.fired:  # hung up on: a body read "to the end" may be only its start
            raise watchdog.error()
        return response

    def _exchange(self, method: str, url: str, headers: Mapping[str, str] | None, data: bytes | None,
                  json: Any, deadline: float, reading: _Reading, watchdog: _Watchdog) -> Response:
        """Send, follow redirects by hand, read the final body; requests' exceptions pass through."""
        import requests
        from requests.structures import CaseInsensitiveDict

        send_headers: dict[str, str] = dict(headers or {})
        with requests.Session() as session:
            adapter = _watched_adapter(watchdog)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = self.user_agent
            for _hop in range(self.max_redirects + 1):
                timeout = max(min(self.timeout, deadline - self.clock()), 0.001)
                raw = session.request(method, url, headers=send_headers, data=data, json=json,
                                      timeout=(timeout, timeout), stream=True, allow_redirects=False)
                with raw:
                    target = session.get_redirect_target(raw)
                    if target is None:
                        if not reading.wants(raw.status_code, raw.headers.get("Content-Type")):
                            return Response(raw.status_code, CaseInsensitiveDict(raw.headers), b"", url, True)
                        body, truncated = self._read_body(raw, deadline, reading)
                        return Response(raw.status_code, CaseInsensitiveDict(raw.headers), body, url, truncated)
                    method, url, data, json = _redirect(raw.status_code, method, url, target, send_headers,
                                                        data, json)
        raise HttpError("too many redirects")

    def _read_body(self, raw: Any, deadline: float, reading: _Reading) -> tuple[bytes, bool]:
        """Stream the body, decompressed, up to the cap -> (body, truncated).

        Past the cap a 2xx fails, unless ``truncate``; error bodies are kept short, not refused.
        """
        ok = 200 <= raw.status_code < 300
        refuse = ok and not reading.truncate
        limit = reading.max_bytes if ok else min(reading.max_bytes, ERROR_BODY_LIMIT)
        declared = raw.headers.get("Content-Length", "")
        if refuse and declared.isdigit() and int(declared) > limit:
            raise HttpError(f"response larger than {_size(limit)}")
        chunks: list[bytes] = []
        total = 0
        for chunk in raw.iter_content(CHUNK_SIZE):
            total += len(chunk)
            if total > limit:
                if refuse:
                    raise HttpError(f"response larger than {_size(limit)}")
                chunks.append(chunk[: len(chunk) - (total - limit)])
                return b"".join(chunks), True  # closing the response hangs up on the rest
            chunks.append(chunk)
            if self.clock() > deadline:  # a slow drip must not outlive the caller's budget
                raise HttpError("timed out reading the response", transient=True, ambiguous=True)
        return b"".join(chunks), False


class _Watchdog:
    """Hangs up on the server when a call's budget runs out, wherever the call is blocked.

    Socket timeouts bound each read, not the call: a server that drips one byte a second resets
    them forever, in the headers or the body. At the deadline a timer shuts the call's sockets
    down, which ends any blocked read at once. (Sockets are watched once connected: connecting
    and a TLS handshake are bounded by the connect timeout and the per-read timeout only.)
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Self:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()

    def watch(self, sock: socket.socket) -> None:
        """Hang up ``sock`` at the deadline (at once if it has passed)."""
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            _hang_up(sock)

    def error(self) -> HttpError:
        return HttpError(f"timed out after {round(self.seconds, 2):g}s", transient=True, ambiguous=True)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _hang_up(sock)


def _hang_up(sock: socket.socket) -> None:
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # not close(): the reading thread still owns it
    except OSError:
        pass  # already closed


def _watched_adapter(watchdog: _Watchdog) -> Any:
    return _watched_adapter_type()(watchdog)


@functools.cache  # built on first use: importing requests at import time would make every CLI start slower
def _watched_adapter_type() -> type:
    """A requests adapter whose connections report to a :class:`_Watchdog` when they connect."""
    from requests.adapters import HTTPAdapter
    from urllib3 import connection as connections
    from urllib3 import connectionpool as pools
    from urllib3 import poolmanager

    class Watched:
        def __init__(self, *args: Any, watchdog: _Watchdog | None = None, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.watchdog = watchdog

        def connect(self) -> None:
            super().connect()  # type: ignore[misc]
            if self.watchdog is not None:
                # The socket itself: http.client drops conn.sock once a response that closes is read.
                self.watchdog.watch(self.sock)  # type: ignore[attr-defined]

    class HTTPConnection(Watched, connections.HTTPConnection):
        pass

    class HTTPSConnection(Watched, connections.HTTPSConnection):
        pass

    class HTTPPool(pools.HTTPConnectionPool):
        ConnectionCls = HTTPConnection

    class HTTPSPool(pools.HTTPSConnectionPool):
        ConnectionCls = HTTPSConnection

    watched = {"http": HTTPPool, "https": HTTPSPool}

    class Adapter(HTTPAdapter):
        def __init__(self, watchdog: _Watchdog) -> None:
            self.watchdog = watchdog
            super().__init__()

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            _use_pools(self.poolmanager)

        def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
            return _use_pools(super().proxy_manager_for(*args, **kwargs))

        def get_connection_with_tls_context(self, *args: Any, **kwargs: Any) -> Any:
            pool = super().get_connection_with_tls_context(*args, **kwargs)
            if isinstance(pool, (HTTPPool, HTTPSPool)):
                pool.conn_kw["watchdog"] = self.watchdog
            return pool

    def _use_pools(manager: Any) -> Any:
        # Only managers with urllib3's own pools (a SOCKS proxy brings its own; those stay unwatched).
        if manager.pool_classes_by_scheme is poolmanager.pool_classes_by_scheme:
            manager.pool_classes_by_scheme = watched
        return manager

    return Adapter


@dataclass(frozen=True)
class _Reading:
    """How much of a body a call wants: all of it (default), the first ``max_bytes``, certain types only."""

    truncate: bool = False
    body_types: frozenset[str] | None = None
    max_bytes: int = 5 * 1024 * 1024
    max_wait: float = MAX_WAIT

    def wants(self, status: int, content_type: str | None) -> bool:
        """False for a 2xx whose declared media type is not in ``body_types``: skip its body."""
        if self.body_types is None or not 200 <= status < 300 or not content_type:
            return True
        return content_type.split(";", 1)[0].strip().lower() in self.body_types


def _redirect(status: int, method: str, url: str, target: str, headers: dict[str, str],
              data: bytes | None, json: Any) -> tuple[str, str, bytes | None, Any]:
    """The next hop of a redirect; ``headers`` is edited in place."""
    next_url = openable_url(urljoin(url, target))
    if next_url is None:
        raise HttpError("refusing redirect to a non-http(s) URL")
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, data, json = "GET", None, None
        _drop(headers, "Content-Type")
    before, after = urlsplit(url), urlsplit(next_url)
    if before.hostname != after.hostname or (before.scheme, after.scheme) == ("https", "http"):
        _drop(headers, "Authorization", "Cookie")  # credentials are for the host they were given to
    return method, next_url, data, json


def _drop(headers: dict[str, str], *names: str) -> None:
    lowered = {name.lower() for name in names}
    for name in [name for name in headers if name.lower() in lowered]:
        del headers[name]


def _status_error(response: Response) -> HttpError:
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    transient = response.status == 429 or response.status >= 500
    return HttpError(_status_reason(response.status, retry_after), status=response.status,
                     retry_after=retry_after, transient=transient, response=response)


def _status_reason(status: int, retry_after: float | None) -> str:
    reason = "rate limited (429)" if status == 429 else f"HTTP {status}"
    return reason + (f", retry after {math.ceil(retry_after)}s" if retry_after is not None else "")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date; None if unusable."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = parsedate_to_datetime(value.strip())
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _translate(exc: BaseException, timeout: float) -> HttpError:
    """A requests exception -> a short reason, without the URL it usually quotes."""
    import requests.exceptions as rex
    import urllib3.exceptions as u3

    timed_out = f"timed out after {round(timeout, 2):g}s"
    if isinstance(exc, rex.ConnectTimeout):
        return HttpError(timed_out, transient=True)
    if isinstance(exc, rex.Timeout):
        return HttpError(timed_out, transient=True, ambiguous=True)
    if isinstance(exc, (rex.InvalidSchema, rex.MissingSchema, rex.InvalidURL)):
        return HttpError("invalid URL")
    if isinstance(exc, rex.InvalidHeader):
        return HttpError("invalid header value")
    if isinstance(exc, rex.ContentDecodingError):
        return HttpError("could not decode the response")
    causes = list(_causes(exc))
    # Refusal and DNS first: urllib3's NewConnectionError subclasses ConnectTimeoutError.
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return HttpError("connection refused", transient=True)
    if any(isinstance(cause, (socket.gaierror, u3.NameResolutionError)) for cause in causes):
        return HttpError("could not resolve host", transient=True)
    if any(isinstance(cause, (ssl.SSLError, u3.SSLError, rex.SSLError)) for cause in causes):
        untrusted = any("CERTIFICATE_VERIFY_FAILED" in str(cause) for cause in causes)
        return HttpError("TLS error (certificate not trusted)" if untrusted else "TLS error")
    if any(isinstance(cause, (u3.TimeoutError, TimeoutError)) for cause in causes):
        return HttpError(timed_out, transient=True, ambiguous=True)
    if isinstance(exc, rex.ProxyError):
        return HttpError("proxy error", transient=True, ambiguous=True)
    if any(isinstance(cause, ConnectionResetError) for cause in causes):
        return HttpError("connection reset", transient=True, ambiguous=True)
    if isinstance(exc, rex.ChunkedEncodingError):
        return HttpError("connection broken", transient=True, ambiguous=True)
    return HttpError("connection failed", transient=True, ambiguous=True)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (requests nests urllib3 nests socket errors)."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]


def _size(count: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count} bytes"
