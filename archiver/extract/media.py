"""The images and attachments of an article (absolute URLs, page furniture skipped)."""

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
    """The featured image (wherever the theme put it), then the content root's images."""
    featured = [img for found in FEATURED_SELECTORS.matches(doc, names) for img in found]
    urls = (_image_url(img) for img in [*featured, *root.iter("img")])
    return _unique(urljoin(base, u) for u in urls if u)


def find_attachments(root: lhtml.HtmlElement, base: str) -> list[str]:
    hrefs = (a.get("href", "").strip() for a in root.iter("a"))
    return _unique(urljoin(base, h) for h in hrefs if h and rules.ATTACHMENT_RE.search(h))
