"""When an article was published: structured metadata first, then the page's visible dates
(near the title, the byline, a dateline, the URL, the source), each rule from
``archiver.extract.rules``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

from lxml import etree
from lxml import html as lhtml

from archiver.extract import meta_rules
from archiver.extract.markup import Markup
from archiver.extract.nodes import NamedSelectors
from archiver.extract.title import text_of
from archiver.thai.dates import find_date, parse_date

DIGIT_RE = re.compile(r"\d")

DATE_SELECTORS = NamedSelectors(meta_rules.DATE_CSS)


# -- date ---------------------------------------------------------------------------------------
def published_meta(
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
                for other in itertools.islice(candidates, meta_rules.DATE_TWIN_LOOKAHEAD):
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

_DATE_SCOPE_XPATH = etree.XPath(meta_rules.DATE_SCOPE_XPATH)
_DATE_CLASS_XPATH = etree.XPath(f".//*[contains(@class, 'date')]{_OUTSIDE_FURNITURE}")
_PAGE_HEADER_XPATH = etree.XPath("ancestor::header[not(ancestor::article)]")


def _date_candidates(
    doc: lhtml.HtmlElement, names: frozenset[str], markup: Markup
) -> Iterator[str]:
    """Date strings in priority order: what the page states as its publication date (meta
    tags, JSON-LD, schema.org microdata), then ``<time>``, Joomla article info, and any element
    whose class mentions a date outside the page furniture. (``<time>`` came first until
    WCXB dev showed it as often dating a related post, a comment or an update.)"""
    yield from markup.meta(*meta_rules.DATE_META)
    yield from markup.published()
    for el in _DATE_PUBLISHED_XPATH(doc) if "datePublished" in names else ():
        yield el.get("content") or el.get("datetime") or text_of(el)
    for el in _TIME_XPATH(doc):
        yield el.get("datetime") or text_of(el)
    for matches in DATE_SELECTORS.matches(doc, names):
        yield from (text_of(el) for el in matches)
    if not any("date" in name for name in names):
        return  # no class names a date: the walks below would find nothing
    for scope in _DATE_SCOPE_XPATH(doc) or [doc]:
        for el in _DATE_CLASS_XPATH(scope):
            if not _PAGE_HEADER_XPATH(el):
                yield text_of(el)


def published_in_url(url: str) -> tuple[dt.date | None, str | None]:
    """A date in the URL: ``/2021/11/09/`` paths, or aliases such as ``news-18-07-68``
    (day-month-year in the Buddhist era), which agencies use when pages carry no date."""
    path = unquote(urlsplit(url).path)
    for ymd in (meta_rules.URL_YMD_RE.search(path), meta_rules.URL_ISO_RE.search(path)):
        if ymd:
            date = parse_date("-".join(ymd.groups()))
            if date is not None:
                return date, ymd.group(0).strip("/")
    alias = meta_rules.URL_DMY_RE.search(path.rsplit("/", 1)[-1])
    if alias:
        date = parse_date(alias.group(1))
        if date is not None:
            return date, alias.group(1)
    return None, None


def published_near_title(doc: lhtml.HtmlElement) -> tuple[dt.date | None, str | None]:
    """A date written beside the headline ("By Jane Doe | March 3, 2024"): in the text of
    the ``<h1>``'s enclosing block, as far up as ``DATE_TITLE_WINDOW`` characters reach."""
    h1 = doc.find(".//h1")
    if h1 is None:
        return None, None
    scope, text = h1, ""
    for _ in range(meta_rules.DATE_TITLE_LEVELS):
        parent = scope.getparent()
        if parent is None or parent.tag == "body":
            break
        wider = text_of(parent)
        if len(wider) > meta_rules.DATE_TITLE_WINDOW and text:
            break
        scope, text = parent, wider
    found = find_date(text[: meta_rules.DATE_TITLE_WINDOW]) if text else None
    return found if found is not None else (None, None)


def published_near_author(bylines: list[lhtml.HtmlElement]) -> tuple[dt.date | None, str | None]:
    """A date in the byline's block ("By Jane Doe - Mar 27, 2024", a date under the name)."""
    for el in bylines[: meta_rules.DATE_BYLINE_ELEMENTS]:
        parent = el.getparent()
        scope = parent.getparent() if parent is not None and parent.getparent() is not None else el
        text = text_of(scope if scope.tag != "body" else el)[: meta_rules.DATE_TITLE_WINDOW]
        if found := find_date(text):
            return found
    return None, None


def published_in_source(html: str) -> tuple[dt.date | None, str | None]:
    """A publication date in the page's script data (Next.js, Nuxt, Gatsby state: not JSON-LD,
    not markup) or in JSON kept in an HTML attribute, found by its key in the source text."""
    for pattern in meta_rules.SOURCE_DATE_RES:
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


def published_dateline(doc: lhtml.HtmlElement) -> tuple[dt.date | None, str | None]:
    """The first text of the page that is a date and nothing else ("December 15, 2025",
    "Updated: 23.07.2025"): themes print the post's date as a line of its own, whatever their
    class names; a related post's or a comment's date mostly comes after the article's own.

    This rule and the two after it replace htmldate as the last resort (with, earlier in the
    chain, ISO dates in the URL path, year-first citation dates and JSON dates in attributes):
    htmldate cost 3.5-7 ms a call, most of it on the three quarters of its calls that found
    nothing (about 6% of the extraction's CPU on WCXB dev), and dated 24 of the pages no earlier
    rule dates; these rules date 37 of them, for about a fifth of its cost."""
    for text in _DATELINE_TEXTS(
        doc, least=meta_rules.DATELINE_MIN_CHARS, most=meta_rules.DATELINE_MAX_CHARS
    ):
        if not DIGIT_RE.search(text):
            continue
        line = " ".join(text.split())
        date = parse_date(meta_rules.DATELINE_PREFIX_RE.sub("", line, count=1))
        if date is not None:
            return date, line
    return None, None


def published_in_any_time(doc: lhtml.HtmlElement) -> tuple[dt.date | None, str | None]:
    """The first ``<time>`` anywhere, page furniture included (a post's date in an ``<aside>``
    beside it), by its ``datetime`` or its text: ``_date_candidates`` leaves these out because
    they date a related post as often as the article, which matters less once nothing else
    dates the page."""
    for el in doc.iter("time"):
        for raw in (el.get("datetime"), text_of(el)):
            if raw and (found := find_date(raw)):
                return found
    return None, None


def published_modified(markup: Markup) -> tuple[dt.date | None, str | None]:
    """The date the page says it was last modified, when it says nothing of its publication:
    a page's only date (service and documentation pages) is better than none."""
    for raw in markup.meta(*meta_rules.MODIFIED_META):
        if found := find_date(raw):
            return found
    return None, None


def published_in_text(text: str) -> tuple[dt.date | None, str | None]:
    """The last resort: a date written near the top of the article (``เมื่อวันที่ 9 ...``)."""
    found = find_date(text)
    return found if found is not None else (None, None)
