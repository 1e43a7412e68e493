"""A small agency news site whose pages misbehave on purpose, for recrawl and fault tests.

Every page answers conditional GETs (``ETag`` / ``Last-Modified`` -> ``304``); articles can be
edited between two runs; and some links lead to faults a real government server shows:
a 500 once, a 503 with ``Retry-After``, a page slower than the crawl's timeout, a redirect,
a redirect loop, a path robots.txt disallows, a page larger than the download limit.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from archiver.demo.media import tiny_jpeg
from archiver.demo.server import Page

PROSE = json.loads((Path(__file__).parent / "data" / "prose.json").read_text("utf-8"))
PARAGRAPHS = [p for item in PROSE["joomla"] + PROSE["wordpress"] for p in item["paragraphs"]]
LAST_MODIFIED = "Tue, 09 Nov 2021 10:00:00 GMT"
FAULTS = ("flaky", "busy", "closed", "slow", "redirect", "loop-a", "huge")


class FaultSite:
    """Routes for ``SiteServer``; ``edit(n, text)`` changes article n for the next run."""

    def __init__(
        self,
        articles: int = 12,
        per_page: int = 5,
        faults: bool = True,
        article_delay: float = 0.0,
        crawl_delay: float | None = None,
        image_bytes: int = 0,
    ) -> None:
        self.count = articles
        self.image_bytes = image_bytes  # pad each photo to this size (incompressible bytes)
        self.per_page = per_page
        self.faults = faults
        self.article_delay = article_delay
        self.crawl_delay = crawl_delay
        self.edits: dict[int, str] = {}
        self.hits: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0  # the most article requests the server was serving at once
        self._lock = threading.Lock()

    # -- content ---------------------------------------------------------------------------------
    def article_text(self, n: int) -> str:
        if n in self.edits:
            return self.edits[n]
        return "\n".join(PARAGRAPHS[(n * 3 + k) % len(PARAGRAPHS)] for k in range(3))

    def article_html(self, n: int) -> bytes:
        paragraphs = "".join(f"<p>{p}</p>" for p in self.article_text(n).split("\n"))
        return (
            f"<html><head><meta charset='utf-8'><title>ข่าวที่ {n} - หน่วยงานทดสอบ</title></head>"
            f"<body><nav><a href='/news/'>ข่าว</a></nav><article><h1>ข่าวประชาสัมพันธ์ที่ {n}</h1>"
            f"<time datetime='2021-11-{n % 28 + 1:02d}'>{n % 28 + 1} พ.ย. 64</time>"
            f"<p><img src='/images/{n}.jpg' alt=''></p>{paragraphs}</article></body></html>"
        ).encode()

    def listing_html(self, page: int) -> bytes:
        first = page * self.per_page
        numbers = range(first, min(first + self.per_page, self.count))
        items = "".join(f"<h2><a href='/news/{n}.html'>ข่าวที่ {n}</a></h2>" for n in numbers)
        if page == 0 and self.faults:
            items += "".join(f"<h2><a href='/faults/{f}.html'>{f}</a></h2>" for f in FAULTS)
            items += "<h2><a href='/private/secret.html'>private</a></h2>"
        more = first + self.per_page < self.count
        nxt = f"<a rel='next' href='/news/?page={page + 1}'>ถัดไป</a>" if more else ""
        return f"<html><body><main>{items}</main><div>{nxt}</div></body></html>".encode()

    # -- routes ----------------------------------------------------------------------------------
    def routes(self) -> dict[str, object]:
        robots = "User-agent: *\nDisallow: /private/\n"
        if self.crawl_delay:
            robots += f"Crawl-delay: {self.crawl_delay}\n"
        routes: dict[str, object] = {
            "/robots.txt": Page(robots.encode(), headers=[("Content-Type", "text/plain")]),
            "/news/": self._listing,
            "/private/secret.html": Page(self.article_html(0)),
        }
        for n in range(self.count):
            routes[f"/news/{n}.html"] = self._article
            routes[f"/images/{n}.jpg"] = self._image
        for fault in FAULTS:
            routes[f"/faults/{fault}.html"] = getattr(self, "_" + fault.replace("-", "_"))
        routes["/faults/loop-b.html"] = self._loop_b
        return routes

    def _count(self, handler: BaseHTTPRequestHandler) -> int:
        with self._lock:
            self.hits[handler.path] += 1
            return self.hits[handler.path]

    def _conditional(self, handler: BaseHTTPRequestHandler, body: bytes, ctype: str) -> Page:
        """200 with validators, or 304 when the client's validators still match."""
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = [("Content-Type", ctype), ("ETag", etag), ("Last-Modified", LAST_MODIFIED)]
        if handler.headers.get("If-None-Match") == etag:
            return Page(b"", status=304, headers=headers[1:])
        return Page(body, headers=headers)

    def _listing(self, handler: BaseHTTPRequestHandler) -> Page:
        self._count(handler)
        page = int(handler.path.split("page=")[1]) if "page=" in handler.path else 0
        return self._conditional(handler, self.listing_html(page), "text/html; charset=utf-8")

    def _article(self, handler: BaseHTTPRequestHandler) -> Page:
        self._count(handler)
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        if self.article_delay:
            time.sleep(self.article_delay)
        with self._lock:
            self.in_flight -= 1
        n = int(handler.path.rsplit("/", 1)[1].split(".")[0])
        return self._conditional(handler, self.article_html(n), "text/html; charset=utf-8")

    def _image(self, handler: BaseHTTPRequestHandler) -> Page:
        self._count(handler)
        n = int(handler.path.rsplit("/", 1)[1].split(".")[0])
        photo = tiny_jpeg(n)
        if len(photo) < self.image_bytes:  # a JPEG comment's worth of bytes that do not compress
            seed = photo
            while len(photo) < self.image_bytes:
                seed = hashlib.sha512(seed).digest()
                photo += seed
            photo = photo[: self.image_bytes]
        return self._conditional(handler, photo, "image/jpeg")

    # -- faults ----------------------------------------------------------------------------------
    def _flaky(self, handler: BaseHTTPRequestHandler) -> Page:
        """500 the first time, then the article."""
        if self._count(handler) == 1:
            return Page(b"<h1>Internal Server Error</h1>", status=500)
        return Page(self.article_html(100))

    def _busy(self, handler: BaseHTTPRequestHandler) -> Page:
        """503 with Retry-After: 1 the first time, then the article."""
        if self._count(handler) == 1:
            return Page(b"busy", status=503, headers=[("Retry-After", "1")])
        return Page(self.article_html(101))

    def _closed(self, handler: BaseHTTPRequestHandler) -> Page:
        """503 asking to come back in an hour: not worth waiting for in this run."""
        self._count(handler)
        return Page(b"maintenance", status=503, headers=[("Retry-After", "3600")])

    def _slow(self, handler: BaseHTTPRequestHandler) -> Page:
        """Slower than the crawl's DOWNLOAD_TIMEOUT, every time."""
        self._count(handler)
        time.sleep(2.5)
        return Page(self.article_html(102))

    def _redirect(self, handler: BaseHTTPRequestHandler) -> Page:
        self._count(handler)
        return Page(b"", status=301, headers=[("Location", "/news/3.html")])

    def _loop_a(self, handler: BaseHTTPRequestHandler) -> Page:
        self._count(handler)
        return Page(b"", status=302, headers=[("Location", "/faults/loop-b.html")])

    def _loop_b(self, handler: BaseHTTPRequestHandler) -> Page:
        self._count(handler)
        return Page(b"", status=302, headers=[("Location", "/faults/loop-a.html")])

    def _huge(self, handler: BaseHTTPRequestHandler) -> Page:
        """Over the download limit the tests set (DOWNLOAD_MAXSIZE)."""
        self._count(handler)
        return Page(b"<html><body>" + b"x" * 300_000 + b"</body></html>")
