"""Canonical URLs: one spelling per page, so that duplicates are fetched and indexed once.

Links to one article come spelled many ways: lower- or upper-case percent escapes of Thai
paths, raw Thai characters, query arguments in another order, tracking parameters, and
Joomla's ``Itemid`` (which menu the link came from, not which article).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

#: Query parameters that never change which page is served.
NOISE_PARAMS = re.compile(r"^(utm_[a-z]+|fbclid|gclid|yclid|mc_cid|mc_eid|_ga|Itemid)$", re.I)


@lru_cache(maxsize=65536)
def canonical_url(url: str) -> str:
    """The canonical spelling of ``url``: percent escapes upper-cased (w3lib), query sorted,
    fragment and noise parameters dropped. Remembered: a crawl spells the same URL out again
    and again (each listing page, the capture log, the index), and w3lib takes ~40 us."""
    parts = urlsplit(url)
    if parts.query:
        kept = [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not NOISE_PARAMS.match(k)
        ]
        parts = parts._replace(query=urlencode(kept))
    return canonicalize_url(urlunsplit(parts))
