"""``archiver export --wacz`` (issue 16): the WACZ of the fixture crawl, read back as its users
read it: ``wacz validate`` (py-wacz) accepts it, its pages list holds every article with its
title and text, its CDXJ finds every response record, its hashes match (and a changed byte is
caught), and pywb replays every article from it. Bad requests are one line, never a file.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from archiver.urls import canonical_url
from archiver.warc.reader import iter_records, read_record
from archiver.warc.records import site_of
from tests import warc_tools
from tests.conftest import Crawled, run_cli
from tests.test_replay import (
    Crawls,
    _memento,
    _of,
    crawls,  # noqa: F401 - its first crawl and --full recrawl
)


@dataclass
class Exported:
    path: Path
    result: object
    warcs: list[Path]  # the archive's WARC files
    before: dict[str, tuple[int, int]]  # the archive's files: name -> (size, mtime_ns)


def _state(archive: Path) -> dict[str, tuple[int, int]]:
    """The archive's files (size and mtime of the WARCs: what must never change; the databases
    by name only, as a checkpoint by any reader of the test session may rewrite them, and
    SQLite's -wal/-shm files come and go with its connections)."""
    return {
        str(p.relative_to(archive)): (
            (p.stat().st_size, p.stat().st_mtime_ns) if p.parent.name == "warc" else (0, 0)
        )
        for p in sorted(archive.rglob("*"))
        if p.is_file() and not p.name.endswith(("-wal", "-shm"))
    }


@pytest.fixture(scope="module")
def exported(crawled: Crawled, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    assert crawled.result.returncode == 0, crawled.result.stderr
    before = _state(crawled.archive)
    path = tmp_path_factory.mktemp("wacz") / "fixture.wacz"
    result = run_cli("export", "--wacz", str(path), archive=crawled.archive)
    warcs = sorted((crawled.archive / "warc").glob("*.warc.gz"))
    return Exported(path, result, warcs, before)


def _lines(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def _cdxj(package: zipfile.ZipFile) -> list[tuple[str, str, dict]]:
    lines = gzip.decompress(package.read("indexes/index.cdx.gz")).decode().splitlines()
    return [(k, ts, json.loads(rest)) for k, ts, rest in (x.split(" ", 2) for x in lines)]


def test_wacz_validate_accepts_the_wacz_of_the_fixture_crawl(exported: Exported) -> None:
    result = exported.result
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"wrote {exported.path} ("), result.stdout
    assert result.stderr == ""
    done = warc_tools.wacz_validate(exported.path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Version detected as 1.1.1" in done.stdout
    assert "Validation succeeded" in done.stdout


def test_the_package_holds_every_warc_stored_and_hashes_that_match(exported: Exported) -> None:
    with zipfile.ZipFile(exported.path) as package:
        infos = {i.filename: i for i in package.infolist()}
        manifest = json.loads(package.read("datapackage.json"))
        digest = json.loads(package.read("datapackage-digest.json"))
        assert manifest["profile"] == "data-package"
        assert manifest["wacz_version"] == "1.1.1"
        assert manifest["title"] and manifest["created"].endswith("Z")
        assert digest == {
            "path": "datapackage.json",
            "hash": "sha256:" + hashlib.sha256(package.read("datapackage.json")).hexdigest(),
        }
        listed = {r["path"]: r for r in manifest["resources"]}
        assert set(listed) == set(infos) - {"datapackage.json", "datapackage-digest.json"}
        for path, resource in listed.items():
            data = package.read(path)
            assert resource["bytes"] == len(data), path
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest(), path
        warcs = {n for n in infos if n.startswith("archive/")}
        assert warcs == {f"archive/{p.name}" for p in exported.warcs}
        for warc in exported.warcs:  # the files themselves, not deflated again
            info = infos[f"archive/{warc.name}"]
            assert info.compress_type == zipfile.ZIP_STORED
            assert package.read(info) == warc.read_bytes()
        assert infos["indexes/index.cdx.gz"].compress_type == zipfile.ZIP_STORED
        assert {"indexes/index.idx", "pages/pages.jsonl"} <= set(infos)


def test_the_cdxj_finds_every_response_record_in_surt_order(exported: Exported) -> None:
    records = {
        (path.name, r.location.offset): r.url
        for path in exported.warcs
        for r in iter_records(path)
        if r.rec_type in ("response", "revisit")
    }
    with zipfile.ZipFile(exported.path) as package:
        lines = _cdxj(package)
        idx = package.read("indexes/index.idx").decode().splitlines()
        blocks = package.read("indexes/index.cdx.gz")
    found = {(f["filename"], int(f["offset"])): f["url"] for _k, _ts, f in lines}
    assert found == records
    keys = [f"{k} {ts}" for k, ts, _f in lines]
    assert keys == sorted(keys)
    # the secondary index: each gzip block starts with the key it names
    assert json.loads(idx[0].split(" ", 2)[2]) == {
        "format": "cdxj-gzip-1.0",
        "filename": "index.cdx.gz",
    }
    for entry in idx[1:]:
        key, ts, where = entry.split(" ", 2)
        at = json.loads(where)
        block = gzip.decompress(blocks[at["offset"] : at["offset"] + at["length"]])
        assert block.decode().startswith(f"{key} {ts} ")


def test_the_pages_list_holds_every_article_with_title_text_and_capture_time(
    crawled: Crawled, exported: Exported
) -> None:
    with zipfile.ZipFile(exported.path) as package:
        header, *pages = _lines(package.read("pages/pages.jsonl"))
    assert header["format"] == "json-pages-1.0" and header["id"] == "pages"
    assert header["hasText"] is True
    rows = crawled.index_rows("SELECT url, title, text, warc_filename, warc_offset FROM articles")
    assert len(rows) >= 20 and len(pages) == len(rows)
    assert len({p["id"] for p in pages}) == len(pages)
    by_url = {p["url"]: p for p in pages}
    for url, title, text, filename, offset in rows:
        record = read_record(crawled.archive / "warc" / filename, offset)
        captured = record.rec_headers.get_header("WARC-Target-URI")
        page = by_url[captured]
        assert page["title"] == title and page["text"] == text, url
        assert page["text"].strip()
        date = record.rec_headers.get_header("WARC-Date")
        assert page["ts"] == date[:19] + "Z", url


def test_pywb_replays_every_article_from_the_wacz(exported: Exported, tmp_path: Path) -> None:
    """``wb-manager add --unpack-wacz`` (pywb 2.10) takes the package's WARCs and its
    ``index.cdx.gz``; ``id_`` replay of each page gives the payload its record holds."""
    with zipfile.ZipFile(exported.path) as package:
        _header, *pages = _lines(package.read("pages/pages.jsonl"))
        lines = _cdxj(package)
    where = {(f["url"], ts): (f["filename"], int(f["offset"])) for _k, ts, f in lines}
    problems = []
    with warc_tools.wayback(tmp_path / "pywb", "wacz", [exported.path]) as wb:
        for page in pages:
            ts = "".join(c for c in page["ts"] if c.isdigit())
            filename, offset = where[(page["url"], ts)]
            got = wb.get(ts, page["url"])
            if got.status != 200:
                problems.append(f"{page['url']} @{ts}: {got.status}")
                continue
            expected = _payload(exported.warcs, filename, offset)
            if got.body != expected:
                problems.append(f"{page['url']} @{ts}: other bytes")
    assert not problems, "\n".join(problems)


def _payload(warcs: list[Path], filename: str, offset: int) -> bytes:
    """The HTTP payload a response record holds, as stored (still content-encoded)."""
    path = next(p for p in warcs if p.name == filename)
    record = read_record(path, offset)
    return record.raw_stream.read()


@pytest.mark.parametrize(
    "entry", ["pages/pages.jsonl", "indexes/index.idx", "datapackage.json", "archive/"]
)
def test_a_changed_byte_fails_wacz_validate(exported: Exported, tmp_path: Path, entry) -> None:
    """The hashes are checked: a byte changed in an entry after packaging (the pages list,
    the index, the manifest, a WARC) is caught."""
    bad = tmp_path / "edited.wacz"
    with zipfile.ZipFile(exported.path) as source, zipfile.ZipFile(bad, "w") as out:
        edited = ""
        for info in source.infolist():
            data = source.read(info)
            if not edited and info.filename.startswith(entry):
                edited = info.filename
                # in a WARC: byte 5, in the MTIME of the first gzip member, which no CRC
                # covers: every record still reads, only the hash can tell; in the manifest:
                # its title (still valid, each hash in it right: only its digest can tell)
                at = len(data) // 2
                if entry == "archive/":
                    at = 5
                elif entry == "datapackage.json":
                    at = data.index(b"thai-news")
                data = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]
            out.writestr(info, data)
    done = warc_tools.wacz_validate(bad)
    assert done.returncode != 0, done.stdout
    assert "Validation failed" in done.stdout
    name = edited.rsplit("/", 1)[-1]
    if entry == "datapackage.json":
        assert "datapackage.json hash mismatch to datapackage-digest.json" in done.stdout
    else:
        assert f"'{name}': [{{'type': 'hash-count'" in done.stdout, done.stdout


def test_a_site_wacz_holds_only_that_sites_warcs_and_articles(
    crawled: Crawled, exported: Exported, tmp_path: Path
) -> None:
    site = site_of(exported.warcs[0].name)
    path = tmp_path / "one-site.wacz"
    result = run_cli("export", "--site", site, "--wacz", str(path), archive=crawled.archive)
    assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(path) as package:
        warcs = {n for n in package.namelist() if n.startswith("archive/")}
        _header, *pages = _lines(package.read("pages/pages.jsonl"))
        lines = _cdxj(package)
    assert warcs == {f"archive/{p.name}" for p in exported.warcs if site_of(p.name) == site}
    assert {f["filename"] for _k, _ts, f in lines} == {w.split("/", 1)[1] for w in warcs}
    rows = crawled.index_rows("SELECT COUNT(*) FROM articles WHERE site = ?", site)
    assert len(pages) == rows[0][0] > 0
    done = warc_tools.wacz_validate(path)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--site", "no-such-site"], 2, "no WARC files of site 'no-such-site'"),
        (["--since", "2021"], 2, "no --since/--until"),
        ([], 2, "a WACZ file's name ends in .wacz"),  # (FILE is out.zip below)
        ([], 2, "no directory"),  # (FILE is in a missing directory)
        ([], 1, "not written"),  # (FILE is in /sys, which even root cannot write)
    ],
    ids=["unknown-site", "dates", "not-wacz", "missing-dir", "unwritable"],
)
def test_bad_requests_are_one_line_and_leave_no_file_and_the_archive_untouched(
    crawled: Crawled, exported: Exported, tmp_path: Path, args, code, message, request
) -> None:
    target = {
        "not-wacz": tmp_path / "out.zip",
        "missing-dir": tmp_path / "missing" / "out.wacz",
        "unwritable": Path("/sys/archiver-test.wacz"),
    }.get(request.node.callspec.id, tmp_path / "out.wacz")
    result = run_cli("export", *args, "--wacz", str(target), archive=crawled.archive)
    assert result.returncode == code, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) <= 3
    assert not target.exists() and not list(target.parent.glob(f".{target.name}.*"))
    assert _state(crawled.archive) == exported.before


def test_no_archive_is_one_line(tmp_path: Path) -> None:
    target = tmp_path / "out.wacz"
    result = run_cli("export", "--wacz", str(target), archive=tmp_path / "nothing")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("archiver: no WARC files under "), result.stderr
    assert not target.exists() and not (tmp_path / "nothing").exists()


def test_a_damaged_warc_is_packaged_and_its_damage_named(crawled: Crawled, tmp_path: Path) -> None:
    """WARC files are never rewritten, so damage stays: the package holds the file as it is,
    its index every intact record (before and after the damage), and the damaged range is
    named as ``reindex`` names it; exit 1, as for ``reindex`` of a damaged archive. (``wacz
    validate`` rejects such a package: frictionless reads each .gz resource through gzip.)"""
    archive = tmp_path / "archive"
    shutil.copytree(crawled.archive, archive)
    warc = max((archive / "warc").glob("*.warc.gz"), key=lambda p: p.stat().st_size)
    records = list(iter_records(warc))
    intact = [(r.location.offset, r.rec_type) for r in records]
    data = bytearray(warc.read_bytes())
    # inside the response nearest the file's middle (whatever record sits there)
    hit = min(
        (r for r in records if r.rec_type == "response"),
        key=lambda r: abs(r.location.offset - len(data) // 2),
    )
    middle = hit.location.offset + hit.location.length // 2
    data[middle : middle + 64] = b"\0" * 64
    warc.write_bytes(bytes(data))
    reader = iter_records(warc)
    survivors = {r.location.offset for r in reader if r.rec_type in ("response", "revisit")}
    assert len(reader.skipped) == 1 and survivors
    target = tmp_path / "out.wacz"
    result = run_cli("export", "--wacz", str(target), archive=archive)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [f"damaged: {reader.skipped[0]}"]
    assert "1 damaged WARC ranges left out of the index" in result.stdout
    with zipfile.ZipFile(target) as package:
        assert package.read(f"archive/{warc.name}") == bytes(data)
        lines = _cdxj(package)
    indexed = {int(f["offset"]) for _k, _ts, f in lines if f["filename"] == warc.name}
    assert indexed == survivors
    assert min(indexed) < middle < max(indexed)
    assert len(survivors) < sum(t in ("response", "revisit") for _o, t in intact)


def test_pywb_replays_a_recrawl_of_revisits_from_its_wacz_as_from_its_warcs(
    crawls: Crawls,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    """The WACZ of a first crawl and a ``--full`` recrawl made of revisits (both profiles):
    every 200 capture of both, at its timestamp, replays from the package with 200 and the
    bytes the server sends, as ``test_replay`` checks it from the WARCs; the pages point at
    the newest capture of each article."""
    path = tmp_path / "recrawl.wacz"
    result = run_cli("export", "--wacz", str(path), archive=crawls.archive)
    assert result.returncode == 0, result.stdout + result.stderr
    done = warc_tools.wacz_validate(path)
    assert done.returncode == 0, done.stdout + done.stderr
    captures = [
        c for c in _of(crawls, crawls.first + crawls.recrawl) if c.url in crawls.server_bytes
    ]
    assert {c.rec_type for c in captures if c.role == "article"} == {"response", "revisit"}
    with zipfile.ZipFile(path) as package:
        _header, *pages = _lines(package.read("pages/pages.jsonl"))
    assert {canonical_url(p["url"]) for p in pages} == crawls.articles
    problems = []
    with warc_tools.wayback(tmp_path / "pywb", "recrawl", [path]) as wb:
        for capture in captures:
            got = wb.get(capture.timestamp, capture.url)
            if got.status != 200 or got.body != crawls.server_bytes[capture.url]:
                problems.append(
                    f"{capture.rec_type} {capture.url} @{capture.timestamp}: {got.status}"
                )
        for page in pages:
            ts = "".join(c for c in page["ts"] if c.isdigit())
            got = wb.get(ts, page["url"])
            if got.status != 200 or got.headers.get("memento-datetime") != _memento(ts):
                problems.append(f"page {page['url']} @{ts}: {got.status}")
    assert not problems, "\n".join(problems)
