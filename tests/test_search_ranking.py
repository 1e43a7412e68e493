"""Our bm25 for phrase queries (``archiver.search.ranking``) against FTS5's own ``bm25()``."""

from __future__ import annotations

from pathlib import Path

import pytest

from archiver.index.store import Index
from archiver.search import query as q
from archiver.search import ranking
from archiver.search.results import search as search_articles
from tests.articles import article as _item

PHRASE = "สถานการณ์การแพร่ระบาด"  # three words for the segmenter: FTS5 scans every match
FILLER = "รัฐบาลจัดประชุมเรื่องเศรษฐกิจของประเทศ "


@pytest.fixture()
def index(tmp_path: Path) -> Index:
    items = []
    for n in range(12):  # the phrase 1-4 times, texts of different lengths, some in the title
        title = f"{PHRASE}ล่าสุด" if n % 4 == 0 else f"ข่าวรัฐบาล {n}"
        text = (f"{PHRASE} ") * (1 + n % 4) + FILLER * (1 + n % 5)
        items.append(_item(n, title, text))
    items.append(_item(99, "ข่าวอื่น", FILLER * 3))  # no match
    idx = Index(tmp_path / "index.db")
    idx.upsert_articles(items)
    yield idx
    idx.close()


def test_phrase_scores_order_rows_as_fts5_bm25_does(index: Index) -> None:
    query = q.parse(PHRASE)
    assert ranking.needed(index.conn, query, ranking.corpus(index.conn))
    expr = q.word_match(query)
    fts = dict(
        index.conn.execute(
            "SELECT rowid, -bm25(articles_fts, 5.0, 1.0, 0.0) FROM articles_fts "
            "WHERE articles_fts MATCH ?",
            (expr,),
        ).fetchall()
    )
    ours = ranking.scores(index.conn, query, list(fts), (5.0, 1.0))
    assert set(ours) == set(fts) and len(fts) == 12
    # one phrase: FTS5's score is ours times the phrase's IDF, the same for every row
    ratios = {round(fts[i] / ours[i], 6) for i in fts}
    assert len(ratios) == 1, ratios
    assert sorted(fts, key=fts.__getitem__) == sorted(ours, key=ours.__getitem__)


def test_search_ranks_a_title_match_and_more_occurrences_first(index: Index) -> None:
    hits = search_articles(index.conn, PHRASE, limit=20)[1]
    ranks = [int(h.url.rsplit("/", 1)[1]) for h in hits]
    assert len(ranks) == 12 and 99 not in ranks
    assert set(ranks[:3]) == {0, 4, 8}  # the title matches
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_several_terms_weigh_the_rarer_one_more(index: Index) -> None:
    query = q.parse(f"{PHRASE} ประชุม")
    rows = [r[0] for r in index.conn.execute("SELECT id FROM articles")]
    stats = ranking.corpus(index.conn)
    rare = ranking.doc_frequency(index.conn, q.word_match(q.parse(PHRASE)), stats)
    common = ranking.doc_frequency(index.conn, q.word_match(q.parse("ประชุม")), stats)
    assert (rare, common) == (12, 13)
    assert ranking.idf(stats.rows, 1) > ranking.idf(stats.rows, 12)
    assert set(ranking.scores(index.conn, query, rows, (5.0, 1.0))) == set(rows)


def test_varints_read_sqlite_encoding() -> None:
    assert ranking.varints(bytes([0x05, 0x81, 0x00, 0x7F])) == [5, 128, 127]
