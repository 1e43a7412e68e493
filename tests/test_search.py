"""Search at the edges: digits in both scripts, substrings that are not there, paging through
bounded ranking, batch indexing, changed articles, site: in the query, newest-first order."""

from __future__ import annotations

import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from archiver.cli.output import format_hits
from archiver.errors import IndexMismatchError, QueryError
from archiver.extract.items import ArticleItem
from archiver.index import fulltext
from archiver.index.fulltext import WORD_TOKENIZER
from archiver.index.store import Index
from archiver.search import limits, results
from archiver.search import query as q
from archiver.search.results import search as search_articles
from archiver.thai.words import index_text, segment
from tests.articles import article as _item

DOCS = [
    ("ประชุมคณะรัฐมนตรี ปี ๒๕๖๔", "นายกรัฐมนตรีเป็นประธานการประชุม เมื่อวันที่ ๙ พฤศจิกายน ๒๕๖๔ ที่ทำเนียบรัฐบาล"),
    ("ส่งออกทุเรียน 2564", "กระทรวงพาณิชย์รายงานการส่งออกทุเรียนปี 2564 ไปจีนเพิ่มขึ้น ชาวสวนจังหวัดจันทบุรี"),
    (
        "พระนครศรีอยุธยา",
        "ผู้ว่าราชการจังหวัดพระนครศรีอยุธยาตรวจน้ำท่วม ชาวบ้านสามคนช่วยกันปลอดภัย ประชาชนทุกคนปลอดภัย",
    ),
    ("ยาเสพติด", "ตำรวจยึดยาเสพติดได้จำนวนมาก ผู้ต้องหาเป็นชาวอยุธ ยา ไม่ได้อยู่ในพื้นที่"),
    (
        "COVID-19 Vaccine",
        "Ministry of Public Health: vaccination against Covid-19 reached 80 percent",
    ),
]


@pytest.fixture(autouse=True)
def unhurried(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counting substring-only matches stops after ``COUNT_BUDGET_S`` (5 ms: a bound for a
    million articles). On these small indexes results must not depend on the machine's load
    (a loaded CI machine cut counts short), so the budget is one second here."""
    monkeypatch.setattr(limits, "COUNT_BUDGET_S", 1.0)


@pytest.fixture()
def index(tmp_path: Path) -> Index:
    idx = Index(tmp_path / "index.db")
    statuses = idx.upsert_articles(
        [
            _item(n, t, x, site="labour" if n == 1 else "thaigov", day=n + 1)
            for n, (t, x) in enumerate(DOCS)
        ]
    )
    assert statuses == ["new"] * len(DOCS)
    yield idx
    idx.close()


def _ns(index: Index, text: str, **kw) -> list[int]:
    return [
        int(h.url.rsplit("/", 1)[1]) for h in search_articles(index.conn, text, limit=50, **kw)[1]
    ]


def test_index_text_gives_exactly_the_segment_tokens() -> None:
    texts = [d for pair in DOCS for d in pair] + [
        "จ.พระนครศรีอยุธยา (๑๒๓) A_b C-3PO e\u0301 x\u200by “คำพูด” ๆ ฯลฯ",
        "ก" * 50 + " " + "คุณธรรม " * 600,  # a line long enough to be cut into pieces
        "",
    ]
    conn = sqlite3.connect(":memory:")
    conn.execute(f'CREATE VIRTUAL TABLE t USING fts5(x, tokenize="{WORD_TOKENIZER}")')
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")

    def stored(text: str) -> list[str]:
        conn.execute("DELETE FROM t")
        conn.execute("INSERT INTO t (rowid, x) VALUES (1, ?)", (text,))
        return [row[0] for row in conn.execute("SELECT term FROM v ORDER BY offset")]

    for text in texts:
        # what the index stores for an article is what a query made of its words looks up
        assert stored(index_text(text)) == stored(" ".join(segment(text)))
        assert len(stored(index_text(text))) == len(segment(text))


@pytest.mark.parametrize("query", ["2564", "๒๕๖๔"])
def test_thai_and_arabic_digits_find_each_other(index: Index, query: str) -> None:
    assert sorted(_ns(index, query)) == [0, 1]


def test_substring_whose_trigrams_are_apart_is_not_found(index: Index) -> None:
    # doc 3 has every trigram of "อยุธยา"'s tail only across a space ("อยุธ ยา"): no hit there
    assert _ns(index, "อยุธยา") == [2]
    total, hits = search_articles(index.conn, "ยาอยุธ")
    assert total == 0 and hits == []


def test_short_word_as_a_word_and_latin_any_case(index: Index) -> None:
    assert _ns(index, "คน") == [2]  # "สาม คน", not "ทุกคน" (one word) nor "ประชาชน"
    assert _ns(index, "covid") == [4] == _ns(index, "COVID")
    assert _ns(index, "vaccinE") == [4]


def test_negated_word_also_excludes_it_inside_compounds(index: Index) -> None:
    assert 2 in _ns(index, "จังหวัด")
    assert _ns(index, "จังหวัด -อยุธยา") == [1]


def test_and_not_or_in_capitals_are_operators(index: Index) -> None:
    """``คุณธรรม AND จังหวัด`` looked for the English word "AND" and found nothing."""
    assert _ns(index, "จังหวัด AND อยุธยา") == _ns(index, "จังหวัด อยุธยา") == [2]
    assert _ns(index, "จังหวัด NOT อยุธยา") == _ns(index, "จังหวัด -อยุธยา") == [1]
    assert sorted(_ns(index, "ทุเรียน OR อยุธยา AND จังหวัด")) == [1, 2]
    assert _ns(index, "covid and vaccine") == []  # lower case: words, and "and" is in no text


def test_an_unknown_site_is_an_error_not_zero_results(index: Index) -> None:
    for kw, text in (({"site": "labuor"}, "จังหวัด"), ({}, "จังหวัด site:labuor")):
        with pytest.raises(QueryError, match="unknown site 'labuor'"):
            search_articles(index.conn, text, **kw)
    assert _ns(index, "จังหวัด", site="labour") == [1]


def test_or_and_site_in_the_query(index: Index) -> None:
    assert sorted(_ns(index, "ทุเรียน OR อยุธยา")) == [1, 2]
    assert _ns(index, "ทุเรียน OR อยุธยา site:labour") == [1]
    assert _ns(index, "ทุเรียน site:labour", site="thaigov") == []


def test_operators_around_a_word_are_dropped(index: Index) -> None:
    for odd in ("NEAR(ทุเรียน", "ทุเรียน*", "title:ทุเรียน", "(ทุเรียน)"):
        assert _ns(index, odd) == [1], odd


def test_sort_by_date_is_newest_first(index: Index) -> None:
    assert _ns(index, "จังหวัด", sort="date") == [2, 1]
    assert _ns(index, "ทุเรียน OR อยุธยา", sort="date") == [2, 1]


def test_snippet_marks_thai_digits_for_an_arabic_query() -> None:
    snip = q.snippet("ประชุมเมื่อปี ๒๕๖๔ ที่ทำเนียบ", ["2564"])
    assert "**๒๕๖๔**" in snip


def test_changed_article_is_found_by_its_new_text_only(index: Index) -> None:
    assert index.upsert_article(_item(1, "ส่งออกมังคุด", "การส่งออกมังคุดปีนี้ดี", day=2)) == "changed"
    assert _ns(index, "มังคุด") == [1]
    assert _ns(index, "ทุเรียน") == []
    assert _ns(index, "ทุเร") == []  # the trigram table forgot it too


def test_batch_with_worker_processes_and_a_url_twice(tmp_path: Path) -> None:
    with Index(tmp_path / "index.db", workers=1) as idx:
        items = [_item(n, t, x) for n, (t, x) in enumerate(DOCS)]
        items.append(_item(0, "แก้ไข", "ข้อความใหม่ทั้งหมด"))
        assert list(idx.upsert_stream(items, batch=2)) == ["new"] * 5 + ["changed"]
        assert _ns(idx, "ทุเรียน") == [1]
        assert _ns(idx, "ข้อความใหม่") == [0]
        assert _ns(idx, "ประชุม") == []


def test_paging_through_bounded_ranking_lists_every_hit_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "RANK_CANDIDATES", 3)
    monkeypatch.setattr(limits, "COUNT_CAP", 8)
    with Index(tmp_path / "index.db") as idx:
        idx.upsert_articles(
            [_item(n, f"ข่าว {n}", f"ชาวสวนทุเรียนรายที่ {n} ขายได้ราคาดี") for n in range(12)]
            + [_item(12, "ทุเรียนบ้าน", "ข่าวเก่า")]
        )
        seen = []
        for offset in range(0, 14, 4):
            total, hits = search_articles(idx.conn, "ทุเรียน", limit=4, offset=offset)
            seen += [h.url for h in hits]
        assert total == 8 and total.at_least
        assert len(seen) == len(set(seen)) == 13
        assert seen[0].endswith("/12")  # the title match ranks first
        assert "at least 8 results" in format_hits(total, hits, 12)


def test_an_index_with_old_search_tables_asks_for_reindex(tmp_path: Path) -> None:
    with Index(tmp_path / "index.db") as idx:
        idx.upsert_article(_item(0, *DOCS[0]))
    conn = sqlite3.connect(tmp_path / "index.db")
    with conn:
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'search_schema'")
    conn.close()
    with pytest.raises(IndexMismatchError, match="reindex"):
        Index(tmp_path / "index.db")
    with Index(tmp_path / "index.db", rebuilding=True) as idx:
        idx.reset()
        idx.upsert_article(_item(0, *DOCS[0]))
    with Index(tmp_path / "index.db") as idx:
        assert _ns(idx, "2564") == [0]


def test_search_tables_stay_readable_by_plain_sqlite(index: Index) -> None:
    conn = sqlite3.connect(index.path)
    rows = conn.execute(
        'SELECT rowid FROM articles_tri WHERE articles_tri MATCH \'"ทุเ" AND "เรี"\''
    ).fetchall()
    assert rows == [(2,)]
    conn.close()


def _dated(n: int, site: str, published: str | None) -> ArticleItem:
    text = f"ประชุมคณะรัฐมนตรีเรื่องทุเรียน ครั้งที่ {n} ชาวบ้านสามคนมาด้วย"
    item = _item(n, f"ข่าวที่ {n}", text, site=site)
    item.published = published
    return item


SITES = ["moral-center", "กรม_ข่าว", "labour", "labour2"]


@pytest.fixture()
def dated(tmp_path: Path) -> list[ArticleItem]:
    days = [
        "2019-12-31",
        "2020-01-01",
        "2020-02-29",
        "2020-12-31",
        "2021-06-15",
        None,
        "2023-01-01",
    ]
    items = [_dated(n, SITES[n % len(SITES)], days[n % len(days)]) for n in range(40)]
    return items


@pytest.mark.parametrize(
    ("site", "since", "until"),
    [
        ("moral-center", None, None),
        ("กรม_ข่าว", "2020-01-01", None),
        ("labour", None, "2020-02-28"),  # labour2 shares no token with labour
        (None, "2020-01-02", "2020-12-31"),  # partial months at both ends
        (None, "2019-12-31", "2020-01-01"),  # across a year's end
        (None, "2020-01-01", "2020-12-31"),  # a whole year
        (None, "2021-07-01", "2021-06-01"),  # an empty range
        ("labour2", "2018-01-01", "2030-12-31"),  # years without articles
    ],
)
def test_site_and_date_filters_as_index_terms_find_exactly_the_matching_rows(
    tmp_path: Path, dated: list[ArticleItem], site: str | None, since: str | None, until: str | None
) -> None:
    with Index(tmp_path / "index.db") as idx:
        idx.upsert_articles(dated)
        expected = sorted(
            n
            for n, item in enumerate(dated)
            if (site is None or item.site == site)
            and (since is None or (item.published or "") >= since)
            and (until is None or (item.published is not None and item.published <= until))
        )
        # "คน": the word index alone (no trigram); then both tiers; then the substring tier
        for text in ("คน", "ทุเรียน", "คณะรัฐมนตรีเรื่อง"):
            assert sorted(_ns(idx, text, site=site, since=since, until=until)) == expected, text
            found = results.all_ids(idx.conn, text, site=site, since=since, until=until)
            assert len(found) == len(expected), text


def test_facet_tokens_are_not_found_by_words_a_user_types(tmp_path: Path) -> None:
    with Index(tmp_path / "index.db") as idx:
        idx.upsert_articles([_dated(1, "labour", "2022-03-01")])
        for token in fulltext.facets("labour", "2022-03-01").split():
            assert _ns(idx, token) == [], token
            assert _ns(idx, token.lstrip(fulltext.FACET_MARK)) == [], token
        assert _ns(idx, "ทุเรียน", since="2022-03-01", until="2022-03-01") == [1]


@pytest.mark.parametrize(
    ("year_rows", "count_cap"),
    # a year at once; month by month; down the date index (many matches, all dense)
    [(5000, 1000), (2, 1000), (5000, 5)],
)
def test_sort_by_date_pages_match_a_full_sort_with_undated_last(
    tmp_path: Path,
    dated: list[ArticleItem],
    year_rows: int,
    count_cap: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "YEAR_ROWS", year_rows)
    monkeypatch.setattr(limits, "COUNT_CAP", count_cap)
    with Index(tmp_path / "index.db") as idx:
        idx.upsert_articles(dated)
        for text, site in (("คน", None), ("ทุเรียน", "labour"), ("คณะรัฐมนตรีเรื่อง", None)):
            expected = [
                item.published
                for item in sorted(dated, key=lambda i: i.published or "", reverse=True)
                if site is None or item.site == site
            ]
            expected = [p for p in expected if p] + [p for p in expected if not p]
            seen: list[int] = []
            for offset in range(0, len(expected), 7):
                page = search_articles(
                    idx.conn, text, site=site, sort="date", limit=7, offset=offset
                )[1]
                seen += [int(h.url.rsplit("/", 1)[1]) for h in page]
            assert [dated[n].published for n in seen] == expected, text
            assert len(set(seen)) == len(seen)


def test_sort_by_date_merges_substring_only_matches_by_date(tmp_path: Path) -> None:
    # even: "อยุธยา" a word; odd: only inside "พระนครศรีอยุธยา" (the trigram tier); dates interleave
    items = []
    for n in range(30):
        text = "ไปเที่ยวอยุธยาเมื่อวาน" if n % 2 == 0 else "ผู้ว่าราชการจังหวัดพระนครศรีอยุธยาตรวจน้ำท่วม"
        item = _item(n, f"ข่าว {n}", text)
        item.published = f"2021-{1 + n % 12:02d}-{1 + n:02d}"
        items.append(item)
    expected = sorted(range(30), key=lambda n: (items[n].published, n), reverse=True)
    with Index(tmp_path / "index.db") as idx:
        idx.upsert_articles(items)
        seen = []
        for offset in range(0, 30, 4):
            seen += [
                int(h.url.rsplit("/", 1)[1])
                for h in search_articles(idx.conn, "อยุธยา", sort="date", limit=4, offset=offset)[1]
            ]
    assert [items[n].published for n in seen] == [items[n].published for n in expected]


@pytest.mark.parametrize("text", ["ธยา", "VID", "ยาเ", "ุธย", "ระน"])
def test_three_character_substring_is_one_exact_trigram(index: Index, text: str) -> None:
    # one trigram: the MATCH alone decides, no LIKE; the hits must be those of a plain scan
    containing = {
        n for n, (title, body) in enumerate(DOCS) if text.lower() in f"{title}\n{body}".lower()
    }
    hits = search_articles(index.conn, text, limit=50)[1]
    words = {int(h.url.rsplit("/", 1)[1]) for h in hits if h.match == "word"}
    substrings = {int(h.url.rsplit("/", 1)[1]) for h in hits if h.match == "substring"}
    assert substrings == containing - words and containing


# -- Thai normalisation on both sides --------------------------------------------------------------
#: The same words, typed two ways that look the same: sara am as one code point or as nikhahit +
#: sara aa (text copied from government PDFs), a tone mark typed twice, a zero-width space.
TYPED = {"จำนวน": "จํานวน", "ผู้อำนวยการ": "ผู้อํานวยการ", "น้ำท่วม": "น้ํ้าท่วม", "ชุมชน": "ชุม\u200bชน"}


def test_a_word_finds_the_same_articles_however_it_was_typed_or_stored(tmp_path: Path) -> None:
    from archiver.extract.pages import article_item

    body = "".join(
        f"<p>รายงาน{odd}ประจำจังหวัด ข่าวราชการของหน่วยงานในพื้นที่ ครั้งที่ {n} "
        "เพื่อให้ประชาชนได้รับทราบข้อมูลข่าวสารอย่างทั่วถึงและรวดเร็ว</p>"
        for n, odd in enumerate(TYPED.values())
    )
    page = f"<html><head><title>ข่าวจังหวัด</title></head><body><article><h1>ข่าวจังหวัด</h1>{body}</article></body></html>"
    item = article_item(page, "http://127.0.0.1/news/1.html", "demo", "", None)
    assert item is not None
    with Index(tmp_path / "index.db") as idx:
        idx.upsert_articles([item])
        for plain, odd in TYPED.items():
            assert plain in item.text and odd not in item.text  # stored in one spelling
            for typed in (plain, odd):
                total, hits = search_articles(idx.conn, typed)
                assert total == 1 and hits[0].match == "word", typed


def _spread() -> list[ArticleItem]:
    """60 articles, one every 29 days from 2019-01-03 (distinct dates across five years), two
    sites, all holding the same words."""
    start = date(2019, 1, 3)
    return [
        _dated(n, SITES[n % 2], (start + timedelta(days=29 * n)).isoformat()) for n in range(60)
    ]


@pytest.mark.parametrize(
    ("site", "since", "until"),
    [
        (None, "2020-03-15", "2021-08-10"),  # partial months at both ends, across years
        ("moral-center", "2021-01-01", "2021-12-31"),  # a whole year of one site
        (None, None, "2019-06-30"),  # the archive's first months only
        (None, "2023-02-01", None),  # the last months only
        ("กรม_ข่าว", "2022-06-02", "2022-06-30"),  # less than a month
    ],
)
@pytest.mark.parametrize("sort", ["rank", "date"])
def test_a_date_filter_bounds_the_walk_and_keeps_the_newest_matches_in_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    site: str | None,
    since: str | None,
    until: str | None,
    sort: str,
) -> None:
    # small caps: the walks by year and month (not the sort of every match) are what runs
    monkeypatch.setattr(limits, "COUNT_CAP", 3)
    monkeypatch.setattr(limits, "YEAR_ROWS", 2)
    monkeypatch.setattr(limits, "RANK_CANDIDATES", 2)
    items = _spread()
    newest = [
        n
        for n in sorted(range(60), key=lambda n: items[n].published or "", reverse=True)
        if (site is None or items[n].site == site)
        and (since is None or (items[n].published or "") >= since)
        and (until is None or (items[n].published or "") <= until)
    ]
    assert newest, "the filter must keep some articles"
    with Index(tmp_path / "index.db") as idx:
        idx.upsert_articles(items)
        kw = {"site": site, "since": since, "until": until, "sort": sort}
        found = _ns(idx, "ทุเรียน", **kw)
        assert sorted(found) == sorted(newest)
        if sort == "date":
            assert found == newest
        else:  # the two rank candidates are the filter's two newest, then newest first
            assert sorted(found[:2]) == sorted(newest[:2])
            assert found[2:] == [n for n in newest if n not in found[:2]]


@pytest.mark.parametrize("sort", ["rank", "date"])
def test_the_walk_reads_no_year_or_month_outside_the_date_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sort: str
) -> None:
    # At 1M articles each empty month of the walk cost 3-6 ms: a filter on the first half of
    # 2019 in a 2019-2023 archive read 2019's last six months and 2020-2023 first (154 ms).
    monkeypatch.setattr(limits, "COUNT_CAP", 3)
    monkeypatch.setattr(limits, "YEAR_ROWS", 2)
    monkeypatch.setattr(limits, "RANK_CANDIDATES", 2)
    with Index(tmp_path / "index.db") as idx:
        idx.upsert_articles(_spread())
        statements: list[str] = []
        idx.conn.set_trace_callback(statements.append)
        found = _ns(idx, "ทุเรียน", since="2019-02-01", until="2019-06-30", sort=sort)
        idx.conn.set_trace_callback(None)
    assert sorted(found) == [1, 2, 3, 4, 5, 6]  # 2019-02-01 ... 2019-06-27
    read = set(re.findall(r"\ue000([ym]\d{4,6})", "\n".join(statements)))
    allowed = {"y2019", *(f"m20190{m}" for m in range(2, 7))}
    assert read - allowed == set(), sorted(read - allowed)


@pytest.mark.parametrize(
    ("where", "query"),
    [
        (0.5, "อยุธยา"),  # a Thai word deep in a long text: found in the stored bytes
        (0.999, "อยุธยา"),  # at the very end
        (0.5, "Ayutthaya"),  # with case: the whole text is decoded, as before
        (0.5, "๒๕๖๔"),  # with digits, found by its Arabic form too
    ],
)
def test_the_snippet_of_a_match_deep_in_a_long_text_is_the_one_the_whole_text_gives(
    tmp_path: Path, where: float, query: str
) -> None:
    filler = "คณะรัฐมนตรีมีมติเห็นชอบงบประมาณ\n"
    head = filler * int(120_000 * where / len(filler.encode()))  # past the 32 KB prefix read
    tail = filler * int(120_000 * (1 - where) / len(filler.encode()))
    text = f"{head}ผู้ว่าราชการจังหวัดพระนครศรี อยุธยา Ayutthaya ปี ๒๕๖๔ ตรวจ {tail}"
    with Index(tmp_path / "index.db") as idx:
        idx.upsert_articles([_item(1, "ข่าวยาว", text)])
        statements: list[str] = []
        idx.conn.set_trace_callback(statements.append)
        hits = search_articles(idx.conn, query)[1]
        idx.conn.set_trace_callback(None)
    whole_read = any(s.startswith("SELECT text FROM articles") for s in statements)
    assert whole_read == (query != "อยุธยา")  # a Thai word's text is not decoded whole
    words = q.parse(query).words()
    assert len(hits) == 1
    assert hits[0].snippet == q.snippet(text, words)
    assert hits[0].snippet.startswith("…") and "**" in hits[0].snippet
