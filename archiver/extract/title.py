"""The article's title: heading rules, the page's markup, the page title less the site name."""

from __future__ import annotations

import re

from lxml import html as lhtml

from archiver.extract import meta_rules
from archiver.extract.markup import Markup
from archiver.extract.nodes import NamedSelectors
from archiver.extract.text import SPACES_RE
from archiver.thai.chars import has_thai

TITLE_SELECTORS = NamedSelectors(meta_rules.TITLE_CSS)


# -- title --------------------------------------------------------------------------------------
def text_of(el: lhtml.HtmlElement) -> str:
    return SPACES_RE.sub(" ", el.text_content()).strip()


def _title_from_css(doc: lhtml.HtmlElement, names: frozenset[str]) -> str | None:
    for matches in TITLE_SELECTORS.matches(doc, names):
        for el in matches:
            if text := text_of(el):
                return text
    return None


def find_title(doc: lhtml.HtmlElement, names: frozenset[str], markup: Markup) -> str | None:
    """First of: CMS title markup, ``og:title``, the first ``<h1>``. Read before junk is
    dropped: WordPress puts its title in a ``<header>``."""
    if found := _title_from_css(doc, names):
        return found
    for value in markup.meta("og:title"):
        return _without_site_name(doc, value, markup)
    for h1 in doc.iter("h1"):
        if text := text_of(h1):
            return text
    return None


def _without_site_name(doc: lhtml.HtmlElement, title: str, markup: Markup) -> str:
    """``og:title`` minus a `` - Site Name`` suffix that SEO plugins append (Yoast, Rank Math),
    recognised by ``og:site_name`` or by the last part of ``<title>``."""
    names = list(markup.meta("og:site_name"))
    page = doc.find(".//title")
    pattern = "|".join(re.escape(sep) for sep in meta_rules.TITLE_SEPARATORS)
    if page is not None and (parts := re.split(pattern, text_of(page))) and len(parts) > 1:
        names.append(parts[-1].strip())
    for name in names:
        for sep in meta_rules.TITLE_SEPARATORS:
            if title.endswith(sep + name) and len(title) > len(sep + name):
                return title[: -len(sep + name)].strip()
    return title


def page_title(doc: lhtml.HtmlElement) -> str | None:
    """``<title>`` split on the usual separators; the longest part is the article's."""
    el = doc.find(".//title")
    if el is None or not (text := text_of(el)):
        return None
    pattern = "|".join(re.escape(sep) for sep in meta_rules.TITLE_SEPARATORS)
    return max(re.split(pattern, text), key=len).strip() or None


def legacy_title(cell: lhtml.HtmlElement) -> str | None:
    """Legacy pages: a bold line at the top of the content cell, or a bold cell just above."""
    head = SPACES_RE.sub(" ", "".join(cell.itertext())[:300]).strip()
    first = next(iter(cell.xpath(".//b | .//strong | .//h1 | .//h2 | .//h3")), None)
    if first is not None:
        text = text_of(first)
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
            text = text_of(el)
            if 5 <= len(text) <= 250 and has_thai(text):
                return text
    return None
