"""Full-text search over the index: the FTS5 tables, keeping them in step, ranked queries.

Thai is written without spaces, so the text is segmented into words in Python
(``archiver.thai``) and the words go into ``articles_fts``, whose unicode61 tokenizer keeps Thai
vowel and tone marks inside words. It is contentless (the words are indexed, not stored: the
text lives once, in ``articles``). ``articles_tri`` (trigrams, ``detail=none``, over the view
``articles_tri_src``: title and text with Thai digits made ASCII) finds what segmentation misses
(``อยุธยา`` inside ``พระนครศรีอยุธยา``) through ``LIKE``, which SQLite re-checks against the
text, so a substring hit always contains the query. Both are plain FTS5 tables that sqlite3,
sqlite-utils and Datasette read.

Ranking at a million articles (FACTS.md: bm25 over every match takes seconds): word matches
come first, ranked by bm25 (title weighted above text, then the newer date) over a bounded set
of candidates, namely the ``RANK_CANDIDATES`` newest rows (by rowid) matching anywhere plus
as many matching in the title; word matches beyond those follow newest row first; then the
substring-only matches, newest row first. Total counts are exact up to ``COUNT_CAP``.
"""

from __future__ import annotations

import re
import sqlite3
import sys
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from multiprocessing.pool import Pool
from typing import Any

import nlpo3

from archiver import query as q
from archiver import thai

#: Version of the tables below (``meta.search_schema``); 2: contentless word table, trigram
#: table with ``detail=none`` over ``articles_tri_src``.
SEARCH_SCHEMA = 2
#: Keeps Thai combining vowels and tone marks (category M) inside tokens (FACTS.md).
WORD_TOKENIZER = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
#: bm25 weights of (title, text): a word in the headline says more than one in the body.
TITLE_WEIGHT, TEXT_WEIGHT = 5.0, 1.0
#: Word matches scored with bm25 (newest rows first, and again as many title matches).
RANK_CANDIDATES = 300
#: Counts are exact below this; above it the CLI says "more than".
COUNT_CAP = 1000
#: Counting substring-only matches stops after this long (then the count is a lower bound).
COUNT_BUDGET_S = 0.02
#: Thai digits to ASCII in SQL (the same mapping as ``thai.normalize_digits``).
_THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"


def _ascii_digits_sql(expr: str) -> str:
    for n, digit in enumerate(_THAI_DIGITS):
        expr = f"replace({expr}, '{digit}', '{n}')"
    return expr


_BODY_SQL = _ascii_digits_sql("coalesce(title, '') || char(10) || text")
#: The same body computed from an ``articles a`` row (to re-check a pattern on one row).
_BODY_A = _ascii_digits_sql("coalesce(a.title, '') || char(10) || a.text")

_SCHEMA = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(title, text, content='',
    tokenize="{WORD_TOKENIZER}");
CREATE VIEW IF NOT EXISTS articles_tri_src AS SELECT id, {_BODY_SQL} AS body FROM articles;
CREATE VIRTUAL TABLE IF NOT EXISTS articles_tri USING fts5(body, content='articles_tri_src',
    content_rowid='id', tokenize='trigram', detail='none');
"""


@dataclass
class Hit:
    url: str
    title: str | None
    published: str | None
    site: str
    snippet: str
    score: float
    match: str  # "word" (segmented index) or "substring" (trigram index)


class Total(int):
    """A hit count; ``at_least`` when counting stopped early (more hits than counted)."""

    at_least: bool = False

    @classmethod
    def of(cls, n: int, at_least: bool) -> Total:
        total = cls(n)
        total.at_least = at_least
        return total


@dataclass
class Prepared:
    """What the two tables get for one article: segmented title and text, the trigram body."""

    title_words: str
    text_words: str
    body: str


def prepare(title: str | None, text: str) -> Prepared:
    """Segment an article for the index (the slow part: run it in worker processes at scale)."""
    return Prepared(
        index_words(title or ""),
        index_words(text),
        _ascii_digits(f"{title or ''}\n{text}"),
    )


def _ascii_digits(s: str) -> str:
    """``thai.normalize_digits``, faster on long text (ten C passes beat ``str.translate``)."""
    for n, digit in enumerate(_THAI_DIGITS):
        if digit in s:
            s = s.replace(digit, str(n))
    return s


@lru_cache(maxsize=1)
def _word_run() -> re.Pattern[str]:
    """Runs of the characters FTS5 ``unicode61 categories 'L* N* Co M*'`` keeps in a token."""
    extra = "".join(
        re.escape(chr(c))
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c))[0] == "M" or unicodedata.category(chr(c)) == "Co"
    )
    return re.compile(f"(?:[^\\W_]|[{extra}])+")


def index_words(text: str) -> str:
    """``thai.index_text(text)``, the same tokens, with its per-token Python work done by one
    regular expression over the whole text (``tests/test_search.py`` holds them equal).

    Indexing spends most of its time here: ``thai.segment`` costs about three times nlpo3's
    own time, this about 1.3 times."""
    thai._ensure_dict()
    pieces = []
    for line in _ascii_digits(text).splitlines():
        for piece in thai._pieces(line.strip()):
            if piece:
                safe = len(piece) > thai.SAFE_SEGMENT_CHARS
                pieces.append("\x00".join(nlpo3.segment(piece, thai._DICT_NAME, safe=safe)))
    return " ".join(_word_run().findall("\x00".join(pieces).lower()))


def prepare_pair(pair: tuple[str | None, str]) -> Prepared:
    return prepare(*pair)


def prepare_many(pairs: Sequence[tuple[str | None, str]], pool: Pool | None) -> list[Prepared]:
    """``prepare`` for many articles, in ``pool``'s worker processes when given."""
    if pool is None or len(pairs) < 2:
        return [prepare(*p) for p in pairs]
    return pool.map(prepare_pair, pairs, chunksize=max(1, len(pairs) // 16))


def create(conn: sqlite3.Connection) -> None:
    conn.executescript(_SCHEMA)


def clear(conn: sqlite3.Connection) -> None:
    """Drop and recreate the search tables (``reindex``; also moves an old schema to this one)."""
    conn.execute("DROP TABLE IF EXISTS articles_fts")
    conn.execute("DROP TABLE IF EXISTS articles_tri")
    conn.execute("DROP VIEW IF EXISTS articles_tri_src")
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def add(conn: sqlite3.Connection, rowid: int, prepared: Prepared) -> None:
    """Index an article row (inside the caller's transaction)."""
    conn.execute(
        "INSERT INTO articles_fts (rowid, title, text) VALUES (?, ?, ?)",
        (rowid, prepared.title_words, prepared.text_words),
    )
    conn.execute("INSERT INTO articles_tri (rowid, body) VALUES (?, ?)", (rowid, prepared.body))


def remove(conn: sqlite3.Connection, rowid: int, title: str | None, text: str) -> None:
    """Take an article row out, given the title and text it was indexed with."""
    old = prepare(title, text)
    conn.execute(
        "INSERT INTO articles_fts (articles_fts, rowid, title, text) VALUES ('delete', ?, ?, ?)",
        (rowid, old.title_words, old.text_words),
    )
    conn.execute(
        "INSERT INTO articles_tri (articles_tri, rowid, body) VALUES ('delete', ?, ?)",
        (rowid, old.body),
    )


# -- queries ---------------------------------------------------------------------------------
class _Plan:
    """The SQL of one query: word matches (tier A) and substring-only matches (tier B)."""

    def __init__(self, query: q.Query, where: str, params: list[Any]) -> None:
        self.query = query
        self.word = q.word_match(query)
        self.title_word = q.word_match(query, column="title")
        neg_params = q.negated_patterns(query)
        neg_sql = " ".join(f"AND NOT ({_BODY_A} LIKE ?)" for _ in neg_params)
        self.neg_sql, self.neg_params = neg_sql, neg_params
        self.a_sql = (
            f"FROM articles_fts f JOIN articles a ON a.id = f.rowid "
            f"WHERE articles_fts MATCH ? AND {where} {neg_sql}"
        )
        self.a_params = [*params, *neg_params]
        self.b_sql: str | None = None
        self.b_params: list[Any] = []
        groups = q.substring_patterns(query)
        if groups is None:
            return
        likes, like_params = [], []
        for group in groups:
            if len(group) == 1:
                likes.append("t.body LIKE ?")
            else:  # OR: each side is its own indexed lookup
                lookup = "SELECT rowid FROM articles_tri WHERE body LIKE ?"
                likes.append("t.rowid IN (" + " UNION ".join([lookup] * len(group)) + ")")
            like_params.extend(group)
        word_negs = q.negated_words(query)
        self.b_sql = (
            "FROM articles_tri t JOIN articles a ON a.id = t.rowid WHERE "
            + " AND ".join(likes)
            + f" AND {where} {neg_sql} AND NOT EXISTS (SELECT 1 FROM articles_fts w "
            "WHERE articles_fts MATCH ? AND w.rowid = t.rowid)"
            + "".join(
                " AND NOT EXISTS (SELECT 1 FROM articles_fts w WHERE articles_fts MATCH ? "
                "AND w.rowid = t.rowid)"
                for _ in word_negs
            )
        )
        self.b_params = [*like_params, *params, *neg_params, self.word, *word_negs]

    def a(self, select: str, tail: str = "", expr: str | None = None) -> tuple[str, list[Any]]:
        return f"SELECT {select} {self.a_sql} {tail}", [expr or self.word, *self.a_params]

    def b(self, select: str, tail: str = "") -> tuple[str, list[Any]]:
        assert self.b_sql is not None
        return f"SELECT {select} {self.b_sql} {tail}", list(self.b_params)


def _bounded_count(conn: sqlite3.Connection, sql: str, params: list[Any], cap: int) -> Total:
    """Count rows of ``sql`` up to ``cap`` within ``COUNT_BUDGET_S``."""
    deadline = time.perf_counter() + COUNT_BUDGET_S
    conn.set_progress_handler(lambda: int(time.perf_counter() > deadline), 1000)
    n = 0
    try:
        for _ in conn.execute(f"{sql} LIMIT ?", [*params, cap]):
            n += 1
    except sqlite3.OperationalError as exc:
        if "interrupt" not in str(exc):
            raise
        return Total.of(n, True)
    finally:
        conn.set_progress_handler(None, 0)
    return Total.of(n, n >= cap)


def _ranked_word_hits(conn: sqlite3.Connection, plan: _Plan) -> tuple[list[tuple], bool]:
    """bm25-ranked (id, score) of the candidate word matches; whether they are all of them."""
    select = f"f.rowid, bm25(articles_fts, {TITLE_WEIGHT}, {TEXT_WEIGHT}), a.published"
    sql, params = plan.a(select, "ORDER BY f.rowid DESC LIMIT ?")
    rows = conn.execute(sql, [*params, RANK_CANDIDATES]).fetchall()
    complete = len(rows) < RANK_CANDIDATES
    if not complete:
        sql, params = plan.a(select, "ORDER BY f.rowid DESC LIMIT ?", plan.title_word)
        rows += conn.execute(sql, [*params, RANK_CANDIDATES]).fetchall()
    best = {r[0]: r for r in rows}
    ranked = sorted(best.values(), key=lambda r: (r[1], _neg_date(r[2]), -r[0]))
    return ranked, complete


def _neg_date(published: str | None) -> str:
    """Sort key for "newer first" on an ISO date in an ascending sort."""
    if not published:
        return "~"
    return "".join(chr(0x7E - (ord(c) - 0x2D)) if c.isdigit() else c for c in published)


def _page_ids(
    conn: sqlite3.Connection, plan: _Plan, offset: int, limit: int
) -> tuple[list[tuple[int, str, float]], Total]:
    """(id, how, score) of the hits at [offset, offset + limit), and the total count."""
    ranked, complete = _ranked_word_hits(conn, plan)
    page = [(r[0], "word", -float(r[1])) for r in ranked[offset : offset + limit]]
    if complete:
        count_a = Total.of(len(ranked), False)
    else:
        count_a = _bounded_count(conn, *plan.a("1"), COUNT_CAP)
    if len(page) < limit and not complete:
        floor = min(r[0] for r in ranked[:RANK_CANDIDATES] if r is not None)
        seen = ",".join(str(r[0]) for r in ranked)
        sql, params = plan.a(
            "f.rowid",
            f"AND f.rowid < {floor} AND f.rowid NOT IN ({seen}) ORDER BY f.rowid DESC "
            "LIMIT ? OFFSET ?",
        )
        skip = max(0, offset - len(ranked))
        rows = conn.execute(sql, [*params, limit - len(page), skip]).fetchall()
        page += [(r[0], "word", 0.0) for r in rows]
    total = count_a
    if plan.b_sql is not None and not count_a.at_least:
        room = COUNT_CAP - count_a
        count_b = _bounded_count(conn, *plan.b("t.rowid"), room) if room > 0 else Total.of(0, True)
        total = Total.of(count_a + count_b, count_b.at_least)
        if len(page) < limit:
            skip = max(0, offset - count_a)
            sql, params = plan.b("t.rowid", "ORDER BY t.rowid DESC LIMIT ? OFFSET ?")
            rows = conn.execute(sql, [*params, limit - len(page), skip]).fetchall()
            page += [(r[0], "substring", 0.0) for r in rows]
    return page, total


def _page_ids_by_date(
    conn: sqlite3.Connection, plan: _Plan, where: str, params: list[Any], offset: int, limit: int
) -> tuple[list[tuple[int, str, float]], Total]:
    """Newest first: every match sorted when there are few, else a walk down the date index."""
    count_a = _bounded_count(conn, *plan.a("1"), COUNT_CAP)
    count_b = Total.of(0, False)
    if plan.b_sql is not None and not count_a.at_least:
        count_b = _bounded_count(conn, *plan.b("1"), COUNT_CAP - count_a)
    total = Total.of(count_a + count_b, count_a.at_least or count_b.at_least)
    if not total.at_least:
        rows = conn.execute(*plan.a("a.id, 'word', a.published")).fetchall()
        if plan.b_sql is not None:
            rows += conn.execute(*plan.b("a.id, 'substring', a.published")).fetchall()
        rows.sort(key=lambda r: (_neg_date(r[2]), -r[0]))
        return [(r[0], r[1], 0.0) for r in rows[offset : offset + limit]], total
    # Many matches: they are dense, so walking the date index finds a page soon.
    conditions = [
        "EXISTS (SELECT 1 FROM articles_fts f WHERE articles_fts MATCH ? AND f.rowid = a.id)"
    ]
    args: list[Any] = [plan.word]
    groups = q.substring_patterns(plan.query)
    if groups is not None:
        conditions.append(
            "("
            + " AND ".join("(" + " OR ".join([f"{_BODY_A} LIKE ?"] * len(g)) + ")" for g in groups)
            + ")"
        )
        args.extend(p for g in groups for p in g)
    sql = (
        f"SELECT a.id FROM articles a WHERE {where} AND ({' OR '.join(conditions)}) "
        f"{plan.neg_sql} ORDER BY a.published IS NULL, a.published DESC, a.id DESC "
        "LIMIT ? OFFSET ?"
    )
    rows = conn.execute(sql, [*params, *args, *plan.neg_params, limit, offset]).fetchall()
    return [(r[0], "word", 0.0) for r in rows], total


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
    where, params = filters(site, since, until)
    plan = _Plan(query, where, params)
    limit, offset = max(0, limit), max(0, offset)
    try:
        if sort == "date":
            ids, total = _page_ids_by_date(conn, plan, where, params, offset, limit)
        else:
            ids, total = _page_ids(conn, plan, offset, limit)
    except sqlite3.OperationalError as exc:  # e.g. an FTS5 limit a strange query still hits
        raise q.QueryError(f"cannot run this query: {exc}") from exc
    return total, list(_hits(conn, ids, query, mark))


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
        f"SELECT id, url, title, published, site, text FROM articles WHERE id IN ({marks})",
        [i for i, _, _ in ids],
    )
    rows = {r[0]: r for r in cur}
    for article_id, how, score in ids:
        _, url, title, published, site, body = rows[article_id]
        snippet = q.snippet(body, query.words(), mark=mark)
        yield Hit(url, title, published, site, snippet, round(score, 4), how)


def all_ids(conn: sqlite3.Connection, text: str, **filter_args: Any) -> set[int]:
    """Every article matching ``text`` (both tiers, no ranking): the benchmark's recall check."""
    query = q.parse(text)
    where, params = filters(**filter_args)
    plan = _Plan(query, where, params)
    found = {r[0] for r in conn.execute(*plan.a("f.rowid"))}
    if plan.b_sql is not None:
        found |= {r[0] for r in conn.execute(*plan.b("t.rowid"))}
    return found


def filters(
    site: str | None = None, since: str | None = None, until: str | None = None
) -> tuple[str, list[Any]]:
    """SQL conditions on ``articles a`` for a site and a publication-date range."""
    clauses, params = ["1"], []
    if site:
        clauses.append("a.site = ?")
        params.append(site)
    if since:
        clauses.append("a.published >= ?")
        params.append(since)
    if until:
        clauses.append("a.published <= ?")
        params.append(until)
    return " AND ".join(clauses), params


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
