"""Canonical URLs: one spelling per page, so duplicates are fetched and indexed once."""

import pytest

from archiver.urls import canonical_url


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("http://h/news/1.html?utm_source=fb&utm_medium=x", "http://h/news/1.html"),
        ("http://h/news/1.html?fbclid=abc", "http://h/news/1.html"),
        ("http://h/news/1.html?Itemid=135", "http://h/news/1.html"),
        (
            "http://h/index.php?option=com_content&id=12&Itemid=135",
            "http://h/index.php?id=12&option=com_content",
        ),
        ("http://h/news/1.html#comments", "http://h/news/1.html"),
        ("http://h/ข่าว/1.html", "http://h/%E0%B8%82%E0%B9%88%E0%B8%B2%E0%B8%A7/1.html"),
        (
            "http://h/%e0%b8%82%e0%b9%88%e0%b8%b2%e0%b8%a7/1.html",
            "http://h/%E0%B8%82%E0%B9%88%E0%B8%B2%E0%B8%A7/1.html",
        ),
        ("http://h/news.php?page=2&cat=1", "http://h/news.php?cat=1&page=2"),
    ],
)
def test_variants_of_one_page_share_one_url(variant: str, canonical: str) -> None:
    assert canonical_url(variant) == canonical


def test_different_pages_stay_different() -> None:
    assert canonical_url("http://h/news_detail.php?id=1") != canonical_url(
        "http://h/news_detail.php?id=2"
    )
