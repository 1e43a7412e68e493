"""End to end: ``archiver crawl --url`` over the three fixture sites, then what it left behind.

The WARCs are read back with warcio, the index with sqlite3, search through the real CLI.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.urls import canonical_url
from tests import fixture_sites, warc_tools
from tests.conftest import SITES, Crawled, load_json_lines, run_cli


def _warc_records(archive: Path) -> list[dict]:
    records = []
    for path in sorted((archive / "warc").glob("*.warc.gz")):
        with open(path, "rb") as stream:
            for n, record in enumerate(ArchiveIterator(stream)):
                records.append(
                    {
                        "file": path.name,
                        "n": n,
                        "type": record.rec_type,
                        "uri": record.rec_headers.get_header("WARC-Target-URI"),
                        "id": record.rec_headers.get_header("WARC-Record-ID"),
                        "concurrent": record.rec_headers.get_header("WARC-Concurrent-To"),
                        "headers": record.rec_headers,
                        "http": record.http_headers,
                        "raw": record.raw_stream.read(),  # payload exactly as stored
                    }
                )
    return records


@pytest.fixture(scope="module")
def records(crawled: Crawled) -> list[dict]:
    return _warc_records(crawled.archive)


def test_crawl_exits_zero_and_reports(crawled: Crawled) -> None:
    assert crawled.result.returncode == 0, crawled.result.stderr
    assert "Traceback" not in crawled.result.stderr
    expected = sum(len(fixture_sites.EXPECTED[s]) for s in SITES)
    assert f"{expected} new" in crawled.result.stdout


def test_warc_files_pass_warcio_check(crawled: Crawled) -> None:
    files = sorted((crawled.archive / "warc").glob("*.warc.gz"))
    assert len(files) == 3  # one per site, named by its slug
    warcio = Path(sys.executable).with_name("warcio")
    result = subprocess.run(
        [str(warcio), "check", *map(str, files)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_warc_opens_with_warcinfo(records: list[dict]) -> None:
    firsts = [r for r in records if r["n"] == 0]
    assert firsts and all(r["type"] == "warcinfo" for r in firsts)


def test_every_response_has_a_concurrent_request_and_digests(records: list[dict]) -> None:
    responses = {r["id"]: r for r in records if r["type"] == "response"}
    requests = [r for r in records if r["type"] == "request"]
    assert set(responses) == {r["concurrent"] for r in requests}
    for record in responses.values():
        assert record["headers"].get_header("WARC-Payload-Digest", "").startswith("sha1:")
        assert record["headers"].get_header("WARC-Block-Digest", "").startswith("sha1:")
        assert record["headers"].get_header("WARC-IP-Address") == "127.0.0.1"


@pytest.mark.parametrize("site", SITES)
def test_articles_images_and_attachments_archived_as_sent(crawled: Crawled, records, site):
    """Every article page, image and attachment is a response with the server's exact bytes
    (the WordPress pages still gzip-compressed, the legacy ones still windows-874)."""
    stored = {canonical_url(r["uri"]): r for r in records if r["type"] == "response"}
    routes = crawled.routes[site]
    for article in fixture_sites.EXPECTED[site]:
        for key in [article["path"], *article["images"], *article["attachments"]]:
            url = crawled.url(site, key)
            assert url in stored, f"{key} not archived"
            assert stored[url]["raw"] == routes[key].body, f"{key}: bytes differ"


def test_gzip_responses_keep_content_encoding_with_compressed_body(crawled, records) -> None:
    listing = crawled.url("wordpress", fixture_sites.LISTINGS["wordpress"])
    record = next(r for r in records if r["type"] == "response" and r["uri"] == listing)
    assert record["http"].get_header("Content-Encoding") == "gzip"
    assert record["raw"][:2] == b"\x1f\x8b"


@pytest.mark.parametrize("site", SITES)
def test_exactly_the_articles_are_indexed(crawled: Crawled, site: str) -> None:
    slug = f"127-0-0-1-{crawled.servers[site].base_url.rsplit(':', 1)[1]}"
    indexed = {
        row[0] for row in crawled.index_rows("SELECT url FROM articles WHERE site = ?", slug)
    }
    expected = {crawled.url(site, a["path"]) for a in fixture_sites.EXPECTED[site]}
    assert indexed == expected
    for key in fixture_sites.NON_ARTICLES[site]:
        assert crawled.url(site, key) not in indexed


@pytest.mark.parametrize("site", SITES)
def test_metadata_matches_the_pages(crawled: Crawled, site: str) -> None:
    for article in fixture_sites.EXPECTED[site]:
        rows = crawled.index_rows(
            "SELECT title, published, author, photographer, text, images, attachments "
            "FROM articles WHERE url = ?",
            crawled.url(site, article["path"]),
        )
        assert rows, article["path"]
        title, published, author, photographer, text, images, attachments = rows[0]
        assert title == article["title"]
        assert published == article["published"]
        assert author == article["author"]
        assert photographer == article["photographer"]
        for phrase in article["must_contain"]:
            assert phrase in text
        assert json.loads(images) == [crawled.url(site, k) for k in article["images"]]
        assert json.loads(attachments) == [crawled.url(site, k) for k in article["attachments"]]


def test_extracted_text_holds_no_junk(crawled: Crawled) -> None:
    for (text,) in crawled.index_rows("SELECT text FROM articles"):
        for junk in fixture_sites.JUNK:
            assert junk not in text


def test_media_rows_point_at_their_articles(crawled: Crawled) -> None:
    """Images and attachments at their article; a requisite at the first page that loaded it,
    an article or a listing page (the listing pages' own requisites: thumbnails, bullets)."""
    rows = crawled.index_rows("SELECT kind, article_url, size, sha1 FROM media")
    kinds = {kind for kind, *_ in rows}
    assert kinds == {"image", "attachment", "requisite"}
    articles = {url for (url,) in crawled.index_rows("SELECT url FROM articles")}
    listings = {
        canonical_url(c.url)
        for path in (crawled.archive / "warc").glob("*.warc.gz")
        for c in warc_tools.captures(path)
        if c.role == "listing"
    }
    assert all(size > 0 and len(sha1) == 40 for _, _, size, sha1 in rows)
    assert all(page in articles for kind, page, _, _ in rows if kind != "requisite")
    pages = {page for kind, page, _, _ in rows if kind == "requisite"}
    assert pages <= articles | listings and pages & listings  # listing pages load some first


@pytest.mark.parametrize("site", SITES)
def test_media_sha1_is_the_hash_of_the_bytes_served(crawled: Crawled, site: str) -> None:
    sha1 = dict(crawled.index_rows("SELECT url, sha1 FROM media"))
    routes = crawled.routes[site]
    checked = 0
    for article in fixture_sites.EXPECTED[site]:
        for key in [*article["images"], *article["attachments"]]:
            assert sha1[crawled.url(site, key)] == hashlib.sha1(routes[key].body).hexdigest()
            checked += 1
    assert checked


def test_search_finds_word_inside_compound_and_ranks_its_article_first(crawled) -> None:
    """``คุณธรรม`` stands in the seed article's title; elsewhere it only occurs inside longer
    words (``จังหวัดคุณธรรม``, ``ศูนย์คุณธรรม``)."""
    result = run_cli("search", "คุณธรรม", "--json", archive=crawled.archive)
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)
    assert hits and "คุณธรรม" in hits[0]["title"]
    assert {"url", "title", "published", "site", "snippet", "score"} <= set(hits[0])


def test_search_finds_substring_the_segmenter_does_not_cut_out(crawled: Crawled) -> None:
    """``อยุธยา`` only occurs inside ``พระนครศรีอยุธยา``: the trigram index finds it."""
    texts = crawled.index_rows("SELECT url FROM articles WHERE text LIKE '%อยุธยา%'")
    result = run_cli("search", "อยุธยา", "--json", "--limit", "100", archive=crawled.archive)
    hits = json.loads(result.stdout)
    assert texts and {h["url"] for h in hits} == {url for (url,) in texts}


def test_export_writes_the_contract_fields(crawled: Crawled) -> None:
    result = run_cli("export", archive=crawled.archive)
    rows = load_json_lines(result.stdout)
    expected = sum(len(fixture_sites.EXPECTED[s]) for s in SITES)
    assert len(rows) == expected
    fields = {
        "url",
        "site",
        "title",
        "published",
        "author",
        "photographer",
        "text",
        "images",
        "attachments",
        "fetched_at",
        "warc",
    }
    assert all(fields <= set(row) for row in rows)
    assert all(set(row["warc"]) == {"filename", "offset", "length"} for row in rows)


def test_show_reads_the_page_back_from_the_warc(crawled: Crawled) -> None:
    article = fixture_sites.EXPECTED["legacy"][0]
    url = crawled.url("legacy", article["path"])
    html = run_cli("show", url, "--html", archive=crawled.archive)
    assert html.returncode == 0, html.stderr
    assert article["must_contain"][0] in html.stdout  # windows-874 decoded
    headers = run_cli("show", url, "--headers", archive=crawled.archive)
    assert headers.stdout.startswith("HTTP/1.1 200")


def test_reindex_rebuilds_the_same_articles_from_the_warcs(crawled, tmp_path) -> None:
    import shutil

    copy = tmp_path / "archive"
    shutil.copytree(crawled.archive / "warc", copy / "warc")
    result = run_cli("reindex", archive=copy)
    assert result.returncode == 0, result.stderr
    before = run_cli("export", archive=crawled.archive).stdout
    after = run_cli("export", archive=copy).stdout
    strip = [{k: v for k, v in row.items() if k != "fetched_at"} for row in load_json_lines(before)]
    again = [{k: v for k, v in row.items() if k != "fetched_at"} for row in load_json_lines(after)]
    assert sorted(strip, key=lambda r: r["url"]) == sorted(again, key=lambda r: r["url"])


def test_check_passes_on_a_fresh_archive(crawled: Crawled) -> None:
    result = run_cli("check", archive=crawled.archive)
    assert result.returncode == 0, result.stdout + result.stderr


def _requested(crawled: Crawled, site: str) -> list[str]:
    from archiver.demo.server import route_key

    return [route_key(target)[0] for method, target in crawled.servers[site].log]


@pytest.mark.parametrize("site", SITES)
def test_robots_disallowed_paths_are_never_requested(crawled: Crawled, site: str) -> None:
    requested = set(_requested(crawled, site))
    assert "/robots.txt" in requested
    assert not requested & set(fixture_sites.ROBOTS_DISALLOWED[site])


@pytest.mark.parametrize("site", SITES)
def test_each_article_is_fetched_once_despite_duplicate_links(crawled: Crawled, site: str) -> None:
    """Itemid variants and repeated links are canonicalised: one fetch per article."""
    requested = _requested(crawled, site)
    for article in fixture_sites.EXPECTED[site]:
        assert requested.count(article["path"]) == 1, article["path"]
    for duplicate, _canonical in fixture_sites.DUPLICATES[site]:
        assert duplicate not in requested


def test_crawl_sends_the_project_user_agent(crawled: Crawled) -> None:
    from archiver.crawl.agent import user_agent
    from archiver.settings import ARCHIVER_CONTACT_URL

    USER_AGENT = user_agent(ARCHIVER_CONTACT_URL)
    stored = _warc_records(crawled.archive)
    request = next(r for r in stored if r["type"] == "request")
    assert request["http"].get_header("User-Agent") == USER_AGENT
    assert "thai-news-archiver" in USER_AGENT and "+http" in USER_AGENT
