"""Ranked order (issue 15): titles holding all the terms, then fewer, then the body only, bm25
within each, date and URL on ties; the same whatever the insert order; the title table kept in
step with the articles and added to an index of the previous search schema in place."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from archiver.extract.items import ArticleItem
from archiver.index import fulltext
from archiver.index.store import Index
from archiver.search import limits
from archiver.search.results import search
from tests.articles import article

FILLER = "กระทรวงจัดประชุมเรื่องงบประมาณประจำปีของหน่วยงาน "


def _ns(idx: Index, text: str, **kw: object) -> list[int]:
    return [int(h.url.rsplit("/", 1)[1]) for h in search(idx.conn, text, limit=50, **kw)[1]]


def _archive() -> list[ArticleItem]:
    """Title matches inserted first (the oldest rowids), then 40 body-only matches of both
    words, newer and wordier."""
    items = [
        article(40, "ธุรกิจการผลิตของชุมชนเติบโต", FILLER * 6, day=1),  # both words, in one
        article(41, "ธุรกิจ ท่องเที่ยวฟื้นตัว", f"{FILLER} การผลิต", day=2),  # one word in title
        article(42, "ชาวพระนครศรีอยุธยาขายผลผลิต", FILLER, day=3),  # อยุธยา inside a name
        article(43, "ข่าวเช้า", f"{FILLER} ที่อยุธยา วันนี้ อยุธยา", day=25),  # อยุธยา a word, body
    ]
    items += [
        article(n, f"ข่าวรอบวัน {n}", f"ธุรกิจ การผลิต {FILLER * (n % 3 + 1)} ธุรกิจ", day=20)
        for n in range(40)
    ]
    return items


@pytest.fixture()
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Index:
    # fewer candidates than matches: the title matches must come from the title table
    monkeypatch.setattr(limits, "RANK_CANDIDATES", 5)
    idx = Index(tmp_path / "index.db")
    idx.upsert_articles(_archive())
    yield idx
    idx.close()


def test_a_title_holding_all_the_terms_comes_first_whatever_its_age(index: Index) -> None:
    ranked = _ns(index, "ธุรกิจ การผลิต")
    assert ranked[0] == 40, ranked  # old and short, outside the 5 newest: still first
    assert sorted(ranked) == list(range(42))  # every match listed once


def test_all_terms_in_the_title_then_fewer_then_the_body(
    index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "RANK_CANDIDATES", 50)  # every match a candidate
    ranked = _ns(index, "ธุรกิจ การผลิต")
    assert ranked[:2] == [40, 41], ranked  # 41: one of the two words in its title


def test_a_title_holding_the_term_inside_a_name_beats_a_body_word(index: Index) -> None:
    hits = search(index.conn, "อยุธยา", limit=5)[1]
    assert [h.url.rsplit("/", 1)[1] for h in hits] == ["42", "43"]
    assert [h.match for h in hits] == ["substring", "word"]


def test_filters_and_negations_hold_for_title_matches(index: Index) -> None:
    assert 40 not in _ns(index, "ธุรกิจ การผลิต", since="2021-01-02")
    assert 40 not in _ns(index, "ธุรกิจ การผลิต -ชุมชน")
    assert _ns(index, "อยุธยา -ผลผลิต") == [43]


def test_the_same_articles_inserted_in_another_order_rank_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "RANK_CANDIDATES", 7)
    monkeypatch.setattr(limits, "TITLE_CAP", 3)
    items = _archive()
    shuffled = items[:]
    random.Random(15).shuffle(shuffled)
    orders = []
    for name, batch in (("a", items), ("b", shuffled), ("c", shuffled[::-1])):
        with Index(tmp_path / name / "index.db") as idx:
            for item in batch:  # one at a time: rowids follow this order
                idx.upsert_article(item)
            runs = []
            for text in ("ธุรกิจ การผลิต", "อยุธยา", "ธุรกิจ", "การผลิต -ชุมชน"):
                for offset in (0, 4, 9):
                    total, hits = search(idx.conn, text, limit=6, offset=offset)
                    runs.append((text, int(total), [(h.url, h.score, h.match) for h in hits]))
            orders.append(runs)
    assert orders[0] == orders[1] == orders[2]
    rowids = {
        name: sqlite3.connect(tmp_path / name / "index.db")
        .execute("SELECT id FROM articles WHERE url LIKE '%/40'")
        .fetchone()
        for name in "abc"
    }
    assert len(set(rowids.values())) > 1  # the orders did give other rowids


def test_paging_lists_every_hit_once_across_the_candidates_edge(index: Index) -> None:
    seen: list[int] = []
    for offset in range(0, 50, 3):
        seen += [
            int(h.url.rsplit("/", 1)[1])
            for h in search(index.conn, "ธุรกิจ", limit=3, offset=offset)[1]
        ]
    assert len(seen) == len(set(seen)) == 42
    assert set(seen[:2]) == {40, 41}  # the titles holding it, whatever their age


def test_the_title_table_follows_changes(index: Index) -> None:
    assert index.upsert_article(article(40, "ข่าวอื่น", FILLER, day=1)) == "changed"
    assert 40 not in _ns(index, "ธุรกิจ การผลิต")
    rows = index.conn.execute(
        "SELECT rowid FROM articles_title WHERE articles_title MATCH '\"ธุรกิจการผลิต\"'"
    ).fetchall()
    assert rows == []
    integrity = "INSERT INTO articles_title (articles_title) VALUES ('integrity-check')"
    index.conn.execute(integrity)  # raises when the table disagrees with its content


def test_an_index_of_search_schema_3_gets_its_title_table_in_place(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    with Index(path) as idx:
        idx.upsert_articles(_archive())
    conn = sqlite3.connect(path)
    with conn:  # as schema 3 left it: no title table
        conn.execute("DROP TABLE articles_title")
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'search_schema'")
    conn.close()
    with Index(path) as idx:  # opens without a reindex
        meta = dict(idx.conn.execute("SELECT key, value FROM meta").fetchall())
        assert meta["search_schema"] == str(fulltext.SEARCH_SCHEMA)
        assert _ns(idx, "อยุธยา")[:2] == [42, 43]
        idx.conn.execute("INSERT INTO articles_title (articles_title) VALUES ('integrity-check')")


def test_a_page_filled_by_full_title_matches_is_the_same_without_the_newest_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twelve titles hold both words (old ones, and newer ones that are also among the newest
    word matches); a page of 5 is filled by them, so the newest matches' dates are not read,
    and every page is what the whole candidate set orders."""
    monkeypatch.setattr(limits, "RANK_CANDIDATES", 8)
    items = [
        article(n, f"ธุรกิจการผลิต รอบ {n}", f"{FILLER * (n % 4 + 1)} ธุรกิจ", day=1 + n % 9)
        for n in range(12)
    ]
    items[10].published = items[11].published = "2021-01-28"  # title matches among the newest
    items += [article(20, "ธุรกิจ ครัวเรือน", f"{FILLER} การผลิต", day=27)]  # one term in title
    items += [  # body only, newer and wordier
        article(n, f"ข่าวรอบวัน {n}", f"ธุรกิจ การผลิต ธุรกิจ การผลิต {FILLER}", day=20 + n % 7)
        for n in range(30, 60)
    ]
    with Index(tmp_path / "index.db") as idx:
        idx.upsert_articles(items)
        statements: list[str] = []
        idx.conn.set_trace_callback(statements.append)
        whole_total, whole = search(idx.conn, "ธุรกิจ การผลิต", limit=60)
        assert any("articles_search_filter WHERE id IN" in s for s in statements)
        assert len(whole) == 43
        for offset in (0, 5, 7, 10):
            statements.clear()
            total, page = search(idx.conn, "ธุรกิจ การผลิต", limit=5, offset=offset)
            assert [(h.url, h.score, h.match) for h in page] == [
                (h.url, h.score, h.match) for h in whole[offset : offset + 5]
            ]
            assert int(total) == int(whole_total) == 43
            newest_read = any("articles_search_filter WHERE id IN" in s for s in statements)
            assert newest_read == (offset + 5 > 12), offset
        urls = [h.url for h in whole]
        assert {u.rsplit("/", 1)[1] for u in urls[:12]} == {str(n) for n in range(12)}
        assert urls[12].endswith("/20")
