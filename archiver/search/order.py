"""The order of hits: word matches ranked (bm25 over the best candidates), then the rest, then
substring-only matches; and the total, exact or a lower bound (``Total``)."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from archiver.index.fulltext import FACET_WEIGHT, TEXT_WEIGHT, TITLE_WEIGHT
from archiver.search import limits, ranking
from archiver.search.plan import Plan


def add_substring_rows(conn: sqlite3.Connection, rows: dict[int, tuple], ids: list[int]) -> None:
    marks = ",".join("?" * len(ids))
    sql = f"SELECT id, published FROM articles WHERE id IN ({marks})"
    for i, published in conn.execute(sql, ids):
        rows.setdefault(i, (i, "substring", published))


def page_ids(
    conn: sqlite3.Connection, plan: Plan, offset: int, limit: int
) -> tuple[list[tuple[int, str, float]], Total]:
    """(id, how, score) of the hits at [offset, offset + limit), and the total count."""
    ranked, complete = _ranked_word_hits(conn, plan)
    page = [(r[0], "word", float(r[1])) for r in ranked[offset : offset + limit]]
    if complete:
        count_a = Total.of(len(ranked), False)
        a_ids = {r[0] for r in ranked}
    else:
        sql, params = plan.ids("LIMIT ?")  # the count and the ids in one pass
        a_list = [r[0] for r in conn.execute(sql, [*params, limits.COUNT_CAP])]
        count_a = Total.of(len(a_list), len(a_list) >= limits.COUNT_CAP)
        a_ids = set() if count_a.at_least else set(a_list)
    if len(page) < limit and not complete:
        floor = min(r[0] for r in ranked[: limits.RANK_CANDIDATES])
        seen = ",".join(str(r[0]) for r in ranked)
        sql, params = plan.a(
            "f.rowid",
            f"AND f.rowid < {floor} AND f.rowid NOT IN ({seen}) ORDER BY f.rowid DESC "
            "LIMIT ? OFFSET ?",
        )
        skip = max(0, offset - len(ranked))
        rows = conn.execute(sql, [*params, limit - len(page), skip]).fetchall()
        page += [(r[0], "word", 0.0) for r in rows]
    if plan.b_sql is None or count_a.at_least:
        return page, count_a  # with this many word matches, substring-only ones are not listed
    if len(page) >= limit:  # the page is all word matches: substring-only ones not counted
        return page, Total.of(count_a, True)
    skip = max(0, offset - count_a)
    more, count_b = substring_only(
        conn, plan, a_ids, skip, limit - len(page), limits.COUNT_CAP - count_a
    )
    page += [(i, "substring", 0.0) for i in more]
    return page, Total.of(count_a + count_b, count_b.at_least)


def substring_only(
    conn: sqlite3.Connection,
    plan: Plan,
    exclude: set[int],
    skip: int,
    want: int,
    cap: int,
    strict: bool = False,
    newer_than: str | None = None,
) -> tuple[list[int], Total]:
    """Substring matches not in ``exclude``, newest row first: the ``want`` after ``skip`` of
    them, and their count (up to ``cap``, or as far as ``COUNT_BUDGET_S`` allows; ``strict``:
    the budget holds even before ``want`` are found)."""
    deadline = time.perf_counter() + limits.COUNT_BUDGET_S
    page: list[int] = []
    n = 0

    def full() -> bool:
        return strict or len(page) >= want

    def late() -> int:  # a step can read many candidates: stop it once the page is full
        return int(full() and time.perf_counter() > deadline)

    conn.set_progress_handler(late, 100)  # one step can check a long article: look often
    try:
        sql, params = plan.b("t.rowid", "ORDER BY t.rowid DESC", exclude, newer_than)
        for (rowid,) in conn.execute(sql, params):
            if skip <= n < skip + want:
                page.append(rowid)
            n += 1
            if n >= cap or (full() and time.perf_counter() > deadline):
                return page, Total.of(n, True)
    except sqlite3.OperationalError as exc:
        if "interrupt" not in str(exc):
            raise
        return page, Total.of(n, True)
    finally:
        conn.set_progress_handler(None, 0)
    return page, Total.of(n, False)


def newest_first(rows: list[Any], date: int) -> list[Any]:
    """Rows by their ISO date at index ``date`` (undated last), then by id, newest first."""
    rows.sort(key=lambda r: (r[date] is not None, r[date] or "", r[0]), reverse=True)
    undated = [r for r in rows if r[date] is None]
    return [r for r in rows if r[date] is not None] + undated


def _ranked_word_hits(conn: sqlite3.Connection, plan: Plan) -> tuple[list[tuple], bool]:
    """bm25-ranked (id, score, published) of the candidate word matches (a higher score
    first); whether they are all the word matches. FTS5's ``bm25()``, or for a phrase of
    several words ``archiver.search.ranking`` (the same formula without the scan of every match)."""
    stats = ranking.corpus(conn)
    own = ranking.needed(conn, plan.query, stats, filtered=plan.facet is not None)
    weights = f"{TITLE_WEIGHT}, {TEXT_WEIGHT}, {FACET_WEIGHT}"
    select = f"f.rowid, {'0' if own else f'-bm25(articles_fts, {weights})'}, a.published"
    sql, params = plan.a(select, "ORDER BY f.rowid DESC LIMIT ?")
    rows = conn.execute(sql, [*params, limits.RANK_CANDIDATES]).fetchall()
    complete = len(rows) < limits.RANK_CANDIDATES
    rows = list({r[0]: r for r in rows}.values())
    if own:
        ids = [r[0] for r in rows]
        score = ranking.scores(conn, plan.query, ids, (TITLE_WEIGHT, TEXT_WEIGHT), stats)
        rows = [(r[0], score.get(r[0], 0.0), r[2]) for r in rows]
    ranked = newest_first(rows, 2)
    ranked.sort(key=lambda r: -r[1])  # stable: the newer first among equal scores
    return ranked, complete


def bounded_count(conn: sqlite3.Connection, sql: str, params: list[Any], cap: int) -> Total:
    """Count rows of ``sql`` up to ``cap``."""
    n = conn.execute(f"SELECT count(*) FROM ({sql} LIMIT ?)", [*params, cap]).fetchone()[0]
    return Total.of(n, n >= cap)


class Total(int):
    """A hit count; ``at_least`` when counting stopped early (more hits than counted)."""

    at_least: bool = False

    @classmethod
    def of(cls, n: int, at_least: bool) -> Total:
        total = cls(n)
        total.at_least = at_least
        return total
