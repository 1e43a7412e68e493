"""The plugin's hooks: a search box on the ``articles`` table that runs ``archiver search``.

- ``get_metadata`` declares ``articles_fts`` as the table's full-text index, so Datasette draws
  its search box on the ``articles`` page;
- ``asgi_wrapper`` sends ``?_search=`` on that table to the plugin's search page (Datasette's
  own search would send the raw text to FTS5: our word index holds segmented Thai, and a query
  must be segmented, checked against the trigram index and ranked as the CLI does);
- ``register_routes``: the search page (HTML, and ``.json`` with the CLI's ``--json`` fields)
  and the archived copy of a page, read back from its WARC record.

Only databases with an ``articles`` table and our search tables are touched.
"""

from __future__ import annotations

import html
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response

from archiver.errors import ArchiverError
from archiver.index import fulltext
from archiver.search.results import Hit, search

SEARCH = "/-/archiver/search"
ARCHIVED = "/-/archiver/archived"
PER_PAGE = 20
#: What marks a query's words in a snippet before the snippet is escaped for HTML.
_MARK = ("\x02", "\x03")


@lru_cache(maxsize=64)
def _is_archive_index(path: str) -> bool:
    """Whether the SQLite file at ``path`` is an archiver index (``articles`` and its FTS)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return {"articles", "articles_fts"} <= names


def _indexes(datasette: Any) -> list[str]:
    return [
        name
        for name, db in datasette.databases.items()
        if db.path and _is_archive_index(str(db.path))
    ]


@hookimpl
def get_metadata(datasette: Any, key: str, database: str | None, table: str | None) -> dict:
    tables = {"articles": {"fts_table": "articles_fts", "fts_pk": "id"}}
    return {"databases": {name: {"tables": tables} for name in _indexes(datasette)}}


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    def wrap(app: Any) -> Any:
        async def route(scope: dict, receive: Any, send: Any) -> None:
            target = _search_redirect(datasette, scope)
            if target is None:
                await app(scope, receive, send)
                return
            headers = [(b"location", target.encode()), (b"content-type", b"text/plain")]
            await send({"type": "http.response.start", "status": 302, "headers": headers})
            await send({"type": "http.response.body", "body": b""})

        return route

    return wrap


def _search_redirect(datasette: Any, scope: dict) -> str | None:
    """Where ``/<db>/articles?_search=...`` goes: the plugin's search page, or None."""
    if scope.get("type") != "http":
        return None
    path = scope.get("path", "")
    parts = path.strip("/").split("/")
    if len(parts) != 2 or parts[1] not in ("articles", "articles.json"):
        return None
    query = parse_qs(scope.get("query_string", b"").decode("utf-8", "replace"))
    text = (query.get("_search") or [""])[0]
    if not text.strip() or parts[0] not in _indexes(datasette):
        return None
    suffix = ".json" if parts[1].endswith(".json") else ""
    return f"{SEARCH}{suffix}?" + urlencode({"db": parts[0], "q": text})


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    """An archive index's connections get the page cache a search needs (``fulltext.CACHE_KIB``:
    one phrase query reads megabytes of doclists, which would push the rest out of SQLite's
    default 2 MB and be read again by the next search)."""
    db = datasette.databases.get(database)
    if db is not None and db.path and _is_archive_index(str(db.path)):
        conn.execute(f"PRAGMA cache_size = -{fulltext.CACHE_KIB}")


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/archiver/search(?P<format>\.json)?$", search_page),
        (r"^/-/archiver/archived$", archived_page),
    ]


def _database(datasette: Any, request: Any) -> tuple[str, Path] | None:
    name = request.args.get("db") or next(iter(_indexes(datasette)), None)
    if name not in _indexes(datasette):
        return None
    return name, Path(datasette.databases[name].path)


async def search_page(datasette: Any, request: Any) -> Response:
    """The CLI's search on one index: the same hits in the same order, snippets marked."""
    found = _database(datasette, request)
    if found is None:
        return Response.text("no archiver index here (give ?db=NAME)", status=404)
    name, _ = found  # the search runs on Datasette's own connection to it
    text = request.args.get("q", "")
    page = max(1, int(request.args.get("page", "1") or 1))
    site = request.args.get("site") or None
    total: int = 0
    hits: list[Hit] = []
    error = None

    def run(conn: sqlite3.Connection) -> tuple[Any, list[Hit]]:
        return search(
            conn, text, site=site, limit=PER_PAGE, offset=(page - 1) * PER_PAGE, mark=_MARK
        )

    try:  # on Datasette's own read connection, in its SQL thread: its page cache stays warm
        total, hits = await datasette.get_database(name).execute_fn(run)
    except ArchiverError as exc:  # a query with nothing to find, an unknown site
        error = str(exc)
    if request.url_vars.get("format"):
        rows = [{**hit.__dict__, "snippet": _plain(hit.snippet)} for hit in hits]
        body = {"query": text, "total": int(total), "hits": rows, "error": error}
        return Response.json(body, status=400 if error else 200)
    context = {
        "database": name,
        "query": text,
        "error": error,
        "total": int(total),
        "at_least": getattr(total, "at_least", False),
        "hits": [_shown(name, hit) for hit in hits],
        "page": page,
        "more": page * PER_PAGE < int(total),
        "next_url": f"{SEARCH}?" + urlencode({"db": name, "q": text, "page": page + 1}),
    }
    return Response.html(
        await datasette.render_template("archiver_search.html", context, request=request),
        status=400 if error else 200,
    )


def _plain(snippet: str) -> str:
    return snippet.replace(_MARK[0], "**").replace(_MARK[1], "**")


def _shown(database: str, hit: Hit) -> dict[str, Any]:
    snippet = html.escape(hit.snippet).replace(_MARK[0], "<mark>").replace(_MARK[1], "</mark>")
    return {
        **hit.__dict__,
        "snippet_html": snippet,
        "archived_url": f"{ARCHIVED}?" + urlencode({"db": database, "url": hit.url}),
        "row_url": "/" + database + "/articles?" + urlencode({"url": hit.url}),
    }


async def archived_page(datasette: Any, request: Any) -> Response:
    """The archived page of ``url`` as the agency served it, decoded from its WARC record
    (``archiver show --html``). Its scripts do not run here (``Content-Security-Policy``)."""
    from archiver.cli.output import show_record

    found = _database(datasette, request)
    url = request.args.get("url", "")
    if found is None or not url:
        return Response.text("give ?db=NAME&url=URL", status=404)
    try:
        page = show_record(found[1].parent, url, "html")
    except ArchiverError as exc:
        return Response.text(str(exc), status=404)
    response = Response.html(page)
    response.headers["Content-Security-Policy"] = "script-src 'none'"
    return response
