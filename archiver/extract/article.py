"""Page HTML -> ``Article``: the extractor.

The page is parsed once with lxml; page furniture is dropped with the node rules of
``archiver.extract.rules`` and trafilatura runs on the content root alone; title, date,
bylines, images and attachments come from the modules beside this one.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from lxml import etree
from lxml import html as lhtml

from archiver.extract import meta_rules, rules
from archiver.extract.markup import Markup, author_elements, html_author
from archiver.extract.media import find_attachments, find_images_and_sources
from archiver.extract.nodes import NamedSelectors, NodeMatcher, font_widgets, page_names
from archiver.extract.published import (
    published_dateline,
    published_in_any_time,
    published_in_source,
    published_in_text,
    published_in_url,
    published_meta,
    published_modified,
    published_near_author,
    published_near_title,
)
from archiver.extract.requisites import page_requisites
from archiver.extract.text import article_text, trafilatura_text
from archiver.extract.title import find_title, legacy_title, page_title, text_of
from archiver.thai.chars import normalize_thai

logger = logging.getLogger(__name__)

_JUNK = NodeMatcher.compile(rules.DROP_CSS, rules.DROP_XPATH)
_ROOT_SELECTORS = NamedSelectors(rules.CONTENT_ROOT_CSS)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")
_THAI_RE = re.compile(r"[\u0e00-\u0e7f]")
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*>")
#: Comments and processing instructions are never text; trafilatura's own parser drops them too.
#: No table of ``id`` attributes (nothing here looks elements up by id): parsing is 3-4% faster,
#: and so is every copy of the tree that trafilatura makes (libxml2 fills a copy's table too).
#: Every element is an ``HtmlElement`` chosen in C: lxml.html's own lookup is a Python call for
#: each element object created, here and in trafilatura, which works on copies of this tree
#: (about 3% of the extraction's CPU on WCXB dev, for form classes nothing here uses).
_PARSER = lhtml.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False)


_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=lhtml.HtmlElement,
        comment=lhtml.HtmlComment,
        pi=lhtml.HtmlProcessingInstruction,
        entity=lhtml.HtmlEntity,
    )
)


@dataclass
class Article:
    """One news article as the index stores it; ``published`` is Gregorian."""

    url: str
    title: str | None
    published: dt.date | None
    published_raw: str | None
    author: str | None
    photographer: str | None
    text: str
    images: list[str] = field(default_factory=list)  # absolute, page order, no duplicates
    attachments: list[str] = field(default_factory=list)  # absolute, page order, no duplicates
    lang: str = "th"
    #: Every other source a browser may load for the pictures of ``images`` (``src``, each
    #: ``srcset`` candidate, ...): archived with them, not listed (``media.img_sources``).
    image_sources: list[str] = field(default_factory=list)
    #: What the page loads to show itself: stylesheets, scripts, icons, all its images
    #: (``archiver.extract.requisites``).
    requisites: list[str] = field(default_factory=list)


def extract_article(html: str, url: str) -> Article | None:
    """The article in ``html`` (already decoded), or None when the page is not an article.

    Never raises on bad input: malformed, empty or binary pages are common on agency sites and
    the crawl must go on.
    """
    doc = _parse(html, url)
    if doc is None:
        return None
    page_kind = _listing_classes(doc)
    if page_kind:
        logger.debug("%s: not an article page (body class %s)", url, " ".join(page_kind))
        return None
    requisites = page_requisites(doc, url)  # before the extraction drops any of the page
    markup, names = Markup.read(doc), page_names(doc)
    for el in list(doc.iter(*rules.SCRIPT_TAGS)):
        el.drop_tree()
    marked_title, tab_title = find_title(doc, names, markup), page_title(doc)
    for candidate in (marked_title, tab_title):
        if candidate and rules.SOFT_ERROR_TITLE_RE.search(candidate):
            logger.debug("%s: soft error page (title %r)", url, candidate)
            return None
    published, published_raw = published_meta(doc, names, markup)
    thai = _THAI_RE.search(html) is not None  # legacy layouts are looked for on Thai pages only
    root, kind = _content_root(doc, names, thai)
    body = doc.find("body")
    paragraphs = _paragraph_chars(body) if body is not None else 0
    extracted = _main_text(root, paragraphs, url)
    if kind == "cms" and body is not None:
        root, kind, extracted = _checked_root(body, root, extracted, paragraphs, url)
    legacy = kind == "legacy"
    if thai and kind == "page" and root.tag == "body" and _table_layout(root):
        logger.debug("%s: table-layout page with no article cell (legacy soft error)", url)
        return None
    title = marked_title or (legacy_title(root) if legacy else None) or tab_title
    base = _base_url(doc, url)
    media_root = _legacy_media_scope(root) if legacy else root
    images, image_sources = find_images_and_sources(doc, names, media_root, base)
    attachments = find_attachments(media_root, base)
    text, byline = article_text(root, extracted, url, title, trust_root=kind != "page")
    if len(text) < rules.SOFT_ERROR_MAX_CHARS and rules.SOFT_ERROR_TEXT_RE.search(text):
        logger.debug("%s: soft error page (text says so)", url)
        return None
    if len(text) < rules.MIN_TEXT_CHARS:
        logger.debug("%s: not an article (%d characters of text)", url, len(text))
        return None
    if published is None:
        published, published_raw = published_in_url(url)
    if published is None and legacy:  # the date row sits above the text cell
        scope_text = text_of(media_root).replace(title or "\0", " ", 1)  # titles hold dates
        published, published_raw = published_in_text(scope_text[: meta_rules.DATE_TEXT_WINDOW])
    if published is None:
        published, published_raw = published_in_text(text[: meta_rules.DATE_TEXT_WINDOW])
    if published is None:
        published, published_raw = published_near_title(doc)
    bylines = author_elements(doc, names)
    if published is None:
        published, published_raw = published_near_author(bylines)
    if published is None:
        published, published_raw = published_in_source(html)
    if published is None:
        published, published_raw = published_dateline(doc)
    if published is None:
        published, published_raw = published_in_any_time(doc)
    if published is None:
        published, published_raw = published_modified(markup)
    author = byline.get("author") or markup.author() or html_author(bylines)
    photographer = byline.get("photographer")
    return Article(  # in one spelling, so that search finds a word however it was typed
        url=url,
        title=normalize_thai(title) if title else title,
        published=published,
        published_raw=published_raw,
        author=normalize_thai(author) if author else author,
        photographer=normalize_thai(photographer) if photographer else photographer,
        text=normalize_thai(text),
        images=images,
        attachments=attachments,
        image_sources=image_sources,
        requisites=requisites,
    )


# -- parsing ------------------------------------------------------------------------------------
def _looks_binary(html: str) -> bool:
    """Bytes decoded as text (an image, a PDF, a gzip body) show control characters or U+FFFD."""
    sample = html[:4096]
    return len(_CONTROL_RE.findall(sample)) > 0.05 * len(sample)


def _parse(html: object, url: str) -> lhtml.HtmlElement | None:
    """Parse once with lxml; None for non-str, empty, binary or unparseable input."""
    if not isinstance(html, str):
        logger.debug("%s: not decoded text (%s)", url, type(html).__name__)
        return None
    if not html.strip() or _looks_binary(html):
        logger.debug("%s: empty or binary page", url)
        return None
    try:
        doc = lhtml.document_fromstring(
            _XML_DECL_RE.sub("", html.replace("\x00", "")), parser=_PARSER
        )
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        logger.debug("%s: unparseable HTML (%s)", url, exc)
        return None
    return doc if isinstance(doc, lhtml.HtmlElement) else None


def _drop_junk(scope: lhtml.HtmlElement) -> None:
    """Remove scripts, styles and every node a cleaning rule names inside ``scope`` (a content
    root), never ``scope`` itself nor ``<html>``/``<body>`` (a ``cookie-*`` class on ``<body>``
    is common), and never a node that holds more than ``JUNK_MAX_SHARE`` of the scope's text:
    a rule is sure of a widget, not of an element that big (an unclosed tag that swallowed the
    article, a theme's odd class name)."""
    page = scope.getroottree().getroot()
    protected = {scope, *scope.iterancestors(), page, page.find("body")}
    for el in list(scope.iter(*rules.DROP_TAGS)):
        if el not in protected:
            el.drop_tree()
    junk = _JUNK.find(scope)
    junk += font_widgets(scope, rules.FONT_WIDGET_CHARS, rules.FONT_WIDGET_TAGS)
    most = rules.JUNK_MAX_SHARE * len(scope.text_content())
    for el in junk:
        if isinstance(el, lhtml.HtmlElement) and el not in protected and _attached(el, scope):
            if len(el.text_content()) <= most:
                el.drop_tree()


def _attached(el: lhtml.HtmlElement, scope: lhtml.HtmlElement) -> bool:
    """Whether ``el`` is still inside ``scope`` (an ancestor of it may have been dropped)."""
    return any(parent is scope for parent in el.iterancestors())


def _body_classes(doc: lhtml.HtmlElement) -> list[str]:
    body = doc.find("body")
    return (body.get("class") or "").split() if body is not None else []


def _listing_classes(doc: lhtml.HtmlElement) -> frozenset[str]:
    """The ``<body>`` classes by which the CMS that made the page says it is a listing, an
    archive, a search or an error page (empty when it does not say so)."""
    classes = _body_classes(doc)
    joomla = rules.JOOMLA_LIST_CLASSES.intersection(classes)
    if joomla:
        return joomla
    wordpress = rules.WORDPRESS_LIST_CLASSES.intersection(classes)
    if not wordpress or any(rules.WORDPRESS_SINGULAR_RE.match(c) for c in classes):
        return frozenset()
    return wordpress if _made_by_wordpress(doc, classes) else frozenset()


def _made_by_wordpress(doc: lhtml.HtmlElement, classes: list[str]) -> bool:
    if any(c.startswith("wp-") for c in classes):
        return True
    marks = doc.xpath(
        "//meta[@name='generator']/@content | //link/@href | //script/@src | //img/@src"
    )
    return any(rules.WORDPRESS_RE.search(mark) for mark in marks)


def _base_url(doc: lhtml.HtmlElement, url: str) -> str:
    """Links resolve against ``<base href>`` when there is one (Joomla 3 always writes it)."""
    head = doc.find("head")  # <base> belongs in <head>: no walk over the whole page
    base = head.find("base") if head is not None else None
    href = (base.get("href") or "").strip() if base is not None else ""
    return urljoin(url, href) if href else url


# -- content root -------------------------------------------------------------------------------
def _content_root(
    doc: lhtml.HtmlElement, names: frozenset[str], thai: bool
) -> tuple[lhtml.HtmlElement, str]:
    """The element holding the article, after junk is dropped, and how it was found: ``cms``
    (CMS markup), ``legacy`` (the table cell with the most Thai text) or ``page`` (nothing
    better: the whole body, left to trafilatura).

    Of the elements a selector matches, the one with the most text wins (a theme may reuse
    the class for teasers), and only if it holds at least ``MIN_ROOT_CHARS``."""
    for matches in _ROOT_SELECTORS.matches(doc, names):
        sized = [(len(el.text_content().strip()), el) for el in matches]
        sized = [(n, el) for n, el in sized if n >= rules.MIN_ROOT_CHARS]
        if sized:
            root = max(sized, key=lambda pair: pair[0])[1]
            _drop_junk(root)
            return root, "cms"
    for el in list(doc.iter(*rules.DROP_TAGS)):
        el.drop_tree()
    cell = _thaiest_cell(doc) if thai else None
    body = doc.find("body")
    scope = cell if cell is not None else (body if body is not None else doc)
    if cell is not None:  # a whole page is left to trafilatura's own boilerplate removal
        _drop_junk(scope)
    return scope, "legacy" if cell is not None else "page"


def _checked_root(
    body: lhtml.HtmlElement,
    root: lhtml.HtmlElement,
    extracted: str | None,
    paragraphs: int,
    url: str,
) -> tuple[lhtml.HtmlElement, str, str | None]:
    """The CMS root, unless it holds a small part of the page's paragraphs and trafilatura
    finds much more article on the whole page: then the whole page. CMS classes are reused
    for teaser cards and heroes, and a post's body may sit beside its ``entry-content`` (an
    audio post's transcript). On WCXB dev such roots kept 2-3% of the article's words."""
    if root is body or _paragraph_chars(root) >= rules.ROOT_MIN_SHARE * paragraphs:
        return root, "cms", extracted
    whole = _main_text(body, paragraphs, url)
    if len(whole or "") > rules.ROOT_OUTGROWN * len(extracted or ""):
        logger.debug("%s: the content root holds little of the page: the whole page", url)
        return body, "page", whole
    return root, "cms", extracted


def _main_text(root: lhtml.HtmlElement, paragraphs: int, url: str) -> str | None:
    """trafilatura's text of ``root``: its recall mode first, and its default (balanced)
    mode only when recall's text is implausible for the page, under ``RECALL_MIN_SHARE`` or
    over ``RECALL_MAX_SHARE`` of the page's paragraph text; then recall's text still wins
    if it is ``RECALL_GAIN`` times the longer.

    Why this order: recall mode costs 0.6 of the default (it skips the readability and
    jusText escalation), keeps whole articles that the default cuts at a table, a card or a
    list, and its text is out of those bounds on about a fifth of real pages, mostly pages
    that are not articles, where the default's stricter choice is the better one. WCXB dev
    (1,495 pages): mean F1 0.944 on articles and 0.822 on all pages, against 0.938 and 0.817
    for the default alone (the steps and the commands: bench/extraction/README.md)."""
    recalled = trafilatura_text(root, url, recall=True)
    size = len(recalled or "")
    if paragraphs and rules.RECALL_MIN_SHARE <= size / paragraphs <= rules.RECALL_MAX_SHARE:
        return recalled
    balanced = trafilatura_text(root, url)
    if size > rules.RECALL_GAIN * len(balanced or ""):
        logger.debug("%s: trafilatura's recall mode found much more text", url)
        return recalled
    return balanced


def _paragraph_chars(scope: lhtml.HtmlElement) -> int:
    return sum(len(p.text_content()) for p in scope.iter("p"))


def _table_layout(body: lhtml.HtmlElement) -> bool:
    """Whether most of a Thai page's text sits in table cells (a legacy layout): such a page
    with no cell of article size is a legacy "not found" or error page, not an article."""
    thai = len(_THAI_RE.findall(body.text_content()))
    in_cells = sum(len(_THAI_RE.findall(t)) for t in body.xpath(".//td//text()"))
    return thai > 0 and in_cells >= rules.TABLE_LAYOUT_SHARE * thai


def _thaiest_cell(doc: lhtml.HtmlElement) -> lhtml.HtmlElement | None:
    """The ``<td>`` with the most Thai text of its own: nested tables count for their own
    cells, and link or marquee text does not count (a menu cell is all links)."""
    counts: dict[lhtml.HtmlElement, int] = {}
    for text in doc.xpath("//td//text()[not(ancestor::a or ancestor::marquee)]"):
        el = text.getparent()
        if text.is_tail:
            el = el.getparent()
        while el is not None and el.tag != "td":
            el = el.getparent()
        if el is not None:
            counts[el] = counts.get(el, 0) + len(_THAI_RE.findall(text))
    for cell in [c for c, n in counts.items() if n < rules.FOOTER_MAX_THAI]:
        if rules.FOOTER_TEXT_RE.search(cell.text_content()):
            del counts[cell]  # the page footer, however much Thai it holds
    if not counts:
        return None
    best = max(counts, key=lambda el: counts[el])
    return best if counts[best] >= 100 else None


def _legacy_media_scope(cell: lhtml.HtmlElement) -> lhtml.HtmlElement:
    """Where a legacy article's images and files are: legacy pages put them in the rows around
    the text cell, so the cell's own table, unless that table is the page layout (it holds a
    menu: a cell of several links and little else)."""
    table = next(cell.iterancestors("table"), None)
    if table is None:
        return cell
    for other in table.iter("td"):
        if other is cell or cell in other.iterdescendants() or other in cell.iterdescendants():
            continue
        links = other.findall(".//a")
        link_text = sum(len(text_of(a)) for a in links)
        if len(links) >= 3 and link_text >= 0.5 * max(1, len(text_of(other))):
            return cell
    return table
