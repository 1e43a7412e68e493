"""Generic discovery on a news listing page: which links are articles, which are more pages.

Works from the listing URL alone (no per-site configuration), with rules kept as data:
Joomla category blogs (``h2.item-title``, ``อ่านต่อ``, ``?start=N``), WordPress (``rel=bookmark``,
``/page/N/``), legacy PHP (``news_detail.php?id=N``, ``?page=N``, ``หน้าถัดไป >>``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from lxml import etree
from lxml.cssselect import CSSSelector
from parsel import Selector

from archiver.extract.nodes import NodeMatcher
from archiver.registry import host_of
from archiver.urls import canonical_url

#: Regions of a listing page that hold site navigation, never the listing's articles.
NAVIGATION_REGIONS = (
    "header",
    "nav",
    "footer",
    "aside",
    ".menu",
    ".nav",
    ".navbar",
    "#menu",
    ".sidebar",
    "#sidebar",
    ".breadcrumb",
    ".breadcrumbs",
    ".pagination",
    ".pager",
    ".tags",
    ".tagcloud",
    ".widget",
    ".moduletable",
    ".page-numbers",
    ".nav-links",
    "#footer",
    "#header",
)
#: Links that name an article: headlines, bookmarks and read-more links.
ARTICLE_LINK_SELECTORS = (
    "h1 a",
    "h2 a",
    "h3 a",
    "h4 a",
    ".item-title a",
    ".entry-title a",
    "a[rel~=bookmark]",
    "a.readmore",
    ".readmore a",
    "p.readmore a",
    ".read-more a",
    "a.read-more",
)
#: Link texts of read-more links.
READ_MORE_TEXTS = ("อ่านต่อ", "อ่านเพิ่มเติม", "รายละเอียด", "read more")
#: URLs that look like one article's page even outside a headline (legacy PHP sites).
ARTICLE_URL = re.compile(r"(detail|/view/|/content/|/news/\d|[?&](id|nid|news_id|newsid)=\d)", re.I)
#: URLs that are never articles: tags, categories, print views, feeds, logins, search.
NOT_ARTICLE_URL = re.compile(
    r"(/tags?/|/category/|/categories/|/component/tags|/author/|[?&]print=|tmpl=component|"
    r"format=feed|/feed/?$|/rss|/login|/search|/wp-login|[?&]lang=|/page/\d+/?$|"
    r"[?&](start|page|paged)=\d+$|#)",
    re.I,
)
#: Texts of "next page" links (Thai and common symbols), compared after stripping spaces.
NEXT_TEXTS = ("ถัดไป", "หน้าถัดไป", "»", "›", ">", ">>", "next", "next»", "next›", "หน้าต่อไป")
#: Query keys and path shapes of listing pagination: Joomla, generic, WordPress.
PAGE_KEYS = ("start", "page", "paged", "limitstart", "p")
WP_PAGE_PATH = re.compile(r"^(?P<base>.*?/)page/\d+/?$")
_SPACE_RUN = re.compile(r"\s+")


def _absolute(base: str, href: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
        return None
    return canonical_url(_joined(base, href))


def _is_media(url: str, media_extensions: tuple[str, ...]) -> bool:
    path = urlsplit(url).path.lower()
    return path.endswith(tuple("." + ext for ext in media_extensions))


#: Links to files, never to articles (images, documents, archives, audio and video).
MEDIA_EXTENSIONS = tuple(
    "jpg jpeg png gif webp svg pdf doc docx xls xlsx ppt pptx odt ods zip rar mp4 mp3".split()
)


def listing_key(url: str) -> tuple[str, str]:
    """(host, path) identifying a listing apart from its page number."""
    parts = urlsplit(url)
    path = parts.path
    match = WP_PAGE_PATH.match(path)
    if match:
        path = match.group("base")
    return host_of(url), path


#: The selectors above compiled once (``Selector.css`` compiles its XPath again on every call);
#: the navigation regions as set lookups in one walk (as XPath, half a listing page's time).
_NAVIGATION = NodeMatcher.compile(NAVIGATION_REGIONS)
_HEADLINES = CSSSelector(", ".join(ARTICLE_LINK_SELECTORS), translator="html")
_BASE_HREF = etree.XPath("//base/@href")
_REL_NEXT = CSSSelector("a[rel~=next], link[rel~=next]", translator="html")


def _selector(page: str | Selector) -> Selector:
    return page if isinstance(page, Selector) else Selector(text=page)


def _navigation(selector: Selector) -> set[Any]:
    """The elements inside the page's navigation regions (menus link to pages that are not
    news), found without changing the page: one parse serves both kinds of links."""
    inside: set[Any] = set()
    for region in _NAVIGATION.find(selector.root):
        if region.getparent() is not None:  # never the whole document (a class on <html>)
            inside.update(region.iter())
    return inside


def _base(selector: Selector, page_url: str) -> str:
    hrefs = _BASE_HREF(selector.root)
    return str(hrefs[0]) if hrefs and hrefs[0] else page_url


def _anchors(selector: Selector) -> list[tuple[Any, str]]:
    """Every ``<a>`` with an ``href``, and its text (its text nodes joined by spaces)."""
    root = selector.root
    if not isinstance(root, etree._Element):
        return []
    return [(a, " ".join(a.itertext())) for a in root.iter("a") if a.get("href") is not None]


def article_links(page: str | Selector, page_url: str, listing_url: str) -> list[str]:
    """Absolute URLs of the articles a listing page links to, in page order, no duplicates.
    ``page``: the HTML, or a ``Selector`` on it (not changed here)."""
    selector = _selector(page)
    navigation = _navigation(selector)
    base = _base(selector, page_url)
    host = host_of(listing_url)
    listing_keys = {listing_key(listing_url), listing_key(page_url)}
    candidates = list(_HEADLINES(selector.root))
    for anchor, text in _anchors(selector):
        text = text.strip().lower()
        if any(t in text for t in READ_MORE_TEXTS) or ARTICLE_URL.search(anchor.get("href")):
            candidates.append(anchor)
    found: dict[str, None] = {}
    for anchor in candidates:
        if anchor in navigation:
            continue
        url = _absolute(base, anchor.get("href"))
        if not url or url in found or host_of(url) != host:
            continue
        if _is_media(url, MEDIA_EXTENSIONS) or NOT_ARTICLE_URL.search(url):
            continue
        if listing_key(url) in listing_keys and not urlsplit(url).query.count("id="):
            continue  # the listing itself or one of its pages
        found[url] = None
    return list(found)


def pagination_links(page: str | Selector, page_url: str, listing_url: str) -> list[str]:
    """More pages of the same listing: ``rel=next``, next-texts and page-number links.
    ``page``: the HTML, or a ``Selector`` on it."""
    selector = _selector(page)
    base = _base(selector, page_url)
    key = listing_key(listing_url)
    nexts = [el.get("href") for el in _REL_NEXT(selector.root) if el.get("href") is not None]
    for anchor, text in _anchors(selector):
        href = anchor.get("href")
        text = _SPACE_RUN.sub("", text).lower()
        title = (anchor.get("title") or "").strip().lower()
        if text in NEXT_TEXTS or "ถัดไป" in text or title in ("next", "ถัดไป"):
            nexts.append(href)
        elif _is_page_of(_joined(base, href), key):
            nexts.append(href)
    found: dict[str, None] = {}
    for href in nexts:
        url = _absolute(base, href)
        if url and url != page_url and url not in found and host_of(url) == key[0]:
            found[url] = None
    return list(found)


@lru_cache(maxsize=65536)
def _joined(base: str, href: str) -> str:
    """``urljoin``, remembered: a listing's pages repeat the same page-number links."""
    return urljoin(base, href)


@lru_cache(maxsize=65536)
def _is_page_of(url: str, key: tuple[str, str]) -> bool:
    """Whether ``url`` is a numbered page of the listing identified by ``key``."""
    if listing_key(url) != key:
        return False
    parts = urlsplit(url)
    if WP_PAGE_PATH.match(parts.path):
        return True
    return any(k in PAGE_KEYS and v.isdigit() for k, v in parse_qsl(parts.query))
