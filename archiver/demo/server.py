"""A tiny canned-response HTTP server on 127.0.0.1 for the demo and for crawl tests.

Routes map a *decoded* request target to a :class:`Page`::

    with SiteServer({"/ข่าว.html": Page(b"<html>...</html>")}) as server:
        urllib.request.urlopen(server.base_url + "/%E0%B8%82%E0%B9%88%E0%B8%B2%E0%B8%A7.html")

The routing key is the percent-decoded (UTF-8) path, plus ``?query`` exactly as received when the
request has a query string. A key that is missing is tried again without its query; still missing,
the answer is a small HTML 404. A route value may also be a callable ``(handler) -> Page``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote_to_bytes

__all__ = ["Page", "Route", "SiteServer", "route_key"]


@dataclass(frozen=True)
class Received:
    """One request as the server got it: when (monotonic seconds), method, target, headers."""

    at: float
    method: str
    target: str
    headers: dict[str, str]


@dataclass
class Page:
    """One route's canned response; ``headers`` go out as given (Content-Length added if absent)."""

    body: bytes
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)


Route = Page | Callable[[BaseHTTPRequestHandler], Page]

NOT_FOUND = Page(
    body=(
        b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>404 Not Found</title></head>'
        b"<body><h1>404 Not Found</h1></body></html>"
    ),
    status=404,
    headers=[("Content-Type", "text/html; charset=utf-8")],
)


def route_key(target: str) -> tuple[str, str | None]:
    """The routing keys for a raw request target: (decoded path + ?query, decoded path alone)."""
    path, sep, query = target.partition("?")
    if path.startswith(("http://", "https://")):  # absolute-form target (proxy style)
        path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
    # http.server decodes the request line as latin-1: undo that, so raw UTF-8 works too
    raw = path.encode("latin-1", errors="replace")
    decoded = unquote_to_bytes(raw).decode("utf-8", errors="surrogateescape")
    if sep:
        return f"{decoded}?{query}", decoded
    return decoded, None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "DemoAgencyServer/1.0"

    def do_GET(self) -> None:  # noqa: N802 (stdlib naming)
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        self.server.record(self.command, self.path, dict(self.headers.items()))
        page = self._page()
        self.send_response(page.status)
        names = set()
        for name, value in page.headers:
            self.send_header(name, value)
            names.add(name.lower())
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(page.body)))
        self.end_headers()
        if send_body and page.body:
            self.wfile.write(page.body)

    def _page(self) -> Page:
        key, fallback = route_key(self.path)
        routes = self.server.routes
        route = routes.get(key)
        if route is None and fallback is not None:
            route = routes.get(fallback)
        if route is None:
            return NOT_FOUND
        return route(self) if callable(route) else route

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        routes: Mapping[str, Route],
        log: list[tuple[str, str]],
        received: list[Received],
        port: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        super().__init__((host, port), _Handler)
        self.routes = routes
        self._log = log
        self.received = received
        self._lock = threading.Lock()

    def record(self, method: str, target: str, headers: dict[str, str]) -> None:
        with self._lock:
            self._log.append((method, target))
            self.received.append(Received(time.monotonic(), method, target, headers))

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up mid-response is not worth a traceback on stderr


class SiteServer:
    """Serve ``routes`` on 127.0.0.1 (a free port) from a daemon thread; a context manager."""

    def __init__(self, routes: Mapping[str, Route], port: int = 0, host: str = "127.0.0.1") -> None:
        """``port`` 0 takes a free port; another port is tried first and a free one taken
        if it is busy (the demo prefers a fixed port so that its URLs stay the same).
        ``host``: another loopback address (127.0.0.0/8), so that several sites are several
        hosts to a crawler (Scrapy's download slots, and so politeness, are per host name)."""
        if not host.startswith("127."):
            raise ValueError(f"SiteServer serves loopback addresses only, not {host!r}")
        self.routes = routes
        self.host = host
        self.port = port
        self.base_url = ""
        self.log: list[tuple[str, str]] = []
        self.received: list[Received] = []  # the same requests with time and headers
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SiteServer:
        if self._server is not None:
            return self
        try:
            self._server = _Server(self.routes, self.log, self.received, self.port, self.host)
        except OSError:
            self._server = _Server(self.routes, self.log, self.received, 0, self.host)
        self.base_url = f"http://{self.host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="SiteServer", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def url(self, key: str) -> str:
        """The absolute URL of a route key (Thai characters left as they are)."""
        return self.base_url + key

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
