"""The fixture sites are served as they claim: Thai paths, gzip, windows-874, 404s."""

from __future__ import annotations

import gzip
import re
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest

from archiver.demo.server import Page, SiteServer
from archiver.demo.site import DEMO_LISTING, demo_routes
from tests.fixture_sites import EXPECTED, JUNK, LISTINGS, NON_ARTICLES, all_routes


def fetch(server: SiteServer, key: str, method: str = "GET"):
    url = server.base_url + quote(key, safe="/?=&")
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


@pytest.fixture(scope="module")
def sites():
    routes = all_routes()
    servers = {name: SiteServer(r).start() for name, r in routes.items()}
    yield routes, servers
    for server in servers.values():
        server.stop()


def test_every_route_is_served_as_given(sites):
    routes, servers = sites
    for name, site_routes in routes.items():
        for key, page in site_routes.items():
            status, headers, body = fetch(servers[name], key)
            assert (status, body) == (page.status, page.body), (name, key)
            assert headers["Content-Length"] == str(len(page.body))


def test_expectations_point_at_routes(sites):
    routes, _ = sites
    for name, articles in EXPECTED.items():
        keys = routes[name]
        assert LISTINGS[name] in keys and "/robots.txt" in keys
        for article in articles:
            for key in [article["path"], *article["images"], *article["attachments"]]:
                assert key in keys, key
            assert article["published"][:2] == "20" and len(article["must_contain"]) >= 2
        assert all(key in keys for key in NON_ARTICLES[name])
    assert len(EXPECTED["joomla"]) == 12 and len(EXPECTED["wordpress"]) == 8
    assert len(EXPECTED["legacy"]) == 6


def test_thai_path_percent_encoded_or_raw_utf8(sites):
    _, servers = sites
    key = LISTINGS["joomla"] + "?start=5"
    status, _, body = fetch(servers["joomla"], key)
    assert status == 200 and 'class="blog"' in body.decode("utf-8")
    assert (fetch(servers["joomla"], key, method="HEAD")[0], servers["joomla"].log[-1][0]) == (
        200,
        "HEAD",
    )
    seed = next(a for a in EXPECTED["joomla"] if "moral-province" in a["path"])
    text = fetch(servers["joomla"], seed["path"])[2].decode("utf-8")
    assert "จังหวัดคุณธรรม" in text and "SIGPLUS_EXCEPTION_SOURCE" in text
    assert "{gallery}/News-PR-2564/15-11-64{/gallery}" in text


def test_itemid_variant_falls_back_to_the_article(sites):
    routes, servers = sites
    article = EXPECTED["joomla"][0]["path"]
    body = fetch(servers["joomla"], article + "?Itemid=135")[2]
    assert body == routes["joomla"][article].body


def test_wordpress_bodies_are_gzip(sites):
    _, servers = sites
    for key in [LISTINGS["wordpress"], "/news/page/3/", EXPECTED["wordpress"][0]["path"]]:
        status, headers, body = fetch(servers["wordpress"], key)
        assert headers["Content-Encoding"] == "gzip"
        assert headers["Content-Type"] == "text/html; charset=UTF-8"
        html = gzip.decompress(body).decode("utf-8")
        assert "entry-title" in html and "เว็บไซต์นี้มีการใช้งานคุกกี้" in html


def test_legacy_pages_are_windows_874_without_header_charset(sites):
    _, servers = sites
    article = EXPECTED["legacy"][0]
    status, headers, body = fetch(servers["legacy"], article["path"])
    assert headers["Content-Type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    html = body.decode("cp874")
    assert article["title"].replace('"', "&quot;") in html
    assert article["must_contain"][0] in html and "charset=windows-874" in html
    page2 = fetch(servers["legacy"], "/news.php?page=2")[2].decode("cp874")
    assert "charset" not in page2 and "news_detail.php?id=5" in page2


def test_unknown_route_is_404(sites):
    _, servers = sites
    with pytest.raises(urllib.error.HTTPError) as info:
        fetch(servers["legacy"], "/news_detail.php")
    assert info.value.code == 404
    with pytest.raises(urllib.error.HTTPError):
        fetch(servers["joomla"], "/ศูนย์คุณธรรม/ไม่มีหน้านี้.html")


def test_junk_is_on_the_pages_not_in_the_prose(sites):
    routes, _ = sites
    seed = next(a for a in EXPECTED["joomla"] if "moral-province" in a["path"])
    html = routes["joomla"][seed["path"]].body.decode("utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    assert 'alt="F5CE88A3 A8A3 42A7 9473 4CE92A36ED2C L0 001"' in html
    for junk in ["A- A A+", "เกิดข้อผิดพลาด", "SIGPLUS", "เข้าชม", "เขียนข่าว", "ถ่ายภาพ", "{gallery}"]:
        assert junk in text and junk in JUNK


def test_callable_route_and_media():
    from archiver.demo.media import tiny_jpeg, tiny_pdf, tiny_png

    assert tiny_png(1).startswith(b"\x89PNG") and tiny_png(1) != tiny_png(2)
    assert tiny_jpeg(1)[:2] == b"\xff\xd8" and tiny_jpeg(1) != tiny_jpeg(2)
    assert tiny_pdf("x").startswith(b"%PDF-1.4") and tiny_pdf("x").rstrip().endswith(b"%%EOF")
    routes = {
        "/echo": lambda handler: Page(
            handler.path.encode(), headers=[("Content-Type", "text/plain")]
        )
    }
    with SiteServer(routes) as server:
        assert fetch(server, "/echo?a=1")[2] == b"/echo?a=1"
        assert server.log == [("GET", "/echo?a=1")]


def test_demo_site():
    routes = demo_routes()
    with SiteServer(routes) as server:
        listing = fetch(server, DEMO_LISTING)[2].decode("utf-8")
        assert "อ่านต่อ" in listing and "?start=3" in listing
        assert fetch(server, DEMO_LISTING + "?start=3")[0] == 200
        assert fetch(server, "/robots.txt")[0] == 200
    assert any("คุณธรรม" in key and key.endswith(".pdf") for key in routes)
