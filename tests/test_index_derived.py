"""Derived files are disposable (issue 13): a damaged ``index.db`` or ``captures.db`` is one
line and exit 1 for every verb; ``reindex`` rebuilds both from the WARCs even from garbage,
beside the live files, so readers see the old index or the new one and a killed reindex
leaves the old one; the run reports survive a rebuild."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, Crawled, load_json_lines, run_cli


def _copy(crawled: Crawled, tmp_path: Path) -> Path:
    archive = tmp_path / "archive"
    shutil.copytree(crawled.archive, archive, ignore=shutil.ignore_patterns(".lock"))
    return archive


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def _urls(archive: Path) -> list[str]:
    result = run_cli("export", archive=archive)
    assert result.returncode == 0, result.stderr
    return sorted(row["url"] for row in load_json_lines(result.stdout))


def _garbage(path: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    path.write_bytes(b"this is not a database\n" * 500)


def _truncate(path: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    size = path.stat().st_size
    with open(path, "r+b") as stream:
        stream.truncate(size // 3)


@pytest.mark.parametrize("damage", [_garbage, _truncate], ids=["garbage", "truncated"])
@pytest.mark.parametrize(
    "verb",
    [["search", "คุณธรรม"], ["export"], ["sites"], ["show", "http://127.0.0.1/none"], ["crawl"]],
    ids=lambda v: v[0],
)
def test_a_damaged_index_is_one_line_and_exit_1(crawled: Crawled, tmp_path, damage, verb) -> None:
    archive = _copy(crawled, tmp_path)
    damage(archive / "index.db")
    args = [*verb, "--url", "http://127.0.0.1:9/news/"] if verb == ["crawl"] else verb
    result = run_cli(*args, archive=archive)
    assert result.returncode == 1, (result.stdout, result.stderr)
    line = _one_line(result)
    assert "index.db is damaged" in line and "archiver reindex" in line, line


def test_a_damaged_captures_db_stops_a_crawl_before_it_fetches(crawled, tmp_path) -> None:
    archive = _copy(crawled, tmp_path)
    _garbage(archive / "captures.db")
    url = crawled.servers["joomla"].base_url + "/news/"
    before = len(crawled.servers["joomla"].log)
    result = run_cli("crawl", "--url", url, archive=archive)
    assert result.returncode == 1
    assert "captures.db is damaged" in _one_line(result)
    assert len(crawled.servers["joomla"].log) == before  # nothing was fetched


@pytest.mark.parametrize("damage", [_garbage, _truncate], ids=["garbage", "truncated"])
def test_reindex_rebuilds_from_garbage_and_keeps_the_run_reports(crawled, tmp_path, damage):
    archive = _copy(crawled, tmp_path)
    expected = _urls(archive)
    with sqlite3.connect(archive / "index.db") as conn:
        reports = [r for (r,) in conn.execute("SELECT report FROM crawls ORDER BY id")]
    assert reports
    damage(archive / "index.db")
    _garbage(archive / "captures.db")
    result = run_cli("reindex", archive=archive)
    assert result.returncode == 0, result.stderr
    assert f"{len(reports)} run reports kept" in result.stdout
    assert _urls(archive) == expected
    with sqlite3.connect(archive / "index.db") as conn:
        again = [r for (r,) in conn.execute("SELECT report FROM crawls ORDER BY id")]
        (captures,) = (
            sqlite3.connect(archive / "captures.db")
            .execute("SELECT count(*) FROM captures")
            .fetchone()
        )
    assert len(again) == len(reports) and captures > 0
    assert not list(archive.glob("*.new*"))  # the rebuild's files are gone


def test_reindex_of_a_readable_index_keeps_its_reports_and_sites(crawled, tmp_path) -> None:
    archive = _copy(crawled, tmp_path)
    (archive / "crawls.jsonl").unlink()  # an archive from before the file existed
    query = "SELECT slug, last_crawl, walked FROM sites ORDER BY slug"
    with sqlite3.connect(archive / "index.db") as conn:
        sites = conn.execute(query).fetchall()
        runs = conn.execute("SELECT count(*) FROM crawls").fetchone()[0]
    result = run_cli("reindex", archive=archive)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(archive / "index.db") as conn:
        assert conn.execute(query).fetchall() == sites
        assert conn.execute("SELECT count(*) FROM crawls").fetchone()[0] == runs
    # and the reports are now in crawls.jsonl too: a rebuild from garbage keeps them
    assert len((archive / "crawls.jsonl").read_text().splitlines()) == runs


def _reindex_process(archive: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "archiver", "reindex", "--archive", str(archive)]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_export_during_a_reindex_answers_in_full_or_refuses(crawled, tmp_path) -> None:
    archive = _copy(crawled, tmp_path)
    expected = _urls(archive)
    process = _reindex_process(archive)
    answers = 0
    for _ in range(60):  # bounded: the reindex takes a few seconds
        result = run_cli("export", archive=archive)
        assert "Traceback" not in result.stderr
        if result.returncode == 0:
            assert sorted(r["url"] for r in load_json_lines(result.stdout)) == expected
            answers += 1
        if process.poll() is not None:
            break
    process.communicate(timeout=120)
    assert process.returncode == 0
    assert answers >= 2  # it answered while the reindex ran, not only before or after
    assert _urls(archive) == expected


@pytest.mark.parametrize("after", [0.8, 1.6, 2.4])
def test_a_reindex_killed_at_any_moment_leaves_the_old_index(crawled, tmp_path, after) -> None:
    archive = _copy(crawled, tmp_path)
    expected = _urls(archive)
    process = _reindex_process(archive)
    time.sleep(after)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert _urls(archive) == expected  # the old index, or the complete new one
    assert run_cli("search", "คุณธรรม", archive=archive).returncode == 0
    result = run_cli("reindex", archive=archive)  # and the next reindex cleans up and completes
    assert result.returncode == 0, result.stderr
    assert _urls(archive) == expected
    assert not list(archive.glob("*.new*"))


def test_reindex_leaves_each_full_text_table_in_one_segment(
    crawled: Crawled, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archiver.index import fulltext
    from archiver.jobs import reindex

    archive = _copy(crawled, tmp_path)
    monkeypatch.setattr(reindex, "REPLAY_BATCH", 1)  # a transaction, and a segment, an article
    reindex.reindex(archive, workers=0)
    with sqlite3.connect(archive / "index.db") as conn:
        segments = {
            table: conn.execute(f"SELECT count(DISTINCT segid) FROM {table}_idx").fetchone()[0]
            for table in fulltext.TABLES
        }
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert articles > 8
    assert segments == dict.fromkeys(fulltext.TABLES, 1)
    assert _urls(archive) == sorted(_urls(crawled.archive))
