"""The write half of full-text search: the FTS5 tables and keeping them in step with ``articles``.

Thai is written without spaces, so the text is segmented into words in Python (the tokens of
``archiver.thai.words.segment``) and the words go into ``articles_fts``, whose unicode61
tokenizer keeps Thai vowel and tone marks inside words. It is contentless: words are indexed,
not stored (the text lives once, in ``articles``). ``articles_tri`` (trigrams, ``detail=none``,
over the view ``articles_tri_src`` = title and text) finds what segmentation misses (``อยุธยา``
inside ``พระนครศรีอยุธยา``). ``articles_title`` (trigrams over the titles alone, external
content ``articles``) gives ranking every article whose title holds a term, whatever its age,
without reading the positions of every word match. All are plain FTS5 tables that sqlite3,
sqlite-utils and Datasette read.

Filters are words too: ``articles_fts`` has a third column, ``facets``, holding each article's
site, year and month as tokens (``facets``), so ``--site``/``--since``/``--until`` become FTS5
terms intersected with the query's words inside FTS5. The read half is ``archiver.search``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from multiprocessing.pool import Pool
from typing import Any

from archiver.extract.items import Prepared
from archiver.thai.words import index_text


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


#: Version of the tables below (``meta.search_schema``); 2: contentless word table, trigram
#: table with ``detail=none`` over ``articles_tri_src``; 3: the word table's ``facets`` column;
#: 4: the title table ``articles_title`` (an index of schema 3 is upgraded in place: ``upgrade``).
SEARCH_SCHEMA = 4


#: Keeps Thai combining vowels and tone marks (category M) inside tokens (FACTS.md).
WORD_TOKENIZER = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
#: bm25 weights of (title, text, facets): a word in the headline says more than one in the
#: body; the facet tokens only filter.
TITLE_WEIGHT, TEXT_WEIGHT, FACET_WEIGHT = 5.0, 1.0, 0.0

_BODY_SQL = "coalesce(title, '') || char(10) || text"

_SCHEMA = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(title, text, facets, content='',
    tokenize="{WORD_TOKENIZER}");
CREATE INDEX IF NOT EXISTS articles_search_filter ON articles (id, site, published);
CREATE VIEW IF NOT EXISTS articles_tri_src AS SELECT id, {_BODY_SQL} AS body FROM articles;
CREATE VIRTUAL TABLE IF NOT EXISTS articles_tri USING fts5(body, content='articles_tri_src',
    content_rowid='id', tokenize='trigram', detail='none');
CREATE VIRTUAL TABLE IF NOT EXISTS articles_title USING fts5(title, content='articles',
    content_rowid='id', tokenize='trigram');
"""


def body(title: str | None, text: str) -> str:
    """What the trigram table indexes for an article (the view ``articles_tri_src``)."""
    return f"{title or ''}\n{text}"


def prepare(title: str | None, text: str) -> Prepared:
    """Segment an article for the index (the slow part: run it in worker processes at scale)."""
    return Prepared(index_text(title or ""), index_text(text))


def prepare_pair(pair: tuple[str | None, str]) -> Prepared:
    return prepare(*pair)


def prepare_many(pairs: Sequence[tuple[str | None, str]], pool: Pool | None) -> list[Prepared]:
    """``prepare`` for many articles, in ``pool``'s worker processes when given."""
    if pool is None or len(pairs) < 2:
        return [prepare(*p) for p in pairs]
    return pool.map(prepare_pair, pairs, chunksize=max(1, len(pairs) // 16))


#: Page cache of an index connection, KiB: FTS5 merges its segments through it while writing,
#: and a search reads megabytes of doclists through it (the default 2 MB would lose the
#: rest of what a search reads, to be read again).
CACHE_KIB = 65536


def create(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.executescript(_SCHEMA)


#: The full-text tables (each a set of FTS5 segments: b-trees merged as they pile up).
TABLES = ("articles_fts", "articles_tri", "articles_title")


def optimize(conn: sqlite3.Connection) -> None:
    """Merge each full-text table's segments into one (FTS5's ``optimize``), so that a query
    reads one b-tree per term, not one per segment. An index written batch by batch keeps
    several (13 in the word table of the 100,000-article benchmark archive), and its queries
    are slower for it: the phrase queries' p95 7.7-10.8 ms instead of 6.4-6.5. It rewrites
    every table once: 7.3 s at 100,000 articles, 103 s at 1,000,000."""
    for table in TABLES:
        conn.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")


#: A crawl ends by merging the full-text tables (``compact``) when one of them has more
#: segments than this (FTS5's own merging keeps up to 3 a level: 13 at 100,000 articles) ...
COMPACT_SEGMENTS = 8
#: ... and the archive holds at most this many articles (about 15 s of merging); a larger
#: one is merged by ``archiver reindex`` (and meets the 1M latency target as crawled).
COMPACT_MAX_ARTICLES = 200_000


def segments(conn: sqlite3.Connection, table: str) -> int:
    """How many segments (b-trees) the full-text table ``table`` has."""
    return int(conn.execute(f"SELECT count(DISTINCT segid) FROM {table}_idx").fetchone()[0])


def compact(conn: sqlite3.Connection) -> bool:
    """``optimize`` when a table has more than ``COMPACT_SEGMENTS`` segments and the archive
    at most ``COMPACT_MAX_ARTICLES`` articles; whether it did."""
    last = conn.execute("SELECT max(id) FROM articles").fetchone()[0] or 0
    if last > COMPACT_MAX_ARTICLES:  # rowids: at least as many as the articles, found at once
        return False
    if all(segments(conn, table) <= COMPACT_SEGMENTS for table in TABLES):
        return False
    optimize(conn)
    return True


def clear(conn: sqlite3.Connection) -> None:
    """Drop and recreate the search tables (``reindex``; also moves an old schema to this one)."""
    conn.execute("DROP TABLE IF EXISTS articles_fts")
    conn.execute("DROP TABLE IF EXISTS articles_tri")
    conn.execute("DROP VIEW IF EXISTS articles_tri_src")
    conn.execute("DROP TABLE IF EXISTS articles_title")
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def upgrade(conn: sqlite3.Connection, old: str | None) -> bool:
    """Bring search tables of schema ``old`` to ``SEARCH_SCHEMA`` in place, from what the
    index holds (inside the caller's transaction); False when only a rebuild from the WARCs
    can (``archiver reindex``). 3 -> 4: the title table, filled from ``articles`` (no
    segmenting: about 1 s per 100,000 titles)."""
    if old != "3":
        return False
    conn.execute("DROP TABLE IF EXISTS articles_title")
    create(conn)
    conn.execute("INSERT INTO articles_title (articles_title) VALUES ('rebuild')")
    return True


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
    tokens = [site_token(site)]
    if published and ISO_MONTH.match(published):
        year, month = int(published[:4]), int(published[5:7])
        tokens += [year_token(year), month_token(year, month)]
    return " ".join(tokens)


def site_token(site: str) -> str:
    return f"{FACET_MARK}s{site.encode().hex()}"


def year_token(year: int) -> str:
    return f"{FACET_MARK}y{year}"


def month_token(year: int, month: int) -> str:
    return f"{FACET_MARK}m{year}{month:02d}"


def facet_any(tokens: Iterable[str]) -> str:
    """FTS5: any of the facet ``tokens`` (none: a token no article has)."""
    quoted = [f'"{t}"' for t in tokens] or [f'"{month_token(0, 0)}"']
    return "{facets} : (" + " OR ".join(quoted) + ")"


ISO_MONTH = re.compile(r"\d{4}-\d{2}")


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
    conn.execute("INSERT INTO articles_title (rowid, title) VALUES (?, ?)", (rowid, title or ""))


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
    conn.execute(
        "INSERT INTO articles_title (articles_title, rowid, title) VALUES ('delete', ?, ?)",
        (rowid, title or ""),
    )


def batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
