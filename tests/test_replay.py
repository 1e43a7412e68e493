"""Our WARCs in other tools' hands (issue 16): warcio, FastWARC and warcat verify every file of
a crawl of the fixture sites, and pywb replays every archived article with the bytes the
server sent, and every image, stylesheet, script, icon and font the page loads (its
requisites, and what its stylesheets load), from the first crawl and from a ``--full``
recrawl made of revisits.

Two of the three sites answer conditional GETs (``ETag`` -> ``304``), so the recrawl holds
both kinds of revisit: ``server-not-modified`` (joomla, legacy) and ``identical-payload-digest``
(wordpress, whose pages come back the same). The tools run from their own virtualenv
(``tests/warc_tools.py``); a missing one fails these tests.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import io
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import pytest
from lxml import html as lhtml
from w3lib.url import safe_url_string
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.demo.server import SiteServer
from archiver.urls import canonical_url
from archiver.warc.reader import iter_records
from archiver.warc.records import PROFILE_IDENTICAL, PROFILE_NOT_MODIFIED
from tests import fixture_sites, warc_tools
from tests.conftest import LOOPBACK, SITES, run_cli


@dataclass
class Crawls:
    archive: Path
    first: list[Path]  # the WARC files of the first crawl
    recrawl: list[Path]  # those of the --full recrawl
    captures: dict[str, list[warc_tools.Capture]]  # file name -> the captures in it
    articles: set[str]  # the index's article URLs (canonical)
    server_bytes: dict[str, bytes]  # URL of a 200 -> the body the server sends, as sent
    results: list
    #: Article and listing URL (as captured) -> every URL the page makes a browser load.
    loads: dict[str, set[str]]
    #: The ``/favicon.ico`` a page loads, naming no icon, of a site that has none (404).
    absent: set[str]


_CSS_URL = re.compile(r"""url\(\s*["']?([^"')]*?)["']?\s*\)|@import\s+["']([^"']+)["']""")


def _css_loads(css: str, base: str) -> set[str]:
    """What a stylesheet (or a ``style`` attribute) makes a browser load (written here apart
    from ``archiver.extract.requisites``, so that the test checks it)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    found = {m.group(1) or m.group(2) for m in _CSS_URL.finditer(css)}
    return {urldefrag(urljoin(base, u))[0] for u in found if u and not u.startswith("data:")}


def _loads(url: str, fetch) -> set[str]:
    """Every URL a browser loads to show the page at ``url``: each source of each image
    (``src``, ``srcset``, ``<picture><source>``), stylesheets and what they load (fonts,
    images, ``@import``, read through ``fetch``), scripts, icons, preloads, ``style`` URLs;
    the site's ``/favicon.ico`` when the page names no icon (a browser asks for it then)."""
    body = fetch(url)
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    page = lhtml.fromstring(body)
    found: set[str] = set()
    for img in page.iter("img", "source"):
        found.add(img.get("src") or "")
        for srcset in (img.get("srcset"), img.get("data-srcset")):
            found |= {c.split()[0] for c in (srcset or "").split(",") if c.strip()}
    sheets = set()
    icon = False
    for link in page.iter("link"):
        rels = set((link.get("rel") or "").lower().split())
        icon = icon or "icon" in rels
        if rels & {"stylesheet", "icon", "apple-touch-icon", "preload"}:
            (sheets if "stylesheet" in rels else found).add(link.get("href") or "")
    found |= {script.get("src") or "" for script in page.iter("script")}
    for element in page.xpath("//*[@style]"):
        found |= _css_loads(element.get("style"), url)
    found = {urljoin(url, u) for u in found if u}
    if not icon:
        found.add(urljoin(url, "/favicon.ico"))
    todo = {urljoin(url, u) for u in sheets if u}
    while todo:  # stylesheets, and those they @import
        sheet = todo.pop()
        found.add(sheet)
        for loaded in _css_loads(fetch(sheet).decode("utf-8"), sheet):
            if loaded.split("?")[0].endswith(".css") and loaded not in found:
                todo.add(loaded)
            found.add(loaded)
    return {safe_url_string(u) for u in found}  # percent-encoded, as a browser asks


def _server_bytes(url: str) -> bytes:
    """What the fixture server sends for ``url`` to a client that takes gzip (the bytes as
    sent: urllib does not decode them)."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return response.read()


def _status(url: str) -> int:
    """The status the fixture server answers ``url`` with."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Crawls:
    routes = fixture_sites.all_routes()
    for name in ("joomla", "legacy"):
        routes[name] = fixture_sites.with_validators(routes[name])
    archive = tmp_path_factory.mktemp("replay-archive")
    servers = {name: SiteServer(routes[name]).start() for name in SITES}
    try:
        urls = []
        for name in SITES:
            urls += ["--url", servers[name].base_url + fixture_sites.LISTINGS[name]]
        first = run_cli("crawl", *urls, *LOOPBACK, archive=archive)
        before = set((archive / "warc").glob("*.warc.gz"))
        time.sleep(1.1)  # the recrawl's captures get other timestamps (pywb's are to the second)
        recrawl = run_cli("crawl", *urls, "--full", *LOOPBACK, archive=archive)
        after = set((archive / "warc").glob("*.warc.gz"))
        files = sorted(after)
        captures = {path.name: warc_tools.captures(path) for path in files}
        server_bytes = {
            c.url: _server_bytes(c.url)
            for found in captures.values()
            for c in found
            if c.status == 200
        }
        loads = {
            c.url: _loads(c.url, _server_bytes)
            for found in captures.values()
            for c in found
            if c.role in ("article", "listing") and c.status == 200
        }
        icons = {u for found in loads.values() for u in found if u.endswith("/favicon.ico")}
        absent = {u for u in icons if _status(u) == 404}
    finally:
        for server in servers.values():
            server.stop()
    import sqlite3

    conn = sqlite3.connect(archive / "index.db")
    try:
        articles = {url for (url,) in conn.execute("SELECT url FROM articles")}
    finally:
        conn.close()
    return Crawls(
        archive,
        sorted(before),
        sorted(after - before),
        captures,
        articles,
        server_bytes,
        [first, recrawl],
        loads,
        absent,
    )


def _of(crawls: Crawls, files: list[Path], role: str | None = None) -> list[warc_tools.Capture]:
    found = [c for path in files for c in crawls.captures[path.name]]
    return [c for c in found if role is None or c.role == role]


def test_the_recrawl_is_revisits_of_both_kinds(crawls: Crawls) -> None:
    for result in crawls.results:
        assert result.returncode == 0, result.stdout + result.stderr
    assert len(crawls.articles) == sum(len(fixture_sites.EXPECTED[s]) for s in SITES)
    first = _of(crawls, crawls.first, "article")
    again = _of(crawls, crawls.recrawl, "article")
    assert {canonical_url(c.url) for c in first} >= crawls.articles
    assert {c.url for c in again} == {c.url for c in first}
    assert {c.rec_type for c in first} == {"response"}
    assert {c.rec_type for c in again} == {"revisit"}
    assert {c.profile for c in again} == {PROFILE_NOT_MODIFIED, PROFILE_IDENTICAL}


def test_every_file_of_a_first_crawl_passes_warcio_fastwarc_and_warcat(
    crawls: Crawls, tmp_path: Path
) -> None:
    for path in crawls.first:
        records = list(iter_records(path))
        for verdict in warc_tools.check_all(path, tmp_path):
            assert verdict.clean, f"{verdict.tool} on {path.name}:\n{verdict.output[-3000:]}"
            if verdict.tool == "fastwarc":  # it did read and verify every record
                assert verdict.checked == len(records), verdict.output


def _warcio_revisits(directory: Path) -> Path:
    """A response and two revisits of it as warcio itself writes them: one with the HTTP
    headers (identical-payload-digest, as ours) and one with an empty block (as our 304s)."""
    path = directory / "warcio-revisits.warc.gz"
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="1.1")
        body = "<html><body>ข่าว</body></html>".encode()

        def headers() -> StatusAndHeaders:
            return StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )

        url = "http://127.0.0.1/news/1.html"
        response = writer.create_warc_record(
            url, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers()
        )
        writer.write_record(response)
        digest = response.rec_headers.get_header("WARC-Payload-Digest")
        date = response.rec_headers.get_header("WARC-Date")
        for http_headers in (headers(), None):
            revisit = writer.create_revisit_record(
                url, digest, url, date, http_headers=http_headers
            )
            writer.write_record(revisit)
    return path


def test_recrawl_files_are_flagged_for_nothing_but_what_warcio_revisits_are(
    crawls: Crawls, tmp_path: Path
) -> None:
    """The tools fail revisit records by design (FastWARC and warcat check the payload digest
    against the empty block, where WARC 1.1 defines it as the original's): whatever they
    flag on revisits warcio writes is the most a recrawl file may get, and on revisits only."""
    baseline = {v.tool: v for v in warc_tools.check_all(_warcio_revisits(tmp_path), tmp_path)}
    assert baseline["fastwarc"].flagged and baseline["warcat"].flagged  # (what it is about)
    allowed = {name: set().union(*v.flagged.values()) for name, v in baseline.items()}
    flagged_any = False
    for path in crawls.recrawl:
        types = {
            r.warc_headers.get_header("WARC-Record-ID"): r.rec_type for r in iter_records(path)
        }
        for verdict in warc_tools.check_all(path, tmp_path):
            where = f"{verdict.tool} on {path.name}:\n{verdict.output[-3000:]}"
            assert verdict.other <= baseline[verdict.tool].other, where
            for record_id, said in verdict.flagged.items():
                assert types.get(record_id) == "revisit", where
                assert said <= allowed[verdict.tool], where
                flagged_any = True
            if not verdict.flagged:
                assert verdict.returncode == 0, where
    assert flagged_any  # the tools did read the revisits


def _memento(timestamp: str) -> str:
    when = dt.datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    return email.utils.format_datetime(when, usegmt=True)


def test_pywb_replays_every_capture_of_both_crawls_with_the_server_bytes(
    crawls: Crawls, tmp_path: Path
) -> None:
    """``id_`` replay (the capture as archived) of each article, listing, image, attachment
    and robots.txt that was a 200, at each capture's timestamp: 200, that very capture
    (Memento-Datetime), and the bytes the server sends; for a revisit, those of the capture
    it refers to."""
    captures = [
        c for c in _of(crawls, crawls.first + crawls.recrawl) if c.url in crawls.server_bytes
    ]
    articles = {canonical_url(c.url) for c in captures if c.role == "article"}
    assert articles >= crawls.articles
    assert {c.role for c in captures} >= {"article", "listing", "image", "attachment"}
    with warc_tools.wayback(tmp_path / "pywb", "fixture", crawls.first + crawls.recrawl) as wb:
        problems = []
        for capture in captures:
            got = wb.get(capture.timestamp, capture.url)
            kind = f"{capture.role} " + (capture.profile.rsplit("/", 1)[-1] or capture.rec_type)
            if got.status != 200:
                problems.append(f"{kind} {capture.url} @{capture.timestamp}: {got.status}")
            elif got.headers.get("memento-datetime") != _memento(capture.timestamp):
                problems.append(f"{kind} {capture.url}: {got.headers.get('memento-datetime')}")
            elif got.body != crawls.server_bytes[capture.url]:
                problems.append(f"{kind} {capture.url} @{capture.timestamp}: other bytes")
    assert not problems, "\n".join(problems)
    assert len(captures) >= 2 * len(crawls.articles)


def test_pywb_replays_everything_each_article_and_listing_page_loads_in_both_crawls(
    crawls: Crawls, tmp_path: Path
) -> None:
    """For each capture of an article or a listing page, first crawl and ``--full`` recrawl
    (revisits): every image source (``src``, each ``srcset`` and ``<picture><source>``
    candidate), stylesheet, script, icon (``/favicon.ico`` when the page names none), font
    and stylesheet image the page loads replays in pywb with 200 at the page's timestamp:
    none is missing from the archive (the legacy listing's bullet image is on no article)."""
    everything = _of(crawls, crawls.first + crawls.recrawl)
    articles = [c for c in everything if c.role == "article"]
    assert {canonical_url(c.url) for c in articles} >= crawls.articles
    assert {c.rec_type for c in articles} == {"response", "revisit"}
    listings = [c for c in everything if c.role == "listing" and c.url in crawls.loads]
    assert {c.rec_type for c in listings} == {"response", "revisit"}
    theme = {
        path for site in SITES for path in fixture_sites.THEME[site] if not path.endswith(".css")
    }
    checked: set[str] = set()
    with warc_tools.wayback(tmp_path / "pywb", "fixture", crawls.first + crawls.recrawl) as wb:
        problems = []
        for article in articles + listings:
            loads = crawls.loads[article.url]
            for url in sorted(loads):
                got = wb.get(article.timestamp, url)
                if got.status != (404 if url in crawls.absent else 200):  # as the site said
                    problems.append(f"{url} of {article.url} @{article.timestamp}: {got.status}")
                checked.add(url)
    assert not problems, f"{len(problems)} not replayed:\n" + "\n".join(problems[:40])
    fonts_and_backgrounds = {u for u in checked if u.endswith((".woff", ".woff2", "bg-body.png"))}
    assert len(fonts_and_backgrounds) >= 3  # the stylesheets' own loads were checked
    assert len(checked) > len(crawls.articles) * 3
    assert theme  # (each site has one)
    named = {u.rsplit("/", 1)[1] for u in checked}
    assert {"bullet.png", "favicon.ico"} <= named  # listing requisites, the site's icon


def test_each_requisite_is_fetched_once_per_crawl(crawls: Crawls) -> None:
    """A theme on every page: one capture of each of its files per crawl (the recrawl's a
    revisit), however many articles load it."""
    for files in (crawls.first, crawls.recrawl):
        requisites = [c.url for c in _of(crawls, files, "requisite")]
        assert requisites and len(requisites) == len(set(requisites))
    again = {
        c.rec_type for c in _of(crawls, crawls.recrawl, "requisite") if c.url not in crawls.absent
    }
    assert again == {"revisit"}  # (an icon the site does not have is a 404 each time)


def _loads_kept(archive: Path) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """What the index keeps of what each article and each stylesheet loads."""
    import sqlite3

    conn = sqlite3.connect(archive / "index.db")
    try:
        articles = {u: json.loads(v) for u, v in conn.execute("SELECT url, loads FROM articles")}
        sheets = {
            u: json.loads(v)
            for u, v in conn.execute("SELECT url, loads FROM media WHERE loads IS NOT NULL")
        }
    finally:
        conn.close()
    return articles, sheets


def test_reindex_and_check_read_the_recrawl(crawls: Crawls) -> None:
    """The WARCs stay the source of truth: the index rebuilt from them holds every article,
    and what each article and stylesheet loads (what a run after a killed one checks)."""
    check = run_cli("check", archive=crawls.archive)
    assert check.returncode == 0, check.stdout + check.stderr
    articles, sheets = _loads_kept(crawls.archive)
    assert all(articles.values()) and any(u.endswith(".woff2") for v in sheets.values() for u in v)
    reindex = run_cli("reindex", archive=crawls.archive)
    assert reindex.returncode == 0, reindex.stdout + reindex.stderr
    assert set(articles) == crawls.articles
    assert _loads_kept(crawls.archive) == (articles, sheets)


def _old_shape_archive(archive: Path) -> tuple[str, str]:
    """An archive as written before issue 16, by plain warcio: an article page, then a 304
    revisit of it whose block holds the 304's status line, each with a ``metadata`` record
    carrying a payload digest and no closing empty line. Returns the URL and the title."""
    expected = fixture_sites.EXPECTED["joomla"][0]
    page = fixture_sites.joomla_routes()[expected["path"]]
    url = canonical_url("http://127.0.0.1:9" + expected["path"])
    (archive / "warc").mkdir(parents=True)
    with open(archive / "warc" / "127-0-0-1-9-20240101000000-00000.warc.gz", "wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record("old.warc.gz", {"software": "old"}))

        def fetch(record, date: str) -> None:
            record.rec_headers.replace_header("WARC-Date", date)
            writer.write_record(record)
            about = b"site: 127-0-0-1-9\r\nrole: article\r\n"
            metadata = writer.create_warc_record(
                url,
                "metadata",
                payload=io.BytesIO(about),
                length=len(about),
                warc_content_type="application/warc-fields",
                warc_headers_dict={
                    "WARC-Date": date,
                    "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
                },
            )
            assert metadata.rec_headers.get_header("WARC-Payload-Digest")  # the old shape
            writer.write_record(metadata)

        headers = StatusAndHeaders("200 OK", page.headers, protocol="HTTP/1.1")
        response = writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(page.body),
            length=len(page.body),
            http_headers=headers,
        )
        first = "2024-01-01T00:00:00Z"
        fetch(response, first)
        digest = response.rec_headers.get_header("WARC-Payload-Digest")
        not_modified = StatusAndHeaders("304 Not Modified", [("ETag", '"1"')], protocol="HTTP/1.1")
        revisit = writer.create_revisit_record(url, digest, url, first, http_headers=not_modified)
        revisit.rec_headers.replace_header("WARC-Profile", PROFILE_NOT_MODIFIED)
        fetch(revisit, "2024-01-02T00:00:00Z")
    return url, expected["title"]


def test_an_archive_of_the_old_shape_is_read_as_before(tmp_path: Path) -> None:
    url, title = _old_shape_archive(tmp_path)
    reindex = run_cli("reindex", archive=tmp_path)
    assert reindex.returncode == 0 and "articles 1 new" in reindex.stdout, reindex.stdout
    check = run_cli("check", archive=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    shown = run_cli("show", url, archive=tmp_path)
    assert shown.returncode == 0 and title in shown.stdout, shown.stdout + shown.stderr
