"""Reading WARC files back: every intact record of a file, past damage (``WarcReader``), and
one record at an offset (``read_record``).
"""

from __future__ import annotations

import io
import mmap
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from isal import isal_zlib
from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders

from archiver.errors import WarcDamagedError
from archiver.warc.records import RecordLocation

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
