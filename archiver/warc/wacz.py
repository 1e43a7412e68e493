"""WACZ 1.1.1 packages (https://specs.webrecorder.net/wacz/1.1.1/) of WARC files, fed plain data.

A WACZ is a ZIP file that ReplayWeb.page opens in a browser and ``wb-manager add
--unpack-wacz`` adds to a pywb collection:

- ``archive/<file>.warc.gz``: the WARC files as they are, STORED (never deflated again, so a
  reader fetches a record with one HTTP range request);
- ``indexes/index.cdx.gz`` and ``indexes/index.idx``: a CDXJ index of every response, revisit
  and resource record, in SURT order, as compressed blocks of ``CDX_LINES`` lines and a
  secondary index naming each block's first key, offset and length (the "ZipNum" layout that
  py-wacz writes and ReplayWeb.page loads on demand, one block per lookup). The lines are
  made by ``cdxj-indexer``, Webrecorder's indexer, and sorted on disk past 32 MB;
- ``pages/pages.jsonl``: a header line, then one line per page (``Page``): url, ts (RFC 3339,
  of the page's WARC record), title and text, for ReplayWeb.page's page list and full-text
  search;
- ``datapackage.json``: every other entry's path, sha256 and size, the WACZ version, title,
  description and times; ``datapackage-digest.json``: the sha256 of ``datapackage.json``.

Nothing is loaded whole: WARCs are copied and indexed in 1 MB reads (a damaged file is read
again a record at a time, to index the records around the damage), pages are written as
they come. Each WARC is packaged up to its size when the export started, so a crawl writing to
the archive meanwhile changes nothing in the package. The package is written beside
``target`` and renamed onto it only when complete: a failure leaves no partial file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from archiver.errors import ArchiverError
from archiver.warc.reader import WarcReader

WACZ_VERSION = "1.1.1"
#: CDXJ lines per gzip block of ``indexes/index.cdx.gz`` (py-wacz's and ArchiveWeb.page's).
CDX_LINES = 1024
CDX_NAME = "index.cdx.gz"
PAGES_PATH = "pages/pages.jsonl"
_CHUNK = 1 << 20
#: The index lines whose timestamps are kept for the pages' ``ts`` (pages are HTML).
_HTML = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Page:
    """One entry of ``pages/pages.jsonl``. ``warc_filename`` and ``warc_offset`` name the
    record the page was read from: its WARC-Date becomes ``ts``; ``seen`` (an ISO date) is used
    when that record is not in the package."""

    url: str
    title: str | None
    text: str
    warc_filename: str | None = None
    warc_offset: int | None = None
    seen: str | None = None


@dataclass
class Packaged:
    """What ``write_wacz`` put in the package."""

    warcs: int = 0
    warc_bytes: int = 0
    index_lines: int = 0
    pages: int = 0
    pages_undated: list[str] = field(default_factory=list)  # URLs whose record was not found
    skipped: list[str] = field(default_factory=list)  # damaged WARC ranges left out of the index
    size: int = 0
    resources: list[dict[str, Any]] = field(default_factory=list)


def write_wacz(
    target: Path,
    warcs: Sequence[Path],
    pages: Iterable[Page],
    title: str,
    description: str = "",
    software: str = "",
) -> Packaged:
    """Write the WACZ of ``warcs`` with ``pages`` to ``target`` (replaced if it exists).

    A damaged range of a WARC (``archiver check`` names them) is copied as it is and left
    out of the index: the records around it replay, and ``Packaged.skipped`` lists it.
    ``ArchiverError`` (one line) when ``target`` cannot be written or nothing can be indexed;
    then no file is left behind."""
    target = Path(target)
    temp = target.with_name(f".{target.name}.{os.getpid()}.part")
    done = Packaged()
    try:
        with tempfile.TemporaryDirectory(prefix="wacz-") as scratch:
            with zipfile.ZipFile(temp, "w", allowZip64=True) as package:
                sizes = {path: path.stat().st_size for path in warcs}  # what is there now
                for path in warcs:
                    done.resources.append(_store(package, path, sizes[path]))
                    done.warcs += 1
                    done.warc_bytes += sizes[path]
                dates = _index(warcs, sizes, Path(scratch), done)
                for name in (CDX_NAME, "index.idx"):
                    with open(Path(scratch) / name, "rb") as stream:
                        method = zipfile.ZIP_STORED if name == CDX_NAME else zipfile.ZIP_DEFLATED
                        done.resources.append(
                            _add(package, f"indexes/{name}", stream, method=method)
                        )
                done.resources.append(_pages(package, pages, dates, done))
                manifest = _datapackage(done.resources, title, description, software)
                _add(package, "datapackage.json", io.BytesIO(manifest))
                digest = {"path": "datapackage.json", "hash": _sha256(manifest)}
                _add(package, "datapackage-digest.json", io.BytesIO(_json(digest)))
        os.replace(temp, target)
    except OSError as exc:
        where = exc.filename and str(exc.filename) not in (str(temp), str(target))
        also = f" ({exc.filename})" if where else ""
        raise ArchiverError(f"{target}: not written: {exc.strerror or exc}{also}") from None
    finally:
        temp.unlink(missing_ok=True)
    done.size = target.stat().st_size
    return done


def _now() -> tuple[int, int, int, int, int, int]:
    now = dt.datetime.now(dt.UTC)
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")


def _add(
    package: zipfile.ZipFile,
    path: str,
    stream: IO[bytes],
    size: int | None = None,
    method: int = zipfile.ZIP_DEFLATED,
) -> dict[str, Any]:
    """Copy ``stream`` (its first ``size`` bytes, else all) into entry ``path``; its resource
    entry for ``datapackage.json`` (name, path, sha256 and size of the bytes as stored)."""
    info = zipfile.ZipInfo(path, _now())
    info.compress_type = method
    if size is not None:
        info.file_size = size  # lets zipfile choose ZIP64 before the data for big WARCs
    hasher, copied = hashlib.sha256(), 0
    with package.open(info, "w", force_zip64=size is not None and size > 0x7FFFFFFF) as out:
        while size is None or copied < size:
            chunk = stream.read(_CHUNK if size is None else min(_CHUNK, size - copied))
            if not chunk:
                break
            hasher.update(chunk)
            out.write(chunk)
            copied += len(chunk)
    if size is not None and copied != size:
        name = getattr(stream, "name", path)
        raise OSError(f"{name} shrank during the export ({copied} of {size} bytes read)")
    name = path.rsplit("/", 1)[-1].lower()
    return {"name": name, "path": path, "hash": "sha256:" + hasher.hexdigest(), "bytes": copied}


def _store(package: zipfile.ZipFile, warc: Path, size: int) -> dict[str, Any]:
    with open(warc, "rb") as stream:
        return _add(package, f"archive/{warc.name}", stream, size, zipfile.ZIP_STORED)


class _Bounded(io.RawIOBase):
    """The first ``limit`` bytes of a file (what it held when the export started)."""

    def __init__(self, stream: IO[bytes], limit: int) -> None:
        self.stream, self.left = stream, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self.left)
        data = self.stream.read(want) if want else b""
        buffer[: len(data)] = data
        self.left -= len(data)
        return len(data)


def _index(
    warcs: Sequence[Path], sizes: dict[Path, int], scratch: Path, done: Packaged
) -> dict[tuple[str, int], tuple[str, str]]:
    """Write ``index.cdx.gz`` and ``index.idx`` into ``scratch``; the 14-digit timestamp and
    URL of every HTML capture by (file name, offset). Damaged ranges are left out of the
    index (the records around them are in it) and listed in ``done.skipped``."""
    from cdxj_indexer.main import CDXJIndexer, CompressedWriter, SortingWriter

    class Blocks(CompressedWriter):  # type: ignore[misc]
        def flush(self) -> None:  # (never an empty block after the last full one)
            if self.block:
                super().flush()

    with (
        open(scratch / CDX_NAME, "wb") as blocks,
        open(scratch / "index.idx", "w", encoding="utf-8") as idx,
    ):
        blocked = Blocks(idx, data_out=blocks, num_lines=CDX_LINES, data_out_name=CDX_NAME)
        sorter = SortingWriter(blocked)
        tap = _Tap(sorter)
        indexer = CDXJIndexer(tap, [])
        for warc in warcs:
            done.skipped += _index_file(indexer, tap, warc, sizes[warc])
        if not tap.lines:
            raise ArchiverError("the WARC files hold no record to replay; no WACZ written")
        done.index_lines = tap.lines
        sorter.flush()
    return tap.dates


class _Tap:
    """Between cdxj-indexer and the sort: holds a range's lines until the range was read to
    its end (a damaged one is indexed again in parts), moves their offsets by the range's
    start, counts them and keeps the timestamp and URL of each HTML capture."""

    def __init__(self, out: Any) -> None:
        self.out, self.lines, self.base = out, 0, 0
        self.held: list[str] = []
        self.dates: dict[tuple[str, int], tuple[str, str]] = {}

    def write(self, line: str) -> None:
        self.held.append(line)

    def commit(self) -> None:
        for line in self.held:
            key, ts, fields = line.split(" ", 2)
            record = json.loads(fields)
            if self.base:
                record["offset"] = str(int(record["offset"]) + self.base)
                line = f"{key} {ts} {json.dumps(record)}\n"
            if record.get("mime") in _HTML or record.get("mime") == "warc/revisit":
                self.dates[(record["filename"], int(record["offset"]))] = (ts, record["url"])
            self.out.write(line)
        self.lines += len(self.held)
        self.held = []


def _index_range(indexer: Any, tap: _Tap, warc: Path, start: int, end: int) -> bool:
    """Index bytes ``start`` to ``end`` of ``warc``; whether they were read whole."""
    tap.held, tap.base = [], start
    complaints = io.StringIO()  # warcio writes a gzip error there and stops reading
    with open(warc, "rb") as stream, contextlib.redirect_stderr(complaints):
        stream.seek(start)
        bounded = _Bounded(stream, end - start)
        try:
            indexer.process_one(io.BufferedReader(bounded), tap, str(warc))
        except OSError:
            raise
        except Exception:  # warcio's errors on damaged data
            return False
    if bounded.left or complaints.getvalue():
        return False
    tap.commit()
    return True


def _index_file(indexer: Any, tap: _Tap, warc: Path, size: int) -> list[str]:
    """Index ``warc`` up to ``size``; the damaged ranges left out, as ``Skipped`` lines."""
    if _index_range(indexer, tap, warc, 0, size):
        return []
    reader = WarcReader(warc)  # finds the damaged ranges; the records between are indexed
    for _record in reader:
        pass
    skipped = [s for s in reader.skipped if s.offset < size]
    lost, at = [str(s) for s in skipped], 0
    for start, end in [(s.offset, s.offset + s.length) for s in skipped] + [(size, size)]:
        if at < start and not _index_range(indexer, tap, warc, at, start):
            lost.append(f"{warc.name}@{at}: {start - at} bytes not indexed (unreadable)")
        at = max(at, min(end, size))
    return lost


def _rfc3339(value: str) -> str:
    """``20240102030405`` or an ISO date/time -> ``2024-01-02T03:04:05Z``."""
    if value.isdigit():
        when = dt.datetime.strptime(value[:14], "%Y%m%d%H%M%S")
    else:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if when.tzinfo:
            when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _lines(header: dict, pages: Iterable[Page], dates: dict, done: Packaged) -> Iterable[str]:
    yield json.dumps(header, ensure_ascii=False) + "\n"
    for page in pages:
        ts, url = dates.get((page.warc_filename, page.warc_offset), (None, page.url))
        if ts is None:
            done.pages_undated.append(page.url)
        when = ts or page.seen
        line: dict[str, Any] = {
            "id": hashlib.sha1(page.url.encode()).hexdigest()[:16],
            "url": url,  # as captured (WARC-Target-URI), which replay looks up
            "ts": _rfc3339(when) if when else None,
            "title": page.title or "",
            "text": page.text,
        }
        if line["ts"] is None:
            continue  # (no date at all: a page entry needs one)
        done.pages += 1
        yield json.dumps(line, ensure_ascii=False) + "\n"


def _pages(
    package: zipfile.ZipFile, pages: Iterable[Page], dates: dict, done: Packaged
) -> dict[str, Any]:
    """Write ``pages/pages.jsonl`` (deflated) as the pages come; its resource entry."""
    info = zipfile.ZipInfo(PAGES_PATH, _now())
    info.compress_type = zipfile.ZIP_DEFLATED
    hasher, size = hashlib.sha256(), 0
    header = {"format": "json-pages-1.0", "id": "pages", "title": "Articles", "hasText": True}
    with package.open(info, "w") as out:
        for line in _lines(header, pages, dates, done):
            data = line.encode("utf-8")
            hasher.update(data)
            out.write(data)
            size += len(data)
    digest = "sha256:" + hasher.hexdigest()
    return {"name": "pages.jsonl", "path": PAGES_PATH, "hash": digest, "bytes": size}


def _datapackage(
    resources: list[dict[str, Any]], title: str, description: str, software: str
) -> bytes:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    package: dict[str, Any] = {
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": title,
        "description": description,
        "created": now,
        "modified": now,
        "software": software,
        "resources": resources,
    }
    return _json({k: v for k, v in package.items() if v})
