"""Ranked order: the article a reader means first, at any size (issue 15).

Candidates: every article whose title holds all the query's terms, whatever its age, from the
title table ``articles_title`` (trigrams over the titles alone, so a term inside a longer
word or a name counts too), when they are at most ``TITLE_CAP`` (terms in more titles than
that say little about which article is meant); and the ``RANK_CANDIDATES`` newest word
matches by publication date (those of the last date among them by URL), so that which
articles are candidates depends on the archive's content alone.
Each candidate is rated (``ranking.rate``): how many of the query's terms its title holds,
and bm25 over title and text. The order: more terms in the title first (all, then fewer,
then none), then bm25, then the newer date, then the URL; never the rowid, so the same
articles inserted in another order rank the same. Beyond the candidates: the other word
matches newest first, then the substring-only matches, newest row first (listed only while
word matches number under ``COUNT_CAP``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from archiver.index.fulltext import (
    ISO_MONTH,
    TEXT_WEIGHT,
    TITLE_WEIGHT,
    facet_any,
    month_token,
    year_token,
)
from archiver.search import limits, ranking
from archiver.search import query as q
from archiver.search.by_date import page_ids_by_date
from archiver.search.order import Total, substring_only
from archiver.search.plan import Plan

#: (id, "word" or "substring", bm25) of a hit.
Ranked = tuple[int, str, float]


def page_ids(
    conn: sqlite3.Connection, plan: Plan, where: str, params: list[Any], offset: int, limit: int
) -> tuple[list[Ranked], Total]:
    """(id, how, score) of the hits at [offset, offset + limit), and the total count."""
    sql, args = plan.ids("LIMIT ?")  # the count and the ids in one pass
    a_list = [r[0] for r in conn.execute(sql, [*args, limits.COUNT_CAP])]
    count_a = Total.of(len(a_list), len(a_list) >= limits.COUNT_CAP)
    word_ids = None if count_a.at_least else a_list
    ranked = _ranked(conn, plan, where, params, word_ids, offset + limit)
    seen = {r[0] for r in ranked}
    page = ranked[offset : offset + limit]
    if len(page) < limit:  # past the candidates: the other word matches, newest first
        skip = max(0, offset - len(ranked))
        want = skip + limit - len(page)
        page += _others(conn, plan, where, params, a_list, count_a, seen, want)[skip:]
    if count_a.at_least:
        return _labelled(conn, plan, page, None), count_a
    a_ids = set(a_list)
    page = _labelled(conn, plan, page, a_ids)
    titled_only = sum(1 for i in seen if i not in a_ids)  # substring matches among candidates
    before = count_a + titled_only  # hits listed before the substring-only ones
    if plan.b_sql is None:
        return page, Total.of(before, False)
    if len(page) >= limit:  # the page is full: substring-only matches not counted
        return page, Total.of(before, True)
    more, count_b = substring_only(
        conn,
        plan,
        a_ids | seen,
        max(0, offset - before),
        limit - len(page),
        limits.COUNT_CAP - before,
    )
    page += [(i, "substring", 0.0) for i in more]
    return page, Total.of(before + count_b, count_b.at_least)


def _others(
    conn: sqlite3.Connection,
    plan: Plan,
    where: str,
    params: list[Any],
    a_list: list[int],
    count_a: Total,
    seen: set[int],
    want: int,
) -> list[Ranked]:
    """The first ``want`` word matches that are not candidates, newest first (by date, then
    URL, when they number under ``COUNT_CAP``; else by date through ``by_date``)."""
    if count_a.at_least:
        rest, _ = page_ids_by_date(conn, plan.words_only(), where, params, 0, want + len(seen))
        return [(r[0], "word", 0.0) for r in rest if r[0] not in seen][:want]
    ids = [i for i in a_list if i not in seen]
    if not ids:
        return []
    marks = ",".join(str(i) for i in ids)
    sql = (
        f"SELECT id FROM articles WHERE id IN ({marks}) "
        "ORDER BY published IS NULL, published DESC, url DESC LIMIT ?"
    )
    return [(r[0], "word", 0.0) for r in conn.execute(sql, (want,))]


def _labelled(
    conn: sqlite3.Connection, plan: Plan, page: list[Ranked], a_ids: set[int] | None
) -> list[Ranked]:
    """The page with each title candidate marked "word" or "substring" (``a_ids``: the word
    matches, when known; else the index is asked about the page's title candidates)."""
    unsure = [r[0] for r in page if r[1] == "title"]
    if not unsure:
        return page
    if a_ids is None:
        marks = ",".join(str(i) for i in unsure)
        a_ids = {r[0] for r in conn.execute(*plan.ids(f"AND f.rowid IN ({marks})"))}
    return [
        (i, ("word" if i in a_ids else "substring") if how == "title" else how, score)
        for i, how, score in page
    ]


def _ranked(
    conn: sqlite3.Connection,
    plan: Plan,
    where: str,
    params: list[Any],
    word_ids: list[int] | None,
    needed: int,
) -> list[Ranked]:
    """The candidates that are hits, best first; "title" for those not known to be word
    matches yet (``_labelled`` says which). ``word_ids``: as ``_newest``.

    When the titles holding every term fill the first ``needed`` places, the newest word
    matches are not looked for: any of them that could rank that high holds every term in its
    title, so it is a title match already (the title table finds every title that holds the
    terms as written), and the others rank below all of these. The order is the same either
    way; the dates of hundreds of matches and the rating of 50 more rows are not paid."""
    titled = _passing(conn, plan, where, params, _title_matches(conn, plan.query))
    weights, stats = (TITLE_WEIGHT, TEXT_WEIGHT), ranking.corpus(conn)  # one IDF per term
    rated = ranking.rate(conn, plan.query, titled, weights, stats)
    # a title candidate must match the whole query: asked of the index when rating is unsure
    unsure = [i for i in titled if rated[i].matches is None]
    matching = {i for i in titled if rated[i].matches} | (
        _matching(conn, plan, unsure) if unsure else set()
    )
    if len(titled) >= needed:
        ranked = _ordered(conn, set(), [i for i in titled if i in matching], rated)
        full = len(plan.query.positive())
        if sum(1 for r in ranked[:needed] if rated[r[0]].in_title == full) >= needed:
            return ranked
    window = _newest(conn, plan, where, params, word_ids)
    unrated = [i for i in window if i not in rated]
    rated.update(ranking.rate(conn, plan.query, unrated, weights, stats))
    titled = [i for i in titled if i not in window and i in matching]
    return _ordered(conn, window, titled, rated)


def _ordered(
    conn: sqlite3.Connection,
    window: set[int],
    titled: list[int],
    rated: dict[int, ranking.Rating],
) -> list[Ranked]:
    """``window`` (word matches) and ``titled`` (title matches of the whole query), best
    first by their ``rated``."""
    keep = [*window, *titled]
    if not keep:
        return []
    marks = ",".join(str(i) for i in keep)
    rows = conn.execute(
        f"SELECT id, coalesce(published, ''), url FROM articles WHERE id IN ({marks})"
    ).fetchall()
    rows.sort(key=lambda r: (rated[r[0]].in_title, rated[r[0]].score, r[1], r[2]), reverse=True)
    return [(r[0], "word" if r[0] in window else "title", rated[r[0]].score) for r in rows]


def _newest(
    conn: sqlite3.Connection,
    plan: Plan,
    where: str,
    params: list[Any],
    word_ids: list[int] | None,
) -> set[int]:
    """The ``RANK_CANDIDATES`` newest word matches by publication date, those of the last
    date among them (undated last) chosen by URL: which ones is a matter of content, not of
    rowids. ``word_ids``: every word match, or None when there are ``COUNT_CAP`` or more
    (then they are read a year or a month at a time, newest first)."""
    want = limits.RANK_CANDIDATES
    if word_ids is not None and len(word_ids) <= want:
        return set(word_ids)
    rows = _dated(conn, word_ids) if word_ids is not None else _recent(conn, plan)
    if rows is None:  # dates the facet tokens do not cover
        got, _ = page_ids_by_date(conn, plan.words_only(), where, params, 0, want)
        return {r[0] for r in got}
    rows.sort(key=lambda r: r[1], reverse=True)
    last = rows[want - 1][1] if len(rows) >= want else None
    ids = {i for i, d in rows if last is None or d > last}
    tied = [i for i, d in rows if d == last]
    if len(ids) < want and tied:
        marks = ",".join(str(i) for i in tied)
        sql = f"SELECT id FROM articles WHERE id IN ({marks}) ORDER BY url DESC LIMIT ?"
        ids.update(r[0] for r in conn.execute(sql, (want - len(ids),)))
    return ids


def _dated(conn: sqlite3.Connection, ids: Iterable[int]) -> list[tuple[int, str]]:
    """(id, publication date or "") of ``ids``, from the small covering index."""
    marks = ",".join(str(i) for i in ids)
    sql = (
        "SELECT id, coalesce(published, '') FROM articles INDEXED BY articles_search_filter "
        f"WHERE id IN ({marks})"
    )
    return conn.execute(sql).fetchall()


def _recent(conn: sqlite3.Connection, plan: Plan) -> list[tuple[int, str]] | None:
    """(id, date) of at least ``RANK_CANDIDATES`` word matches, every one from a date on, read
    through the year and month facet tokens newest first (None: no such dates to walk)."""
    first, last = plan.span(conn)
    if not (first and last and ISO_MONTH.match(first) and ISO_MONTH.match(last)):
        return None
    if int(last[:4]) - int(first[:4]) > limits.MAX_YEARS:
        return None
    words, want = plan.words_only(), limits.RANK_CANDIDATES
    rows: list[tuple[int, str]] = []
    newest = int(last[:4])
    for year in range(newest, int(first[:4]) - 1, -1):
        expr = f"{plan.word} AND {facet_any([year_token(year)])}"
        # the last year month by month at once (a word in COUNT_CAP articles or more is
        # likely in its last months); an older year as a whole if it has few matches
        limited = _limited(words.ids(expr=expr), 4 * want + 1)
        found = [r[0] for r in conn.execute(*limited)] if year < newest else []
        if year < newest and len(found) <= 4 * want:  # a year's few: all of them
            rows += _dated(conn, found)
        else:
            for month in plan.months(first, last, year):
                expr = f"{plan.word} AND {facet_any([month_token(year, month)])}"
                matches = {r[0] for r in conn.execute(*words.ids(expr=expr))}
                rows += _month(conn, matches, year, month, want - len(rows))
                if len(rows) >= want:
                    return rows
        if len(rows) >= want:
            return rows
    return None  # mostly undated: the date order's own walk has them


def _limited(query: tuple[str, list[Any]], n: int) -> tuple[str, list[Any]]:
    return f"{query[0]} LIMIT ?", [*query[1], n]


def _month(
    conn: sqlite3.Connection, ids: set[int], year: int, month: int, want: int
) -> list[tuple[int, str]]:
    """(id, date) of the word matches ``ids`` of a month: all of them (up to ``YEAR_ROWS``: a
    lookup each in the small covering index, 1-2 ms for 1,000), or when they are more, the
    ``want`` newest and every other one of the last date among them, walking down the date
    index (a word in most articles costs the month's last days, not the whole month; a word
    in 2% of them cost a walk over 2,600 of a 1M archive's 12,000 articles of the month)."""
    if len(ids) <= limits.YEAR_ROWS:
        return _dated(conn, ids)
    start = f"{year:04d}-{month:02d}"
    sql = (
        "SELECT id, published FROM articles INDEXED BY articles_published "
        "WHERE published >= ? AND published < ? ORDER BY published DESC"
    )
    out: list[tuple[int, str]] = []
    for rowid, published in conn.execute(sql, (start, f"{start}\uffff")):
        if len(out) >= want and published < out[want - 1][1]:
            break
        if rowid in ids:
            out.append((rowid, published))
    return out


def _title_forms(term: q.Term) -> list[str] | None:
    """A term and its OR alternatives as the title table looks them up (None: one has fewer
    than 3 characters, no trigram)."""
    texts = [t.text for t in [term, *term.alternatives]]
    if any(len(t) < q.MIN_SUBSTRING_CHARS for t in texts):
        return None
    return [v for t in texts for v in q.digit_variants(t)]


def _title_matches(conn: sqlite3.Connection, query: q.Query) -> list[int]:
    """Articles whose title holds every term of the query (of 3+ characters: a shorter one
    has no trigram), from ``articles_title``, if they are at most ``TITLE_CAP``."""
    groups = [g for g in map(_title_forms, query.positive()) if g]
    if not groups:
        return []
    expr = " AND ".join(
        "(" + " OR ".join('"' + f.replace('"', '""') + '"' for f in g) + ")" for g in groups
    )
    sql = "SELECT rowid FROM articles_title WHERE articles_title MATCH ? LIMIT ?"
    ids = [r[0] for r in conn.execute(sql, (expr, limits.TITLE_CAP + 1))]
    return ids if len(ids) <= limits.TITLE_CAP else []


def _passing(
    conn: sqlite3.Connection, plan: Plan, where: str, params: list[Any], ids: list[int]
) -> list[int]:
    """Those of ``ids`` that pass the filters and hold none of the negated terms."""
    negated = q.negated_words(plan.query)
    if not ids or (where == "1" and not plan.neg_params and not negated):
        return ids
    marks = ",".join(str(i) for i in ids)
    sql = (
        f"SELECT a.id FROM articles a WHERE a.id IN ({marks}) AND {where} {plan.neg_sql}"
        + "".join(
            " AND NOT EXISTS (SELECT 1 FROM articles_fts w WHERE articles_fts MATCH ? "
            "AND w.rowid = a.id)"
            for _ in negated
        )
    )
    kept = {r[0] for r in conn.execute(sql, [*params, *plan.neg_params, *negated])}
    return [i for i in ids if i in kept]


def _matching(conn: sqlite3.Connection, plan: Plan, ids: list[int]) -> set[int]:
    """Those of ``ids`` that match the query, asking the index (a few rows: it looks each up)."""
    marks = ",".join(str(i) for i in ids)
    found = {r[0] for r in conn.execute(*plan.ids(f"AND f.rowid IN ({marks})"))}
    rest = [i for i in ids if i not in found]
    if rest and plan.b_sql is not None:
        tail = f"AND t.rowid IN ({','.join(str(i) for i in rest)})"
        found |= {r[0] for r in conn.execute(*plan.b("t.rowid", tail))}
    return found
