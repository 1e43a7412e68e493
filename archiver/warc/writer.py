"""Writing WARC files: request/response (or revisit) and metadata records as fetched, rotation.

Every record carries only the WARC 1.1 fields the standard defines for its type, so that other
readers (warcio, FastWARC, warcat, pywb) accept the files as they are: no
``WARC-Payload-Digest`` on ``metadata`` records (their ``application/warc-fields`` block has
no payload), and warc-fields blocks end with the empty line of the standard's grammar.

A ``304 Not Modified`` is a ``server-not-modified`` revisit with an empty block, as the
standard allows: replay tools then serve the capture it refers to (status, headers and body),
where a block holding the 304's own status line would replay as an empty 304 (pywb does so
for any 3xx status of a revisit). The 304's status line and headers, as the server sent
them, are kept in the fetch's ``metadata`` record (``NOT_MODIFIED_FIELDS``).

Records are built by warcio's record builder uncompressed and gzip-compressed here, one gzip
member per record, because warcio hard-codes zlib level 9 (FACTS.md: 36 MB/CPU-s for images
that do not compress at all). Images and other already-compressed payloads are stored at level
0, text at ``TEXT_LEVEL`` (3 by default; ``ARCHIVER_WARC_GZIP_LEVEL``) with ISA-L (``isal``),
whose levels 1-3 write the same standard gzip members several times faster than zlib.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import socket
import threading
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from isal import isal_zlib
from w3lib.url import safe_url_string
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver import __version__, settings
from archiver.warc.records import (
    PROFILE_NOT_MODIFIED,
    Fetch,
    RecordLocation,
    Revisit,
    WarcWriteError,
    Written,
    payload_digest,
)

logger = logging.getLogger(__name__)

#: gzip level of text records: 1-3 compress with ISA-L, 4-9 with zlib, 0 stores. Measured on
#: 47 KB Thai article pages (one core of the development machine): ISA-L 3 keeps 28.5% of the
#: bytes in 0.17 ms a page, ISA-L 1 30.6% in 0.10 ms; zlib 3 keeps 27.7% in 0.65 ms, zlib 6
#: 22.9% in 2.4 ms. The HTML is a small part of a news site's WARC next to its photos.
TEXT_LEVEL = settings.ARCHIVER_WARC_GZIP_LEVEL
#: Highest level ISA-L compresses at; above it, zlib.
_ISAL_MAX_LEVEL = 3
#: Files rotate once they pass this size (DESIGN.md: "rotated near 1 GB").
DEFAULT_MAX_SIZE = settings.ARCHIVER_WARC_MAX_SIZE
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


def _gzip_member(data: bytes, level: int) -> bytes:
    """``data`` as one gzip member (wbits 31: the gzip container) at ``level`` (see
    ``TEXT_LEVEL``). ISA-L's level 0 is not "stored", so 0 stays with zlib."""
    if 0 < level <= _ISAL_MAX_LEVEL:
        return isal_zlib.compress(data, level, wbits=31)
    return zlib.compress(data, level, wbits=31)


def _level_for(content_type: str, text_level: int) -> int:
    ctype = content_type.split(";", 1)[0].strip().lower()
    return 0 if ctype.startswith(_STORED_PREFIXES) else text_level


class _RecordBuilder(WARCWriter):
    """warcio's builder, but with no payload digest on ``metadata`` records: WARC 1.1 (5.9)
    allows ``WARC-Payload-Digest`` only on records with a well-defined payload, and an
    ``application/warc-fields`` block has none (FastWARC and warcat fail such records).
    warcio has no option for it but this class attribute, the list of types it leaves out."""

    NO_PAYLOAD_DIGEST_TYPES = (*WARCWriter.NO_PAYLOAD_DIGEST_TYPES, "metadata")


#: The fields of a ``metadata`` record that keep a 304's own status line and headers (its
#: revisit record has an empty block): ``http-response: HTTP/1.1 304 Not Modified`` and one
#: ``http-response-header: Name: value`` a header, in the order sent.
NOT_MODIFIED_FIELDS = ("http-response", "http-response-header")


def warc_fields_block(fields: Iterable[tuple[str, str]]) -> bytes:
    """An ``application/warc-fields`` block: ``name: value`` lines and the closing empty line
    of WARC 1.1's ``warc-fields = *named-field CRLF`` (empty values left out)."""
    lines = "".join(f"{name}: {value}\r\n" for name, value in fields if value)
    return (lines + "\r\n").encode("utf-8")


def _warc_date(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
        node: str = "",
    ) -> None:
        self.directory = Path(directory)
        self.node = node  # cluster mode: the node's name, in the file name (records.FILE_NAME)
        self.text_level = text_level
        self.prefix = prefix
        self.max_size = max_size
        self.info = info or {}
        self._stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
        self._serial = 0
        self._file: BinaryIO | None = None
        self._name = ""
        self._builder = _RecordBuilder(io.BytesIO(), gzip=False, warc_version="1.1")
        self._lock = threading.Lock()
        self.bytes_written = 0
        self.records_written = 0

    # -- files ---------------------------------------------------------------------------
    def _open_next(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            node = f"-{self.node}" if self.node else ""
            name = f"{self.prefix}-{self._stamp}{node}-{self._serial:05d}.warc.gz"
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
        body = warc_fields_block(fields.items())
        record = self._builder.create_warc_record(
            "",
            "warcinfo",
            payload=io.BytesIO(body),
            length=len(body),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Filename": filename},
        )
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
        """Write the response (or, given ``revisit``, a revisit record: with the response's
        headers for ``identical-payload-digest``, with no block for ``server-not-modified``),
        its request and (given ``about``, or for a 304) a metadata record saying what the
        crawler took the page for (and holding a 304's status line and headers).

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
        fields = list((about or {}).items())
        if revisit is not None and revisit.profile == PROFILE_NOT_MODIFIED:
            fields += _not_modified_fields(fetch)  # the 304 itself: its revisit block is empty
        if fields:
            members.append(_gzip_member(self._serialize(self._metadata(response, fields)), text))
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

    def _metadata(self, response: ArcWarcRecord, fields: list[tuple[str, str]]) -> ArcWarcRecord:
        body = warc_fields_block(fields)
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
            not_modified = revisit.profile == PROFILE_NOT_MODIFIED
            response = self._builder.create_revisit_record(
                url,
                revisit.digest,
                safe_url_string(revisit.refers_to_uri),
                revisit.refers_to_date,
                # a 304: no block, so that replay serves the capture referred to (see above)
                http_headers=None if not_modified else http_headers,
                warc_headers_dict=dict(warc_headers),
            )
            response.rec_headers.replace_header("WARC-Profile", revisit.profile)
            if not not_modified:  # WARC 1.1 6.7.2: the headers are a response cut at its body
                response.rec_headers.add_header("WARC-Truncated", "length")
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


def _not_modified_fields(fetch: Fetch) -> list[tuple[str, str]]:
    """The 304's status line and headers as ``metadata`` fields (``NOT_MODIFIED_FIELDS``)."""
    status, header = NOT_MODIFIED_FIELDS
    line = f"{fetch.protocol} {fetch.status} {fetch.reason}".strip()
    return [(status, line)] + [
        (header, f"{name}: {value}") for name, value in fetch.response_headers
    ]


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
