"""The article's text: trafilatura on the content root, block text as the fallback, tidied."""

from __future__ import annotations

import copy
import logging
import re

import trafilatura
from lxml import etree
from lxml import html as lhtml

from archiver.extract import lines, rules

logger = logging.getLogger(__name__)

BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure h1 h2 h3 h4 h5 h6 hr "
    "li ol p pre section table td th tr ul".split()
)
#: What counts as a space between words besides the space itself (``_tidy`` makes them one).
ODD_SPACES = ("\t", "\u00a0", "\u200b", "\u3000")
SPACES_RE = re.compile("[ " + "".join(ODD_SPACES) + "]+")
RUN_OF_SPACES = re.compile("  +")
BLANK_LINES = re.compile("\n{3,}")


# -- text ---------------------------------------------------------------------------------------
def _block_text(root: lhtml.HtmlElement) -> str:
    """The element's text with a line break at every block boundary (no recursion: deep
    legacy table nesting must not hit Python's recursion limit)."""
    parts: list[str] = []
    for event, el in etree.iterwalk(root, events=("start", "end")):
        block = isinstance(el.tag, str) and el.tag in BLOCK_TAGS
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
    for odd in ODD_SPACES:
        if odd in text:
            text = text.replace(odd, " ")
    if "  " in text:
        text = RUN_OF_SPACES.sub(" ", text)
    text = "\n".join([line.strip() for line in text.split("\n")])
    if "\n\n\n" in text:
        text = BLANK_LINES.sub("\n\n", text)
    return text.strip()


def trafilatura_text(root: lhtml.HtmlElement, url: str, recall: bool = False) -> str | None:
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


def article_text(
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
        root_text, root_meta = lines.split_bylines(lines.clean_lines(_block_text(root)))
    text, meta = lines.split_bylines(lines.clean_lines(extracted or ""))
    if trust_root and len(_tidy(text)) < rules.MIN_TEXT_CHARS <= len(_tidy(root_text)):
        logger.debug("%s: trafilatura kept too little, using the content root", url)
        text = root_text
    for key, value in root_meta.items():
        meta.setdefault(key, value)
    return _without_title(_tidy(text), title), meta


def _without_title(text: str, title: str | None) -> str:
    """The text minus a first line that only repeats the title."""
    first, _, rest = text.partition("\n")
    if title and SPACES_RE.sub("", first) == SPACES_RE.sub("", title):
        return rest.strip()
    return text
