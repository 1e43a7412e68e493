"""Prototype of issue 15's ranking, on an index built by ``build.py`` (bench code only, until
the search package lands): title tiers, bm25 within each, dates and URLs break ties.

    ensure_titles(conn)          # articles_title: FTS5 trigram over the titles alone
    search(conn, "ธุรกิจ การผลิต")

Candidates: every article whose title holds one of the query's terms (as a substring, from
``articles_title``; up to ``TITLE_CAP`` per term, else that term is too common in titles to
say anything), and the ``WINDOW`` newest word matches by publication date (all of the last
day's). Each candidate: how many terms its title holds, bm25 over title and text. Order: more
terms in the title first, then bm25, then the newer date, then the URL. Nothing depends on
rowids.
"""

from __future__ import annotations

import copy
import sqlite3
import sys
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from archiver import query as q  # noqa: E402
from archiver import ranking  # noqa: E402
from archiver import search as s  # noqa: E402
from archiver.thai import normalize_digits, segment  # noqa: E402

TITLE_CAP = 200
WINDOW = 100
TITLE_SCHEMA = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS articles_title USING fts5(title, content='', "
    "tokenize='trigram')"
)


def ensure_titles(conn: sqlite3.Connection) -> None:
    conn.execute(TITLE_SCHEMA)
    have = conn.execute("SELECT 1 FROM articles_title_docsize LIMIT 1").fetchone()
    if have is None:
        with conn:
            conn.execute(
                "INSERT INTO articles_title (rowid, title) SELECT id, coalesce(title, '') "
                "FROM articles"
            )


def _fold(text: str) -> str:
    return normalize_digits(unicodedata.normalize("NFC", text).lower())


def _groups(query: q.Query) -> list[list[str]]:
    """Per positive term, its written forms (and its OR alternatives'), folded."""
    return [[_fold(t.text) for t in [term, *term.alternatives]] for term in query.positive()]


def _title_expr(group: list[str]) -> str | None:
    if any(len(f) < 3 for f in group):
        return None
    forms = [v for f in group for v in q.digit_variants(f)]
    return "(" + " OR ".join(q._literal(f) for f in forms) + ")"


def _title_ids(conn: sqlite3.Connection, groups: list[list[str]]) -> list[int] | None:
    """Articles whose title holds every group (a form of each); None: too many (or a form
    too short to look up)."""
    exprs = [_title_expr(g) for g in groups]
    if not exprs or None in exprs:
        return None
    sql = "SELECT rowid FROM articles_title WHERE articles_title MATCH ? LIMIT ?"
    ids = [r[0] for r in conn.execute(sql, (" AND ".join(exprs), TITLE_CAP + 1))]  # type: ignore[arg-type]
    return ids if len(ids) <= TITLE_CAP else None


def _in_title(title: str, group: list[str]) -> bool:
    return any(form in title for form in group)


def _checked(conn: sqlite3.Connection, plan: s._Plan, ids: list[int]) -> set[int]:
    """Which of ``ids`` match the whole query, by the index (the few a text check missed)."""
    if not ids:
        return set()
    marks = ",".join(str(int(i)) for i in ids)
    found = {r[0] for r in conn.execute(*plan.a("a.id", f"AND a.id IN ({marks})"))}
    rest = [i for i in ids if i not in found]
    if rest and plan.b_sql is not None:
        sql, params = plan.b("t.rowid", f"AND t.rowid IN ({','.join(map(str, rest))})")
        found |= {r[0] for r in conn.execute(sql, params)}
    return found


def _window(conn: sqlite3.Connection, plan: s._Plan, where: str, params: list[Any]) -> list[int]:
    """The ``WINDOW`` newest matches by date, and every other match of the last date in it."""
    words_only = copy.copy(plan)
    words_only.b_sql = None  # no substring-only matches (their search spends a time budget)
    ids, _ = s._page_ids_by_date(conn, words_only, where, params, 0, WINDOW)
    out = [i for i, _, _ in ids]
    if len(out) < WINDOW:
        return out
    last = conn.execute("SELECT published FROM articles WHERE id = ?", (out[-1],)).fetchone()[0]
    if last and s._MONTH.match(last):
        month = s._facet_any([s._month(int(last[:4]), int(last[5:7]))])
        sql, args = plan.a("a.id", "AND a.published = ?", expr=f"{plan.word} AND {month}")
        out += [r[0] for r in conn.execute(sql, [*args, last]) if r[0] not in out]
    return out


def _filtered(
    conn: sqlite3.Connection, plan: s._Plan, where: str, params: list[Any], ids: list[int]
) -> set[int]:
    """Which of ``ids`` pass the filters and the negated terms."""
    if where == "1" and not plan.neg_params and not q.negated_words(plan.query):
        return set(ids)
    marks = ",".join(str(int(i)) for i in ids)
    negs = q.negated_words(plan.query)
    sql = (
        f"SELECT a.id FROM articles a WHERE a.id IN ({marks}) AND {where} {plan.neg_sql}"
        + "".join(
            " AND NOT EXISTS (SELECT 1 FROM articles_fts w WHERE articles_fts MATCH ? "
            "AND w.rowid = a.id)"
            for _ in negs
        )
    )
    return {r[0] for r in conn.execute(sql, [*params, *plan.neg_params, *negs])}


def _details(
    conn: sqlite3.Connection, query: q.Query, ids: list[int], stats: ranking.Corpus
) -> dict[int, tuple[int, float, bool | None, str, str]]:
    """Per article: (terms in its title, bm25, whether it matches: True, False or None for
    unsure, published, url). bm25 as ``archiver.ranking.scores``. A term not found in the
    title or the text as read is missing for sure only when the whole text was read and the
    term is one word as typed (a phrase of several words also matches across a space)."""
    groups = ranking.phrases(query)
    folded_groups = _groups(query)
    terms = [t for g in groups for t in g]
    idfs = (
        [1.0]
        if len(terms) == 1
        else [ranking.idf(stats.rows, stats.doc_frequency(conn, t.match)) for t in terms]
    )
    plain = [all(segment(t.forms[0]) == [t.forms[0].lower()] for t in g) for g in groups]
    marks = ",".join(str(int(i)) for i in ids)
    sql = (
        "SELECT a.id, coalesce(a.title, ''), d.sz, a.published, a.url FROM articles a "
        f"LEFT JOIN articles_fts_docsize d ON d.id = a.id WHERE a.id IN ({marks})"
    )
    weights = (s.TITLE_WEIGHT, s.TEXT_WEIGHT)
    out = {}
    for rowid, title, size, published, url in conn.execute(sql).fetchall():
        length = sum(ranking.varints(size or b""))
        norm = ranking.K1 * (1 - ranking.B + ranking.B * length / stats.avg_len)
        data, scale = ranking.text_prefix(conn, rowid)
        text = data.decode("utf-8", "ignore")
        lowered = (title.lower(), text.lower()) if any(t.folded for t in terms) else None
        folded = _fold(title)
        tier = sum(_in_title(folded, g) for g in folded_groups)
        score, n, matches = 0.0, 0, True
        for k, group in enumerate(groups):
            found = []
            for term in group:
                in_title, in_text = lowered if (term.folded and lowered) else (title, text)
                tf_text = ranking._count(in_text, term) * scale
                found.append(weights[0] * ranking._count(in_title, term) + weights[1] * tf_text)
            if not any(found):
                sure = plain[k] and scale <= 1.0
                matches = False if sure else (None if matches else matches)
                found[0] = weights[1]
            for w in found:
                score += idfs[n] * (w * (ranking.K1 + 1)) / (w + norm)
                n += 1
        out[rowid] = (tier, score, matches, published or "", url)
    return out


def ranked(
    conn: sqlite3.Connection, plan: s._Plan, where: str, params: list[Any]
) -> list[tuple[int, int, float]]:
    """(id, terms in title, bm25) of the candidates, best first."""
    groups = _groups(plan.query)
    title_sets = [_title_ids(conn, groups)]
    if len(groups) > 1:
        title_sets += [_title_ids(conn, [g]) for g in groups]
    titled = list(dict.fromkeys(i for ids in title_sets if ids for i in ids))
    window = _window(conn, plan, where, params)
    if titled:
        titled = [i for i in titled if i in _filtered(conn, plan, where, params, titled)]
    ids = list(dict.fromkeys(titled + window))
    if not ids:
        return []
    stats = ranking.corpus(conn)
    details = _details(conn, plan.query, ids, stats)
    in_window = set(window)
    unsure = [i for i in titled if i not in in_window and details[i][2] is None]
    found = _checked(conn, plan, unsure) if unsure else set()
    rows = [
        (i, *d)
        for i, d in details.items()
        if i in in_window or d[2] is True or (d[2] is None and i in found)
    ]
    rows.sort(key=lambda r: (r[1], r[2], r[4], r[5]), reverse=True)
    return [(r[0], r[1], r[2]) for r in rows]


def search(conn: sqlite3.Connection, text: str, limit: int = 10) -> list[tuple[str, int, float]]:
    """(url, terms in title, score) of the first ``limit`` hits (candidates only)."""
    query = q.parse(text)
    where, params = s.filters(query.site)
    plan = s._Plan(query, where, params, s.facet_match(conn, query.site), query.site)
    top = ranked(conn, plan, where, params)[:limit]
    urls = dict(
        conn.execute(
            f"SELECT id, url FROM articles WHERE id IN ({','.join(str(r[0]) for r in top)})"
        ).fetchall()
    )
    return [(urls[r[0]], r[1], r[2]) for r in top]
