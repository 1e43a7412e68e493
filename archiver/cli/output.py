"""What the CLI shows, as strings and plain data (the CLI does the printing).

Kept apart from ``cli`` so that each verb stays a few lines and these can be tested alone.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from archiver import names
from archiver.archive import Archive
from archiver.errors import ArchiverError
from archiver.index.store import open_existing
from archiver.search.results import Hit
from archiver.thai.dates import thai_date as be_date
from archiver.thai.encoding import charset_of, decode_html
from archiver.urls import canonical_url
from archiver.warc.reader import read_record


def thai_date(iso: str | None) -> str:
    """``2021-11-09`` -> ``2021-11-09 (9 พ.ย. 2564)``: Gregorian and Buddhist era side by side."""
    if not iso:
        return "date unknown"
    day = dt.date.fromisoformat(iso)
    return f"{iso} ({be_date(day, short=True)})"


# -- sites ------------------------------------------------------------------------
def site_rows(archive: Path) -> list[dict[str, Any]]:
    from archiver.registry import AGENCIES

    stats: dict[str, tuple[str | None, int]] = {}
    if Archive(archive).index.exists():
        with open_existing(archive) as index:
            stats = index.site_stats()
    rows = []
    for site in AGENCIES:
        last, count = stats.pop(site.slug, (None, 0))
        rows.append(
            {
                "slug": site.slug,
                "name_th": site.name_th,
                "name_en": site.name_en,
                "listings": list(site.listings),
                "last_crawl": last,
                "articles": count,
            }
        )
    for slug, (last, count) in sorted(stats.items()):  # sites crawled with --url only
        rows.append(
            {
                "slug": slug,
                "name_th": "",
                "name_en": "(crawled with --url)",
                "listings": [],
                "last_crawl": last,
                "articles": count,
            }
        )
    return rows


# -- crawl ------------------------------------------------------------------------
def progress_printer() -> Callable[[str, dict[str, Any]], None]:
    """A progress callback that rewrites one stderr line at most 5 times a second."""
    last = [0.0]

    def show(slug: str, stats: dict[str, Any]) -> None:
        now = time.monotonic()
        if now - last[0] < 0.2:
            return
        last[0] = now
        articles = sum(
            stats.get(names.ARTICLES_PREFIX + k, 0) for k in ("new", "changed", "unchanged")
        )
        media = stats.get(names.MEDIA_PREFIX + names.ROLE_IMAGE, 0) + stats.get(
            names.MEDIA_PREFIX + names.ROLE_ATTACHMENT, 0
        )
        mb = stats.get(names.BYTES_FETCHED, 0) / 1e6
        sys.stderr.write(f"\r{slug}: {articles} articles, {media} media, {mb:.1f} MB   ")
        sys.stderr.flush()

    return show


def format_report(report: dict[str, Any], archive: Path) -> str:
    name = f"crawl {report['id']}" if report.get("id") else "crawl"  # (unsaved: no id)
    if report.get("cluster"):  # a crawl node: the index writer tells new from unchanged
        articles = f"{report.get('articles_streamed', 0)} articles to the index writer"
    else:
        articles = (
            f"{report['articles_new']} new, {report['articles_changed']} changed, "
            f"{report['articles_unchanged']} unchanged articles"
        )
    lines = [
        f"{name} {report['status']} in {report['seconds']} s: {articles}; {report['media']} media; "
        f"{_requisites(report)}; {report['responses']} responses ({report['revisits']} revisits), "
        f"{report['bytes'] / 1e6:.2f} MB of WARC"
    ]
    for slug, site in report["sites"].items():
        errors = ", ".join(f"{k} {v}" for k, v in sorted(site["errors"].items())) or "no errors"
        state = f"FAILED: nothing could be crawled ({errors})" if site["failed"] else errors
        counted = (
            f"{site.get('articles_streamed', 0)} articles"
            if report.get("cluster")
            else f"{site['articles_new']} new"
        )
        lines.append(
            f"  {slug}: {counted}, {site['media']} media, "
            f"{_requisites(site)}, {site['known']} already archived, "
            f"{site['skipped']} pages skipped; {state}"
        )
        listing_errors = site.get("listing_errors") or []
        for problem in listing_errors[:MAX_LISTING_ERRORS]:
            lines.append(f"    listing page not read: {problem}")
        if len(listing_errors) > MAX_LISTING_ERRORS:
            lines.append(f"    ... and {len(listing_errors) - MAX_LISTING_ERRORS} more")
    lines += _cluster_lines(report.get("cluster"))
    stopped = report.get("stopped")
    if stopped:
        lines.append(_stopped_line(stopped))
    if report.get("not_saved"):
        where = "sent to the index writer" if "cluster" in report else "saved in index.db"
        lines.append(f"this report could not be {where}: {report['not_saved']}")
    lines.append(f"archive: {Path(archive).resolve()}")
    return "\n".join(lines)


def _requisites(counts: dict[str, Any]) -> str:
    """``12 requisites (1 failed)``: archived, and failed (in the errors as ``requisite_*``)."""
    return f"{counts.get('requisites', 0)} requisites ({counts.get('requisites_failed', 0)} failed)"


def _cluster_lines(summary: dict[str, Any] | None) -> list[str]:
    """What a crawl node did for the cluster (``archiver.crawl.cluster``), and the requests
    that were in flight at 3 takeovers (a page that kills nodes: left out, named here)."""
    if not summary:
        return []
    units = summary.get("units", [])
    lines = [
        f"node {summary.get('node', '?')}: {len(units)} site(s) crawled, "
        f"{len(summary.get('finished', []))} run(s) finished; {summary.get('takeovers', 0)} "
        f"taken over from a node that left them ({summary.get('requeued', 0)} requests put "
        f"back, {summary.get('recovered', 0)} unnoted records noted)"
    ]
    for letter in summary.get("dead_letters", []):
        lines.append(
            f"  dead letter, in flight at {letter.get('attempts')} takeovers, not fetched "
            f"again: {letter.get('url')}"
        )
    return lines


#: Listing pages that could not be read, shown per site in a report (the rest are counted).
MAX_LISTING_ERRORS = 5


def _stopped_line(stopped: dict[str, Any]) -> str:
    """Why a run ended early, and what becomes of it, in one line."""
    reason, message = stopped.get("reason", ""), stopped.get("message", "")
    if reason in ("SIGINT", "SIGTERM") and stopped.get("forced"):
        return (
            f"stopped by {reason}, sent twice: cut short at once; the WARC files keep only "
            "whole records, and the next run indexes and fetches what this one left"
        )
    if reason in ("SIGINT", "SIGTERM"):
        return (
            f"stopped by {reason}: the pages in hand were finished and indexed; "
            "the next run carries on"
        )
    if reason == "redis_lost":
        return (
            f"stopped: the cluster's Redis was lost ({message}); this node wrote nothing more "
            "and its records are whole; once Redis is back, the next run of any node carries on "
            "(the requests in flight are put back when their lease runs out)"
        )
    if reason in _CLUSTER_FAULTS:
        return (
            f"stopped: {_CLUSTER_FAULTS[reason]} ({message}); this node wrote nothing more, its "
            "records are whole, and the node holding the site now carries on"
        )
    what = _FAULTS.get(reason, reason.replace("_", " "))
    return (
        f"stopped: {what} ({message}); the WARC files keep only whole records and the index "
        "only what they hold: free some space (or fix the cause) and run again, the next run "
        "carries on"
    )


#: What stopped a run early (``report["stopped"]["reason"]``, from ``sitestats.stop``).
_FAULTS = {
    "disk_full": "disk full",
    "warc_write_failed": "a WARC record could not be written",
    "captures_write_failed": "captures.db could not be written",
    "index_write_failed": "index.db could not be written",
    "start_failed": "the crawl could not start",
}
#: Cluster mode: this node was fenced out (archiver.crawl.cluster).
_CLUSTER_FAULTS = {
    "lease_lost": "another node took this node's site over",
    "node_name_lost": "another process took this node's name",
    "cluster_failed": "the cluster's Redis failed",
}


# -- search ------------------------------------------------------------------------
def format_hits(total: int, hits: list[Hit], offset: int) -> str:
    """Terminal hits; ``total`` may be a lower bound (``search.Total.at_least``)."""
    noun = "result" if total == 1 else "results"
    count = f"at least {total:,}" if getattr(total, "at_least", False) else f"{total:,}"
    if not hits:
        return f"{count} {noun}"
    lines = [f"{count} {noun}, showing {offset + 1}-{offset + len(hits)}", ""]
    for n, hit in enumerate(hits, offset + 1):
        lines.append(f"{n}. {hit.title or '(untitled)'}")
        lines.append(f"   {thai_date(hit.published)} · {hit.site} · {hit.url}")
        lines.append(f"   {hit.snippet}")
        lines.append("")
    return "\n".join(lines).rstrip()


# -- show / export ------------------------------------------------------------------------
def _lookup(index: Any, url: str) -> dict[str, Any] | None:
    for candidate in dict.fromkeys((url, canonical_url(url))):
        row = index.article(candidate) or index.media_for(candidate)
        if row:
            return row
    return None


def show_record(archive: Path, url: str, what: str | None) -> str:
    with open_existing(archive) as index:
        row = _lookup(index, url)
    if row is None:
        raise ArchiverError(f"{url} is not in the index of {archive}")
    if what == "text":
        return row.get("text") or ""
    if what == "versions":
        return _versions(archive, row["url"]) if "text" in row else row["url"]
    if not row.get("warc_filename"):
        raise ArchiverError(f"{url} has no WARC record in the index")
    path = Archive(archive).warc / row["warc_filename"]
    if not path.exists():
        raise ArchiverError(f"WARC file {path} is missing")
    record = read_record(path, row["warc_offset"])
    if what == "headers":
        return record.http_headers.to_str().rstrip() if record.http_headers else ""
    body = record.content_stream().read()
    if what == "html":
        ctype = record.http_headers.get_header("Content-Type") if record.http_headers else ""
        return decode_html(body, charset_of(ctype))[0]
    meta = {
        k: row.get(k)
        for k in (
            "url",
            "site",
            "title",
            "published",
            "published_raw",
            "author",
            "photographer",
            "kind",
            "mime",
            "size",
        )
        if row.get(k) is not None
    }
    meta[names.WARC] = f"{row['warc_filename']}@{row['warc_offset']} ({len(body)} bytes of payload)"
    head = "\n".join(f"{k}: {v}" for k, v in meta.items())
    return head + ("\n\n" + row["text"] if row.get("text") else "")


def _versions(archive: Path, url: str) -> str:
    """One line a version, oldest first: last seen, date, WARC record, title."""
    with open_existing(archive) as index:
        versions = index.versions(url)
    lines = []
    for n, v in enumerate(versions, 1):
        mark = "current" if v["current"] else f"v{n}"
        lines.append(
            f"{mark:<8} seen {v['last_seen'] or '?'}  published {v['published'] or '?'}"
            f"  {v['warc_filename']}@{v['warc_offset']}  {v['title'] or ''}"
        )
    return "\n".join(lines)


def export_row(row: dict[str, Any]) -> dict[str, Any]:
    """One article in the export format of DESIGN.md."""
    return {
        "url": row["url"],
        "site": row["site"],
        "title": row["title"],
        "published": row["published"],
        "author": row["author"],
        "photographer": row["photographer"],
        "text": row["text"],
        "images": json.loads(row["images"] or "[]"),
        "attachments": json.loads(row["attachments"] or "[]"),
        "fetched_at": row["last_seen"],
        "warc": {
            "filename": row["warc_filename"],
            "offset": row["warc_offset"],
            "length": row["warc_length"],
        },
    }


# -- extract ------------------------------------------------------------------------
def extract_files(
    files: tuple[str, ...], url: str | None, as_json: bool
) -> Iterator[tuple[str, bool]]:
    """(line to print, ok) per file; a file that cannot be read or holds no article is not ok."""
    from archiver.extract.article import extract_article

    for name in files:
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            yield f"archiver: {name}: {exc.strerror or exc}", False
            continue
        html, _codec = decode_html(data)
        article = extract_article(html, url or Path(name).resolve().as_uri())
        if article is None:
            yield f"archiver: {name}: no article found", False
            continue
        if not as_json:
            yield article.text + "\n", True
            continue
        yield (
            json.dumps(
                {
                    "file": name,
                    "title": article.title,
                    "published": article.published.isoformat() if article.published else None,
                    "author": article.author,
                    "photographer": article.photographer,
                    "text": article.text,
                    "images": article.images,
                    "attachments": article.attachments,
                },
                ensure_ascii=False,
            ),
            True,
        )
