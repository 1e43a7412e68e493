"""From one decoded HTML page to an ``Article``: clean Thai text, title, date, bylines, media.

trafilatura does the text extraction, but on Thai agency pages it keeps font-size widgets,
unrendered gallery shortcodes and photo file names, finds no Thai date and no Thai byline
(FACTS.md). So where CMS markup names the content area (``CONTENT_ROOT_CSS``), that area is
cleaned with the node rules of ``archiver.cleaning`` and trafilatura runs on it alone; elsewhere
trafilatura searches the whole page itself; either way its text is cleaned again line by line.

What holds on pages nobody here wrote (WCXB dev, bench/extraction/README.md): a cleaning rule
removes a node only when it is sure (a node that holds a large share of the text is not the
widget the rule was written for), a CMS root that holds little of the page is checked against
the whole page, trafilatura's recall mode is checked against its default mode where its text is
implausible, and a page is refused only on strong evidence: the CMS's own listing classes, a
soft-error title or text, a legacy layout with no article cell, or less than an article of text.
Refused pages give ``None`` with the reason logged at debug level: the crawl archives them anyway
and only the index leaves them out.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

import trafilatura
from lxml import etree
from lxml import html as lhtml

from archiver import cleaning as rules
from archiver.markup import Markup, author_elements, html_author
from archiver.selectors import NamedSelectors, NodeMatcher, font_widgets, page_names
from archiver.thai import find_date, has_thai, parse_date

logger = logging.getLogger(__name__)

_JUNK = NodeMatcher.compile(rules.DROP_CSS, rules.DROP_XPATH)
_ROOT_SELECTORS = NamedSelectors(rules.CONTENT_ROOT_CSS)
_FEATURED_SELECTORS = NamedSelectors(rules.FEATURED_IMAGE_CSS)
_TITLE_SELECTORS = NamedSelectors(rules.TITLE_CSS)
_DATE_SELECTORS = NamedSelectors(rules.DATE_CSS)
_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure h1 h2 h3 h4 h5 h6 hr "
    "li ol p pre section table td th tr ul".split()
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")
_THAI_RE = re.compile(r"[\u0e00-\u0e7f]")
_DIGIT_RE = re.compile(r"\d")
#: What counts as a space between words besides the space itself (``_tidy`` makes them one).
_ODD_SPACES = ("\t", "\u00a0", "\u200b", "\u3000")
_SPACES_RE = re.compile("[ " + "".join(_ODD_SPACES) + "]+")
_RUN_OF_SPACES = re.compile("  +")
_BLANK_LINES = re.compile("\n{3,}")
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
    markup, names = Markup.read(doc), page_names(doc)
    for el in list(doc.iter(*rules.SCRIPT_TAGS)):
        el.drop_tree()
    marked_title, page_title = _title(doc, names, markup), _page_title(doc)
    for candidate in (marked_title, page_title):
        if candidate and rules.SOFT_ERROR_TITLE_RE.search(candidate):
            logger.debug("%s: soft error page (title %r)", url, candidate)
            return None
    published, published_raw = _published_meta(doc, names, markup)
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
    title = marked_title or (_legacy_title(root) if legacy else None) or page_title
    base = _base_url(doc, url)
    media_root = _legacy_media_scope(root) if legacy else root
    images = _images(doc, names, media_root, base)
    attachments = _attachments(media_root, base)
    text, byline = _article_text(root, extracted, url, title, trust_root=kind != "page")
    if len(text) < rules.SOFT_ERROR_MAX_CHARS and rules.SOFT_ERROR_TEXT_RE.search(text):
        logger.debug("%s: soft error page (text says so)", url)
        return None
    if len(text) < rules.MIN_TEXT_CHARS:
        logger.debug("%s: not an article (%d characters of text)", url, len(text))
        return None
    if published is None:
        published, published_raw = _published_in_url(url)
    if published is None and legacy:  # the date row sits above the text cell
        scope_text = _text_of(media_root).replace(title or "\0", " ", 1)  # titles hold dates
        published, published_raw = _published_in_text(scope_text[: rules.DATE_TEXT_WINDOW])
    if published is None:
        published, published_raw = _published_in_text(text[: rules.DATE_TEXT_WINDOW])
    if published is None:
        published, published_raw = _published_near_title(doc)
    bylines = author_elements(doc, names)
    if published is None:
        published, published_raw = _published_near_author(bylines)
    if published is None:
        published, published_raw = _published_in_source(html)
    if published is None:
        published, published_raw = _published_dateline(doc)
    if published is None:
        published, published_raw = _published_in_any_time(doc)
    if published is None:
        published, published_raw = _published_modified(markup)
    return Article(
        url=url,
        title=title,
        published=published,
        published_raw=published_raw,
        author=byline.get("author") or markup.author() or html_author(bylines),
        photographer=byline.get("photographer"),
        text=text,
        images=images,
        attachments=attachments,
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
    recalled = _trafilatura(root, url, recall=True)
    size = len(recalled or "")
    if paragraphs and rules.RECALL_MIN_SHARE <= size / paragraphs <= rules.RECALL_MAX_SHARE:
        return recalled
    balanced = _trafilatura(root, url)
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
        link_text = sum(len(_text_of(a)) for a in links)
        if len(links) >= 3 and link_text >= 0.5 * max(1, len(_text_of(other))):
            return cell
    return table


# -- title --------------------------------------------------------------------------------------
def _text_of(el: lhtml.HtmlElement) -> str:
    return _SPACES_RE.sub(" ", el.text_content()).strip()


def _title_from_css(doc: lhtml.HtmlElement, names: frozenset[str]) -> str | None:
    for matches in _TITLE_SELECTORS.matches(doc, names):
        for el in matches:
            if text := _text_of(el):
                return text
    return None


def _title(doc: lhtml.HtmlElement, names: frozenset[str], markup: Markup) -> str | None:
    """First of: CMS title markup, ``og:title``, the first ``<h1>``. Read before junk is
    dropped: WordPress puts its title in a ``<header>``."""
    if found := _title_from_css(doc, names):
        return found
    for value in markup.meta("og:title"):
        return _without_site_name(doc, value, markup)
    for h1 in doc.iter("h1"):
        if text := _text_of(h1):
            return text
    return None


def _without_site_name(doc: lhtml.HtmlElement, title: str, markup: Markup) -> str:
    """``og:title`` minus a `` - Site Name`` suffix that SEO plugins append (Yoast, Rank Math),
    recognised by ``og:site_name`` or by the last part of ``<title>``."""
    names = list(markup.meta("og:site_name"))
    page = doc.find(".//title")
    pattern = "|".join(re.escape(sep) for sep in rules.TITLE_SEPARATORS)
    if page is not None and (parts := re.split(pattern, _text_of(page))) and len(parts) > 1:
        names.append(parts[-1].strip())
    for name in names:
        for sep in rules.TITLE_SEPARATORS:
            if title.endswith(sep + name) and len(title) > len(sep + name):
                return title[: -len(sep + name)].strip()
    return title


def _page_title(doc: lhtml.HtmlElement) -> str | None:
    """``<title>`` split on the usual separators; the longest part is the article's."""
    el = doc.find(".//title")
    if el is None or not (text := _text_of(el)):
        return None
    pattern = "|".join(re.escape(sep) for sep in rules.TITLE_SEPARATORS)
    return max(re.split(pattern, text), key=len).strip() or None


def _legacy_title(cell: lhtml.HtmlElement) -> str | None:
    """Legacy pages: a bold line at the top of the content cell, or a bold cell just above."""
    head = _SPACES_RE.sub(" ", "".join(cell.itertext())[:300]).strip()
    first = next(iter(cell.xpath(".//b | .//strong | .//h1 | .//h2 | .//h3")), None)
    if first is not None:
        text = _text_of(first)
        if 5 <= len(text) <= 250 and has_thai(text) and head.startswith(text[:20]):
            return text
    row = cell.getparent()
    if row is None or row.tag != "tr":
        return None
    for prev in list(row.itersiblings(preceding=True))[:3]:
        for el in prev.xpath(
            ".//b | .//strong | .//td[contains(@class, 'title') or "
            "contains(@class, 'topic') or contains(@class, 'head')]"
        ):
            text = _text_of(el)
            if 5 <= len(text) <= 250 and has_thai(text):
                return text
    return None


# -- date ---------------------------------------------------------------------------------------
def _published_meta(
    doc: lhtml.HtmlElement, names: frozenset[str], markup: Markup
) -> tuple[dt.date | None, str | None]:
    """The first publication date the markup states, with the raw string it came from.

    A timestamp in UTC (SEO plugins write ``article:published_time`` so) gives the day in
    London, not the publisher's: when the page states the same instant with its own offset
    too (a ``<time datetime>``), the day is read from that one."""
    candidates = _date_candidates(doc, names, markup)
    for raw in candidates:
        date = parse_date(raw)
        if date is not None:
            instant = _instant(raw)
            if instant is not None and instant.utcoffset() == dt.timedelta(0):
                for other in itertools.islice(candidates, rules.DATE_TWIN_LOOKAHEAD):
                    local = _instant(other)
                    if local == instant and local is not None and local.utcoffset():
                        return local.date(), other
            return date, raw
        found = find_date(raw)
        if found is not None:
            return found
    return None, None


def _instant(raw: str) -> dt.datetime | None:
    """An ISO 8601 timestamp with its UTC offset, or None (a date alone, no offset, text)."""
    try:
        stamp = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


#: Page furniture; a ``<header>`` counts only outside the article (a news ticker).
_OUTSIDE_FURNITURE = (
    "[not(ancestor::footer or ancestor::nav or ancestor::aside or ancestor::marquee"
    " or ancestor::header[not(ancestor::article or ancestor::main)])]"
)
# Compiled once: ``el.xpath(text)`` compiles its expression on every call.
_DATE_PUBLISHED_XPATH = etree.XPath("//*[@itemprop='datePublished']")
_TIME_XPATH = etree.XPath(
    f"//time[@datetime or contains(@class, 'entry-date')]{_OUTSIDE_FURNITURE}"
)
_DATE_SCOPE_XPATH = etree.XPath(rules.DATE_SCOPE_XPATH)
_DATE_CLASS_XPATH = etree.XPath(f".//*[contains(@class, 'date')]{_OUTSIDE_FURNITURE}")
_PAGE_HEADER_XPATH = etree.XPath("ancestor::header[not(ancestor::article)]")


def _date_candidates(
    doc: lhtml.HtmlElement, names: frozenset[str], markup: Markup
) -> Iterator[str]:
    """Date strings in priority order: what the page states as its publication date (meta
    tags, JSON-LD, schema.org microdata), then ``<time>``, Joomla article info, and any element
    whose class mentions a date outside the page furniture. (``<time>`` came first until
    WCXB dev showed it as often dating a related post, a comment or an update.)"""
    yield from markup.meta(*rules.DATE_META)
    yield from markup.published()
    for el in _DATE_PUBLISHED_XPATH(doc) if "datePublished" in names else ():
        yield el.get("content") or el.get("datetime") or _text_of(el)
    for el in _TIME_XPATH(doc):
        yield el.get("datetime") or _text_of(el)
    for matches in _DATE_SELECTORS.matches(doc, names):
        yield from (_text_of(el) for el in matches)
    if not any("date" in name for name in names):
        return  # no class names a date: the walks below would find nothing
    for scope in _DATE_SCOPE_XPATH(doc) or [doc]:
        for el in _DATE_CLASS_XPATH(scope):
            if not _PAGE_HEADER_XPATH(el):
                yield _text_of(el)


def _published_in_url(url: str) -> tuple[dt.date | None, str | None]:
    """A date in the URL: ``/2021/11/09/`` paths, or aliases such as ``news-18-07-68``
    (day-month-year in the Buddhist era), which agencies use when pages carry no date."""
    path = unquote(urlsplit(url).path)
    for ymd in (rules.URL_YMD_RE.search(path), rules.URL_ISO_RE.search(path)):
        if ymd:
            date = parse_date("-".join(ymd.groups()))
            if date is not None:
                return date, ymd.group(0).strip("/")
    alias = rules.URL_DMY_RE.search(path.rsplit("/", 1)[-1])
    if alias:
        date = parse_date(alias.group(1))
        if date is not None:
            return date, alias.group(1)
    return None, None


def _published_near_title(doc: lhtml.HtmlElement) -> tuple[dt.date | None, str | None]:
    """A date written beside the headline ("By Jane Doe | March 3, 2024"): in the text of
    the ``<h1>``'s enclosing block, as far up as ``DATE_TITLE_WINDOW`` characters reach."""
    h1 = doc.find(".//h1")
    if h1 is None:
        return None, None
    scope, text = h1, ""
    for _ in range(rules.DATE_TITLE_LEVELS):
        parent = scope.getparent()
        if parent is None or parent.tag == "body":
            break
        wider = _text_of(parent)
        if len(wider) > rules.DATE_TITLE_WINDOW and text:
            break
        scope, text = parent, wider
    found = find_date(text[: rules.DATE_TITLE_WINDOW]) if text else None
    return found if found is not None else (None, None)


def _published_near_author(bylines: list[lhtml.HtmlElement]) -> tuple[dt.date | None, str | None]:
    """A date in the byline's block ("By Jane Doe - Mar 27, 2024", a date under the name)."""
    for el in bylines[: rules.DATE_BYLINE_ELEMENTS]:
        parent = el.getparent()
        scope = parent.getparent() if parent is not None and parent.getparent() is not None else el
        text = _text_of(scope if scope.tag != "body" else el)[: rules.DATE_TITLE_WINDOW]
        if found := find_date(text):
            return found
    return None, None


def _published_in_source(html: str) -> tuple[dt.date | None, str | None]:
    """A publication date in the page's script data (Next.js, Nuxt, Gatsby state: not JSON-LD,
    not markup) or in JSON kept in an HTML attribute, found by its key in the source text."""
    for pattern in rules.SOURCE_DATE_RES:
        for match in pattern.finditer(html):
            date = parse_date(match.group(1))
            if date is not None:
                return date, match.group(1)
    return None, None


_DATELINE_TEXTS = etree.XPath(
    "//body//text()[string-length(normalize-space()) >= $least"
    " and string-length(normalize-space()) <= $most]",
    smart_strings=False,
)


def _published_dateline(doc: lhtml.HtmlElement) -> tuple[dt.date | None, str | None]:
    """The first text of the page that is a date and nothing else ("December 15, 2025",
    "Updated: 23.07.2025"): themes print the post's date as a line of its own, whatever their
    class names; a related post's or a comment's date mostly comes after the article's own.

    This rule and the two after it replace htmldate as the last resort (with, earlier in the
    chain, ISO dates in the URL path, year-first citation dates and JSON dates in attributes):
    htmldate cost 3.5-7 ms a call, most of it on the three quarters of its calls that found
    nothing (about 6% of the extraction's CPU on WCXB dev), and dated 24 of the pages no earlier
    rule dates; these rules date 37 of them, for about a fifth of its cost."""
    for text in _DATELINE_TEXTS(doc, least=rules.DATELINE_MIN_CHARS, most=rules.DATELINE_MAX_CHARS):
        if not _DIGIT_RE.search(text):
            continue
        line = " ".join(text.split())
        date = parse_date(rules.DATELINE_PREFIX_RE.sub("", line, count=1))
        if date is not None:
            return date, line
    return None, None


def _published_in_any_time(doc: lhtml.HtmlElement) -> tuple[dt.date | None, str | None]:
    """The first ``<time>`` anywhere, page furniture included (a post's date in an ``<aside>``
    beside it), by its ``datetime`` or its text: ``_date_candidates`` leaves these out because
    they date a related post as often as the article, which matters less once nothing else
    dates the page."""
    for el in doc.iter("time"):
        for raw in (el.get("datetime"), _text_of(el)):
            if raw and (found := find_date(raw)):
                return found
    return None, None


def _published_modified(markup: Markup) -> tuple[dt.date | None, str | None]:
    """The date the page says it was last modified, when it says nothing of its publication:
    a page's only date (service and documentation pages) is better than none."""
    for raw in markup.meta(*rules.MODIFIED_META):
        if found := find_date(raw):
            return found
    return None, None


def _published_in_text(text: str) -> tuple[dt.date | None, str | None]:
    """The last resort: a date written near the top of the article (``เมื่อวันที่ 9 ...``)."""
    found = find_date(text)
    return found if found is not None else (None, None)


# -- media --------------------------------------------------------------------------------------
def _unique(urls: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for url in urls:
        seen.setdefault(url, None)
    return list(seen)


def _best_srcset(srcset: str) -> str | None:
    """The largest candidate of a ``srcset`` (by ``w`` or ``x`` descriptor)."""
    best, best_size = None, -1.0
    for part in srcset.split(","):
        bits = part.split()
        if not bits:
            continue
        size = 1.0
        if len(bits) > 1 and re.fullmatch(r"\d+(?:\.\d+)?[wx]", bits[1]):
            size = float(bits[1][:-1])
        if size > best_size:
            best, best_size = bits[0], size
    return best


def _image_url(img: lhtml.HtmlElement) -> str | None:
    """The real picture of an ``<img>``: the largest ``srcset`` entry, a lazy-load attribute,
    or ``src``; None for placeholders, icons, logos, emoji and tracking pixels."""
    if any((img.get(a) or "").strip() in ("0", "1", "2") for a in ("width", "height")):
        return None
    srcset = img.get("data-srcset") or img.get("srcset")
    candidates = [_best_srcset(srcset)] if srcset else []
    candidates += [img.get(attr) for attr in rules.IMAGE_LAZY_ATTRS]
    for src in candidates:
        src = (src or "").strip()
        if src and not src.startswith(("data:", "javascript:")):
            return None if rules.IMAGE_SKIP_RE.search(src) else src
    return None


def _images(
    doc: lhtml.HtmlElement, names: frozenset[str], root: lhtml.HtmlElement, base: str
) -> list[str]:
    """The featured image (wherever the theme put it), then the content root's images."""
    featured = [img for found in _FEATURED_SELECTORS.matches(doc, names) for img in found]
    urls = (_image_url(img) for img in [*featured, *root.iter("img")])
    return _unique(urljoin(base, u) for u in urls if u)


def _attachments(root: lhtml.HtmlElement, base: str) -> list[str]:
    hrefs = (a.get("href", "").strip() for a in root.iter("a"))
    return _unique(urljoin(base, h) for h in hrefs if h and rules.ATTACHMENT_RE.search(h))


# -- text ---------------------------------------------------------------------------------------
def _block_text(root: lhtml.HtmlElement) -> str:
    """The element's text with a line break at every block boundary (no recursion: deep
    legacy table nesting must not hit Python's recursion limit)."""
    parts: list[str] = []
    for event, el in etree.iterwalk(root, events=("start", "end")):
        block = isinstance(el.tag, str) and el.tag in _BLOCK_TAGS
        if event == "start":
            parts.append("\n" if block else "")
            if isinstance(el.tag, str) and el.text:
                parts.append(el.text)
        else:
            parts.append("\n" if block else "")
            if el is not root and el.tail:
                parts.append(el.tail)
    return _tidy("".join(parts))


def _tidy(text: str) -> str:
    """One space between words, no trailing blanks, at most one empty line in a row.

    Plain ``str`` operations first: a regular expression over the whole text for the rare
    odd space cost about five times more (``_tidy`` runs four times on every article).
    """
    for odd in _ODD_SPACES:
        if odd in text:
            text = text.replace(odd, " ")
    if "  " in text:
        text = _RUN_OF_SPACES.sub(" ", text)
    text = "\n".join([line.strip() for line in text.split("\n")])
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _trafilatura(root: lhtml.HtmlElement, url: str, recall: bool = False) -> str | None:
    """trafilatura on the cleaned content root alone, as a page of its own, or on the whole
    page when the root is ``<body>``.

    trafilatura copies a tree it is given before it changes anything, so the whole page goes
    in as it is, and a root is wrapped in a page of its own from a copy of its elements (not
    serialized and parsed again: that cost about 5% of an article's extraction)."""
    if root.tag == "body":  # no content root: the whole page, for trafilatura to search
        page = root.getroottree().getroot()
    else:
        div = copy.deepcopy(root)
        div.tail = None
        if div.tag in ("td", "th", "tr"):
            div.tag = "div"
        page = lhtml.Element("html")
        etree.SubElement(page, "body").append(div)
    try:
        return trafilatura.extract(
            page,
            url=url,
            include_comments=False,
            include_tables=True,
            include_images=False,
            favor_precision=False,
            favor_recall=recall,
            deduplicate=False,
            fast=recall,  # recall mode without the readability/jusText comparison: same F1
        )
    except Exception as exc:  # third-party code: one odd page must not stop the crawl
        logger.warning("%s: trafilatura failed (%s); using the page text", url, exc)
        return None


def _article_text(
    root: lhtml.HtmlElement, extracted: str | None, url: str, title: str | None, trust_root: bool
) -> tuple[str, dict[str, str]]:
    """Clean text and byline fields. trafilatura's choice of text stands, except where the
    root is known to be the article (CMS markup, a legacy cell) and trafilatura kept less than
    an article of it: then the root's own text, cleaned the same way. (Falling back whenever
    trafilatura kept under half the root, as before, kept comment threads and card grids on
    real pages and gained nothing on the gold set.) Bylines are also looked for in the root's
    text, since trafilatura sometimes drops short lines."""
    root_text, root_meta = "", dict[str, str]()
    if trust_root:  # a whole page's text holds menus and sidebars: no bylines from there
        root_text, root_meta = rules.split_bylines(rules.clean_lines(_block_text(root)))
    text, meta = rules.split_bylines(rules.clean_lines(extracted or ""))
    if trust_root and len(_tidy(text)) < rules.MIN_TEXT_CHARS <= len(_tidy(root_text)):
        logger.debug("%s: trafilatura kept too little, using the content root", url)
        text = root_text
    for key, value in root_meta.items():
        meta.setdefault(key, value)
    return _without_title(_tidy(text), title), meta


def _without_title(text: str, title: str | None) -> str:
    """The text minus a first line that only repeats the title."""
    first, _, rest = text.partition("\n")
    if title and _SPACES_RE.sub("", first) == _SPACES_RE.sub("", title):
        return rest.strip()
    return text
