"""Article items for the search and ranking tests (what a page worker hands the index)."""

from __future__ import annotations

from archiver.extract.items import ArticleItem


def article(n: int, title: str, text: str, site: str = "thaigov", day: int = 1) -> ArticleItem:
    """Article ``n`` of ``site``, published on 2021-01-``day``."""
    return ArticleItem(
        url=f"http://127.0.0.1/n/{n}",
        site=site,
        title=title,
        published=f"2021-01-{day:02d}",
        published_raw=None,
        author=None,
        photographer=None,
        text=text,
        fetched_at="2026-01-01T00:00:00+00:00",
    )
