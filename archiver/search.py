"""Full-text search over the index: the FTS5 tables, keeping them in step, ranked queries.

Thai is written without spaces, so the text is segmented into words in Python (the tokens of
``archiver.thai.segment``) and the words go into ``articles_fts``, whose unicode61 tokenizer
keeps Thai vowel and tone marks inside words. It is contentless: words are indexed, not stored
(the text lives once, in ``articles``). ``articles_tri`` (trigrams, ``detail=none``, over the
view ``articles_tri_src`` = title and text) finds what segmentation misses (``อยุธยา`` inside
``พระนครศรีอยุธยา``): its MATCH on the query's trigrams gives candidates and ``LIKE`` on the
article checks them, so a substring hit always contains the query. Queries of 1-2 characters
have no trigram and are answered by the word index alone. Both are plain FTS5 tables that
sqlite3, sqlite-utils and Datasette read.

Filters are words too: ``articles_fts`` has a third column, ``facets``, holding each article's
site, year and month as tokens (``facets``), so ``--site``/``--since``/``--until`` become FTS5
terms intersected with the query's words inside FTS5 (a date range is covered by whole years
and months; the row check on ``articles`` stays, exact to the day). ``--sort date`` reads the
word matches a year or a month at a time through the same tokens, newest first.

Ranking at a million articles (FACTS.md: bm25 over every match takes seconds): word matches
come first, ranked by bm25 (title weighted above text, the newer date on a tie) over the
``RANK_CANDIDATES`` newest matching rows (FTS5's ``bm25()``, or ``archiver.ranking`` for
phrases of several words, whose IDF FTS5 would find by scanning every match); word matches
beyond those follow, newest row first; then the substring-only matches, newest row first
(listed only while word matches number under ``COUNT_CAP``). Counts are exact up to
``COUNT_CAP`` and within ``COUNT_BUDGET_S``, else a lower bound (``Total.at_least``);
substring-only matches are counted only once the word matches run out on the page asked for
(before that the count is the word matches' "at least").
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.pool import Pool
from typing import Any

from archiver import query as q
from archiver import ranking, thai

#: Version of the tables below (``meta.search_schema``); 2: contentless word table, trigram
#: table with ``detail=none`` over ``articles_tri_src``; 3: the word table's ``facets`` column.
SEARCH_SCHEMA = 3
#: Keeps Thai combining vowels and tone marks (category M) inside tokens (FACTS.md).
WORD_TOKENIZER = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
#: bm25 weights of (title, text, facets): a word in the headline says more than one in the
#: body; the facet tokens only filter.
TITLE_WEIGHT, TEXT_WEIGHT, FACET_WEIGHT = 5.0, 1.0, 0.0
#: Word matches scored with bm25: the newest rows (bm25 costs about 9 us a row; a title-only
#: query costs a scan of every match's positions, so it is not run).
RANK_CANDIDATES = 100
#: Counts are exact below this; above it the CLI says "more than".
COUNT_CAP = 1000
#: ``--sort date`` sorts up to this many word matches; with more, it walks the date index.
DATE_SORT_CAP = 20_000
#: Counting substring-only matches stops after this long (then the count is a lower bound).
COUNT_BUDGET_S = 0.005


_BODY_SQL = "coalesce(title, '') || char(10) || text"
#: The same body computed from an ``articles a`` row (to check a pattern on one row).
_BODY_A = "(coalesce(a.title, '') || char(10) || a.text)"
_LIKE = f"{_BODY_A} LIKE ? ESCAPE '\\'"
#: Matches drive the joins (CROSS JOIN keeps that order); filters read the small index.
_ARTICLES = "articles a INDEXED BY articles_search_filter"

_SCHEMA = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(title, text, facets, content='',
    tokenize="{WORD_TOKENIZER}");
CREATE INDEX IF NOT EXISTS articles_search_filter ON articles (id, site, published);
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
    """The segmented title and text of an article, for the word table (the trigram table
    takes the plain ``body``). Computed in a page worker and sent back to the crawl, so it
    holds nothing the item does not (the text is not sent twice)."""

    title_words: str
    text_words: str


def body(title: str | None, text: str) -> str:
    """What the trigram table indexes for an article (the view ``articles_tri_src``)."""
    return f"{title or ''}\n{text}"


def prepare(title: str | None, text: str) -> Prepared:
    """Segment an article for the index (the slow part: run it in worker processes at scale)."""
    return Prepared(thai.index_text(title or ""), thai.index_text(text))


def prepare_pair(pair: tuple[str | None, str]) -> Prepared:
    return prepare(*pair)


def prepare_many(pairs: Sequence[tuple[str | None, str]], pool: Pool | None) -> list[Prepared]:
    """``prepare`` for many articles, in ``pool``'s worker processes when given."""
    if pool is None or len(pairs) < 2:
        return [prepare(*p) for p in pairs]
    return pool.map(prepare_pair, pairs, chunksize=max(1, len(pairs) // 16))


#: Page cache of an index connection, KiB: FTS5 merges its segments through it while writing.
CACHE_KIB = 65536


def create(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.executescript(_SCHEMA)


def clear(conn: sqlite3.Connection) -> None:
    """Drop and recreate the search tables (``reindex``; also moves an old schema to this one)."""
    conn.execute("DROP TABLE IF EXISTS articles_fts")
    conn.execute("DROP TABLE IF EXISTS articles_tri")
    conn.execute("DROP VIEW IF EXISTS articles_tri_src")
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


#: Opens every facet token: a private-use character, which the tokenizer keeps in a token
#: (category Co) and a query never holds (``query.parse`` drops it), so the words a user types
#: never meet a facet token and word queries need no column filter (one doubles bm25's cost).
FACET_MARK = "\ue000"


def facets(site: str, published: str | None) -> str:
    """The filter tokens of an article, for the word table's ``facets`` column: its site
    (``s`` + the slug in hex, one token whatever the slug holds), its year (``y2022``) and its
    month (``m202203``), each after ``FACET_MARK``. A filter on site and dates is then one more
    FTS5 term, intersected with the words in C, instead of a join that reads every word
    match's row."""
    tokens = [_site_token(site)]
    if published and _MONTH.match(published):
        year, month = int(published[:4]), int(published[5:7])
        tokens += [_year(year), _month(year, month)]
    return " ".join(tokens)


def _site_token(site: str) -> str:
    return f"{FACET_MARK}s{site.encode().hex()}"


def _year(year: int) -> str:
    return f"{FACET_MARK}y{year}"


def _month(year: int, month: int) -> str:
    return f"{FACET_MARK}m{year}{month:02d}"


def _facet_any(tokens: Iterable[str]) -> str:
    """FTS5: any of the facet ``tokens`` (none: a token no article has)."""
    quoted = [f'"{t}"' for t in tokens] or [f'"{_month(0, 0)}"']
    return "{facets} : (" + " OR ".join(quoted) + ")"


_MONTH = re.compile(r"\d{4}-\d{2}")


def add(
    conn: sqlite3.Connection,
    rowid: int,
    prepared: Prepared,
    title: str | None,
    text: str,
    site: str,
    published: str | None,
) -> None:
    """Index an article row (inside the caller's transaction)."""
    conn.execute(
        "INSERT INTO articles_fts (rowid, title, text, facets) VALUES (?, ?, ?, ?)",
        (rowid, prepared.title_words, prepared.text_words, facets(site, published)),
    )
    conn.execute("INSERT INTO articles_tri (rowid, body) VALUES (?, ?)", (rowid, body(title, text)))


def remove(
    conn: sqlite3.Connection,
    rowid: int,
    title: str | None,
    text: str,
    site: str,
    published: str | None,
) -> None:
    """Take an article row out, given what it was indexed with."""
    old = prepare(title, text)
    conn.execute(
        "INSERT INTO articles_fts (articles_fts, rowid, title, text, facets) "
        "VALUES ('delete', ?, ?, ?, ?)",
        (rowid, old.title_words, old.text_words, facets(site, published)),
    )
    conn.execute(
        "INSERT INTO articles_tri (articles_tri, rowid, body) VALUES ('delete', ?, ?)",
        (rowid, body(title, text)),
    )


# -- queries ---------------------------------------------------------------------------------
def _one_trigram(form: str) -> bool:
    """Whether the trigram MATCH of ``form`` finds exactly what ``LIKE`` would: three
    characters, folded alike (the trigram tokenizer folds case beyond ASCII, LIKE does not)."""
    return len(form) == 3 and all(c.isascii() or c.lower() == c.upper() for c in form)


class _Plan:
    """The SQL of one query: word matches (tier A) and substring matches (tier B)."""

    def __init__(
        self,
        query: q.Query,
        where: str,
        params: list[Any],
        facet: str | None = None,
        site: str | None = None,
    ) -> None:
        self.query = query
        self.word = q.word_match(query)
        self.facet = facet
        self.site = site  # a site's articles: the density of a word among them is unknown
        if facet:
            self.word += f" AND {facet}"
        self.neg_params = [q.like(f) for f in q.negated_substrings(query)]
        self.neg_sql = " ".join(f"AND NOT {_LIKE}" for _ in self.neg_params)
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
        checks = " AND ".join("(" + " OR ".join([_LIKE] * len(g)) + ")" for g in checked) or "1"
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


def _bounded_count(conn: sqlite3.Connection, sql: str, params: list[Any], cap: int) -> Total:
    """Count rows of ``sql`` up to ``cap``."""
    n = conn.execute(f"SELECT count(*) FROM ({sql} LIMIT ?)", [*params, cap]).fetchone()[0]
    return Total.of(n, n >= cap)


def _ranked_word_hits(conn: sqlite3.Connection, plan: _Plan) -> tuple[list[tuple], bool]:
    """bm25-ranked (id, score, published) of the candidate word matches (a higher score
    first); whether they are all the word matches. FTS5's ``bm25()``, or for a phrase of
    several words ``archiver.ranking`` (the same formula without the scan of every match)."""
    stats = ranking.corpus(conn)
    own = ranking.needed(conn, plan.query, stats, filtered=plan.facet is not None)
    weights = f"{TITLE_WEIGHT}, {TEXT_WEIGHT}, {FACET_WEIGHT}"
    select = f"f.rowid, {'0' if own else f'-bm25(articles_fts, {weights})'}, a.published"
    sql, params = plan.a(select, "ORDER BY f.rowid DESC LIMIT ?")
    rows = conn.execute(sql, [*params, RANK_CANDIDATES]).fetchall()
    complete = len(rows) < RANK_CANDIDATES
    rows = list({r[0]: r for r in rows}.values())
    if own:
        ids = [r[0] for r in rows]
        score = ranking.scores(conn, plan.query, ids, (TITLE_WEIGHT, TEXT_WEIGHT), stats)
        rows = [(r[0], score.get(r[0], 0.0), r[2]) for r in rows]
    ranked = _newest_first(rows, 2)
    ranked.sort(key=lambda r: -r[1])  # stable: the newer first among equal scores
    return ranked, complete


def _newest_first(rows: list[Any], date: int) -> list[Any]:
    """Rows by their ISO date at index ``date`` (undated last), then by id, newest first."""
    rows.sort(key=lambda r: (r[date] is not None, r[date] or "", r[0]), reverse=True)
    undated = [r for r in rows if r[date] is None]
    return [r for r in rows if r[date] is not None] + undated


def _substring_only(
    conn: sqlite3.Connection,
    plan: _Plan,
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
    deadline = time.perf_counter() + COUNT_BUDGET_S
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


def _page_ids(
    conn: sqlite3.Connection, plan: _Plan, offset: int, limit: int
) -> tuple[list[tuple[int, str, float]], Total]:
    """(id, how, score) of the hits at [offset, offset + limit), and the total count."""
    ranked, complete = _ranked_word_hits(conn, plan)
    page = [(r[0], "word", float(r[1])) for r in ranked[offset : offset + limit]]
    if complete:
        count_a = Total.of(len(ranked), False)
        a_ids = {r[0] for r in ranked}
    else:
        sql, params = plan.ids("LIMIT ?")  # the count and the ids in one pass
        a_list = [r[0] for r in conn.execute(sql, [*params, COUNT_CAP])]
        count_a = Total.of(len(a_list), len(a_list) >= COUNT_CAP)
        a_ids = set() if count_a.at_least else set(a_list)
    if len(page) < limit and not complete:
        floor = min(r[0] for r in ranked[:RANK_CANDIDATES])
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
    more, count_b = _substring_only(conn, plan, a_ids, skip, limit - len(page), COUNT_CAP - count_a)
    page += [(i, "substring", 0.0) for i in more]
    return page, Total.of(count_a + count_b, count_b.at_least)


#: ``--sort date`` reads a year's word matches at once up to this many, else month by month;
#: it walks at most this many years (a misread date such as year 0001 sorts the old way).
YEAR_ROWS = 1000
MAX_YEARS = 200


def _page_ids_by_date(
    conn: sqlite3.Connection, plan: _Plan, where: str, params: list[Any], offset: int, limit: int
) -> tuple[list[tuple[int, str, float]], Total]:
    """Newest first. A word in many articles (over ``COUNT_CAP`` matches, dense enough that
    a page comes within ``DENSE_PROBES`` articles) walks down the date index, probing the
    word index for each article. Otherwise the word matches are read a year (or, in a busy
    year, a month) at a time, newest first, through the facet tokens, until the page is
    full: a common word costs the matches of its last months, not all of them. With fewer
    than ``COUNT_CAP`` word matches, the substring-only ones (newest rows first, within
    ``COUNT_BUDGET_S``) are merged in by date."""
    first, last = _date_span(conn)
    if not (first and last and _MONTH.match(first) and _MONTH.match(last)) or (
        int(last[:4]) - int(first[:4]) > MAX_YEARS
    ):
        return _page_ids_by_sorting(conn, plan, where, params, offset, limit)
    want = offset + limit
    count_a = _bounded_count(conn, *plan.ids(), COUNT_CAP)
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
        expr = f"{plan.word} AND {_facet_any([_year(year)])}"
        if not _bounded_count(conn, *plan.ids(expr=expr), YEAR_ROWS).at_least:
            rows.update((r[0], r) for r in conn.execute(*plan.a(select, expr=expr)))
        else:
            for month in range(12, 0, -1):
                month_expr = f"{plan.word} AND {_facet_any([_month(year, month)])}"
                rows.update((r[0], r) for r in conn.execute(*plan.a(select, expr=month_expr)))
                if len(rows) >= want:
                    break
        if len(rows) >= want:
            break
    else:  # every dated match read: the undated ones come last
        expr = f"({plan.word}) NOT {_facet_any(_year(y) for y in years)}"
        rows.update((r[0], r) for r in conn.execute(*plan.a(select, expr=expr)))
    total = count_a
    # As in ranked order: with ``COUNT_CAP`` word matches or more, substring-only ones are not
    # listed (finding them means reading every trigram candidate: there is no date order there).
    if plan.b_sql is not None and not count_a.at_least:
        ordered = _newest_first(list(rows.values()), 2)
        # Every word match from the page's last date on has been read: substring-only
        # matches older than that cannot reach the page.
        cutoff = ordered[want - 1][2] if len(ordered) >= want else None
        ids, count_b = _substring_only(
            conn, plan, set(rows), 0, COUNT_CAP, COUNT_CAP, strict=True, newer_than=cutoff
        )
        _add_substring_rows(conn, rows, ids)
        exact = (
            not (count_a.at_least or count_b.at_least or cutoff) and count_a + count_b < COUNT_CAP
        )
        total = Total.of(min(count_a + count_b, COUNT_CAP), not exact)
    ordered = _newest_first(list(rows.values()), 2)
    return [(r[0], r[1], 0.0) for r in ordered[offset : offset + limit]], total


#: ``--sort date`` walks the date index, probing the word index for each article, when a
#: page is expected within this many articles (a word in 40% of them: 50 for 20 hits).
DENSE_PROBES = 400


def _dense(conn: sqlite3.Connection, plan: _Plan, want: int) -> bool:
    """Whether the word matches are dense enough for ``_walk_dates`` (estimated from the
    rarest term's document frequency)."""
    stats = ranking.corpus(conn)
    if not stats.rows:
        return False
    rarest = min(
        sum(stats.doc_frequency(conn, p.match) for p in group)
        for group in ranking.phrases(plan.query)
    )
    return rarest > 0 and want * stats.rows / rarest <= DENSE_PROBES


def _walk_dates(
    conn: sqlite3.Connection, plan: _Plan, where: str, params: list[Any], want: int
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


def _add_substring_rows(conn: sqlite3.Connection, rows: dict[int, tuple], ids: list[int]) -> None:
    marks = ",".join("?" * len(ids))
    sql = f"SELECT id, published FROM articles WHERE id IN ({marks})"
    for i, published in conn.execute(sql, ids):
        rows.setdefault(i, (i, "substring", published))


def _page_ids_by_sorting(
    conn: sqlite3.Connection, plan: _Plan, where: str, params: list[Any], offset: int, limit: int
) -> tuple[list[tuple[int, str, float]], Total]:
    """Newest first for an archive with dates the facet tokens do not cover: up to
    ``DATE_SORT_CAP`` word matches (and the substring-only ones) are sorted by date; beyond
    that, matches are dense enough to walk down the date index."""
    count_a = _bounded_count(conn, *plan.ids(), DATE_SORT_CAP)
    if not count_a.at_least:
        select = "a.id, 'word', a.published"
        rows = {r[0]: r for r in conn.execute(*plan.a(select))}
        total = Total.of(min(count_a, COUNT_CAP), count_a >= COUNT_CAP)
        if plan.b_sql is not None:
            ids, count_b = _substring_only(
                conn, plan, set(rows), 0, COUNT_CAP, COUNT_CAP, strict=True
            )
            _add_substring_rows(conn, rows, ids)
            exact = not count_b.at_least and count_a + count_b < COUNT_CAP
            total = Total.of(min(count_a + count_b, COUNT_CAP), not exact)
        ordered = _newest_first(list(rows.values()), 2)
        return [(r[0], r[1], 0.0) for r in ordered[offset : offset + limit]], total
    total = Total.of(COUNT_CAP, True)
    # Many matches: they are dense, so walking the date index finds a page soon.
    conditions = [
        "EXISTS (SELECT 1 FROM articles_fts f WHERE articles_fts MATCH ? AND f.rowid = a.id)"
    ]
    args: list[Any] = [plan.word]
    if plan.groups is not None:
        conditions.append(
            "(" + " AND ".join("(" + " OR ".join([_LIKE] * len(g)) + ")" for g in plan.groups) + ")"
        )
        args.extend(q.like(f) for g in plan.groups for f in g)
    sql = (
        f"SELECT a.id FROM articles a WHERE {where} AND ({' OR '.join(conditions)}) "
        f"{plan.neg_sql} ORDER BY a.published DESC, a.id DESC "  # NULL sorts last
        "LIMIT ? OFFSET ?"
    )
    rows_ = conn.execute(sql, [*params, *args, *plan.neg_params, limit, offset]).fetchall()
    return [(r[0], "word", 0.0) for r in rows_], total


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
    where, params = filters(site, since, until)
    plan = _Plan(query, where, params, facet_match(conn, site, since, until), site)
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
        f"SELECT id, url, title, published, site FROM articles WHERE id IN ({marks})",
        [i for i, _, _ in ids],
    )
    rows = {r[0]: r for r in cur}
    words = query.words()
    for article_id, how, score in ids:
        _, url, title, published, site = rows[article_id]
        # The start of the text is enough when the match is there (a 400 KB cabinet summary
        # is not read whole for a 160-character window).
        data, scale = ranking.text_prefix(conn, article_id)
        body, more = data.decode("utf-8", "ignore"), scale > 1
        if more and not q.occurs(body, words):
            sql = "SELECT text FROM articles WHERE id = ?"
            body, more = conn.execute(sql, (article_id,)).fetchone()[0], False
        snippet = q.snippet(body, words, mark=mark, more=more)
        yield Hit(url, title, published, site, snippet, round(score, 4), how)


def all_ids(conn: sqlite3.Connection, text: str, **filter_args: Any) -> set[int]:
    """Every article matching ``text`` (both tiers, no ranking): the benchmark's recall check."""
    query = q.parse(text)
    filter_args.setdefault("site", query.site)
    where, params = filters(**filter_args)
    plan = _Plan(query, where, params, facet_match(conn, **filter_args), filter_args["site"])
    found = {r[0] for r in conn.execute(*plan.ids())}
    if plan.b_sql is not None:
        found |= {r[0] for r in conn.execute(*plan.b("t.rowid"))}
    return found


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
        parts.append(_facet_any([_site_token(site)]))
    months = _date_tokens(conn, since, until)
    if months is not None:
        parts.append(_facet_any(months))
    return " AND ".join(parts) or None


def _date_span(conn: sqlite3.Connection) -> tuple[str | None, str | None]:
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
        first, last = _date_span(conn)
        since, until = since or first or "", until or last or ""
    if not (_MONTH.match(since) and _MONTH.match(until)):
        return None if since and until else []
    y1, m1, y2, m2 = int(since[:4]), int(since[5:7]), int(until[:4]), int(until[5:7])
    if (y1, m1) > (y2, m2):
        return []
    if y1 == y2:
        whole = (m1, m2) == (1, 12)
        return [_year(y1)] if whole else [_month(y1, m) for m in range(m1, m2 + 1)]
    head = [_year(y1)] if m1 == 1 else [_month(y1, m) for m in range(m1, 13)]
    tail = [_year(y2)] if m2 == 12 else [_month(y2, m) for m in range(1, m2 + 1)]
    return head + [_year(y) for y in range(y1 + 1, y2)] + tail


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
