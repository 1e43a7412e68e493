"""Ranked search: a page of hits with snippets and the total.

The order (``archiver.search.tiers``): articles whose title holds all the query's terms, then
fewer of them, then the rest; bm25 over title and text within each, the newer date and then
the URL on a tie; ``--sort date`` newest first (``archiver.search.by_date``). Counts are exact
up to ``COUNT_CAP`` and within ``COUNT_BUDGET_S``, else a lower bound (``Total.at_least``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from archiver.index.fulltext import filters
from archiver.search import query as q
from archiver.search import ranking
from archiver.search.by_date import page_ids_by_date
from archiver.search.order import Total
from archiver.search.plan import Plan, facet_match
from archiver.search.tiers import page_ids


@dataclass
class Hit:
    url: str
    title: str | None
    published: str | None
    site: str
    snippet: str
    score: float
    match: str  # "word" (segmented index) or "substring" (trigram index)


def search(
    conn: sqlite3.Connection,
    text: str,
    site: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    offset: int = 0,
    mark: tuple[str, str] = ("**", "**"),
    sort: str = "rank",
) -> tuple[Total, list[Hit]]:
    """Hits of ``text`` at [offset, offset + limit) and the total, best first (``sort="rank"``)
    or newest first (``sort="date"``). Raises ``QueryError`` on a query with nothing to find."""
    query = q.parse(text)
    if query.site and site and query.site != site:
        return Total.of(0, False), []  # two different sites asked for
    site = site or query.site
    if site and not known_site(conn, site):
        raise q.QueryError(
            f"unknown site {site!r}: `archiver sites` lists the sites of the archive"
        )
    where, params = filters(site, since, until)
    plan = Plan(query, where, params, facet_match(conn, site, since, until), site, since, until)
    limit, offset = max(0, limit), max(0, offset)
    try:
        if sort == "date":
            ids, total = page_ids_by_date(conn, plan, where, params, offset, limit)
        else:
            ids, total = page_ids(conn, plan, where, params, offset, limit)
    except sqlite3.OperationalError as exc:  # e.g. an FTS5 limit a strange query still hits
        raise q.QueryError(f"cannot run this query: {exc}") from exc
    return total, list(_hits(conn, ids, query, mark))


def known_site(conn: sqlite3.Connection, site: str) -> bool:
    """Whether the archive knows ``site``: crawled (the ``sites`` table) or holding articles
    (its facet token: an index lookup, also in an index rebuilt from WARCs alone)."""
    if conn.execute("SELECT 1 FROM sites WHERE slug = ?", (site,)).fetchone():
        return True
    sql = "SELECT 1 FROM articles_fts WHERE articles_fts MATCH ? LIMIT 1"
    return conn.execute(sql, (facet_match(conn, site),)).fetchone() is not None


#: Characters of a long text's piece given to ``query.snippet``: more than it reads around
#: the match (``_MARGIN`` times its 160-character width on each side).
SNIPPET_MARGIN = 4 * 160


def _hits(
    conn: sqlite3.Connection,
    ids: list[tuple[int, str, float]],
    query: q.Query,
    mark: tuple[str, str],
) -> Iterator[Hit]:
    if not ids:
        return
    marks = ",".join("?" * len(ids))
    cur = conn.execute(
        f"SELECT id, url, title, published, site FROM articles WHERE id IN ({marks})",
        [i for i, _, _ in ids],
    )
    rows = {r[0]: r for r in cur}
    words = query.words()
    found = q.needles(words)
    plain = bool(found) and q.plain(found)
    for article_id, how, score in ids:
        _, url, title, published, site = rows[article_id]
        # The start of the text is enough when the match is there (a 400 KB cabinet summary
        # is not read whole for a 160-character window).
        data, scale = ranking.text_prefix(conn, article_id)
        more, earlier = scale > 1, False
        # Thai words are found in the stored bytes and only the piece around them decoded
        piece = ranking.piece_around(data, found, SNIPPET_MARGIN) if plain else None
        if piece is not None:
            body, earlier, after = piece
            more = more or after
        elif plain and more:  # deeper in a long text: the piece around the match, from bytes
            piece = ranking.text_around(conn, article_id, found, SNIPPET_MARGIN)
            body, earlier, more = piece or (_whole_text(conn, article_id), False, False)
        else:
            body = data.decode("utf-8", "ignore")
            if more and not q.occurs(body, words):  # case or digits: looked for decoded
                body, more = _whole_text(conn, article_id), False
        snippet = q.snippet(body, words, mark=mark, more=more, earlier=earlier)
        yield Hit(url, title, published, site, snippet, round(score, 4), how)


def _whole_text(conn: sqlite3.Connection, article_id: int) -> str:
    return str(conn.execute("SELECT text FROM articles WHERE id = ?", (article_id,)).fetchone()[0])


def all_ids(conn: sqlite3.Connection, text: str, **filter_args: Any) -> set[int]:
    """Every article matching ``text`` (both tiers, no ranking): the benchmark's recall check."""
    query = q.parse(text)
    filter_args.setdefault("site", query.site)
    where, params = filters(**filter_args)
    plan = Plan(
        query,
        where,
        params,
        facet_match(conn, **filter_args),
        filter_args["site"],
        filter_args.get("since"),
        filter_args.get("until"),
    )
    found = {r[0] for r in conn.execute(*plan.ids())}
    if plan.b_sql is not None:
        found |= {r[0] for r in conn.execute(*plan.b("t.rowid"))}
    return found
