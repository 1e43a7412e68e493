"""The SQLite index: upserts and versions, Thai search and its query language, snippets."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archiver.errors import IndexMismatchError, QueryError
from archiver.extract.items import ArticleItem
from archiver.index.store import Index
from archiver.search import query as q
from archiver.search.results import search as search_articles
from archiver.warc.records import RecordLocation

MORAL = (
    "ศูนย์คุณธรรมหารือวัฒนธรรมจังหวัดพระนครศรีอยุธยา ขับเคลื่อนจังหวัดคุณธรรม",
    "ผู้แทนศูนย์คุณธรรมเข้าพบวัฒนธรรมจังหวัดพระนครศรีอยุธยา เพื่อหารือแนวทางการขับเคลื่อน"
    "จังหวัดคุณธรรม ปี 2565 ร่วมกับเครือข่ายทางสังคมทั้ง 9 เครือข่าย",
)
FLOOD = (
    "นายกรัฐมนตรีติดตามสถานการณ์น้ำท่วม",
    "นายกรัฐมนตรีลงพื้นที่ติดตามสถานการณ์น้ำท่วมและมอบถุงยังชีพแก่ประชาชน "
    "ผู้ว่าราชการจังหวัดรายงานว่าระดับน้ำลดลงแล้ว ส่วนศูนย์คุณธรรมส่งอาสาสมัครร่วมช่วยเหลือ",
)
COVID = (
    "ขยายเวลาตรวจโควิด-19 แรงงานต่างด้าว",
    "กระทรวงแรงงานขยายเวลาให้แรงงานต่างด้าวตรวจ COVID-19 และทำประวัติ ที่จังหวัดตาก",
)


def _item(
    n: int, title: str, text: str, published: str = "2021-11-09", site: str = "moral"
) -> ArticleItem:
    return ArticleItem(
        url=f"http://127.0.0.1/news/{n}.html",
        site=site,
        title=title,
        published=published,
        published_raw=None,
        author=None,
        photographer=None,
        text=text,
        fetched_at="2026-01-01T00:00:00+00:00",
        warc=RecordLocation("x.warc.gz", n * 100, 100),
    )


@pytest.fixture()
def index(tmp_path: Path) -> Index:
    idx = Index(tmp_path / "index.db")
    idx.upsert_article(_item(1, *MORAL))
    idx.upsert_article(_item(2, *FLOOD, published="2022-01-05"))
    idx.upsert_article(_item(3, *COVID, published="2021-04-18", site="labour"))
    yield idx
    idx.close()


def _urls(index: Index, query: str, **kw) -> list[str]:
    return [h.url.rsplit("/", 1)[1] for h in search_articles(index.conn, query, **kw)[1]]


def test_upsert_reports_new_unchanged_changed_and_keeps_versions(index: Index) -> None:
    assert index.upsert_article(_item(1, *MORAL)) == "unchanged"
    assert index.upsert_article(_item(1, MORAL[0], MORAL[1] + " เพิ่มเติม")) == "changed"
    versions = index.conn.execute("SELECT text FROM article_versions").fetchall()
    assert versions == [(MORAL[1],)]
    assert _urls(index, "เพิ่มเติม") == ["1.html"]  # search sees the newest text


def test_word_inside_compound_is_found_and_title_match_ranks_first(index: Index) -> None:
    assert _urls(index, "คุณธรรม") == ["1.html", "2.html"]


def test_substring_the_segmenter_misses_is_found_after_word_matches(index: Index) -> None:
    total, hits = search_articles(index.conn, "อยุธยา")
    assert total == 1 and hits[0].match == "substring"


def test_short_word_and_latin_case_insensitive(index: Index) -> None:
    assert _urls(index, "ตาก") == ["3.html"]
    assert _urls(index, "covid") == ["3.html"]


def test_all_words_must_match_or_and_not_and_phrase(index: Index) -> None:
    assert _urls(index, "นายกรัฐมนตรี คุณธรรม") == ["2.html"]
    assert sorted(_urls(index, "น้ำท่วม OR แรงงาน")) == ["2.html", "3.html"]
    assert _urls(index, "คุณธรรม -น้ำท่วม") == ["1.html"]
    assert _urls(index, '"ถุงยังชีพ"') == ["2.html"]


def test_filters_by_site_and_dates(index: Index) -> None:
    assert _urls(index, "จังหวัด", site="labour") == ["3.html"]
    assert _urls(index, "จังหวัด", since="2022-01-01") == ["2.html"]
    assert sorted(_urls(index, "จังหวัด", until="2021-12-31")) == ["1.html", "3.html"]


@pytest.mark.parametrize(
    "bad", ["", "   ", '"', "* : ( )", "OR", "-คุณธรรม", "AND NOT", "NOT คุณธรรม"]
)
def test_queries_with_nothing_to_look_for_are_rejected(index: Index, bad: str) -> None:
    with pytest.raises(QueryError):
        search_articles(index.conn, bad)


@pytest.mark.parametrize(
    "odd",
    [
        'คุณธรรม"',
        "NEAR(คุณธรรม",
        "คุณธรรม*",
        "title:คุณธรรม",
        "คุณธรรม OR",
        '""คุณธรรม""',
        "^คุณธรรม",
        "คุณธรรม NOT",
    ],
)
def test_stray_operators_still_search(index: Index, odd: str) -> None:
    total, hits = search_articles(index.conn, odd)
    assert total >= 0 and all(h.url for h in hits)


def test_very_long_query_is_a_query_error(index: Index) -> None:
    with pytest.raises(QueryError):
        search_articles(index.conn, "คุณธรรม " * 2000)


def test_index_refuses_another_segmenter(tmp_path: Path) -> None:
    Index(tmp_path / "index.db").close()
    conn = sqlite3.connect(tmp_path / "index.db")
    with conn:
        conn.execute("UPDATE meta SET value = 'icu 0.0' WHERE key = 'segmenter'")
    conn.close()
    with pytest.raises(IndexMismatchError):
        Index(tmp_path / "index.db")


def test_snippet_marks_matches_and_never_starts_inside_a_thai_cluster() -> None:
    text = "ก" * 100 + " " + "เมื่อวันอังคารที่ 9 พฤศจิกายน ผู้แทนศูนย์คุณธรรมเข้าพบ" * 5
    snip = q.snippet(text, ["คุณธรรม"], width=60)
    assert "**คุณธรรม**" in snip
    body = snip.lstrip("…")
    assert body[0] not in "ัิีึืุู่้๊๋็์ะาำ"  # a mark never opens the window


def test_segmented_query_is_sent_as_phrases() -> None:
    expr = q.word_match(q.parse("เครือข่ายทางสังคม"))
    assert expr.startswith('("') and " AND " not in expr


def test_reindex_rebuilds_an_index_of_another_segmenter(tmp_path: Path) -> None:
    idx = Index(tmp_path / "index.db")
    idx.upsert_article(_item(1, *MORAL))
    idx.close()
    conn = sqlite3.connect(tmp_path / "index.db")
    with conn:
        conn.execute("UPDATE meta SET value = 'icu 0.0' WHERE key = 'segmenter'")
    conn.close()
    with Index(tmp_path / "index.db", rebuilding=True) as rebuilt:
        rebuilt.reset()
        rebuilt.upsert_article(_item(1, *MORAL))
    with Index(tmp_path / "index.db") as again:  # no mismatch any more
        assert search_articles(again.conn, "คุณธรรม")[0] == 1


def test_captures_kept_in_an_older_index_move_to_captures_db(tmp_path: Path) -> None:
    from archiver.index.capture_log import SCHEMA, CaptureLog, captured_locations

    old = sqlite3.connect(tmp_path / "index.db")
    old.executescript(SCHEMA)  # an archive from before captures.db: the table in index.db
    old.execute(
        "INSERT INTO captures VALUES ('http://127.0.0.1/a.html', 200, 'sha1:X', "
        "'2026-11-25T00:00:00Z', '\"e1\"', NULL, 'text/html', 'f.warc.gz', 0, 10)"
    )
    old.commit()
    old.close()
    assert captured_locations(tmp_path) == [("http://127.0.0.1/a.html", "f.warc.gz", 0)]
    log = CaptureLog.open(tmp_path)
    capture = log.get("http://127.0.0.1/a.html")
    log.close()
    assert capture is not None and capture.etag == '"e1"'  # conditional GETs go on working
    tables = sqlite3.connect(tmp_path / "index.db").execute(
        "SELECT name FROM sqlite_master WHERE name = 'captures'"
    )
    assert tables.fetchall() == []  # moved, not copied
    assert captured_locations(tmp_path) == [("http://127.0.0.1/a.html", "f.warc.gz", 0)]
