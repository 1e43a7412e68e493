"""Find the nodes that the cleaning rules name, in one pass over the page.

``archiver.extract.rules`` lists about a hundred CSS selectors of page furniture. Run one by one
through lxml's CSSSelector, each is a walk over the whole tree (about 7 ms a page, more than
trafilatura's own extraction). Nearly all of them are simple (``tag``, ``.class``, ``#id``,
``tag.class``, ``[attr*=value]``, ``tag[attr=value]``): those are compiled here into set
lookups checked in a single walk; anything else still goes through XPath, joined into one
expression.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from cssselect import HTMLTranslator
from lxml import etree
from lxml.cssselect import CSSSelector

_SIMPLE = re.compile(
    r"(?P<tag>[a-z][a-z0-9-]*)?"
    r"(?:(?P<kind>[.#])(?P<name>[\w-]+)"
    r"|\[(?P<attr>[\w-]+)(?P<op>\*?=)(?P<quote>['\"]?)(?P<value>[^\]'\"]+)(?P=quote)\])?"
)


@dataclass
class NodeMatcher:
    """Compiled selectors: ``find(scope)`` returns every element inside ``scope`` that one of
    them matches, in document order, each once."""

    tags: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)
    tag_classes: set[tuple[str, str]] = field(default_factory=set)
    tag_ids: set[tuple[str, str]] = field(default_factory=set)
    attr_tests: list[tuple[str | None, str, str, str]] = field(default_factory=list)
    xpath: etree.XPath | None = None

    @classmethod
    def compile(cls, css: Iterable[str], xpaths: Iterable[str] = ()) -> NodeMatcher:
        matcher = cls()
        rest = list(xpaths)
        translator = HTMLTranslator()
        for selector in css:
            if not matcher._add_simple(selector.strip()):
                rest.append(translator.css_to_xpath(selector))
        if rest:
            matcher.xpath = etree.XPath(" | ".join(f"({x})" for x in rest))
        return matcher

    def _add_simple(self, selector: str) -> bool:
        m = _SIMPLE.fullmatch(selector)
        if not m or not selector:
            return False
        tag, kind, name, attr = m["tag"], m["kind"], m["name"], m["attr"]
        if attr:
            self.attr_tests.append((tag, attr, m["op"], m["value"]))
        elif kind == "." and tag:
            self.tag_classes.add((tag, name))
        elif kind == ".":
            self.classes.add(name)
        elif kind == "#" and tag:
            self.tag_ids.add((tag, name))
        elif kind == "#":
            self.ids.add(name)
        else:
            self.tags.add(tag)
        return True

    def matches(self, el: etree._Element) -> bool:
        tag = el.tag
        if tag in self.tags:
            return True
        node_id = el.get("id")
        if node_id is not None and (node_id in self.ids or (tag, node_id) in self.tag_ids):
            return True
        klass = el.get("class")
        if klass is not None:
            tokens = klass.split()
            if not self.classes.isdisjoint(tokens):
                return True
            if self.tag_classes and any((tag, t) in self.tag_classes for t in tokens):
                return True
        for want_tag, attr, op, value in self.attr_tests:
            if want_tag is not None and tag != want_tag:
                continue
            got = el.get(attr)
            if got is not None and (value in got if op == "*=" else got == value):
                return True
        return False

    def find(self, scope: etree._Element) -> list[etree._Element]:
        found = [el for el in scope.iter(etree.Element) if self.matches(el)]
        if self.xpath is not None:
            seen = set(found)
            found += [
                el for el in self.xpath(scope) if isinstance(el, etree._Element) and el not in seen
            ]
        return found


def font_widgets(scope: etree._Element, chars: str, tags: frozenset[str]) -> list[etree._Element]:
    """The largest elements (of ``tags``) whose whole text is font-size buttons (``A- A A+``).

    Looks at text nodes first: only a text made of ``chars`` can start a widget, so the
    expensive whole-subtree text of an element is computed for a handful of candidates.
    """
    found: list[etree._Element] = []
    for node in scope.iter():  # the text nodes, without building xpath's string objects
        own = node.text if isinstance(node.tag, str) else None  # not a comment's content
        tail = node.tail if node is not scope else None  # the scope's tail is outside it
        for text, el in ((own, node), (tail, node.getparent())):
            stripped = text.strip() if text else ""
            # str.strip(chars) leaves nothing exactly when every character is one of chars
            if not stripped or stripped.strip(chars) or el is None:
                continue
            best = _widget_from(el, scope, chars, tags)
            if best is not None and best not in found:
                found.append(best)
    return found


def _widget_from(
    el: etree._Element, scope: etree._Element, chars: str, tags: frozenset[str]
) -> etree._Element | None:
    """The largest of ``el`` and its ancestors (below ``scope``) made of ``chars`` only."""
    best = None
    while el is not None and el is not scope:
        content = "".join(el.itertext()).strip()
        if not content or content.strip(chars):
            break
        if el.tag in tags:
            best = el
        el = el.getparent()
    return best


_NAMES = etree.XPath("//@class | //@itemprop", smart_strings=False)


def page_names(doc: etree._Element) -> frozenset[str]:
    """Every class name and ``itemprop`` value on the page, read in one pass of libxml2."""
    return frozenset(" ".join(_NAMES(doc)).split())


class NamedSelectors:
    """CSS selectors tried only on pages that hold the class name or ``itemprop`` each needs.

    ``div.entry-content`` can only match a page with an ``entry-content`` class: a set lookup
    in ``page_names`` is far cheaper than the selector's walk over the tree, and most pages
    hold none of a group's names (WCXB dev, 499 pages: the four groups of 24 selectors cost
    3.0 ms a page run one by one; a substring test of the source for each needle alone cost
    1.9 ms, the page's names read once 0.7 ms). The needle is the last class or attribute value
    the selector names: the element it selects, or the container it selects in.
    """

    def __init__(self, css: Iterable[str]) -> None:
        self._selectors = [(self.needle(c), CSSSelector(c, translator="html")) for c in css]

    @staticmethod
    def needle(css: str) -> str:
        names = re.findall(r"(?<=[.=\"'])[\w-]+", css)
        if not names:
            raise ValueError(f"selector {css!r} names no class or attribute value")
        return str(names[-1])

    def matches(self, doc: etree._Element, names: frozenset[str]) -> Iterator[list[etree._Element]]:
        """For each selector in order, the elements it matches (none without its needle)."""
        for needle, selector in self._selectors:
            yield selector(doc) if needle in names else []
