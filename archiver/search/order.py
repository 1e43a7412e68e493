"""What both orders share: substring-only matches newest row first, rows newest first by
date, bounded counts and the total, exact or a lower bound (``Total``). The ranked order
itself is ``archiver.search.tiers``."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from archiver.search import limits
from archiver.search.plan import Plan


def add_substring_rows(conn: sqlite3.Connection, rows: dict[int, tuple], ids: list[int]) -> None:
    marks = ",".join("?" * len(ids))
    sql = f"SELECT id, published FROM articles WHERE id IN ({marks})"
    for i, published in conn.execute(sql, ids):
        rows.setdefault(i, (i, "substring", published))


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
