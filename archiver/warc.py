"""WARC files: write request/response records as fetched, rotate files, read records back.

The WARC files are the archive's source of truth: the index is derived from them. Records are
written by warcio's record builder uncompressed and gzip-compressed here, one gzip member per
record, because warcio hard-codes zlib level 9 (FACTS.md: 36 MB/CPU-s for images that do not
compress at all). Images and other already-compressed payloads are stored at level 0, text at
``TEXT_LEVEL`` (3 by default; ``ARCHIVER_WARC_GZIP_LEVEL``) with ISA-L (``isal``), whose levels
1-3 write the same standard gzip members several times faster than zlib.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import logging
import mmap
import os
import re
import socket
import threading
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from isal import isal_zlib
from w3lib.url import safe_url_string
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver import __version__
from archiver.errors import WarcDamagedError

logger = logging.getLogger(__name__)

#: gzip level of text records: 1-3 compress with ISA-L, 4-9 with zlib, 0 stores. Measured on
#: 47 KB Thai article pages (one core of the development machine): ISA-L 3 keeps 28.5% of the
#: bytes in 0.17 ms a page, ISA-L 1 30.6% in 0.10 ms; zlib 3 keeps 27.7% in 0.65 ms, zlib 6
#: 22.9% in 2.4 ms. The HTML is a small part of a news site's WARC next to its photos.
TEXT_LEVEL = 3
#: Highest level ISA-L compresses at; above it, zlib.
_ISAL_MAX_LEVEL = 3
#: Files rotate once they pass this size (DESIGN.md: "rotated near 1 GB").
DEFAULT_MAX_SIZE = 1_000_000_000
#: Payload types whose bytes are already compressed: gzip level 0 saves CPU, costs ~0.1% size.
_STORED_PREFIXES = (
    "image/",
    "video/",
    "audio/",
    "application/zip",
    "application/pdf",
    "application/x-rar",
    "application/gzip",
    "application/octet-stream",
)


@dataclass(frozen=True)
class RecordLocation:
    """Where one record sits: the gzip member at ``offset`` of ``length`` bytes in ``filename``."""

    filename: str
    offset: int
    length: int


PROFILE_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


class WarcWriteError(OSError):
    """A record could not be written (disk full, I/O error); the file was cut back to its last
    whole record. Raised by ``WarcFileWriter.write_fetch`` with the ``errno`` of the failed
    write (``errors.is_disk_full`` tells a full disk)."""


def payload_digest(body: bytes) -> str:
    """``sha1:<base32>``, the WARC-Payload-Digest of a body (as sent, still content-encoded)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()


@dataclass(frozen=True)
class Revisit:
    """Write a revisit record instead of a response: same content as an earlier capture."""

    profile: str  # PROFILE_IDENTICAL or PROFILE_NOT_MODIFIED
    refers_to_uri: str
    refers_to_date: str
    digest: str  # the payload digest of the earlier capture


@dataclass(frozen=True)
class Written:
    """What ``write_fetch`` wrote: where the response (or revisit) record is, its date, the
    payload digest, and whether it was a revisit."""

    location: RecordLocation
    date: str
    digest: str
    revisit: bool


@dataclass
class Fetch:
    """One HTTP exchange as it went over the wire (body still content-encoded)."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    protocol: str
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    body: bytes
    ip_address: str | None = None
    date: dt.datetime | None = None


def _gzip_member(data: bytes, level: int) -> bytes:
    """``data`` as one gzip member (wbits 31: the gzip container) at ``level`` (see
    ``TEXT_LEVEL``). ISA-L's level 0 is not "stored", so 0 stays with zlib."""
    if 0 < level <= _ISAL_MAX_LEVEL:
        return isal_zlib.compress(data, level, wbits=31)
    return zlib.compress(data, level, wbits=31)


def _level_for(content_type: str, text_level: int) -> int:
    ctype = content_type.split(";", 1)[0].strip().lower()
    return 0 if ctype.startswith(_STORED_PREFIXES) else text_level


def _warc_date(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


#: ``<site slug>-<YYYYMMDDhhmmss>-<serial>.warc.gz``: the names ``WarcFileWriter`` gives.
FILE_NAME = re.compile(r"(.+)-\d{14}-\d{5}\.warc\.gz")


def site_of(filename: str) -> str:
    """The site slug a WARC file of ours is named after, or "" (a file of another tool)."""
    match = FILE_NAME.fullmatch(filename)
    return match.group(1) if match else ""


class WarcFileWriter:
    """Appends records to ``<dir>/<prefix>-<YYYYMMDDhhmmss>-<serial>.warc.gz`` files.

    Each record is flushed as soon as it is written, so a killed process leaves every complete
    record readable; files are only ever appended to and a new file starts past ``max_size``.
    """

    def __init__(
        self,
        directory: Path,
        prefix: str,
        max_size: int = DEFAULT_MAX_SIZE,
        info: dict[str, str] | None = None,
        text_level: int = TEXT_LEVEL,
    ) -> None:
        self.directory = Path(directory)
        self.text_level = text_level
        self.prefix = prefix
        self.max_size = max_size
        self.info = info or {}
        self._stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
        self._serial = 0
        self._file: BinaryIO | None = None
        self._name = ""
        self._builder = WARCWriter(io.BytesIO(), gzip=False, warc_version="1.1")
        self._lock = threading.Lock()
        self.bytes_written = 0
        self.records_written = 0

    # -- files ---------------------------------------------------------------------------
    def _open_next(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            name = f"{self.prefix}-{self._stamp}-{self._serial:05d}.warc.gz"
            self._serial += 1
            try:  # unbuffered: each fetch's records go out in one write() call
                self._file = open(self.directory / name, "xb", buffering=0)
            except FileExistsError:  # append-only: never reopen a file an earlier run wrote
                continue
            self._name = name
            break
        try:
            self._write_members([_gzip_member(self._warcinfo(name), self.text_level)])
        except WarcWriteError:  # not even its warcinfo fits: leave no empty file behind
            self._file.close()
            self._file = None
            (self.directory / name).unlink(missing_ok=True)
            raise

    def _warcinfo(self, filename: str) -> bytes:
        fields = {
            "software": f"thai-news-archiver/{__version__} (warcio, scrapy)",
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            "hostname": socket.gethostname(),
            **self.info,
        }
        record = self._builder.create_warcinfo_record(filename, fields)
        return self._serialize(record)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    # -- records -------------------------------------------------------------------------
    def _serialize(self, record: ArcWarcRecord) -> bytes:
        out = io.BytesIO()
        self._builder._write_warc_record(out, record)  # gzip=False: plain record bytes
        return out.getvalue()

    def _write_members(self, members: list[bytes]) -> RecordLocation:
        """Append gzip members in a single ``write()`` and return where the first one went.

        One system call per fetch means a process killed (even with SIGKILL) between two
        fetches leaves only whole records; a failed write (disk full) is cut back to the file's
        last whole record and raised as ``WarcWriteError``.
        """
        assert self._file is not None
        data = b"".join(members)
        offset = self._file.tell()
        try:
            view = memoryview(data)
            while view:
                written = self._file.write(view)
                view = view[written or 0 :]
        except OSError as exc:
            error = WarcWriteError(exc.errno, f"writing {self._name}: {exc.strerror or exc}")
            try:
                self._file.truncate(offset)
                self._file.seek(offset)
            except OSError:  # cannot even cut back: reading resynchronises at the next record
                logger.error("could not cut %s back to its last whole record", self._name)
            raise error from exc
        self.bytes_written += len(data)
        self.records_written += len(members)
        return RecordLocation(self._name, offset, len(members[0]))

    def write_fetch(
        self, fetch: Fetch, about: dict[str, str] | None = None, revisit: Revisit | None = None
    ) -> Written:
        """Write the response (or, given ``revisit``, a revisit record with the headers only),
        its request and (given ``about``) a metadata record saying what the crawler took the
        page for.

        The metadata record (``application/warc-fields``, concurrent to the response) keeps the
        crawl's decisions (article, listing, image, attachment; which site; which article a
        file belongs to) in the WARC itself, so the index can be rebuilt from the WARCs alone.
        """
        response, request = self._build_pair(fetch, revisit)
        text = self.text_level
        level = text if revisit else _level_for(_content_type(fetch.response_headers), text)
        members = [
            _gzip_member(self._serialize(response), level),
            _gzip_member(self._serialize(request), text),
        ]
        if about:
            members.append(_gzip_member(self._serialize(self._metadata(response, about)), text))
        with self._lock:
            if self._file is None or self._file.tell() >= self.max_size:
                if self._file is not None:
                    self._file.close()
                self._open_next()
            location = self._write_members(members)
        headers = response.rec_headers
        return Written(
            location,
            headers.get_header("WARC-Date"),
            headers.get_header("WARC-Payload-Digest"),
            revisit is not None,
        )

    def _metadata(self, response: ArcWarcRecord, about: dict[str, str]) -> ArcWarcRecord:
        body = "".join(f"{k}: {v}\r\n" for k, v in about.items() if v).encode()
        return self._builder.create_warc_record(
            response.rec_headers.get_header("WARC-Target-URI"),
            "metadata",
            payload=io.BytesIO(body),
            length=len(body),
            warc_content_type="application/warc-fields",
            warc_headers_dict={
                "WARC-Date": response.rec_headers.get_header("WARC-Date"),
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            },
        )

    def _build_pair(
        self, fetch: Fetch, revisit: Revisit | None = None
    ) -> tuple[ArcWarcRecord, ArcWarcRecord]:
        url = safe_url_string(fetch.url)  # WARC-Target-URI and request line must be ASCII
        date = _warc_date(fetch.date or dt.datetime.now(dt.UTC))
        warc_headers = {"WARC-Date": date}
        if fetch.ip_address:
            warc_headers["WARC-IP-Address"] = fetch.ip_address
        http_headers = StatusAndHeaders(
            f"{fetch.status} {fetch.reason}".strip(),
            _archivable_headers(fetch.response_headers),
            protocol=fetch.protocol,
        )
        if revisit is not None:
            response = self._builder.create_revisit_record(
                url,
                revisit.digest,
                safe_url_string(revisit.refers_to_uri),
                revisit.refers_to_date,
                http_headers=http_headers,
                warc_headers_dict=dict(warc_headers),
            )
            response.rec_headers.replace_header("WARC-Profile", revisit.profile)
        else:
            response = self._builder.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(fetch.body),
                length=len(fetch.body),
                http_headers=http_headers,
                warc_headers_dict={
                    **warc_headers,
                    "WARC-Payload-Digest": payload_digest(fetch.body),
                },
            )
        request_line = f"{fetch.method} {_request_target(url)} {fetch.protocol}"
        request = self._builder.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(fetch.request_body),
            length=len(fetch.request_body),
            http_headers=StatusAndHeaders(request_line, fetch.request_headers, protocol=""),
            warc_headers_dict={
                **warc_headers,
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        return response, request


def _content_type(headers: list[tuple[str, str]]) -> str:
    return next((v for k, v in headers if k.lower() == "content-type"), "")


def _request_target(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _archivable_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The response headers to store beside the body as we have it.

    Scrapy's HTTP client removes chunked transfer coding before we see the body, so a
    ``Transfer-Encoding: chunked`` header would not match the stored body; it is kept under the
    ``X-Archive-Orig-`` name that replay tools (pywb) recognise. ``Content-Encoding`` stays,
    because the body is stored still compressed, exactly as sent.
    """
    fixed = []
    for name, value in headers:
        if name.lower() == "transfer-encoding":
            name = "X-Archive-Orig-Transfer-Encoding"
        fixed.append((name, value))
    return fixed


# -- reading back -----------------------------------------------------------------------------
#: Compressed bytes fed to the decompressor at a time.
_CHUNK = 1 << 16
_GZIP_START = b"\x1f\x8b\x08"  # gzip magic and the deflate method: where a member may begin
_WARC_START = b"WARC/1."
#: Bytes of a damaged record decompressed again in small steps to name what it held.
_HEAD_BYTES = 8192
_INFLATE_ERRORS = (zlib.error, cast(type[Exception], isal_zlib.error))


@dataclass(frozen=True)
class Skipped:
    """A byte range of a WARC file that held no readable record and was skipped: ``reason``
    says why (bad or truncated gzip member, unreadable record, not WARC data), ``lost`` what
    record it held when its headers could still be read (``response http://...``), else ""."""

    filename: str
    offset: int
    length: int
    reason: str
    lost: str = ""

    def __str__(self) -> str:
        what = f"; lost {self.lost}" if self.lost else ""
        return f"{self.filename}@{self.offset}: {self.length} bytes skipped ({self.reason}){what}"


class _Damaged(Exception):
    """A record that cannot be read: ``args[0]`` says why, ``head`` holds what could be
    decompressed of its start (to name the record)."""

    def __init__(self, reason: str, head: bytes = b"") -> None:
        super().__init__(reason)
        self.head = head


def _inflate(view: mmap.mmap, pos: int) -> tuple[bytes, int]:
    """The decompressed data of the gzip member at ``pos`` and where the member ends; raises
    ``_Damaged`` for a member that is truncated or fails to decompress (CRC included)."""
    size = len(view)
    decomp = isal_zlib.decompressobj(31)  # ISA-L: the same result, faster than zlib
    out = []
    at = pos
    try:
        while not decomp.eof:
            if at >= size:
                raise _Damaged("truncated gzip member", _head(view, pos))
            chunk = view[at : at + _CHUNK]
            out.append(decomp.decompress(chunk))
            at += len(chunk)
    except _INFLATE_ERRORS as exc:
        raise _Damaged(f"bad gzip member: {_zlib_message(exc)}", _head(view, pos)) from None
    return b"".join(out), at - len(decomp.unused_data)


def _zlib_message(exc: Exception) -> str:
    """``incorrect data check`` of zlib's and ISA-L's ``Error -3 ...`` messages."""
    text = re.sub(r"^Error -?\d+ (while decompressing data: )?", "", str(exc))
    return text[:1].lower() + text[1:]


def _head(view: mmap.mmap, pos: int) -> bytes:
    """What a damaged member decompresses to before the damage (at most ``_HEAD_BYTES``),
    fed in small pieces so that the output before the error is kept."""
    decomp = zlib.decompressobj(31)
    out = b""
    at = pos
    while len(out) < _HEAD_BYTES and at < len(view) and not decomp.eof:
        try:
            out += decomp.decompress(view[at : at + 256], _HEAD_BYTES - len(out))
        except zlib.error:
            break
        at += 256
    return out


def _plain_record(view: mmap.mmap, pos: int) -> tuple[bytes, int]:
    """An uncompressed record at ``pos``: its bytes and where it ends (headers,
    ``Content-Length`` bytes of block, a blank line), or ``_Damaged``."""
    window = bytes(view[pos : pos + _CHUNK])
    head_end = window.find(b"\r\n\r\n")
    if head_end < 0:
        raise _Damaged("unreadable WARC headers", window[:_HEAD_BYTES])
    length = _header_field(window[:head_end], b"content-length")
    if length is None or not length.isdigit():
        raise _Damaged("WARC record without Content-Length", window[:head_end])
    end = pos + head_end + 4 + int(length) + 4
    if end > len(view):
        raise _Damaged("truncated record", window[:head_end])
    if view[end - 4 : end] != b"\r\n\r\n":
        raise _Damaged("record does not end where its Content-Length says", window[:head_end])
    return bytes(view[pos:end]), end


def _header_field(head: bytes, name: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        key, sep, value = line.partition(b":")
        if sep and key.strip().lower() == name:
            return value.strip()
    return None


_RECORD_TYPES = {
    "warcinfo",
    "response",
    "resource",
    "request",
    "metadata",
    "revisit",
    "conversion",
    "continuation",
}
_URL = re.compile(r"[a-z][a-z0-9+.-]*://[!-~]+")


def _lost(head: bytes) -> str:
    """``<type> <url>`` of a record whose start is ``head``, as far as its WARC headers are
    readable there (a damaged deflate stream decompresses to garbage: only a known record
    type and a well-formed URL are believed)."""
    if not head.startswith(_WARC_START):
        return ""
    block = head.split(b"\r\n\r\n", 1)[0]
    kind = (_header_field(block, b"warc-type") or b"").decode("latin-1")
    if kind not in _RECORD_TYPES:
        return ""
    url = (_header_field(block, b"warc-target-uri") or b"").decode("latin-1")
    return f"{kind} {url}" if _URL.fullmatch(url) else kind


def _parse(
    data: bytes, filename: str, offset: int, length: int, digests: bool
) -> list[StoredRecord]:
    """The records in ``data`` (one gzip member's or one uncompressed record's bytes), payloads
    read and content-decoded; ``_Damaged`` if warcio cannot read them or (``digests``) a
    digest does not match."""
    records = []
    try:
        for record in ArchiveIterator(io.BytesIO(data), check_digests=digests):
            payload = record.content_stream().read()
            if digests and record.digest_checker.passed is False:
                raise _Damaged("digest mismatch", data[:_HEAD_BYTES])
            records.append(
                StoredRecord(
                    record.rec_type,
                    record.rec_headers.get_header("WARC-Target-URI") or "",
                    record.rec_headers,
                    record.http_headers,
                    payload,
                    RecordLocation(filename, offset, length),
                )
            )
    except _Damaged:
        raise
    except Exception as exc:  # warcio raises many kinds on a broken record
        raise _Damaged(f"unreadable record: {exc}", data[:_HEAD_BYTES]) from None
    if not records:
        raise _Damaged("no WARC record", data[:_HEAD_BYTES])
    return records


def _member_at(view: mmap.mmap, pos: int) -> tuple[bytes, int, bool]:
    """The bytes of the record at ``pos`` (a gzip member, decompressed, or an uncompressed
    record), where it ends, and whether it was gzipped; ``_Damaged`` if none is readable."""
    if view[pos : pos + 3] == _GZIP_START:
        data, end = _inflate(view, pos)
        return data, end, True
    if view[pos : pos + len(_WARC_START)] == _WARC_START:
        data, end = _plain_record(view, pos)
        return data, end, False
    raise _Damaged("not a gzip member or WARC record")


def _gzip_warc_at(view: mmap.mmap, pos: int) -> bool:
    """Whether a gzip member that decompresses to a WARC record starts at ``pos``."""
    try:
        start = zlib.decompressobj(31).decompress(view[pos : pos + 1024], len(_WARC_START))
    except zlib.error:
        return False
    return start == _WARC_START


class WarcReader:
    """The records of one WARC file, read past damage: ``for record in WarcReader(path)``.

    Each gzip member (each record, in the files we write) is decompressed and parsed on its
    own. A member that is truncated, fails to decompress or its CRC, or holds no readable
    WARC record is skipped: reading resumes at the next gzip member that decompresses to
    ``WARC/1.`` (in an uncompressed file: at the next ``WARC/1.`` header after a blank line),
    and the range in between is noted in ``skipped`` (file, offset, bytes, the reason, and the
    record it held when its headers were readable). A file that holds no WARC data at all
    is one skipped range. Uncompressed records have no CRC: their digests are checked instead
    (``check_digests``: those of every record, a mismatch counting as damage).

    Records are returned whole (payload in memory); a member holding several records (other
    tools' files) gives them all with the member's offset. ``skipped`` is complete once the
    iteration has ended.
    """

    def __init__(self, path: Path, start: int = 0, check_digests: bool = False) -> None:
        self.path = Path(path)
        self.start = start
        self.check_digests = check_digests
        self.skipped: list[Skipped] = []

    def __iter__(self) -> Iterator[StoredRecord]:
        self.skipped = []
        with open(self.path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size <= self.start:
                return
            with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                yield from self._walk(mapped)

    def _walk(self, view: mmap.mmap) -> Iterator[StoredRecord]:
        size = len(view)
        gzipped = view[:3] == _GZIP_START
        plain = view[: len(_WARC_START)] == _WARC_START
        pos = self.start
        while pos < size:
            try:
                records, end = self._read_at(view, pos)
            except _Damaged as damage:
                resume = self._resume(view, pos + 1, gzipped or not plain, not gzipped)
                self._skip(pos, resume - pos, str(damage), _lost(damage.head))
                pos = resume
                continue
            yield from records
            pos = end

    def _read_at(self, view: mmap.mmap, pos: int) -> tuple[list[StoredRecord], int]:
        data, end, gzipped = _member_at(view, pos)
        if not data.startswith(_WARC_START):
            raise _Damaged("gzip data that is not a WARC record")
        # uncompressed records have no CRC: their digests are checked instead
        digests = self.check_digests or not gzipped
        return _parse(data, self.path.name, pos, end - pos, digests), end

    @staticmethod
    def _resume(view: mmap.mmap, pos: int, gzip: bool, plain: bool) -> int:
        """Where the next readable-looking record starts at or after ``pos`` (else the end)."""
        found = len(view)
        at = pos
        while gzip and (at := view.find(_GZIP_START, at, found)) >= 0:
            if _gzip_warc_at(view, at):
                found = at
                break
            at += 1
        at = pos
        while plain and (at := view.find(_WARC_START, at, found)) >= 0:
            if at == 0 or view[at - 4 : at] == b"\r\n\r\n":
                found = at
                break
            at += 1
        return found

    def _skip(self, offset: int, length: int, reason: str, lost: str) -> None:
        last = self.skipped[-1] if self.skipped else None
        if last is not None and last.offset + last.length == offset:  # one range, one report
            self.skipped[-1] = Skipped(
                last.filename, last.offset, last.length + length, last.reason, last.lost
            )
            return
        self.skipped.append(Skipped(self.path.name, offset, length, reason, lost))


def iter_records(path: Path, start: int = 0, check_digests: bool = False) -> WarcReader:
    """Every intact record of a file (from byte ``start`` on, a record's start), payload read
    (and content-decoded) into memory; damaged ranges are skipped and listed in the reader's
    ``skipped`` (see ``WarcReader``)."""
    return WarcReader(path, start, check_digests)


def read_record(path: Path, offset: int) -> ArcWarcRecord:
    """The record at ``offset`` of a WARC file (its HTTP payload readable with content_stream);
    ``WarcDamagedError`` (one line naming file and offset) if it is missing or damaged."""
    path = Path(path)
    with open(path, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        if offset >= size:
            raise WarcDamagedError(
                f"{path.name}@{offset}: the record is missing (the file ends at byte {size}): "
                "`archiver check` says more"
            )
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as view:
            try:
                data, _end, _gzipped = _member_at(view, offset)
            except _Damaged as damage:
                raise WarcDamagedError(
                    f"{path.name}@{offset}: damaged record ({damage}): `archiver check` says more"
                ) from None
    try:
        return next(iter(ArchiveIterator(io.BytesIO(data))))
    except Exception as exc:  # warcio raises many kinds on a broken record
        raise WarcDamagedError(f"{path.name}@{offset}: unreadable record ({exc})") from None


@dataclass
class StoredRecord:
    """One record read back: its WARC and HTTP headers, the decoded payload, where it sits."""

    rec_type: str
    url: str
    warc_headers: StatusAndHeaders
    http_headers: StatusAndHeaders | None
    payload: bytes
    location: RecordLocation


def read_payload(directory: Path, location: RecordLocation) -> tuple[bytes, str]:
    """The body (content-decoded) and Content-Type of an archived response
    (``WarcDamagedError`` if its record is damaged)."""
    record = read_record(Path(directory) / location.filename, location.offset)
    ctype = record.http_headers.get_header("Content-Type") if record.http_headers else ""
    return record.content_stream().read(), ctype or ""


def warc_files(directory: Path) -> list[Path]:
    """The archive's WARC files, oldest first."""
    return (
        sorted(p for p in Path(directory).glob("*.warc.gz") if p.is_file())
        if os.path.isdir(directory)
        else []
    )


def file_sizes(directory: Path) -> dict[str, int]:
    """The size of each WARC file in ``directory``, by name."""
    return {path.name: path.stat().st_size for path in warc_files(directory)}


def whole_on_disk(
    filename: str | None, offset: int | None, length: int | None, sizes: dict[str, int]
) -> bool:
    """Whether a row's record lies within its file (``sizes``: ``file_sizes``); a row with
    no location (older archives) is taken as whole."""
    if not filename or offset is None:
        return True
    return offset + (length or 1) <= sizes.get(filename, -1)
