"""Full-text search over the index: the FTS5 tables, keeping them in step, ranked queries.

Thai is written without spaces, so the text is segmented into words in Python
(``archiver.thai``) and the words go into ``articles_fts``, whose unicode61 tokenizer keeps Thai
vowel and tone marks inside words. ``articles_tri`` (trigrams over the raw text, with
``articles`` as its content table) finds what segmentation misses (``อยุธยา`` inside
``พระนครศรีอยุธยา``). Both are plain FTS5 tables that sqlite3, sqlite-utils and Datasette read.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from archiver import query as q
from archiver.thai import index_text

#: Keeps Thai combining vowels and tone marks (category M) inside tokens (FACTS.md).
WORD_TOKENIZER = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
#: bm25 weights of (title, text): a word in the headline says more than one in the body.
TITLE_WEIGHT, TEXT_WEIGHT = 5.0, 1.0

_SCHEMA = f"""
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(title, text,
    tokenize="{WORD_TOKENIZER}");
CREATE VIRTUAL TABLE IF NOT EXISTS articles_tri USING fts5(title, text,
    content='articles', content_rowid='id', tokenize='trigram');
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


def create(conn: sqlite3.Connection) -> None:
    conn.executescript(_SCHEMA)


def clear(conn: sqlite3.Connection) -> None:
    """Empty both tables (the external-content trigram table needs ``delete-all``)."""
    conn.execute("DELETE FROM articles_fts")
    conn.execute("INSERT INTO articles_tri (articles_tri) VALUES ('delete-all')")


def add(conn: sqlite3.Connection, rowid: int, title: str | None, text: str) -> None:
    """Index an article row (inside the caller's transaction)."""
    conn.execute(
        "INSERT INTO articles_fts (rowid, title, text) VALUES (?, ?, ?)",
        (rowid, index_text(title or ""), index_text(text)),
    )
    conn.execute(
        "INSERT INTO articles_tri (rowid, title, text) VALUES (?, ?, ?)",
        (rowid, title or "", text),
    )


def remove(conn: sqlite3.Connection, rowid: int, title: str | None, text: str) -> None:
    """Take an article row out, given the title and text it was indexed with."""
    conn.execute("DELETE FROM articles_fts WHERE rowid = ?", (rowid,))
    conn.execute(
        "INSERT INTO articles_tri (articles_tri, rowid, title, text) VALUES ('delete', ?, ?, ?)",
        (rowid, title or "", text),
    )


def search(
    conn: sqlite3.Connection,
    text: str,
    site: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    offset: int = 0,
    mark: tuple[str, str] = ("**", "**"),
) -> tuple[int, list[Hit]]:
    """Ranked hits: word matches (bm25, title weighted) first, then substring-only ones."""
    query = q.parse(text)
    where, params = filters(site, since, until)
    word_expr, sub_expr = q.segmented_match(query), q.substring_match(query)
    word_ids = ("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", [word_expr])
    branches = [
        (
            f"SELECT a.*, bm25(articles_fts, {TITLE_WEIGHT}, {TEXT_WEIGHT}) AS score, "
            "'word' AS how, 0 AS tier FROM articles_fts JOIN articles a ON a.id = "
            f"articles_fts.rowid WHERE articles_fts MATCH ? AND {where}",
            [word_expr, *params],
        )
    ]
    if sub_expr:
        branches.append(
            (
                f"SELECT a.*, bm25(articles_tri, {TITLE_WEIGHT}, {TEXT_WEIGHT}) AS score, "
                "'substring' AS how, 1 AS tier FROM articles_tri JOIN articles a ON a.id = "
                f"articles_tri.rowid WHERE articles_tri MATCH ? AND {where} "
                f"AND a.id NOT IN ({word_ids[0]})",
                [sub_expr, *params, *word_ids[1]],
            )
        )
    union = " UNION ALL ".join(sql for sql, _ in branches)
    args = [a for _, p in branches for a in p]
    total = conn.execute(f"SELECT count(*) FROM ({union})", args).fetchone()[0]
    cur = conn.execute(
        f"SELECT * FROM ({union}) ORDER BY tier, score, published DESC LIMIT ? OFFSET ?",
        [*args, limit, offset],
    )
    names = [d[0] for d in cur.description]
    hits = []
    for values in cur:
        row = dict(zip(names, values, strict=True))
        hits.append(
            Hit(
                row["url"],
                row["title"],
                row["published"],
                row["site"],
                q.snippet(row["text"], query.words(), mark=mark),
                round(-float(row["score"]), 4),
                row["how"],
            )
        )
    return total, hits


def filters(site: str | None, since: str | None, until: str | None) -> tuple[str, list[Any]]:
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
