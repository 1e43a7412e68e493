"""What a page's markup says about itself: ``<meta>`` tags and JSON-LD, each read once.

Title, date and author all look here, several keys each; reading the page's ``<meta>`` tags
and ``application/ld+json`` blocks once (one XPath each) is what keeps that cheap. JSON-LD is
flattened (``@graph``, lists, nested objects) into nodes, so that an article's ``author``
given as ``{"@id": ...}`` (Yoast writes it so) is found on the ``Person`` node it points to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

_METAS = etree.XPath("//meta[@content]")
_JSONLD = etree.XPath("//script[@type='application/ld+json']/text()", smart_strings=False)
_SPACES = re.compile("[\\s\u200b]+")  # Unicode spaces and the zero-width space Thai CMSs leave

#: schema.org types of the page's main work, whose ``author`` and ``datePublished`` are the
#: article's (a ``WebSite`` or ``Organization`` node's are not).
ARTICLE_TYPES = frozenset(
    "Article NewsArticle BlogPosting Report TechArticle ScholarlyArticle AnalysisNewsArticle "
    "OpinionNewsArticle ReviewNewsArticle LiveBlogPosting SocialMediaPosting "
    "DiscussionForumPosting "
    "Review Recipe HowTo WebPage MedicalWebPage AboutPage FAQPage QAPage Question".split()
)
#: ``<meta>`` keys naming the author, in order (Open Graph's ``article:author`` is often a URL,
#: which ``_person`` refuses).
AUTHOR_META = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator")
#: CMS account names shown as the author when nobody is named: never a person (Joomla's
#: "Super User", WordPress's "admin", Thai "ผู้ดูแลระบบ" = administrator).
ACCOUNT_NAMES = frozenset(
    ["admin", "administrator", "super user", "superuser", "site admin", "webmaster", "root"]
    + ["ผู้ดูแลระบบ", "แอดมิน"]
)
#: Longer "names" are sentences (a description filled into the author field).
MAX_AUTHOR_CHARS = 100
#: An HTML byline longer than this many words is a bio or a card, not a name.
MAX_AUTHOR_WORDS = 6


@dataclass
class Markup:
    metas: dict[str, list[str]] = field(default_factory=dict)
    nodes: list[dict] = field(default_factory=list)

    @classmethod
    def read(cls, doc: etree._Element) -> Markup:
        found = cls()
        for meta in _METAS(doc):
            content = _SPACES.sub(" ", meta.get("content") or "").strip()
            if not content:
                continue
            for attr in ("property", "name", "itemprop"):
                if key := meta.get(attr):  # lower-cased: CMSs write DC.Date and dc.date
                    found.metas.setdefault(key.strip().lower(), []).append(content)
        for text in _JSONLD(doc):
            try:
                data = json.loads(text)
            except (ValueError, RecursionError):  # broken JSON-LD is common: the page still counts
                continue
            found.nodes.extend(_flatten(data))
        return found

    def meta(self, *keys: str) -> Iterator[str]:
        for key in keys:
            yield from self.metas.get(key, ())

    def _articles(self) -> list[dict]:
        """The nodes of the page's main work (``ARTICLE_TYPES``), in page order."""
        return [n for n in self.nodes if ARTICLE_TYPES.intersection(_types(n))]

    def published(self) -> Iterator[str]:
        """``datePublished`` values, the article's node first."""
        articles = self._articles()
        chosen = {id(n) for n in articles}
        for node in articles + [n for n in self.nodes if id(n) not in chosen]:
            value = node.get("datePublished")
            if isinstance(value, str) and value.strip():
                yield value.strip()

    def author(self) -> str | None:
        """The article's author: its JSON-LD ``author`` (names joined with ", "), else the
        first ``AUTHOR_META`` tag that names a person."""
        by_id = {n["@id"]: n for n in self.nodes if isinstance(n.get("@id"), str)}
        for node in self._articles():
            people = node.get("author")
            names = [_person(p, by_id) for p in (people if isinstance(people, list) else [people])]
            if found := ", ".join(dict.fromkeys(n for n in names if n)):
                return found
        return next((name for v in self.meta(*AUTHOR_META) if (name := _person(v, {}))), None)


def _flatten(data: object, depth: int = 0) -> Iterator[dict]:
    """Every JSON object in a JSON-LD document, outer ones first."""
    if depth > 8:
        return
    if isinstance(data, dict):
        yield data
        for value in data.values():
            yield from _flatten(value, depth + 1)
    elif isinstance(data, list):
        for value in data:
            yield from _flatten(value, depth + 1)


def _types(node: dict) -> list[str]:
    kind = node.get("@type")
    if isinstance(kind, str):
        return [kind]
    return [k for k in kind if isinstance(k, str)] if isinstance(kind, list) else []


def _person(value: object, by_id: dict[str, dict]) -> str | None:
    """A person's or organisation's name from a JSON-LD author value or a meta tag: None for
    URLs, @handles, CMS account names and text too long to be a name."""
    if isinstance(value, dict):
        if "name" not in value and isinstance(value.get("@id"), str):
            value = by_id.get(value["@id"], {})
        value = value.get("name") if isinstance(value, dict) else None
    if isinstance(value, list):  # "name": ["A"] happens
        value = next((v for v in value if isinstance(v, str)), None)
    if not isinstance(value, str):
        return None
    name = _SPACES.sub(" ", value).strip()
    if (
        not name
        or len(name) > MAX_AUTHOR_CHARS
        or name.startswith(("http:", "https:", "@", "www."))
        or name.lower() in ACCOUNT_NAMES
    ):
        return None
    return name


#: Elements that name the author in the page's HTML (``rel=author`` links, schema.org
#: microdata, the ``author``/``byline`` classes of most themes), outside comments.
_AUTHOR_ELEMENTS = etree.XPath(
    "//*[@rel='author' or @itemprop='author' or contains(@class, 'author')"
    " or contains(@class, 'byline')][not(self::meta or self::link or self::body or self::html)]"
    "[not(ancestor-or-self::*[contains(@class, 'comment') or contains(@id, 'comment')])]"
)
_ITEMPROP_NAME = etree.XPath(".//*[@itemprop='name']")
#: Labels before a name in a byline ("By Jane Doe", "Written by", Thai "เขียนโดย").
_BYLINE_LABEL = re.compile(
    r"^(?:(?:written|posted|published|reviewed)?\s*by|author|เขียนโดย|โดย)\s*[:：]?\s*", re.I
)


def author_elements(doc: etree._Element, names: frozenset[str]) -> list[etree._Element]:
    """The elements that name the author, in page order. ``names`` (the page's class names and
    itemprops) says at once whether any can exist."""
    if not any("author" in n or "byline" in n for n in names):
        return []
    return list(_AUTHOR_ELEMENTS(doc))


def html_author(elements: list[etree._Element]) -> str | None:
    """The first author named by the page's own HTML (``author_elements``), or None."""
    for el in elements:
        inner = _ITEMPROP_NAME(el) if el.get("itemprop") == "author" else []
        text = " ".join((inner[0] if inner else el).itertext())
        name = _person(_BYLINE_LABEL.sub("", _SPACES.sub(" ", text).strip()), {})
        if name and any(c.isalpha() for c in name) and len(name.split()) <= MAX_AUTHOR_WORDS:
            return name
    return None
