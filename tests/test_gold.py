"""The extraction gate: the gold set of agency pages (tests/gold/) with pinned floors.

Each page states its expected title, publication date, people, media and full text; soft
errors state that they are not articles. Floors from issue 3: mean text F1 >= 0.98, no junk,
titles and dates >= 98% exact, writer and photographer exact wherever the page names them.
"""

from __future__ import annotations

from statistics import mean
from urllib.parse import unquote

import pytest

from archiver.extract.article import Article, extract_article
from archiver.extract.pages import page_text
from tests import gold
from tests.gold.metrics import page_f1, prf, shingle_counts, thai_tokens

CASES = gold.load()
ARTICLES = [c for c in CASES if c["article"]]
MEAN_F1_FLOOR = 0.98
PAGE_F1_FLOOR = 0.90
EXACT_FLOOR = 0.98


def _id(case: dict) -> str:
    return f"{case['design']}/{case['name']}"


def _extract(case: dict) -> Article | None:
    return extract_article(page_text(case["body"], case["content_type"], 5_000_000), case["url"])


@pytest.fixture(scope="module")
def results() -> dict[str, Article | None]:
    return {_id(c): _extract(c) for c in CASES}


def test_gold_set_is_big_and_varied() -> None:
    assert len(CASES) >= 40 and len({c["design"] for c in CASES}) >= 6


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_page_is_an_article_or_not(results, case: dict) -> None:
    assert (results[_id(case)] is not None) == case["article"]


@pytest.mark.parametrize("case", ARTICLES, ids=_id)
def test_people_exact_wherever_the_page_names_them(results, case: dict) -> None:
    article = results[_id(case)]
    assert article is not None
    assert (article.author, article.photographer) == (case["author"], case["photographer"])


@pytest.mark.parametrize("case", ARTICLES, ids=_id)
def test_no_junk_and_the_body_is_there(results, case: dict) -> None:
    article = results[_id(case)]
    assert article is not None
    leaks = [junk for junk in case["must_not_contain"] if junk in article.text]
    assert leaks == []
    assert all(phrase in article.text for phrase in case["must_contain"])


@pytest.mark.parametrize("case", ARTICLES, ids=_id)
def test_media_exact(results, case: dict) -> None:
    article = results[_id(case)]
    assert article is not None
    assert [unquote(u) for u in article.images] == [unquote(u) for u in case["images"]]
    assert [unquote(u) for u in article.attachments] == [unquote(u) for u in case["attachments"]]


@pytest.mark.parametrize("case", ARTICLES, ids=_id)
def test_page_text_f1_over_floor(results, case: dict) -> None:
    article = results[_id(case)]
    assert article is not None
    assert page_f1(case["text"], article.text) >= PAGE_F1_FLOOR


def test_mean_text_f1_over_floor(results) -> None:
    """The benchmark's own aggregate: per-page precision and recall averaged, then F1."""
    counts = [
        shingle_counts(thai_tokens(c["text"]), thai_tokens((results[_id(c)] or _EMPTY).text))
        for c in ARTICLES
    ]
    assert (prf(counts)["f1"] or 0.0) >= MEAN_F1_FLOOR


def test_titles_and_dates_exact(results) -> None:
    titles = [(results[_id(c)] or _EMPTY).title == c["title"] for c in ARTICLES]
    dates = [_iso(results[_id(c)]) == c["published"] for c in ARTICLES]
    assert mean(titles) >= EXACT_FLOOR
    assert mean(dates) >= EXACT_FLOOR


def _iso(article: Article | None) -> str | None:
    return article.published.isoformat() if article and article.published else None


_EMPTY = Article("", None, None, None, None, None, "")
