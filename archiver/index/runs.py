"""The runs of an archive: each run's report (``crawls.jsonl`` beside ``index.db`` and the
``crawls`` table), when each site's listing was last walked whole, and which articles a run
that stopped early left without their media. Part of ``Index`` (a mixin): the report file is
kept when ``reindex`` rebuilds the database, and read back into it (``restore_runs``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from archiver.archive import Archive

logger = logging.getLogger(__name__)


def marks(row: Sequence[object]) -> str:
    """``?, ?, ...``: one SQL parameter for each value of ``row``."""
    return ", ".join("?" * len(row))


class Runs:
    """The run-report half of ``Index`` (which sets ``path`` and ``conn``)."""

    path: Path
    conn: sqlite3.Connection
    #: Inside ``one_transaction``: the writes below join it instead of committing each.
    _joined = False

    @contextlib.contextmanager
    def _tx(self) -> Iterator[None]:
        """A write's transaction: its own (committed at the end, rolled back on an error), or
        the enclosing ``one_transaction``'s."""
        if self._joined:
            yield
            return
        with self.conn:
            yield

    @contextlib.contextmanager
    def one_transaction(self) -> Iterator[None]:
        """Every write inside is one SQLite transaction: all of them are committed together
        at the end, or none (the cluster's index writer stores the stream id it applied in
        the same transaction as the rows, ``Index.apply_stream_batch``)."""
        if self._joined:
            raise RuntimeError("one_transaction is not reentrant")
        self._joined = True
        try:
            with self.conn:
                yield
        finally:
            self._joined = False

    def restore_runs(self, old: Path) -> int:
        """Into a rebuilt (empty) index: what the WARCs cannot give back, the ``sites`` rows
        (names, last crawl, walked) and the run reports. From the ``old`` index where SQLite
        can still read them (and ``crawls.jsonl`` written from them if it is missing, so that
        a later rebuild from a damaged index has them too), else from ``crawls.jsonl``.
        Returns the number of reports restored."""
        reports = Archive(self.path.parent).reports
        sites, crawls = _read_runs(old)
        if crawls is not None:
            with self.conn:
                for row in sites:
                    self.conn.execute(f"INSERT OR REPLACE INTO sites VALUES ({marks(row)})", row)
                for row in crawls:
                    self.conn.execute(f"INSERT INTO crawls VALUES ({marks(row)})", row)
            if not reports.exists():
                with open(reports, "w", encoding="utf-8") as stream:
                    stream.writelines(f"{row[12]}\n" for row in crawls if row[12])
            return len(crawls)
        count = 0
        for report in _report_lines(reports):
            with self.conn:
                self.conn.executemany(
                    "INSERT OR IGNORE INTO sites (slug) VALUES (?)", [(s,) for s in report["sites"]]
                )
            try:
                self._insert_crawl(report)
            except (KeyError, TypeError):  # a line of another shape: not a report of ours
                continue
            count += 1
        return count

    def mark_walked(self, slug: str, when: str) -> None:
        """A run went through a site's whole listing: later runs may stop at the first page
        with nothing new. Until then (first run, or a run killed or cut short), they walk the
        whole listing again, so an interrupted backfill is always completed."""
        with self._tx():
            self.conn.execute(
                "INSERT INTO sites (slug, walked) VALUES (?, ?) "
                "ON CONFLICT(slug) DO UPDATE SET walked = excluded.walked",
                (slug, when),
            )

    def forget_walked(self, slug: str) -> None:
        """The next run walks the site's whole listing again (records of it were lost)."""
        with self.conn:
            self.conn.execute("UPDATE sites SET walked = NULL WHERE slug = ?", (slug,))

    def walked(self, slug: str) -> str | None:
        row = self.conn.execute("SELECT walked FROM sites WHERE slug = ?", (slug,)).fetchone()
        return row[0] if row else None

    def record_crawl(self, report: dict[str, Any]) -> int:
        """Keep a run's report: in the ``crawls`` table, and appended to ``crawls.jsonl``
        beside the index (what a rebuild of a damaged index restores the table from: the WARCs
        cannot give the reports back). A full disk may refuse the line: the table has it."""
        row = self._insert_crawl(report)
        self._append_report_line(report)
        return row

    def _append_report_line(self, report: dict[str, Any]) -> None:
        line = json.dumps({k: v for k, v in report.items() if k != "id"}, ensure_ascii=False)
        try:
            with open(Archive(self.path.parent).reports, "a", encoding="utf-8") as stream:
                stream.write(line + "\n")
                stream.flush()
                os.fsync(stream.fileno())
        except OSError as exc:
            logger.warning("the run report could not be added to crawls.jsonl: %s", exc)

    def has_crawl(self, report: dict[str, Any]) -> bool:
        """Whether this report (same start, same sites) is in ``crawls`` already: a report
        added to the cluster's stream twice is kept once."""
        row = self.conn.execute(
            "SELECT 1 FROM crawls WHERE started = ? AND sites = ? LIMIT 1",
            (report["started"], json.dumps(report["sites"])),
        ).fetchone()
        return row is not None

    def _insert_crawl(self, report: dict[str, Any]) -> int:
        with self._tx():
            cur = self.conn.execute(
                "INSERT INTO crawls (started, finished, sites, status, articles_new, "
                "articles_changed, articles_unchanged, media, errors, bytes, seconds, report, "
                "revisits) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    report.get("revisits", 0),
                ),
            )
            for slug in report["sites"]:
                self.conn.execute(
                    "UPDATE sites SET last_crawl = ? WHERE slug = ?", (report["finished"], slug)
                )
            return int(cur.lastrowid or 0)

    def settled(self, slugs: Iterable[str]) -> dict[str, str | None]:
        """For each site, when the last run that crawled it to its end finished (not stopped
        by a signal or a fault such as a full disk; a killed run leaves no row): articles seen
        since came from a run that ended early. None: no run of it ever ended normally.

        One pass over the runs, newest first, for every site of a run at once, ending as soon
        as each has its run (mostly the newest): asked site by site, each question parsed the
        JSON of the runs again, hundreds of sites times runs of hundreds of sites."""
        left = set(slugs)
        found: dict[str, str | None] = dict.fromkeys(left)
        rows = self.conn.execute(
            "SELECT finished, sites FROM crawls "
            "WHERE json_extract(report, '$.stopped') IS NULL ORDER BY id DESC"
        )
        for finished, sites in rows:
            if not left:
                break
            ended = left & set(json.loads(sites or "{}"))
            for slug in ended:
                found[slug] = finished
            left -= ended
        return found

    def incomplete_articles(
        self, site: str, known_media: set[str], settled: str | None
    ) -> set[str]:
        """Articles seen since the site's last normal run (``settled``) with something they
        load not archived: a photo, an attachment, another source of a photo, a requisite, or
        what an archived stylesheet of theirs loads (a font, an image). A run stopped early
        (disk full, a signal, ``kill -9``) between fetching an article and all of these. The
        next run fetches them again (a conditional GET) so that it fetches what they miss."""
        sheets = {  # what each archived stylesheet loads
            url: json.loads(loads)
            for url, loads in self.conn.execute(
                "SELECT url, loads FROM media WHERE site = ? AND loads IS NOT NULL", (site,)
            )
        }
        rows = self.conn.execute(  # >=: times are in seconds, and a run can start in the
            # second the last one finished (the test failed 1 run in 3 with >)
            "SELECT url, images, attachments, loads FROM articles "
            "WHERE site = ? AND last_seen >= ?",
            (site, settled or ""),
        )
        return {
            url
            for url, *lists in rows
            if _missing(
                [u for found in lists for u in json.loads(found or "[]")], known_media, sheets
            )
        }


def _missing(loads: list[str], known: set[str], sheets: dict[str, list[str]]) -> bool:
    """Whether any of ``loads`` (or what a stylesheet among them loads, and so on) is not
    archived (not in ``known``)."""
    todo, seen = list(loads), set()
    while todo:  # bounded: each URL is looked at once
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        if url not in known:
            return True
        todo += sheets.get(url, [])
    return False


def _read_runs(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]] | None]:
    """The ``sites`` and ``crawls`` rows of an index, read only; (sites, None) if SQLite
    cannot read them (missing, garbage, damaged)."""
    if not path.exists():
        return [], None
    try:
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        ) as conn:
            sites = conn.execute(
                "SELECT slug, name_th, name_en, listings, last_crawl, walked FROM sites"
            ).fetchall()
            crawls = conn.execute(
                "SELECT id, started, finished, sites, status, articles_new, articles_changed, "
                "articles_unchanged, media, errors, bytes, seconds, report, revisits FROM crawls "
                "ORDER BY id"
            ).fetchall()
    except sqlite3.DatabaseError:
        return [], None
    return sites, crawls


def _report_lines(path: Path) -> Iterator[dict[str, Any]]:
    """The reports of ``crawls.jsonl``, skipping a line cut short or damaged."""
    if not path.exists():
        return
    with open(path, encoding="utf-8", errors="replace") as stream:
        for line in stream:
            try:
                report = json.loads(line)
            except ValueError:
                continue
            if isinstance(report, dict) and isinstance(report.get("sites"), dict):
                yield report
