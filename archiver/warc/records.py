"""WARC record types and file names as plain data: where a record sits, what a fetch was,
revisit profiles, payload digests, the archive's WARC files. No warcio here: the index writer
process imports this and nothing heavier.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path


def warc_fields(payload: bytes) -> dict[str, str]:
    out = {}
    for line in payload.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            out[name.strip()] = value.strip()
    return out


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


#: ``<site slug>-<YYYYMMDDhhmmss>-<serial>.warc.gz``: the names ``WarcFileWriter`` gives; in
#: cluster mode ``<site slug>-<YYYYMMDDhhmmss>-<node>-<serial>.warc.gz`` (each node writes its
#: own files: two writers never share one).
FILE_NAME = re.compile(r"(.+?)-\d{14}(?:-([A-Za-z0-9][A-Za-z0-9._-]{0,62}))?-\d{5}\.warc\.gz")


def site_of(filename: str) -> str:
    """The site slug a WARC file of ours is named after, or "" (a file of another tool)."""
    match = FILE_NAME.fullmatch(filename)
    return match.group(1) if match else ""


def node_of(filename: str) -> str:
    """The cluster node that wrote a WARC file of ours, or "" (one machine, another tool)."""
    match = FILE_NAME.fullmatch(filename)
    return (match.group(2) or "") if match else ""


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
