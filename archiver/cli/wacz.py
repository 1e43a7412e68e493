"""``archiver export --wacz FILE``: gather a site's (or the archive's) WARC files and its
articles from the index, and hand them to the WACZ writer (``archiver.warc.wacz``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from archiver import __version__
from archiver.archive import Archive
from archiver.errors import ArchiverError
from archiver.index.store import open_existing
from archiver.warc.records import site_of, warc_files
from archiver.warc.wacz import Packaged, Page, write_wacz


class WaczUsageError(ArchiverError):
    """A ``--wacz`` request that cannot be met as given (exit 2, as other bad arguments)."""

    exit_code = 2


def selected_warcs(archive: Path, site: str | None) -> list[Path]:
    """The archive's WARC files, or those of ``site`` (named after its slug: ``site_of``)."""
    folder = Archive(archive).warc
    every = warc_files(folder)
    if not every:
        raise ArchiverError(f"no WARC files under {folder}: nothing to package")
    if site is None:
        return every
    chosen = [path for path in every if site_of(path.name) == site]
    if not chosen:
        known = ", ".join(sorted({site_of(p.name) for p in every} - {""})) or "none"
        raise WaczUsageError(f"no WARC files of site {site!r} in {folder} (sites: {known})")
    return chosen


def _target(where: str) -> Path:
    target = Path(where)
    if target.suffix != ".wacz":
        raise WaczUsageError(f"{where}: a WACZ file's name ends in .wacz")
    if target.is_dir():
        raise WaczUsageError(f"{where} is a directory")
    if not target.parent.is_dir():
        raise WaczUsageError(f"{where}: no directory {target.parent}")
    return target


def _pages(rows: Iterator[dict[str, Any]]) -> Iterator[Page]:
    for row in rows:
        yield Page(
            url=row["url"],
            title=row["title"],
            text=row["text"] or "",
            warc_filename=row["warc_filename"],
            warc_offset=row["warc_offset"],
            seen=row["last_seen"] or row["first_seen"],
        )


def export_wacz(archive: Path, where: str, site: str | None) -> Packaged:
    """Write the WACZ of ``site`` (or of the whole archive) to ``where``."""
    target = _target(where)
    warcs = selected_warcs(archive, site)
    what = f"site {site}" if site else "all sites"
    with open_existing(archive) as index:
        return write_wacz(
            target,
            warcs,
            _pages(index.iter_articles(site)),
            title=f"thai-news-archiver: {what}",
            description=(
                f"Thai government news pages archived by thai-news-archiver ({what}): "
                f"{len(warcs)} WARC files, one page per article with its extracted text."
            ),
            software=f"thai-news-archiver {__version__}",
        )


def summary(target: str, done: Packaged) -> str:
    """The line ``export --wacz`` prints."""
    line = (
        f"wrote {target} ({done.size / 1e6:.2f} MB): {done.warcs} WARC files "
        f"({done.warc_bytes / 1e6:.2f} MB), {done.index_lines} index lines, {done.pages} pages"
    )
    if done.skipped:
        line += (
            f"; {len(done.skipped)} damaged WARC ranges left out of the index "
            "(their records do not replay: see 'archiver check')"
        )
    if done.pages_undated:
        line += (
            f"; {len(done.pages_undated)} pages whose WARC record is not in the package "
            "(dated by the index: run 'archiver check')"
        )
    return line
