"""``--sort date``: hits newest first. Reads the word matches a year or a month at a time
through the facet tokens, or walks the date index when the matches are dense.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from archiver.index.fulltext import ISO_MONTH, facet_any, month_token, year_token
from archiver.search import limits, ranking
from archiver.search import query as q
from archiver.search.order import (
    Total,
    add_substring_rows,
    bounded_count,
    newest_first,
    substring_only,
)
from archiver.search.plan import LIKE, Plan


def page_ids_by_date(
    conn: sqlite3.Connection, plan: Plan, where: str, params: list[Any], offset: int, limit: int
) -> tuple[list[tuple[int, str, float]], Total]:
    """Newest first. A word in many articles (over ``COUNT_CAP`` matches, dense enough that
    a page comes within ``DENSE_PROBES`` articles) walks down the date index, probing the
    word index for each article. Otherwise the word matches are read a year (or, in a busy
    year, a month) at a time, newest first, through the facet tokens, until the page is
    full: a common word costs the matches of its last months, not all of them. With fewer
    than ``COUNT_CAP`` word matches, the substring-only ones (newest rows first, within
    ``COUNT_BUDGET_S``) are merged in by date."""
    first, last = plan.span(conn)
    if not (first and last and ISO_MONTH.match(first) and ISO_MONTH.match(last)) or (
        int(last[:4]) - int(first[:4]) > limits.MAX_YEARS
    ):
        return _page_ids_by_sorting(conn, plan, where, params, offset, limit)
    want = offset + limit
    count_a = bounded_count(conn, *plan.ids(), limits.COUNT_CAP)
    # Many word matches (so no substring-only ones listed), dense among the articles: down
    # the date index, probing each article.
    if count_a.at_least and not plan.site and _dense(conn, plan, want):
        page = _walk_dates(conn, plan, where, params, want)
        if len(page) >= want:
            return [(r[0], r[1], 0.0) for r in page[offset:]], count_a
    rows: dict[int, tuple] = {}
    select = "a.id, 'word', a.published"
    years = range(int(last[:4]), int(first[:4]) - 1, -1)
    for year in years:
        expr = f"{plan.word} AND {facet_any([year_token(year)])}"
        if not bounded_count(conn, *plan.ids(expr=expr), limits.YEAR_ROWS).at_least:
            rows.update((r[0], r) for r in conn.execute(*plan.a(select, expr=expr)))
        else:
            for month in plan.months(first, last, year):
                month_expr = f"{plan.word} AND {facet_any([month_token(year, month)])}"
                rows.update((r[0], r) for r in conn.execute(*plan.a(select, expr=month_expr)))
                if len(rows) >= want:
                    break
        if len(rows) >= want:
            break
    else:  # every dated match read: the undated ones come last
        expr = f"({plan.word}) NOT {facet_any(year_token(y) for y in years)}"
        rows.update((r[0], r) for r in conn.execute(*plan.a(select, expr=expr)))
    total = count_a
    # As in ranked order: with ``COUNT_CAP`` word matches or more, substring-only ones are not
    # listed (finding them means reading every trigram candidate: there is no date order there).
    if plan.b_sql is not None and not count_a.at_least:
        ordered = newest_first(list(rows.values()), 2)
        # Every word match from the page's last date on has been read: substring-only
        # matches older than that cannot reach the page.
        cutoff = ordered[want - 1][2] if len(ordered) >= want else None
        ids, count_b = substring_only(
            conn,
            plan,
            set(rows),
            0,
            limits.COUNT_CAP,
            limits.COUNT_CAP,
            strict=True,
            newer_than=cutoff,
        )
        add_substring_rows(conn, rows, ids)
        exact = (
            not (count_a.at_least or count_b.at_least or cutoff)
            and count_a + count_b < limits.COUNT_CAP
        )
        total = Total.of(min(count_a + count_b, limits.COUNT_CAP), not exact)
    ordered = newest_first(list(rows.values()), 2)
    return [(r[0], r[1], 0.0) for r in ordered[offset : offset + limit]], total


def _dense(conn: sqlite3.Connection, plan: Plan, want: int) -> bool:
    """Whether the word matches are dense enough for ``_walk_dates`` (estimated from the
    rarest term's document frequency)."""
    stats = ranking.corpus(conn)
    if not stats.rows:
        return False
    rarest = min(
        sum(stats.doc_frequency(conn, p.match) for p in group)
        for group in ranking.phrases(plan.query)
    )
    return rarest > 0 and want * stats.rows / rarest <= limits.DENSE_PROBES


def _walk_dates(
    conn: sqlite3.Connection, plan: Plan, where: str, params: list[Any], want: int
) -> list[tuple]:
    """The ``want`` newest dated word matches, down the date index (fewer: the dated ones ran
    out; the caller then reads them the other way, with the undated ones)."""
    sql = (
        f"SELECT a.id, 'word', a.published FROM articles a WHERE {where} "
        "AND a.published IS NOT NULL AND EXISTS (SELECT 1 FROM articles_fts f "
        f"WHERE articles_fts MATCH ? AND f.rowid = a.id) {plan.neg_sql} "
        "ORDER BY a.published DESC, a.id DESC LIMIT ?"
    )
    return conn.execute(sql, [*params, plan.word, *plan.neg_params, want]).fetchall()


def _page_ids_by_sorting(
    conn: sqlite3.Connection, plan: Plan, where: str, params: list[Any], offset: int, limit: int
) -> tuple[list[tuple[int, str, float]], Total]:
    """Newest first for an archive with dates the facet tokens do not cover: up to
    ``DATE_SORT_CAP`` word matches (and the substring-only ones) are sorted by date; beyond
    that, matches are dense enough to walk down the date index."""
    count_a = bounded_count(conn, *plan.ids(), limits.DATE_SORT_CAP)
    if not count_a.at_least:
        select = "a.id, 'word', a.published"
        rows = {r[0]: r for r in conn.execute(*plan.a(select))}
        total = Total.of(min(count_a, limits.COUNT_CAP), count_a >= limits.COUNT_CAP)
        if plan.b_sql is not None:
            ids, count_b = substring_only(
                conn, plan, set(rows), 0, limits.COUNT_CAP, limits.COUNT_CAP, strict=True
            )
            add_substring_rows(conn, rows, ids)
            exact = not count_b.at_least and count_a + count_b < limits.COUNT_CAP
            total = Total.of(min(count_a + count_b, limits.COUNT_CAP), not exact)
        ordered = newest_first(list(rows.values()), 2)
        return [(r[0], r[1], 0.0) for r in ordered[offset : offset + limit]], total
    total = Total.of(limits.COUNT_CAP, True)
    # Many matches: they are dense, so walking the date index finds a page soon.
    conditions = [
        "EXISTS (SELECT 1 FROM articles_fts f WHERE articles_fts MATCH ? AND f.rowid = a.id)"
    ]
    args: list[Any] = [plan.word]
    if plan.groups is not None:
        conditions.append(
            "(" + " AND ".join("(" + " OR ".join([LIKE] * len(g)) + ")" for g in plan.groups) + ")"
        )
        args.extend(q.like(f) for g in plan.groups for f in g)
    sql = (
        f"SELECT a.id FROM articles a WHERE {where} AND ({' OR '.join(conditions)}) "
        f"{plan.neg_sql} ORDER BY a.published DESC, a.id DESC "  # NULL sorts last
        "LIMIT ? OFFSET ?"
    )
    rows_ = conn.execute(sql, [*params, *args, *plan.neg_params, limit, offset]).fetchall()
    return [(r[0], "word", 0.0) for r in rows_], total
