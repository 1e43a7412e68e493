"""The images and attachments of an article (absolute URLs, page furniture skipped), and every
source a browser may load for those images (``image_sources``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urljoin

from lxml import html as lhtml

from archiver.extract import rules
from archiver.extract.nodes import NamedSelectors

FEATURED_SELECTORS = NamedSelectors(rules.FEATURED_IMAGE_CSS)


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


def srcset_urls(srcset: str) -> list[str]:
    """Every candidate URL of a ``srcset`` (HTML's parsing rules, in short: a candidate is a
    run of non-space characters, trailing commas cut, then descriptors up to the next comma;
    a URL may hold commas)."""
    urls, pos, end = [], 0, len(srcset)
    while pos < end:
        while pos < end and (srcset[pos].isspace() or srcset[pos] == ","):
            pos += 1
        start = pos
        while pos < end and not srcset[pos].isspace():
            pos += 1
        url = srcset[start:pos]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            while pos < end and srcset[pos] != ",":  # descriptors
                pos += 1
        if url:
            urls.append(url)
    return urls


def _loadable(src: str | None) -> str | None:
    src = (src or "").strip()
    return src if src and not src.startswith(("data:", "javascript:", "about:")) else None


def img_sources(img: lhtml.HtmlElement) -> list[str]:
    """Every URL a browser (or a lazy-loading script) may load for an ``<img>``: ``src``, the
    lazy-load attributes, each ``srcset`` / ``data-srcset`` candidate, and those of the
    ``<source>`` elements of its ``<picture>``; relative, in that order, with duplicates."""
    found = [img.get(attr) for attr in rules.IMAGE_LAZY_ATTRS]
    sets = [img.get("srcset"), img.get("data-srcset")]
    # libxml2's HTML parser does not know <source> as empty: the <img> may be inside one
    picture = next(img.iterancestors("picture"), None)
    if picture is not None:
        for source in picture.iter("source"):
            sets += [source.get("srcset"), source.get("data-srcset")]
    for srcset in sets:
        if srcset:
            found += srcset_urls(srcset)
    return [u for u in map(_loadable, found) if u]


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


def find_images(
    doc: lhtml.HtmlElement, names: frozenset[str], root: lhtml.HtmlElement, base: str
) -> list[str]:
    """The featured image (wherever the theme put it), then the content root's images: one
    URL per picture (its largest ``srcset`` candidate, else its lazy-load or ``src``)."""
    return find_images_and_sources(doc, names, root, base)[0]


def find_images_and_sources(
    doc: lhtml.HtmlElement, names: frozenset[str], root: lhtml.HtmlElement, base: str
) -> tuple[list[str], list[str]]:
    """``find_images``, and every other source a browser may load for those pictures
    (``img_sources``: ``src``, each ``srcset`` / ``data-srcset`` / ``<picture><source>``
    candidate), absolute, none of the first list."""
    featured = [img for found in FEATURED_SELECTORS.matches(doc, names) for img in found]
    images: list[str] = []
    sources: list[str] = []
    for img in [*featured, *root.iter("img")]:
        url = _image_url(img)
        if url:
            images.append(urljoin(base, url))
            sources += (urljoin(base, u) for u in img_sources(img))
    images = _unique(images)
    listed = set(images)
    return images, [u for u in _unique(sources) if u not in listed]


def find_attachments(root: lhtml.HtmlElement, base: str) -> list[str]:
    hrefs = (a.get("href", "").strip() for a in root.iter("a"))
    return _unique(urljoin(base, h) for h in hrefs if h and rules.ATTACHMENT_RE.search(h))
