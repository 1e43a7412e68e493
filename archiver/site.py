"""The registry's schema: one ``Site`` per agency, named by one slug everywhere.

The slug is the registry key, the spider name, the WARC file prefix and the ``site`` column of
the index. Sites crawled with ``--url`` and no registry entry get a slug made from their host.
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
