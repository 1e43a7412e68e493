"""From a fetched page to an ``ArticleItem``: the one path shared by crawls and ``reindex``.

Whatever is decided here (what counts as HTML, how it is decoded, which pages are articles)
applies in the same way to a live crawl and to a replay of the WARCs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import urljoin

from archiver.extract.article import Article, extract_article
from archiver.extract.items import ArticleItem
from archiver.extract.requisites import DEFAULT_ICON
from archiver.thai.encoding import charset_of, decode_html
from archiver.urls import canonical_url
from archiver.warc.records import RecordLocation

logger = logging.getLogger(__name__)


class NotAPage(Exception):
    """A response that cannot be read as an HTML page; the message is the reason."""


def page_text(body: bytes, content_type: str, max_bytes: int) -> str:
    """The page decoded to text (charset from the header, the page, or detection)."""
    ctype = (content_type or "").lower()
    if ctype and not any(t in ctype for t in ("html", "xml", "text")):
        raise NotAPage(f"not HTML ({ctype.split(';')[0]})")
    if len(body) > max_bytes:
        raise NotAPage(f"page of {len(body)} bytes, over the {max_bytes}-byte limit")
    if not body.strip():
        raise NotAPage("empty page")
    return decode_html(body, charset_of(ctype))[0]


def article_item(
    html: str, url: str, site: str, fetched_at: str, warc: RecordLocation | None
) -> ArticleItem | None:
    """The article on a page, or None when the page holds none (soft 404, empty, ...)."""
    article = extract_article(html, url)
    if article is None:
        return None
    return ArticleItem(
        url=canonical_url(url),
        site=site,
        title=article.title,
        published=article.published.isoformat() if article.published else None,
        published_raw=article.published_raw,
        author=article.author,
        photographer=article.photographer,
        text=article.text,
        images=_unique(canonical_url(u) for u in article.images),
        attachments=_unique(canonical_url(u) for u in article.attachments),
        lang=article.lang,
        fetched_at=fetched_at,
        warc=warc,
        image_sources=_unique(canonical_url(u) for u in article.image_sources),
        requisites=article.requisites,
        loads=_loads(article, url),
    )


def _loads(article: Article, url: str) -> list[str]:
    """``ArticleItem.loads``: the other sources of the pictures and the requisites, but
    the site's ``/favicon.ico`` when the page names no icon (most sites have none)."""
    listed = {canonical_url(u) for u in [*article.images, *article.attachments]}
    guessed = canonical_url(urljoin(url, DEFAULT_ICON))
    found = _unique(canonical_url(u) for u in [*article.image_sources, *article.requisites])
    return [u for u in found if u not in listed and u != guessed]


def _unique(urls: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(urls))
