"""The SQLite index (``archive/index.db``): schema, upserts, full-text search.

Derived from the WARC files and rebuildable from them (``archiver reindex``). Plain SQLite in
WAL mode that sqlite3, sqlite-utils and Datasette can all read: Thai word segmentation happens
in Python (``archiver.thai``) and the segmented words go into an FTS5 table whose unicode61
tokenizer keeps Thai vowel and tone marks inside words; a trigram FTS5 table over the raw text
finds what segmentation misses.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import multiprocessing
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

from archiver.archive import Archive
from archiver.errors import ArchiveNotFoundError, IndexMismatchError
from archiver.extract.items import ArticleItem, MediaItem, Prepared
from archiver.index import fulltext
from archiver.index.derived import raise_if_damaged
from archiver.index.runs import Runs
from archiver.registry import Site
from archiver.thai.words import segmenter_id
from archiver.warc.records import whole_on_disk

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2
#: The ``meta`` row with the id of the last entry of the cluster's item stream applied to this
#: index (``apply_stream_batch``); absent on an index no stream ever fed.
META_STREAM_ID = "stream_id"
#: Columns added after a table's first version: (table, column, declaration).
_ADDED_COLUMNS = (
    ("sites", "walked", "TEXT"),  # last run that walked the whole listing (v2)
    ("crawls", "revisits", "INTEGER"),  # v2
    # what a page loads besides its pictures and attachments (image sources, requisites),
    # and what a stylesheet loads: known, a run after one that ended early fetches what of
    # it is missing (issue 16)
    ("articles", "loads", "TEXT"),
    ("media", "loads", "TEXT"),
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS sites (slug TEXT PRIMARY KEY, name_th TEXT, name_en TEXT,
    listings TEXT, last_crawl TEXT, walked TEXT);
CREATE TABLE IF NOT EXISTS crawls (id INTEGER PRIMARY KEY, started TEXT, finished TEXT,
    sites TEXT, status TEXT, articles_new INTEGER, articles_changed INTEGER,
    articles_unchanged INTEGER, media INTEGER, errors TEXT, bytes INTEGER, seconds REAL,
    report TEXT, revisits INTEGER);
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
"""
_MEDIA_COLUMNS = (
    "url", "article_url", "site", "kind", "mime", "size", "sha1", "status", "fetched_at",
    "warc_filename", "warc_offset", "warc_length", "loads",
)  # fmt: skip


def content_hash(title: str | None, text: str) -> str:
    return hashlib.sha1(f"{title or ''}\n{text}".encode()).hexdigest()


class Index(Runs):
    """One archive's index. Use as a context manager; every write commits at once, so a killed
    crawl leaves the index consistent with the WARC records written before it."""

    def __init__(self, path: Path | str, rebuilding: bool = False, workers: int = 0) -> None:
        """``rebuilding``: open even an index built with another segmenter or schema
        (``reindex`` empties it and records the ones in use). ``workers``: processes that
        segment the articles of ``upsert_articles`` batches (0: segment in this process)."""
        self.path = Path(path)
        self.workers = workers
        #: Articles added or changed (the full-text tables got segments) since ``compact``.
        self.full_text_written = False
        self._pool: Pool | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, timeout=30)
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self._ensure_schema(check=not rebuilding)
        except sqlite3.DatabaseError as exc:  # garbage, truncated, malformed: say so in a line
            self.conn.close()
            raise_if_damaged(self.path, exc)
            raise

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None
        self.conn.close()

    def _pool_(self) -> Pool | None:
        if self.workers > 0 and self._pool is None:
            self._pool = multiprocessing.get_context("fork").Pool(self.workers)
        return self._pool

    def _ensure_schema(self, check: bool = True) -> None:
        with self.conn:
            self.conn.executescript(_SCHEMA)
            fulltext.create(self.conn)
            for table, column, declaration in _ADDED_COLUMNS:
                have = {row[1] for row in self.conn.execute(f"PRAGMA table_info({table})")}
                if column not in have:
                    self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        meta = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        current = {
            "schema_version": str(SCHEMA_VERSION),
            "segmenter": segmenter_id(),
            "word_tokenizer": fulltext.WORD_TOKENIZER,
            "search_schema": str(fulltext.SEARCH_SCHEMA),
        }
        if not meta:
            with self.conn:
                self.conn.executemany("INSERT INTO meta VALUES (?, ?)", current.items())
            return
        if check and meta.get("segmenter") != current["segmenter"]:
            raise IndexMismatchError(
                f"{self.path} was built with segmenter {meta.get('segmenter')!r}, this is "
                f"{current['segmenter']!r}: run 'archiver reindex' to rebuild it"
            )
        if meta.get("search_schema") != current["search_schema"]:
            with self.conn:
                upgraded = fulltext.upgrade(self.conn, meta.get("search_schema"))
                if upgraded:
                    self.conn.execute(
                        "INSERT OR REPLACE INTO meta VALUES ('search_schema', ?)",
                        (current["search_schema"],),
                    )
            if upgraded:
                logger.info(
                    "%s: search tables upgraded to schema %s", self.path, current["search_schema"]
                )
                return
            empty = self.conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
            if check and not empty:
                raise IndexMismatchError(
                    f"{self.path} has search tables of schema {meta.get('search_schema', '1')},"
                    f" this is {current['search_schema']}: run 'archiver reindex' to rebuild it"
                )
            with self.conn:
                fulltext.clear(self.conn)
                self.conn.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('search_schema', ?)",
                    (current["search_schema"],),
                )

    def reset(self) -> None:
        """Empty every derived table (``archiver reindex`` refills them from the WARCs)."""
        with self.conn:
            fulltext.clear(self.conn)
            for table in ("article_versions", "articles", "media", "meta"):
                self.conn.execute(f"DELETE FROM {table}")
        self._ensure_schema()

    def optimize(self) -> None:
        """Merge the full-text tables' segments into one each (``fulltext.optimize``)."""
        with self.conn:
            fulltext.optimize(self.conn)

    def compact(self) -> bool:
        """``optimize`` if articles were added or changed through this ``Index`` since the
        last call (new segments) and the tables have many segments in an archive that is not
        large (``fulltext.compact``); whether it did. Nothing written: no query at all."""
        if not self.full_text_written:
            return False
        self.full_text_written = False
        with self.conn:
            return fulltext.compact(self.conn)

    # -- writes --------------------------------------------------------------------------------
    def upsert_site(self, site: Site) -> None:
        with self._tx():
            self.conn.execute(
                "INSERT INTO sites (slug, name_th, name_en, listings) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(slug) DO UPDATE SET name_th=excluded.name_th, "
                "name_en=excluded.name_en, listings=excluded.listings",
                (site.slug, site.name_th, site.name_en, json.dumps(list(site.listings))),
            )

    def upsert_article(self, item: ArticleItem) -> str:
        """Store an extracted article; return ``new``, ``changed`` or ``unchanged``."""
        return self.upsert_articles([item])[0]

    def upsert_articles(self, items: Sequence[ArticleItem]) -> list[str]:
        """Store a batch of articles in one transaction (segmented in ``workers`` processes
        first); return ``new``, ``changed`` or ``unchanged`` for each."""
        todo = self._needing_segmentation(items)
        ready = fulltext.prepare_many(
            [(items[i].title, items[i].text) for i in todo], self._pool_()
        )
        return self._write_batch(items, dict(zip(todo, ready, strict=True)))

    def upsert_stream(self, items: Iterable[ArticleItem], batch: int = 200) -> Iterator[str]:
        """``upsert_articles`` over a stream in batches, segmenting the next batch in the
        worker processes while this one is written (``reindex`` and bulk loads); yields the
        status of each article."""
        pool = self._pool_()
        pending: tuple[list[ArticleItem], list[int], Any] | None = None
        for chunk in itertools.chain(fulltext.batched(items, batch), [[]]):
            submitted = None
            if chunk:
                todo = self._needing_segmentation(chunk)
                pairs = [(chunk[i].title, chunk[i].text) for i in todo]
                submitted = (
                    pool.map_async(fulltext.prepare_pair, pairs)
                    if pool is not None
                    else fulltext.prepare_many(pairs, None)
                )
            if pending is not None:
                items_, todo_, result = pending
                ready = result if isinstance(result, list) else result.get()
                yield from self._write_batch(items_, dict(zip(todo_, ready, strict=True)))
            pending = (chunk, todo, submitted) if chunk else None

    def _needing_segmentation(self, items: Sequence[ArticleItem]) -> list[int]:
        """Positions of the items that are new or changed and still need segmenting."""
        todo = []
        for n, item in enumerate(items):
            if item.prepared is not None:  # segmented already, in a page worker
                continue
            row = self.conn.execute(
                "SELECT content_hash FROM articles WHERE url = ?", (item.url,)
            ).fetchone()
            if row is None or row[0] != content_hash(item.title, item.text):
                todo.append(n)
        return todo

    def _write_batch(self, items: Sequence[ArticleItem], ready: dict[int, Prepared]) -> list[str]:
        statuses = []
        with self._tx():
            for n, item in enumerate(items):
                digest = content_hash(item.title, item.text)
                old = self.conn.execute(
                    "SELECT id, content_hash, title, text, site, published FROM articles "
                    "WHERE url = ?",
                    (item.url,),
                ).fetchone()
                prepared = (
                    None if old is not None and old[1] == digest else ready.get(n) or item.prepared
                )
                if prepared is None and (old is None or old[1] != digest):
                    prepared = fulltext.prepare(item.title, item.text)  # changed meanwhile
                statuses.append(self._write_article(item, digest, old, prepared))
        return statuses

    def _write_article(
        self,
        item: ArticleItem,
        digest: str,
        old: tuple[int, str, str | None, str, str, str | None] | None,
        prepared: Prepared | None,
    ) -> str:
        warc = item.warc
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
            "loads": json.dumps(item.loads, ensure_ascii=False),
            "lang": item.lang,
            "content_hash": digest,
            "last_seen": item.fetched_at,
            "warc_filename": warc.filename if warc else None,
            "warc_offset": warc.offset if warc else None,
            "warc_length": warc.length if warc else None,
        }
        if old is None:
            assert prepared is not None
            values["first_seen"] = item.fetched_at
            cur = self.conn.execute(
                f"INSERT INTO articles ({', '.join(values)}) "
                f"VALUES ({', '.join('?' * len(values))})",
                list(values.values()),
            )
            rowid = int(cur.lastrowid or 0)
            fulltext.add(
                self.conn, rowid, prepared, item.title, item.text, item.site, item.published
            )
            self.full_text_written = True
            return "new"
        article_id, old_hash, old_title, old_text, old_site, old_published = old
        if prepared is None:  # same text: the row points at the newest record of it
            self.conn.execute(
                "UPDATE articles SET last_seen = ?, loads = ?, "
                "warc_filename = coalesce(?, warc_filename), "
                "warc_offset = coalesce(?, warc_offset), warc_length = coalesce(?, warc_length) "
                "WHERE id = ?",
                (
                    item.fetched_at,
                    values["loads"],
                    values["warc_filename"],
                    values["warc_offset"],
                    values["warc_length"],
                    article_id,
                ),
            )
            return "unchanged"
        self.conn.execute(
            "INSERT INTO article_versions (url, title, published, text, content_hash, "
            "first_seen, last_seen, warc_filename, warc_offset, warc_length) "
            "SELECT url, title, published, text, content_hash, first_seen, last_seen, "
            "warc_filename, warc_offset, warc_length FROM articles WHERE id = ?",
            (article_id,),
        )
        fulltext.remove(self.conn, article_id, old_title, old_text, old_site, old_published)
        sets = ", ".join(f"{k} = ?" for k in values)
        self.conn.execute(
            f"UPDATE articles SET {sets} WHERE id = ?", [*values.values(), article_id]
        )
        fulltext.add(
            self.conn, article_id, prepared, item.title, item.text, item.site, item.published
        )
        self.full_text_written = True
        return "changed"

    def apply_stream_batch(
        self,
        stream_id: str,
        articles: Sequence[ArticleItem] = (),
        media: Sequence[MediaItem] = (),
        sites: Sequence[Site] = (),
        walked: Sequence[tuple[str, str]] = (),
        reports: Sequence[dict[str, Any]] = (),
    ) -> list[str]:
        """A batch of the cluster's item stream in one transaction, with ``meta.stream_id`` set
        to ``stream_id`` (the last entry's id) in that same transaction: either the rows and
        the id are committed together, or neither is, so a writer killed at any moment knows
        exactly which entries it applied. Sites first (a report updates their last crawl),
        then articles, media, walked listings and reports (one already in ``crawls`` is not
        added twice). Returns the articles' statuses. The reports go to ``crawls.jsonl``
        after the commit: a kill in between loses a line of that copy, never adds one twice.
        """
        todo = self._needing_segmentation(articles)
        ready = fulltext.prepare_many(
            [(articles[i].title, articles[i].text) for i in todo], self._pool_()
        )
        fresh = []
        with self.one_transaction():
            for site in sites:
                self.upsert_site(site)
            statuses = (
                self._write_batch(articles, dict(zip(todo, ready, strict=True))) if articles else []
            )
            if media:
                self.upsert_media_many(media)
            for slug, when in walked:
                self.mark_walked(slug, when)
            for report in reports:
                if not self.has_crawl(report) and report not in fresh:
                    self._insert_crawl(report)
                    fresh.append(report)
            self.conn.execute(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)", (META_STREAM_ID, stream_id)
            )
        for report in fresh:
            self._append_report_line(report)
        return statuses

    def stream_id(self) -> str | None:
        """The id of the last stream entry applied (``apply_stream_batch``), or None."""
        row = self.conn.execute(
            "SELECT value FROM meta WHERE key = ?", (META_STREAM_ID,)
        ).fetchone()
        return str(row[0]) if row else None

    def upsert_media(self, item: MediaItem) -> None:
        self.upsert_media_many([item])

    def upsert_media_many(self, items: Sequence[MediaItem]) -> None:
        """Store media rows (a URL fetched again replaces its row), in one transaction."""
        rows = []
        for item in items:
            warc = item.warc
            rows.append(
                (
                    item.url,
                    item.article_url,
                    item.site,
                    item.kind,
                    item.mime,
                    item.size,
                    item.sha1,
                    item.status,
                    item.fetched_at,
                    warc.filename if warc else None,
                    warc.offset if warc else None,
                    warc.length if warc else None,
                    json.dumps(item.loads, ensure_ascii=False) if item.loads else None,
                )
            )
        with self._tx():
            self.conn.executemany(
                f"INSERT OR REPLACE INTO media ({', '.join(_MEDIA_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(_MEDIA_COLUMNS))})",
                rows,
            )

    # -- reads ----------------------------------------------------------------------------------
    def known_articles(
        self, site: str, sizes: dict[str, int] | None = None, lost: set[str] | None = None
    ) -> dict[str, str]:
        """url -> last time it was seen, for a site's indexed articles; given the WARC file
        sizes (``warc.file_sizes``), not those whose record is not whole on disk (their URLs
        go to ``lost``, when given)."""
        rows = self.conn.execute(
            "SELECT url, coalesce(last_seen, ''), warc_filename, warc_offset, warc_length "
            "FROM articles WHERE site = ?",
            (site,),
        )
        known = {}
        for url, seen, name, offset, length in rows:
            if sizes is None or whole_on_disk(name, offset, length, sizes):
                known[url] = seen
            elif lost is not None:
                lost.add(url)
        return known

    def known_media(self, site: str, sizes: dict[str, int] | None = None) -> set[str]:
        rows = self.conn.execute(
            "SELECT url, warc_filename, warc_offset, warc_length FROM media WHERE site = ?",
            (site,),
        )
        return {
            url
            for url, name, offset, length in rows
            if sizes is None or whole_on_disk(name, offset, length, sizes)
        }

    def media_loads(self, site: str) -> dict[str, list[str]]:
        """What each archived stylesheet of a site loads (``MediaItem.loads``)."""
        rows = self.conn.execute(
            "SELECT url, loads FROM media WHERE site = ? AND loads IS NOT NULL", (site,)
        )
        return {url: json.loads(loads) for url, loads in rows}

    def versions(self, url: str) -> list[dict[str, Any]]:
        """Every version of an article, oldest first, the current one last."""
        cols = "title, published, content_hash, first_seen, last_seen, warc_filename, warc_offset"
        cur = self.conn.execute(
            f"SELECT {cols}, 0 AS current FROM article_versions WHERE url = ? "
            f"UNION ALL SELECT {cols}, 1 FROM articles WHERE url = ? ORDER BY current, first_seen",
            (url, url),
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]

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
        where, params = fulltext.filters(site, since, until)
        cur = self.conn.execute(f"SELECT * FROM articles a WHERE {where} ORDER BY a.id", params)
        names = [d[0] for d in cur.description]
        for row in cur:
            yield dict(zip(names, row, strict=True))


def open_existing(archive: Path) -> Index:
    """The index of an archive that must exist already (search, show, export)."""
    path = Archive.of(archive).index
    if not path.exists():
        raise ArchiveNotFoundError(
            f"no index at {path}: run 'archiver crawl' first (or give --archive DIR)"
        )
    return Index(path)
