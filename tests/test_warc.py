"""WarcFileWriter: records as sent, digests, gzip members, rotation; read back with warcio."""

from __future__ import annotations

import gzip
import random
import zlib
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archiver.jobs.check import check_file
from archiver.warc.reader import iter_records, read_record
from archiver.warc.records import (
    PROFILE_IDENTICAL,
    PROFILE_NOT_MODIFIED,
    Fetch,
    Revisit,
    warc_fields,
)
from archiver.warc.writer import WarcFileWriter


def _fetch(
    url: str = "http://127.0.0.1/ข่าว/1.html",
    body: bytes = b"<html>ok</html>",
    ctype: str = "text/html; charset=utf-8",
    extra: list | None = None,
) -> Fetch:
    return Fetch(
        url=url,
        method="GET",
        request_headers=[("Host", "127.0.0.1")],
        request_body=b"",
        protocol="HTTP/1.1",
        status=200,
        reason="OK",
        response_headers=[("Content-Type", ctype), *(extra or [])],
        body=body,
        ip_address="127.0.0.1",
    )


def test_response_keeps_compressed_body_under_its_content_encoding(tmp_path: Path) -> None:
    html = "<html><body>ข่าวประชาสัมพันธ์</body></html>".encode()
    raw = gzip.compress(html)
    writer = WarcFileWriter(tmp_path, "site")
    location = writer.write_fetch(_fetch(body=raw, extra=[("Content-Encoding", "gzip")])).location
    writer.close()
    record = read_record(tmp_path / location.filename, location.offset)
    assert record.rec_type == "response"
    assert record.http_headers.get_header("Content-Encoding") == "gzip"
    assert record.raw_stream.read() == raw  # stored as sent
    record = read_record(tmp_path / location.filename, location.offset)
    assert record.content_stream().read() == html  # and readable decoded


def test_file_holds_warcinfo_response_request_metadata_linked(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, "site", info={"operator": "tests"})
    writer.write_fetch(_fetch(), {"role": "article", "site": "site"})
    writer.close()
    (path,) = tmp_path.glob("site-*-00000.warc.gz")
    records = list(iter_records(path))
    assert [r.rec_type for r in records] == ["warcinfo", "response", "request", "metadata"]
    response_id = records[1].warc_headers.get_header("WARC-Record-ID")
    assert records[2].warc_headers.get_header("WARC-Concurrent-To") == response_id
    assert records[3].warc_headers.get_header("WARC-Concurrent-To") == response_id
    assert b"role: article" in records[3].payload
    assert b"operator: tests" in records[0].payload
    assert records[2].http_headers.protocol == "GET"
    assert records[1].warc_headers.get_header("WARC-IP-Address") == "127.0.0.1"


def test_every_record_is_its_own_gzip_member_and_digests_verify(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, "site")
    locations = [
        writer.write_fetch(_fetch(f"http://127.0.0.1/{n}.html")).location for n in range(3)
    ]
    writer.close()
    path = tmp_path / locations[0].filename
    data = path.read_bytes()
    for loc in locations:
        member = data[loc.offset : loc.offset + loc.length]
        assert zlib.decompress(member, 31).startswith(b"WARC/1.1")
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream, check_digests=True):
            record.content_stream().read()
            assert record.digest_checker.passed is not False
    assert check_file(path).problems() == []


def test_images_are_stored_uncompressed_inside_gzip(tmp_path: Path) -> None:
    """Level 0 for payloads that do not compress: the member is bigger than the JPEG."""
    jpeg = bytes(range(256)) * 40
    writer = WarcFileWriter(tmp_path, "site")
    loc = writer.write_fetch(_fetch("http://127.0.0.1/a.jpg", jpeg, "image/jpeg")).location
    writer.close()
    assert loc.length > len(jpeg)


def test_rotates_past_max_size_and_never_reopens_old_files(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, "site", max_size=2000)
    for n in range(4):
        noise = random.Random(n).randbytes(3000)  # incompressible: each record > max_size
        writer.write_fetch(_fetch(f"http://127.0.0.1/{n}.jpg", noise, "image/jpeg"))
    writer.close()
    names = sorted(p.name for p in tmp_path.glob("*.warc.gz"))
    assert len(names) == 4 and names[0].endswith("-00000.warc.gz")
    before = {p: p.read_bytes() for p in tmp_path.glob("*.warc.gz")}
    again = WarcFileWriter(tmp_path, "site", max_size=2000)
    again._stamp = names[0].split("-")[1]  # same second as the first run
    again.write_fetch(_fetch())
    again.close()
    assert all(p.read_bytes() == data for p, data in before.items())
    assert len(list(tmp_path.glob("*.warc.gz"))) == 5


def test_truncated_final_member_is_detected(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, "site")
    writer.write_fetch(_fetch(body=b"<html>" + b"y" * 5000 + b"</html>"))
    writer.close()
    (path,) = tmp_path.glob("*.warc.gz")
    assert check_file(path).problems() == []
    path.write_bytes(path.read_bytes()[:-40])
    problems = check_file(path).problems()
    assert problems and "truncated" in problems[0]


def test_text_gzip_level_trades_size_for_cpu_and_reads_back_the_same(tmp_path: Path) -> None:
    rng = random.Random(3)
    words = ["ข่าว", "ประชาสัมพันธ์", "จังหวัด", "คุณธรรม", "<p>", "</p>", "กิจกรรม"]
    html = " ".join(rng.choice(words) for _ in range(20000)).encode()
    sizes = {}
    for level in (1, 2, 3, 6, 9):  # 1-3 with ISA-L, above with zlib: all standard members
        writer = WarcFileWriter(tmp_path / str(level), "site", text_level=level)
        location = writer.write_fetch(_fetch(body=html)).location
        writer.close()
        sizes[level] = location.length
        record = read_record(tmp_path / str(level) / location.filename, location.offset)
        assert record.content_stream().read() == html
        with (tmp_path / str(level) / location.filename).open("rb") as f:
            f.seek(location.offset)
            assert gzip.decompress(f.read(location.length)).startswith(b"WARC/1.1\r\n")
    assert sizes[9] < sizes[1]  # the level reached the response record
    assert sizes[3] < sizes[1]


def _three_fetches(tmp_path: Path) -> Path:
    writer = WarcFileWriter(tmp_path, "site")
    for n in range(3):
        writer.write_fetch(
            _fetch(f"http://127.0.0.1/{n}.html", b"<html>" + b"z" * 3000 + b"</html>")
        )
    writer.close()
    (path,) = tmp_path.glob("site-*.warc.gz")
    return path


def test_reader_resumes_at_the_next_member_and_names_what_was_lost(tmp_path: Path) -> None:
    path = _three_fetches(tmp_path)
    intact = list(iter_records(path))
    first = next(r for r in intact if r.url.endswith("/0.html") and r.rec_type == "response")
    data = bytearray(path.read_bytes())
    data[first.location.offset + first.location.length - 6] ^= 0xFF  # its gzip CRC
    garbage = b"\x1f\x8b\x08 not a member " * 10  # looks like a gzip start, is not one
    cut = first.location.offset + first.location.length
    path.write_bytes(bytes(data[:cut]) + garbage + bytes(data[cut:]))
    reader = iter_records(path)
    got = list(reader)
    assert [r.url for r in got if r.rec_type == "response"] == [
        "http://127.0.0.1/1.html",
        "http://127.0.0.1/2.html",
    ]
    assert len(got) == len(intact) - 1  # only the damaged response
    (skipped,) = reader.skipped  # the bad member and the garbage: one range
    assert (skipped.offset, skipped.length) == (
        first.location.offset,
        first.location.length + len(garbage),
    )
    assert skipped.lost == "response http://127.0.0.1/0.html"
    assert "incorrect" in skipped.reason
    assert str(skipped).startswith(f"{path.name}@{first.location.offset}: ")
    later = next(r for r in got if r.url.endswith("/2.html") and r.rec_type == "response")
    assert read_record(path, later.location.offset).rec_type == "response"  # offsets hold


def test_reader_reads_uncompressed_and_single_member_files(tmp_path: Path) -> None:
    path = _three_fetches(tmp_path)
    plain = b"".join(
        zlib.decompress(
            path.read_bytes()[r.location.offset : r.location.offset + r.location.length], 31
        )
        for r in iter_records(path)
    )
    (tmp_path / "plain.warc").write_bytes(plain)
    assert len(list(iter_records(tmp_path / "plain.warc"))) == 7  # warcinfo + 3 x 2
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(plain))  # another tool's file: one member
    assert [r.location.offset for r in iter_records(whole)] == [0] * 7
    # a flipped byte in an uncompressed payload: its digest says so; reading goes on
    at = plain.index(b"zzzz", plain.index(b"/1.html"))
    damaged = plain[:at] + b"y" + plain[at + 1 :]
    (tmp_path / "plain.warc").write_bytes(damaged)
    reader = iter_records(tmp_path / "plain.warc")
    urls = [r.url for r in reader if r.rec_type == "response"]
    assert urls == ["http://127.0.0.1/0.html", "http://127.0.0.1/2.html"]
    (skipped,) = reader.skipped
    assert (
        skipped.reason == "digest mismatch" and skipped.lost == "response http://127.0.0.1/1.html"
    )


def test_a_file_of_no_warc_data_is_one_skipped_range(tmp_path: Path) -> None:
    for name, data in (
        ("text.warc.gz", b"hello\n" * 1000),
        ("gzip.warc.gz", gzip.compress(b"<html>a gzip file, not a WARC</html>" * 50)),
        ("empty.warc.gz", b""),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        reader = iter_records(path)
        assert list(reader) == []
        assert [(s.offset, s.length) for s in reader.skipped] == ([(0, len(data))] if data else [])


def _pair_with_revisit(tmp_path: Path, second: Fetch, profile: str) -> list:
    """A first capture and a revisit of it (``profile``), read back: warcinfo, response,
    request, metadata, revisit, request, metadata."""
    writer = WarcFileWriter(tmp_path, "site")
    first = _fetch(body=b"<html>the article</html>", extra=[("ETag", '"v1"')])
    written = writer.write_fetch(first, {"role": "article", "site": "site"})
    revisit = Revisit(profile, first.url, written.date, written.digest)
    writer.write_fetch(second, {"role": "article", "site": "site"}, revisit)
    writer.close()
    (path,) = tmp_path.glob("site-*.warc.gz")
    records = list(iter_records(path, check_digests=True))
    assert [r.rec_type for r in records] == [
        "warcinfo",
        *("response", "request", "metadata"),
        *("revisit", "request", "metadata"),
    ]
    return records


def test_metadata_and_warcinfo_are_warc_fields_with_no_payload_digest(tmp_path: Path) -> None:
    """WARC 1.1 5.9: no WARC-Payload-Digest where there is no well-defined payload (FastWARC
    and warcat fail such records); warc-fields blocks end with the grammar's empty line."""
    records = _pair_with_revisit(tmp_path, _fetch(), PROFILE_IDENTICAL)
    for record in records:
        has = record.warc_headers.get_header("WARC-Payload-Digest") is not None
        assert has == (record.rec_type in ("response", "request", "revisit")), record.rec_type
        assert record.warc_headers.get_header("WARC-Block-Digest")
        if record.rec_type in ("warcinfo", "metadata"):
            assert record.warc_headers.get_header("Content-Type") == "application/warc-fields"
            assert record.payload.endswith(b"\r\n\r\n") and b"\r\n\r\n" not in record.payload[:-4]
    assert warc_fields(records[3].payload) == {"role": "article", "site": "site"}


def test_identical_payload_revisit_keeps_the_response_headers(tmp_path: Path) -> None:
    records = _pair_with_revisit(
        tmp_path, _fetch(body=b"<html>the article</html>"), PROFILE_IDENTICAL
    )
    response, revisit = records[1], records[4]
    assert revisit.http_headers.get_statuscode() == "200"
    assert revisit.payload == b""
    headers = revisit.warc_headers
    assert headers.get_header("WARC-Profile") == PROFILE_IDENTICAL
    assert headers.get_header("WARC-Truncated") == "length"  # WARC 1.1 6.7.2
    assert headers.get_header("WARC-Payload-Digest") == response.warc_headers.get_header(
        "WARC-Payload-Digest"
    )
    assert "http-response" not in warc_fields(records[6].payload)


def test_not_modified_revisit_has_no_block_and_its_metadata_keeps_the_304(tmp_path: Path) -> None:
    """A 304 is a server-not-modified revisit with an empty block (replay serves the capture
    it refers to, not an empty 304); the 304's status line and headers are in its metadata."""
    not_modified = Fetch(
        url="http://127.0.0.1/ข่าว/1.html",
        method="GET",
        request_headers=[("Host", "127.0.0.1"), ("If-None-Match", '"v1"')],
        request_body=b"",
        protocol="HTTP/1.1",
        status=304,
        reason="Not Modified",
        response_headers=[("ETag", '"v1"'), ("Date", "Sun, 06 Dec 2026 10:00:00 GMT")],
        body=b"",
    )
    records = _pair_with_revisit(tmp_path, not_modified, PROFILE_NOT_MODIFIED)
    response, revisit, metadata = records[1], records[4], records[6]
    headers = revisit.warc_headers
    assert headers.get_header("Content-Length") == "0" and revisit.http_headers is None
    assert headers.get_header("WARC-Truncated") is None  # nothing was cut: there is no block
    assert headers.get_header("WARC-Profile") == PROFILE_NOT_MODIFIED
    assert headers.get_header("WARC-Refers-To-Target-URI") == response.url
    assert headers.get_header("WARC-Refers-To-Date") == response.warc_headers.get_header(
        "WARC-Date"
    )
    assert headers.get_header("WARC-Payload-Digest") == response.warc_headers.get_header(
        "WARC-Payload-Digest"
    )
    assert metadata.warc_headers.get_header("WARC-Concurrent-To") == headers.get_header(
        "WARC-Record-ID"
    )
    lines = metadata.payload.decode().splitlines()
    assert lines[:4] == [
        "role: article",
        "site: site",
        "http-response: HTTP/1.1 304 Not Modified",
        'http-response-header: ETag: "v1"',
    ]
    assert "http-response-header: Date: Sun, 06 Dec 2026 10:00:00 GMT" in lines
    assert records[5].http_headers.get_header("If-None-Match") == '"v1"'  # the request as sent
