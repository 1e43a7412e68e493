"""The SQL of one query: word matches (tier A, ``articles_fts``) and substring matches (tier B,
``articles_tri`` candidates checked with ``LIKE``, so a substring hit always contains the
query), and the filters as facet terms. Queries of 1-2 characters have no trigram and are
answered by the word index alone.
"""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Iterable
from typing import Any

from archiver.index.fulltext import ISO_MONTH, facet_any, month_token, site_token, year_token
from archiver.search import query as q

#: The same body computed from an ``articles a`` row (to check a pattern on one row).
_BODY_A = "(coalesce(a.title, '') || char(10) || a.text)"

LIKE = f"{_BODY_A} LIKE ? ESCAPE '\\'"
#: Matches drive the joins (CROSS JOIN keeps that order); filters read the small index.
_ARTICLES = "articles a INDEXED BY articles_search_filter"


# -- queries ---------------------------------------------------------------------------------
def _one_trigram(form: str) -> bool:
    """Whether the trigram MATCH of ``form`` finds exactly what ``LIKE`` would: three
    characters, folded alike (the trigram tokenizer folds case beyond ASCII, LIKE does not)."""
    return len(form) == 3 and all(c.isascii() or c.lower() == c.upper() for c in form)


class Plan:
    """The SQL of one query: word matches (tier A) and substring matches (tier B)."""

    def __init__(
        self,
        query: q.Query,
        where: str,
        params: list[Any],
        facet: str | None = None,
        site: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> None:
        self.query = query
        #: The date filter's bounds: walks by date start and stop there, not at the archive's
        #: ends (a filter on one year of a seven-year archive read six empty years before).
        self.since, self.until = since, until
        self.word = q.word_match(query)
        self.facet = facet
        self.site = site  # a site's articles: the density of a word among them is unknown
        if facet:
            self.word += f" AND {facet}"
        self.neg_params = [q.like(f) for f in q.negated_substrings(query)]
        self.neg_sql = " ".join(f"AND NOT {LIKE}" for _ in self.neg_params)
        self.a_sql = (
            f"FROM articles_fts f CROSS JOIN {_ARTICLES} ON a.id = f.rowid "
            f"WHERE articles_fts MATCH ? AND {where} {self.neg_sql}"
        )
        #: The same without reading ``articles`` when there is nothing to check there.
        self.a_bare = (
            "FROM articles_fts f WHERE articles_fts MATCH ?"
            if where == "1" and not self.neg_params
            else self.a_sql
        )
        self.a_params = [*params, *self.neg_params]
        self.groups = q.substring_groups(query)
        self.b_sql: str | None = None
        self.b_params: list[Any] = []
        if self.groups is None:
            return
        # A 3-character form is one trigram: the MATCH alone is exact, no text to read.
        checked = [g for g in self.groups if not all(map(_one_trigram, g))]
        checks = " AND ".join("(" + " OR ".join([LIKE] * len(g)) + ")" for g in checked) or "1"
        word_negs = q.negated_words(query)
        self.b_sql = (
            f"FROM articles_tri t CROSS JOIN {_ARTICLES} ON a.id = t.rowid "
            f"WHERE articles_tri MATCH ? {{newer}} AND t.rowid NOT IN ({{exclude}}) AND {where} "
            f"AND {checks} {self.neg_sql}"
            + "".join(
                " AND NOT EXISTS (SELECT 1 FROM articles_fts w WHERE articles_fts MATCH ? "
                "AND w.rowid = t.rowid)"
                for _ in word_negs
            )
        )
        self.b_params = [
            q.trigram_match(self.groups),
            *params,
            *(q.like(f) for g in checked for f in g),
            *self.neg_params,
            *word_negs,
        ]

    def span(self, conn: sqlite3.Connection) -> tuple[str | None, str | None]:
        """The first and last publication dates a hit can have: the archive's, narrowed to the
        date filter (an ISO bound only; the exact day is the row filter's to check)."""
        first, last = date_span(conn)
        if self.since and ISO_MONTH.match(self.since) and first and self.since > first:
            first = self.since
        if self.until and ISO_MONTH.match(self.until) and last and self.until < last:
            last = self.until
        return first, last

    @staticmethod
    def months(first: str | None, last: str | None, year: int) -> range:
        """The months of ``year`` a hit can be in, newest first: the ends of ``span``
        (``first``, ``last``) cut the first and the last year, so months outside a date filter
        are not read one by one."""
        top = int(last[5:7]) if last and ISO_MONTH.match(last) and int(last[:4]) == year else 12
        low = int(first[5:7]) if first and ISO_MONTH.match(first) and int(first[:4]) == year else 1
        return range(top, low - 1, -1)

    def words_only(self) -> Plan:
        """The same query without its substring tier (word matches only)."""
        plan = copy.copy(self)
        plan.b_sql, plan.b_params = None, []
        return plan

    def a(self, select: str, tail: str = "", expr: str | None = None) -> tuple[str, list[Any]]:
        return f"SELECT {select} {self.a_sql} {tail}", [expr or self.word, *self.a_params]

    def ids(self, tail: str = "", expr: str | None = None) -> tuple[str, list[Any]]:
        """Just the ids of the word matches (of ``expr`` instead of the query's words)."""
        return f"SELECT f.rowid {self.a_bare} {tail}", [expr or self.word, *self.a_params]

    def b(
        self,
        select: str,
        tail: str = "",
        exclude: Iterable[int] = (),
        newer_than: str | None = None,
    ) -> tuple[str, list[Any]]:
        """Substring matches, but those in ``exclude`` and, with ``newer_than``, those published
        before it (both checked before any text is read)."""
        assert self.b_sql is not None
        sql = self.b_sql.replace("{exclude}", ",".join(str(int(i)) for i in exclude))
        params = list(self.b_params)
        if newer_than is None:
            return f"SELECT {select} {sql.replace('{newer}', '')} {tail}", params
        params.insert(1, newer_than)  # right after the MATCH expression, as in the SQL
        return f"SELECT {select} {sql.replace('{newer}', 'AND a.published >= ?')} {tail}", params


def facet_match(
    conn: sqlite3.Connection,
    site: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> str | None:
    """The filters as FTS5 terms on the ``facets`` column (``filters`` stays the exact check:
    a date range is covered by whole months, the days at its ends are checked on the row)."""
    parts = []
    if site:
        parts.append(facet_any([site_token(site)]))
    months = _date_tokens(conn, since, until)
    if months is not None:
        parts.append(facet_any(months))
    return " AND ".join(parts) or None


def date_span(conn: sqlite3.Connection) -> tuple[str | None, str | None]:
    """The first and last publication dates: two lookups in ``articles_published`` (one query
    asking for both would scan the whole index: SQLite's min/max shortcut takes one alone)."""
    first = conn.execute("SELECT min(published) FROM articles").fetchone()[0]
    last = conn.execute("SELECT max(published) FROM articles").fetchone()[0]
    return first, last


def _date_tokens(
    conn: sqlite3.Connection, since: str | None, until: str | None
) -> list[str] | None:
    """Year and month tokens covering [since, until] (open ends: the archive's first and last
    dates); None when there is no date filter or a bound is not an ISO date."""
    if not since and not until:
        return None
    if not since or not until:
        first, last = date_span(conn)
        since, until = since or first or "", until or last or ""
    if not (ISO_MONTH.match(since) and ISO_MONTH.match(until)):
        return None if since and until else []
    y1, m1, y2, m2 = int(since[:4]), int(since[5:7]), int(until[:4]), int(until[5:7])
    if (y1, m1) > (y2, m2):
        return []
    if y1 == y2:
        whole = (m1, m2) == (1, 12)
        return [year_token(y1)] if whole else [month_token(y1, m) for m in range(m1, m2 + 1)]
    head = [year_token(y1)] if m1 == 1 else [month_token(y1, m) for m in range(m1, 13)]
    tail = [year_token(y2)] if m2 == 12 else [month_token(y2, m) for m in range(1, m2 + 1)]
    return head + [year_token(y) for y in range(y1 + 1, y2)] + tail
