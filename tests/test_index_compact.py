"""A crawl's index writer ends by merging the full-text tables' segments when they have piled
up (``fulltext.compact``): a search reads one b-tree per term again. Not when the run changed
no article, nor in an archive too large to rewrite after every run (``archiver reindex`` does
it there)."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.index import fulltext
from archiver.index.store import Index
from archiver.jobs import index_writer
from archiver.search.results import search
from tests.articles import article


def _segments(path: Path) -> dict[str, int]:
    with Index(path) as index:
        return {t: fulltext.segments(index.conn, t) for t in fulltext.TABLES}


def _run(path: Path, numbers: range, title: str = "ข่าวกระทรวงเกษตร") -> None:
    """One crawl's writes as the pipeline hands them over: a batch (a commit) per article."""
    index_writer.open_index(str(path))
    for n in numbers:
        index_writer.write([article(n, f"{title} {n}", f"เกษตรกรปลูกข้าว {n} ไร่")], [])
    index_writer.close_index()


@pytest.fixture(autouse=True)
def _few_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fulltext, "COMPACT_SEGMENTS", 2)


def test_a_run_that_wrote_articles_leaves_one_segment_per_table(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    index_writer.open_index(str(path))
    for n in range(7):
        index_writer.write([article(n, f"ข่าวกระทรวงเกษตร {n}", "เกษตรกรปลูกข้าว")], [])
    assert index_writer._index is not None
    before = {t: fulltext.segments(index_writer._index.conn, t) for t in fulltext.TABLES}
    assert all(count > 2 for count in before.values()), before
    index_writer.close_index()
    assert _segments(path) == dict.fromkeys(fulltext.TABLES, 1)
    with Index(path) as index:  # and the index answers as before
        total, hits = search(index.conn, "เกษตรกร", limit=10)
        assert int(total) == 7 and len(hits) == 7
        index.conn.execute("INSERT INTO articles_title (articles_title) VALUES ('integrity-check')")


def test_a_run_that_changed_no_article_leaves_the_segments(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    with Index(path) as index:
        for n in range(7):
            index.upsert_article(article(n, f"ข่าวกระทรวงเกษตร {n}", f"เกษตรกรปลูกข้าว {n} ไร่"))
    before = _segments(path)
    assert max(before.values()) > 2
    _run(path, range(7))  # the same articles again: unchanged
    assert _segments(path) == before


def test_an_archive_over_the_size_limit_is_left_to_reindex(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fulltext, "COMPACT_MAX_ARTICLES", 5)
    path = tmp_path / "index.db"
    _run(path, range(7))
    assert max(_segments(path).values()) > 2
