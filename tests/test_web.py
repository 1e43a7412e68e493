"""The Datasette plugin (``archiver/web``): the articles table of a crawled archive's
``index.db`` has a search box, and it runs the CLI's search (same hits, same order, snippets,
links to the archived copy). Datasette's own test client (``datasette.client``), in process."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import Any
from urllib.parse import quote

import pytest
from datasette.app import Datasette

from archiver.archive import Archive
from archiver.search.results import search
from tests.conftest import Crawled, run_cli

QUERY = "จังหวัด"


def fetch(crawled: Crawled, *paths: str) -> list[Any]:
    """GET each path from a Datasette serving the crawled archive's index (no redirects
    followed), in one event loop."""

    async def go() -> list[Any]:
        app = Datasette([str(Archive(crawled.archive).index)])
        await app.invoke_startup()
        return [await app.client.get(path) for path in paths]

    return asyncio.run(go())


def test_the_plugin_is_loaded_from_its_entry_point(crawled: Crawled) -> None:
    (plugins,) = fetch(crawled, "/-/plugins.json")
    ours = [p for p in plugins.json() if p["name"] in ("thai-news-archiver", "archiver.web")]
    assert ours and {
        "asgi_wrapper",
        "get_metadata",
        "prepare_connection",
        "register_routes",
    } <= set(ours[0]["hooks"])


def test_the_articles_table_has_a_search_box_that_goes_to_the_archivers_search(
    crawled: Crawled,
) -> None:
    page, submitted = fetch(crawled, "/index/articles", f"/index/articles?_search={quote(QUERY)}")
    assert page.status_code == 200 and 'name="_search"' in page.text
    assert submitted.status_code == 302
    assert submitted.headers["location"].startswith("/-/archiver/search?db=index&q=")


def test_the_search_page_gives_the_clis_hits_in_the_clis_order(crawled: Crawled) -> None:
    cli = run_cli("search", QUERY, "--json", "--limit", "20", archive=crawled.archive)
    assert cli.returncode == 0
    expected = [hit["url"] for hit in json.loads(cli.stdout)]
    assert len(expected) > 3
    html_page, as_json = fetch(
        crawled,
        f"/-/archiver/search?db=index&q={quote(QUERY)}",
        f"/-/archiver/search.json?db=index&q={quote(QUERY)}",
    )
    assert as_json.status_code == 200
    assert [hit["url"] for hit in as_json.json()["hits"]] == expected
    assert [hit["score"] for hit in as_json.json()["hits"]] == [
        hit["score"] for hit in json.loads(cli.stdout)
    ]
    assert html_page.status_code == 200
    shown = [html_page.text.index(f'data-url="{url}"') for url in expected]
    assert shown == sorted(shown)  # listed in the same order
    assert f"<mark>{QUERY}</mark>" in html_page.text  # snippets mark the words


def test_a_hit_links_to_its_archived_copy_read_back_from_the_warc(crawled: Crawled) -> None:
    conn = sqlite3.connect(Archive(crawled.archive).index)
    try:
        _, hits = search(conn, QUERY, limit=1)
    finally:
        conn.close()
    (page,) = fetch(crawled, f"/-/archiver/search?db=index&q={quote(QUERY)}")
    link = f"/-/archiver/archived?db=index&amp;url={quote(hits[0].url, safe='')}"
    assert link in page.text
    (archived,) = fetch(crawled, link.replace("&amp;", "&"))
    assert archived.status_code == 200
    assert (hits[0].title or "") in archived.text
    assert archived.headers["content-security-policy"] == "script-src 'none'"


@pytest.mark.parametrize(
    ("query", "says"), [("AND NOT", "empty query"), ("จังหวัด site:no-such", "unknown site")]
)
def test_a_bad_query_is_said_on_the_page_not_a_server_error(
    crawled: Crawled, query: str, says: str
) -> None:
    page, as_json = fetch(
        crawled,
        f"/-/archiver/search?db=index&q={quote(query)}",
        f"/-/archiver/search.json?db=index&q={quote(query)}",
    )
    assert page.status_code == as_json.status_code == 400
    assert says in page.text and says in as_json.json()["error"]


def test_searches_run_on_datasettes_connections_with_the_search_page_cache(
    crawled: Crawled,
) -> None:
    """Each search used to open a connection of its own: a cold 2 MB page cache every time."""
    from archiver.index import fulltext

    async def go() -> tuple[int, int, int]:
        app = Datasette([str(Archive(crawled.archive).index)])
        await app.invoke_startup()
        db = app.get_database("index")
        opened = len(db._all_file_connections)
        for _ in range(3):
            page = await app.client.get(f"/-/archiver/search.json?db=index&q={quote(QUERY)}")
            assert page.status_code == 200 and page.json()["hits"]
        cache = await db.execute_fn(lambda c: c.execute("PRAGMA cache_size").fetchone()[0])
        return cache, opened, len(db._all_file_connections)

    cache, before, after = asyncio.run(go())
    assert cache == -fulltext.CACHE_KIB
    assert after - before <= 3  # Datasette's SQL threads' connections, kept, not one a search
