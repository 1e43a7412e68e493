"""Generic discovery on a news listing page: which links are articles, which are more pages.

Works from the listing URL alone (no per-site configuration), with rules kept as data:
Joomla category blogs (``h2.item-title``, ``อ่านต่อ``, ``?start=N``), WordPress (``rel=bookmark``,
``/page/N/``), legacy PHP (``news_detail.php?id=N``, ``?page=N``, ``หน้าถัดไป >>``).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urljoin, urlsplit

from parsel import Selector

from archiver.site import host_of
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


def _navigation_free(selector: Selector) -> Selector:
    """The page with its navigation regions removed (menus link to pages that are not news)."""
    root = selector.root
    for css in NAVIGATION_REGIONS:
        for node in selector.css(css):
            element = node.root
            parent = element.getparent() if hasattr(element, "getparent") else None
            if parent is not None:
                parent.remove(element)
    return Selector(root=root)


def _absolute(base: str, href: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
        return None
    return canonical_url(urljoin(base, href))


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


def article_links(html: str, page_url: str, listing_url: str) -> list[str]:
    """Absolute URLs of the articles a listing page links to, in page order, no duplicates."""
    selector = _navigation_free(Selector(text=html))
    base = selector.css("base::attr(href)").get() or page_url
    host = host_of(listing_url)
    listing_keys = {listing_key(listing_url), listing_key(page_url)}
    found: list[str] = []
    candidates = selector.css(", ".join(ARTICLE_LINK_SELECTORS))
    for anchor in selector.css("a[href]"):
        text = " ".join(anchor.css("::text").getall()).strip().lower()
        href = anchor.attrib.get("href", "")
        if any(t in text for t in READ_MORE_TEXTS) or ARTICLE_URL.search(href):
            candidates.append(anchor)
    for anchor in candidates:
        url = _absolute(base, anchor.attrib.get("href"))
        if not url or host_of(url) != host or url in found:
            continue
        if _is_media(url, MEDIA_EXTENSIONS) or NOT_ARTICLE_URL.search(url):
            continue
        if listing_key(url) in listing_keys and not urlsplit(url).query.count("id="):
            continue  # the listing itself or one of its pages
        found.append(url)
    return found


def pagination_links(html: str, page_url: str, listing_url: str) -> list[str]:
    """More pages of the same listing: ``rel=next``, next-texts and page-number links."""
    selector = Selector(text=html)
    base = selector.css("base::attr(href)").get() or page_url
    key = listing_key(listing_url)
    found: list[str] = []
    nexts = selector.css("a[rel~=next]::attr(href), link[rel~=next]::attr(href)").getall()
    for anchor in selector.css("a[href]"):
        text = re.sub(r"\s+", "", " ".join(anchor.css("::text").getall())).lower()
        title = (anchor.attrib.get("title") or "").strip().lower()
        if text in NEXT_TEXTS or "ถัดไป" in text or title in ("next", "ถัดไป"):
            nexts.append(anchor.attrib["href"])
        elif _is_page_of(urljoin(base, anchor.attrib["href"]), key):
            nexts.append(anchor.attrib["href"])
    for href in nexts:
        url = _absolute(base, href)
        if url and host_of(url) == key[0] and url not in found and url != page_url:
            found.append(url)
    return found


def _is_page_of(url: str, key: tuple[str, str]) -> bool:
    """Whether ``url`` is a numbered page of the listing identified by ``key``."""
    if listing_key(url) != key:
        return False
    parts = urlsplit(url)
    if WP_PAGE_PATH.match(parts.path):
        return True
    return any(k in PAGE_KEYS and v.isdigit() for k, v in parse_qsl(parts.query))
