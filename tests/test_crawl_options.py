"""Crawl options and bad pages: --max-articles, --since, incremental reruns, pages to skip."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from archiver.demo.media import tiny_png
from archiver.demo.server import Page, SiteServer, route_key
from archiver.demo.site import demo_routes
from tests import fixture_sites
from tests.conftest import LOOPBACK, run_cli

HTML = [("Content-Type", "text/html; charset=utf-8")]
BODY = "<p>" + "ผู้ว่าราชการจังหวัดลงพื้นที่ตรวจเยี่ยมและมอบถุงยังชีพแก่ประชาชน " * 12 + "</p>"


def _articles(archive: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(archive / "index.db")
    try:
        return conn.execute("SELECT url, published FROM articles ORDER BY url").fetchall()
    finally:
        conn.close()


def _article_fetches(server: SiteServer) -> list[str]:
    return [route_key(t)[0] for _, t in server.log if "/news/pr-news/" in route_key(t)[0]]


def test_max_articles_limits_each_site(tmp_path: Path) -> None:
    with SiteServer(fixture_sites.joomla_routes()) as server:
        listing = server.base_url + fixture_sites.LISTINGS["joomla"]
        result = run_cli(
            "crawl", "--url", listing, "--max-articles", "3", *LOOPBACK, archive=tmp_path
        )
    assert result.returncode == 0, result.stderr
    assert len(_articles(tmp_path)) == 3


def test_since_indexes_only_newer_articles(tmp_path: Path) -> None:
    with SiteServer(fixture_sites.joomla_routes()) as server:
        listing = server.base_url + fixture_sites.LISTINGS["joomla"]
        result = run_cli(
            "crawl", "--url", listing, "--since", "2022-01-01", *LOOPBACK, archive=tmp_path
        )
    assert result.returncode == 0, result.stderr
    published = [p for _, p in _articles(tmp_path)]
    expected = [a for a in fixture_sites.EXPECTED["joomla"] if a["published"] >= "2022-01-01"]
    assert published and all(p >= "2022-01-01" for p in published)
    assert len(published) == len(expected)


def test_rerun_fetches_no_known_article_and_full_fetches_them_again(tmp_path: Path) -> None:
    with SiteServer(demo_routes()) as server:
        listing = server.base_url + "/news/pr-news.html"
        first = run_cli("crawl", "--url", listing, *LOOPBACK, archive=tmp_path)
        fetched_first = len(_article_fetches(server))
        second = run_cli("crawl", "--url", listing, *LOOPBACK, archive=tmp_path)
        fetched_second = len(_article_fetches(server)) - fetched_first
        full = run_cli("crawl", "--url", listing, "--full", *LOOPBACK, archive=tmp_path)
        fetched_full = len(_article_fetches(server)) - fetched_first - fetched_second
    assert first.returncode == second.returncode == full.returncode == 0
    assert fetched_first == 5 and fetched_second == 0 and fetched_full == 5
    assert "0 new" in second.stdout and "5 unchanged" in full.stdout
    assert len(_articles(tmp_path)) == 5


def test_bad_pages_are_archived_and_skipped_with_a_reason(tmp_path: Path) -> None:
    """A binary body under text/html, a 404, a page over the size limit and a good article."""
    routes = {
        "/robots.txt": Page(b"User-agent: *\nDisallow:\n"),
        "/news/": Page(
            "".join(f'<h2><a href="/news/{n}.html">ข่าว {n}</a></h2>' for n in range(4)).encode(),
            headers=HTML,
        ),
        "/news/0.html": Page(bytes(range(256)) * 40, headers=HTML),
        "/news/1.html": Page(b"<h1>not found</h1>", status=404, headers=HTML),
        "/news/2.html": Page(
            ("<html><body>" + BODY * 40 + "</body></html>").encode(), headers=HTML
        ),
        "/news/3.html": Page(
            ("<html><body><article><h1>ข่าวดี</h1>" + BODY + "</article></body></html>").encode(),
            headers=HTML,
        ),
    }
    with SiteServer(routes) as server:
        result = run_cli(
            "crawl",
            "--url",
            server.base_url + "/news/",
            *LOOPBACK,
            "-s",
            "ARCHIVER_MAX_PAGE_BYTES=50000",
            archive=tmp_path,
        )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert [url.rsplit("/", 1)[1] for url, _ in _articles(tmp_path)] == ["3.html"]
    assert "2 pages skipped" in result.stdout and "http_404 1" in result.stdout
    check = run_cli("check", archive=tmp_path)
    # the page over this crawl's -s limit holds an article that `reindex` (default limit)
    # would index: check says so; the binary page and the 404 are no problem
    (problem,) = check.stderr.splitlines()
    assert check.returncode == 1 and "no row for the article" in problem
    assert "/news/2.html" in problem


def _fetches(server: SiteServer) -> list[str]:
    return [route_key(target)[0] for _, target in server.log]


def _report(archive: Path) -> dict:
    return json.loads((archive / "crawls.jsonl").read_text("utf-8").splitlines()[-1])


def test_requisites_are_fetched_once_per_crawl_and_a_failing_one_is_reported(
    tmp_path: Path,
) -> None:
    """The WordPress theme (stylesheets, an @import, fonts, a CSS background, scripts, icons)
    is on every page: one request each per run, none in a later run, one each again with
    ``--full`` (conditional GETs). A requisite that fails is in the report, the crawl goes
    on, and it is asked again with the next page fetched that loads it (as media are)."""
    routes = fixture_sites.wordpress_routes()
    theme = set(fixture_sites.THEME["wordpress"])
    gone = "/wp-content/themes/twentyseventeen/assets/fonts/sarabun-bold.woff2"
    del routes[gone]
    articles = len(fixture_sites.EXPECTED["wordpress"])
    with SiteServer(routes) as server:
        listing = server.base_url + fixture_sites.LISTINGS["wordpress"]
        runs = []
        for extra in ([], [], ["--full"]):
            before = len(server.log)
            result = run_cli("crawl", "--url", listing, *extra, *LOOPBACK, archive=tmp_path)
            assert result.returncode == 0, result.stdout + result.stderr
            runs.append((_fetches(server)[before:], _report(tmp_path), result.stdout))
    (first, report, said), (second, _, _), (full, full_report, _) = runs
    assert {key: first.count(key) for key in theme} == dict.fromkeys(theme, 1)
    assert report["articles_new"] == articles
    assert report["errors"] == {"requisite_http_404": 1}
    # and the listing pages' thumbnails (a 300x200 source of each article's photo): the
    # listing asks for them first, as its own requisites
    fetched = len(theme) - 1 + articles
    assert report["requisites"] == fetched and report["requisites_failed"] == 1
    # the summary counts them as it counts media, for the run and for the site
    assert said.count(f"{fetched} requisites (1 failed)") == 2, said
    assert report["failed_sites"] == [] and report["status"] == "ok"
    # no article fetched again: nothing of the theme either but the file that failed, which
    # the listing page (fetched every run) loads too: asked again, once
    assert set(second) & theme == {gone} and second.count(gone) == 1
    assert {key: full.count(key) for key in theme} == dict.fromkeys(theme, 1)
    assert full_report["revisits"] >= len(theme) - 1  # the same bytes: revisits, not copies


def test_requisites_off_fetches_none(tmp_path: Path) -> None:
    """``-s ARCHIVER_REQUISITES=False``: articles, their images (every srcset candidate) and
    attachments, and nothing of the theme."""
    with SiteServer(fixture_sites.wordpress_routes()) as server:
        listing = server.base_url + fixture_sites.LISTINGS["wordpress"]
        result = run_cli(
            "crawl", "--url", listing, "-s", "ARCHIVER_REQUISITES=False", *LOOPBACK,
            archive=tmp_path,
        )  # fmt: skip
        fetched = set(_fetches(server))
    assert result.returncode == 0, result.stdout + result.stderr
    assert not fetched & set(fixture_sites.THEME["wordpress"])
    assert _report(tmp_path)["requisites"] == 0
    for article in fixture_sites.EXPECTED["wordpress"]:
        for image in article["images"]:
            for size in ("1024x683", "768x512", "300x200"):
                assert image.replace("1024x683", size) in fetched


def test_requisites_on_another_host_obey_its_robots_txt(tmp_path: Path) -> None:
    """A stylesheet and a script on another host (a CDN): that host's robots.txt is read and
    obeyed (the script it disallows is not fetched, and is in the report); what it allows is
    fetched and archived with the site, the stylesheet's font too."""
    cdn_routes = {
        "/robots.txt": Page(b"User-agent: *\nDisallow: /private/\n", headers=fixture_sites.ROBOTS_TYPE),
        "/css/cdn.css": Page(b"@font-face { src: url(../fonts/a.woff2); }", headers=fixture_sites.CSS),
        "/fonts/a.woff2": Page(b"wOF2font", headers=fixture_sites.WOFF2),
        "/private/x.js": Page(b"var x;", headers=fixture_sites.JS),
    }  # fmt: skip
    with SiteServer(cdn_routes) as cdn:
        head = (
            f'<link rel="stylesheet" href="{cdn.base_url}/css/cdn.css">'
            f'<script src="{cdn.base_url}/private/x.js"></script></head>'
        ).encode()
        routes = {
            key: Page(page.body.replace(b"</head>", head, 1), page.status, page.headers)
            for key, page in demo_routes().items()
        }
        with SiteServer(routes) as server:
            listing = server.base_url + "/news/pr-news.html"
            result = run_cli("crawl", "--url", listing, *LOOPBACK, archive=tmp_path)
        asked = _fetches(cdn)
    assert result.returncode == 0, result.stdout + result.stderr
    assert asked.count("/robots.txt") == 1
    assert asked.count("/css/cdn.css") == 1 and asked.count("/fonts/a.woff2") == 1
    assert "/private/x.js" not in asked
    report = _report(tmp_path)
    assert report["errors"] == {"requisite_robots_or_ignored": 1}
    assert report["status"] == "ok"
    conn = sqlite3.connect(tmp_path / "index.db")
    try:
        kinds = dict(
            conn.execute("SELECT url, kind FROM media WHERE url LIKE ?", (cdn.base_url + "%",))
        )
    finally:
        conn.close()
    assert kinds == {
        cdn.base_url + "/css/cdn.css": "requisite",
        cdn.base_url + "/fonts/a.woff2": "requisite",
    }


def _icon_site(robots: bytes) -> dict[str, Page]:
    """A listing with its own stylesheet (no article loads it) and two articles; no page names
    an icon, and the site has no ``/favicon.ico`` (404)."""
    article = (
        "<html><head><title>ข่าว {n}</title><link rel='stylesheet' href='/article.css'></head>"
        "<body><article><h1>ข่าวดี {n}</h1>" + BODY + "</article></body></html>"
    )
    listing = (
        "<html><head><link rel='stylesheet' href='/listing.css'></head><body>"
        + "".join(f'<h2><a href="/news/{n}.html">ข่าว {n}</a></h2>' for n in range(2))
        + "</body></html>"
    )
    return {
        "/robots.txt": Page(robots, headers=fixture_sites.ROBOTS_TYPE),
        "/news/": Page(listing.encode(), headers=HTML),
        "/listing.css": Page(b"h2 { background: url(bullet.png); }", headers=fixture_sites.CSS),
        "/bullet.png": Page(tiny_png(3), headers=[("Content-Type", "image/png")]),
        "/article.css": Page(b"h1 { color: red; }", headers=fixture_sites.CSS),
        **{f"/news/{n}.html": Page(article.format(n=n).encode(), headers=HTML) for n in range(2)},
    }


def test_a_listing_pages_requisites_and_the_sites_favicon_once_a_run_a_404_no_error(
    tmp_path: Path,
) -> None:
    """The listing's stylesheet and what it loads are archived (as the listing's requisites);
    ``/favicon.ico``, which no page names, is asked once for the whole site (three pages),
    and its 404 is no error: the run is ok with no errors. The next run knows it is missing
    (a media row of the 404, as for any archived requisite) and does not ask again."""
    with SiteServer(_icon_site(b"User-agent: *\nDisallow:\n")) as server:
        listing = server.base_url + "/news/"
        runs = []
        for _ in range(2):
            before = len(server.log)
            result = run_cli("crawl", "--url", listing, *LOOPBACK, archive=tmp_path)
            assert result.returncode == 0, result.stdout + result.stderr
            runs.append((_fetches(server)[before:], _report(tmp_path)))
    (first, report), (second, again) = runs
    for path in ("/listing.css", "/bullet.png", "/article.css", "/favicon.ico"):
        assert first.count(path) == 1, (path, first)
    assert "/favicon.ico" not in second  # its 404 is archived and known
    assert not {"/listing.css", "/bullet.png", "/article.css"} & set(second)
    for done in (report, again):
        assert done["errors"] == {} and done["status"] == "ok", done
    # the stylesheets, the bullet and the missing icon's 404, archived and known
    assert report["requisites"] == 4 and report["requisites_failed"] == 0
    conn = sqlite3.connect(tmp_path / "index.db")
    try:
        pages = dict(conn.execute("SELECT url, article_url FROM media WHERE kind = 'requisite'"))
    finally:
        conn.close()
    assert pages[server.base_url + "/listing.css"] == listing
    assert pages[server.base_url + "/bullet.png"] == listing


def test_a_favicon_that_robots_txt_disallows_is_not_asked_for_and_no_error(tmp_path: Path) -> None:
    with SiteServer(_icon_site(b"User-agent: *\nDisallow: /favicon.ico\n")) as server:
        result = run_cli("crawl", "--url", server.base_url + "/news/", *LOOPBACK, archive=tmp_path)
        asked = _fetches(server)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/favicon.ico" not in asked and "/listing.css" in asked
    report = _report(tmp_path)
    assert report["errors"] == {} and report["status"] == "ok", report
