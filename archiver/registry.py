"""The agencies we crawl, as data, and their schema: one ``Site`` per agency, named by one slug
everywhere.

The slug is the registry key, the spider name, the WARC file prefix and the ``site`` column of
the index. Sites crawled with ``--url`` and no registry entry get a slug made from their host.
Add an agency by adding an entry to ``AGENCIES``; no code is needed when the generic news spider
can find its article links and pagination from the listing URL alone. The CLI (``archiver
sites``), the crawl and the spiders read it here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Site:
    """An agency whose news we archive."""

    slug: str
    name_th: str
    name_en: str
    listings: tuple[str, ...]
    cms: str = "unknown"  # joomla | wordpress | legacy | in-house: documentation, not behaviour
    notes: str = ""
    hosts: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", self.slug):
            raise ValueError(f"site slug {self.slug!r}: use lower-case letters, digits and '-'")
        if not self.hosts:
            object.__setattr__(self, "hosts", tuple(sorted({host_of(u) for u in self.listings})))


@lru_cache(maxsize=65536)
def host_of(url: str) -> str:
    """The host of a URL without a ``www.`` prefix and port-less, lower-cased."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def slug_for_url(url: str) -> str:
    """A slug for a listing URL that is not in the registry: its host, made file-name safe."""
    parts = urlsplit(url)
    host = host_of(url)
    if parts.port:
        host = f"{host}-{parts.port}"
    return re.sub(r"[^a-z0-9]+", "-", host).strip("-") or "site"


AGENCIES: tuple[Site, ...] = (
    Site(
        slug="moralcenter",
        name_th="ศูนย์คุณธรรม (องค์การมหาชน)",
        name_en="Moral Promotion Center (Public Organization)",
        listings=("https://www.moralcenter.or.th/ศูนย์คุณธรรม/news/pr-news.html",),
        cms="joomla",
        notes="Joomla 3 category blog, ?start=N pagination; sigplus gallery plugin "
        "(the seed page: widget, plugin error box, {gallery} shortcodes).",
    ),
    Site(
        slug="thaigov",
        name_th="ทำเนียบรัฐบาล (รัฐบาลไทย)",
        name_en="Royal Thai Government",
        listings=("https://www.thaigov.go.th/news/contents/ministry",),
        cms="in-house",
        notes="In-house CMS; articles at /news/contents/details/<id>; source of the "
        "public-domain news corpus in shared/corpus.",
    ),
    Site(
        slug="prd",
        name_th="กรมประชาสัมพันธ์",
        name_en="Government Public Relations Department",
        listings=("https://www.prd.go.th/th/content/category/index/id/9",),
        cms="in-house",
        notes="PRD in-house CMS; listing URL to be confirmed on the live site.",
    ),
)

BY_SLUG = {site.slug: site for site in AGENCIES}
