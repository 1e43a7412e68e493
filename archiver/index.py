"""The SQLite index (``archive/index.db``): schema, upserts, full-text search.

Derived from the WARC files and rebuildable from them (``archiver reindex``). Plain SQLite in
WAL mode that sqlite3, sqlite-utils and Datasette can all read: Thai word segmentation happens
in Python (``archiver.thai``) and the segmented words go into an FTS5 table whose unicode61
tokenizer keeps Thai vowel and tone marks inside words; a trigram FTS5 table over the raw text
finds what segmentation misses.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from archiver import query as q
from archiver.errors import ArchiveNotFoundError, IndexMismatchError
from archiver.items import ArticleItem, MediaItem
from archiver.site import Site
from archiver.thai import index_text, segmenter_id

SCHEMA_VERSION = 1
#: Keeps Thai combining vowels and tone marks (category M) inside tokens (FACTS.md).
WORD_TOKENIZER = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
#: bm25 weights of (title, text): a word in the headline says more than one in the body.
TITLE_WEIGHT, TEXT_WEIGHT = 5.0, 1.0

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS sites (slug TEXT PRIMARY KEY, name_th TEXT, name_en TEXT,
    listings TEXT, last_crawl TEXT);
CREATE TABLE IF NOT EXISTS crawls (id INTEGER PRIMARY KEY, started TEXT, finished TEXT,
    sites TEXT, status TEXT, articles_new INTEGER, articles_changed INTEGER,
    articles_unchanged INTEGER, media INTEGER, errors TEXT, bytes INTEGER, seconds REAL,
    report TEXT);
CREATE TABLE IF NOT EXISTS articles (id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL, title TEXT, published TEXT, published_raw TEXT, author TEXT,
    photographer TEXT, text TEXT NOT NULL, images TEXT, attachments TEXT, lang TEXT,
    content_hash TEXT, first_seen TEXT, last_seen TEXT, warc_filename TEXT,
    warc_offset INTEGER, warc_length INTEGER);
CREATE INDEX IF NOT EXISTS articles_site_published ON articles (site, published);
CREATE INDEX IF NOT EXISTS articles_published ON articles (published);
CREATE TABLE IF NOT EXISTS article_versions (id INTEGER PRIMARY KEY, url TEXT NOT NULL,
    title TEXT, published TEXT, text TEXT, content_hash TEXT, first_seen TEXT, last_seen TEXT,
    warc_filename TEXT, warc_offset INTEGER, warc_length INTEGER);
CREATE INDEX IF NOT EXISTS article_versions_url ON article_versions (url);
CREATE TABLE IF NOT EXISTS media (url TEXT PRIMARY KEY, article_url TEXT, site TEXT,
    kind TEXT, mime TEXT, size INTEGER, sha1 TEXT, status INTEGER, fetched_at TEXT,
    warc_filename TEXT, warc_offset INTEGER, warc_length INTEGER);
CREATE INDEX IF NOT EXISTS media_article ON media (article_url);
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


def content_hash(title: str | None, text: str) -> str:
    return hashlib.sha1(f"{title or ''}\n{text}".encode()).hexdigest()


class Index:
    """One archive's index. Use as a context manager; every write commits at once, so a killed
    crawl leaves the index consistent with the WARC records written before it."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.db = sqlite_utils.Database(self.conn)
        self._ensure_schema()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def _ensure_schema(self) -> None:
        with self.conn:
            self.conn.executescript(_SCHEMA)
        meta = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        current = {
            "schema_version": str(SCHEMA_VERSION),
            "segmenter": segmenter_id(),
            "word_tokenizer": WORD_TOKENIZER,
        }
        if not meta:
            with self.conn:
                self.conn.executemany("INSERT INTO meta VALUES (?, ?)", current.items())
            return
        if meta.get("segmenter") != current["segmenter"]:
            raise IndexMismatchError(
                f"{self.path} was built with segmenter {meta.get('segmenter')!r}, this is "
                f"{current['segmenter']!r}: run 'archiver reindex' to rebuild it"
            )

    def reset(self) -> None:
        """Empty every derived table (``archiver reindex`` refills them from the WARCs)."""
        with self.conn:
            for table in (
                "articles_fts",
                "articles_tri",
                "article_versions",
                "articles",
                "media",
                "meta",
            ):
                self.conn.execute(f"DELETE FROM {table}")
        self._ensure_schema()

    # -- writes --------------------------------------------------------------------------------
    def upsert_site(self, site: Site) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT INTO sites (slug, name_th, name_en, listings) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(slug) DO UPDATE SET name_th=excluded.name_th, "
                "name_en=excluded.name_en, listings=excluded.listings",
                (site.slug, site.name_th, site.name_en, json.dumps(list(site.listings))),
            )

    def upsert_article(self, item: ArticleItem) -> str:
        """Store an extracted article; return ``new``, ``changed`` or ``unchanged``."""
        digest = content_hash(item.title, item.text)
        warc = item.warc
        row = self.conn.execute(
            "SELECT id, content_hash, title, text FROM articles WHERE url = ?", (item.url,)
        ).fetchone()
        values = {
            "url": item.url,
            "site": item.site,
            "title": item.title,
            "published": item.published,
            "published_raw": item.published_raw,
            "author": item.author,
            "photographer": item.photographer,
            "text": item.text,
            "images": json.dumps(item.images, ensure_ascii=False),
            "attachments": json.dumps(item.attachments, ensure_ascii=False),
            "lang": item.lang,
            "content_hash": digest,
            "last_seen": item.fetched_at,
            "warc_filename": warc.filename if warc else None,
            "warc_offset": warc.offset if warc else None,
            "warc_length": warc.length if warc else None,
        }
        with self.conn:
            if row is None:
                values["first_seen"] = item.fetched_at
                cur = self.conn.execute(
                    f"INSERT INTO articles ({', '.join(values)}) "
                    f"VALUES ({', '.join('?' * len(values))})",
                    list(values.values()),
                )
                self._index_text(cur.lastrowid, item.title, item.text)
                return "new"
            article_id, old_hash, old_title, old_text = row
            if old_hash == digest:
                self.conn.execute(
                    "UPDATE articles SET last_seen = ? WHERE id = ?", (item.fetched_at, article_id)
                )
                return "unchanged"
            self.conn.execute(
                "INSERT INTO article_versions (url, title, published, text, content_hash, "
                "first_seen, last_seen, warc_filename, warc_offset, warc_length) "
                "SELECT url, title, published, text, content_hash, first_seen, last_seen, "
                "warc_filename, warc_offset, warc_length FROM articles WHERE id = ?",
                (article_id,),
            )
            self._unindex_text(article_id, old_title, old_text)
            sets = ", ".join(f"{k} = ?" for k in values)
            self.conn.execute(
                f"UPDATE articles SET {sets} WHERE id = ?", [*values.values(), article_id]
            )
            self._index_text(article_id, item.title, item.text)
            return "changed"

    def _index_text(self, rowid: int | None, title: str | None, text: str) -> None:
        self.conn.execute(
            "INSERT INTO articles_fts (rowid, title, text) VALUES (?, ?, ?)",
            (rowid, index_text(title or ""), index_text(text)),
        )
        self.conn.execute(
            "INSERT INTO articles_tri (rowid, title, text) VALUES (?, ?, ?)",
            (rowid, title or "", text),
        )

    def _unindex_text(self, rowid: int, title: str | None, text: str) -> None:
        self.conn.execute("DELETE FROM articles_fts WHERE rowid = ?", (rowid,))
        self.conn.execute(
            "INSERT INTO articles_tri (articles_tri, rowid, title, text) "
            "VALUES ('delete', ?, ?, ?)",
            (rowid, title or "", text),
        )

    def upsert_media(self, item: MediaItem) -> None:
        row = asdict(item)
        warc = row.pop("warc")
        row.update(
            {
                "warc_filename": warc["filename"] if warc else None,
                "warc_offset": warc["offset"] if warc else None,
                "warc_length": warc["length"] if warc else None,
            }
        )
        with self.conn:
            self.db.table("media").upsert(row, pk="url")

    def record_crawl(self, report: dict[str, Any]) -> int:
        with self.conn:
            cur = self.conn.execute(
                "INSERT INTO crawls (started, finished, sites, status, articles_new, "
                "articles_changed, articles_unchanged, media, errors, bytes, seconds, report) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    report["started"],
                    report["finished"],
                    json.dumps(report["sites"]),
                    report["status"],
                    report["articles_new"],
                    report["articles_changed"],
                    report["articles_unchanged"],
                    report["media"],
                    json.dumps(report["errors"], ensure_ascii=False),
                    report["bytes"],
                    report["seconds"],
                    json.dumps(report, ensure_ascii=False),
                ),
            )
            for slug in report["sites"]:
                self.conn.execute(
                    "UPDATE sites SET last_crawl = ? WHERE slug = ?", (report["finished"], slug)
                )
            return int(cur.lastrowid or 0)

    # -- reads ----------------------------------------------------------------------------------
    def known_article_urls(self, site: str) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT url FROM articles WHERE site = ?", (site,))}

    def site_stats(self) -> dict[str, tuple[str | None, int]]:
        """slug -> (last crawl, article count), for every site that has either."""
        counts = dict(self.conn.execute("SELECT site, count(*) FROM articles GROUP BY site"))
        crawled = dict(self.conn.execute("SELECT slug, last_crawl FROM sites"))
        return {s: (crawled.get(s), counts.get(s, 0)) for s in {*counts, *crawled}}

    def article(self, url: str) -> dict[str, Any] | None:
        cur = self.conn.execute("SELECT * FROM articles WHERE url = ?", (url,))
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None

    def media_for(self, url: str) -> dict[str, Any] | None:
        cur = self.conn.execute("SELECT * FROM media WHERE url = ?", (url,))
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None

    def iter_articles(
        self, site: str | None = None, since: str | None = None, until: str | None = None
    ) -> Iterator[dict[str, Any]]:
        where, params = _filters(site, since, until)
        cur = self.conn.execute(f"SELECT * FROM articles a WHERE {where} ORDER BY a.id", params)
        names = [d[0] for d in cur.description]
        for row in cur:
            yield dict(zip(names, row, strict=True))

    def search(
        self,
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
        where, params = _filters(site, since, until)
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
        total = self.conn.execute(f"SELECT count(*) FROM ({union})", args).fetchone()[0]
        cur = self.conn.execute(
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


def _filters(site: str | None, since: str | None, until: str | None) -> tuple[str, list[Any]]:
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


def open_existing(archive: Path) -> Index:
    """The index of an archive that must exist already (search, show, export)."""
    path = Path(archive) / "index.db"
    if not path.exists():
        raise ArchiveNotFoundError(
            f"no index at {path}: run 'archiver crawl' first (or give --archive DIR)"
        )
    return Index(path)
