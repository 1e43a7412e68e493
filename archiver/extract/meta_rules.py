"""Title and date rules for Thai agency article pages, kept as data (as ``rules`` is for nodes,
media and soft errors): where a page's title and publication date are found, in the order
``archiver.extract.title`` and ``archiver.extract.published`` try them.
"""

from __future__ import annotations

import re

#: Publication dates in URLs, tried after the markup's dates and before the article text:
#: ``/2021/11/09/`` (WordPress day archives) and aliases like ``news-18-07-68`` (d-m-BE).
URL_YMD_RE = re.compile(r"/((?:19|20)\d\d)/(\d\d)/(\d\d)(?:/|$)")
#: An ISO date anywhere in the path (``/articles/2025-12-15+Title``).
URL_ISO_RE = re.compile(r"(?<![\d])((?:19|20)\d\d)-(\d\d)-(\d\d)(?![\d])")
URL_DMY_RE = re.compile(r"(?<![\d])(\d{1,2}-\d{1,2}-(?:\d{2}|\d{4}))(?![\d])")

#: Title candidates in order; ``<title>`` minus the site name is the last resort.
TITLE_CSS: tuple[str, ...] = (
    "h1.entry-title",  # WordPress
    "h1.wp-block-post-title",  # WordPress block themes
    ".page-header h2",
    "h2[itemprop=headline]",
    "h2.item-title",  # Joomla 3
    "[itemprop=headline]",
)
#: ``<title>`` separators between article and site name.
TITLE_SEPARATORS: tuple[str, ...] = (" - ", " | ", " – ", " :: ", " — ")

#: Meta names/properties carrying an ISO publication date (Open Graph, schema.org, Dublin Core).
#: Keys are lower-cased (``archiver.extract.markup`` reads them so): CMSs write DC.date and dc.date.
DATE_META: tuple[str, ...] = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "dcterms.issued",
    "date",
    "pubdate",
    "published",
    "publish-date",
    "publish_date",
    "publishdate",
    "publication_date",
    "published-date",
    "date_published",
    "publication-date",
    "article.published",
    "parsely-pub-date",
    "sailthru.date",
    "citation_publication_date",
)
#: Joomla article-info dates, e.g. ``เผยแพร่เมื่อ: 15 พฤศจิกายน 2564``.
DATE_CSS: tuple[str, ...] = ("dd.published", "dd.create", ".published", ".create")
#: Where a date-classed element (``class="date"``, ``news-date``) may be the article's: templates
#: also print today's date in a top bar. The whole page only when none of these exist.
DATE_SCOPE_XPATH = (
    "//article | //main | //*[@role='main' or @id='content' or contains(@class, 'item-page')"
    " or contains(@class, 'entry-content')]"
)
#: How many later date candidates are searched for the local twin of a UTC timestamp.
DATE_TWIN_LOOKAHEAD = 20
#: How far around the ``<h1>`` (characters, ancestor levels) a date counts as the article's.
DATE_TITLE_WINDOW = 400
DATE_TITLE_LEVELS = 3
#: How many author elements are looked around for a date.
DATE_BYLINE_ELEMENTS = 3
#: Publication dates in script data that is not JSON-LD (Next.js ``__NEXT_DATA__``, headless
#: CMS state): the key, then an ISO-like value; with plain quotes, then with the quotes of JSON
#: inside an HTML attribute (``&quot;``) or a JS string (``\\"``). One literal quote style per
#: pattern: a pattern that opens on an alternation scans the page about ten times slower.
_SOURCE_DATE_KEYS = (
    r"(?:datePublished|publishDate|publishedAt|published_at|publishedDate|publicationDate"
    r"|first_publication_date|date_published|postDate|pubDate)"
)
SOURCE_DATE_RES: tuple[re.Pattern[str], ...] = (
    re.compile(r'"' + _SOURCE_DATE_KEYS + r'"\s*:\s*"(\d{4}-\d\d-\d\d[^"]{0,30})"'),
    *(
        re.compile(
            q + _SOURCE_DATE_KEYS + q + r"\s*:\s*" + q + r'(\d{4}-\d\d-\d\d[^"&\\]{0,30})' + q
        )
        for q in ("&quot;", r'\\"')
    ),
)
#: A date printed as a line of its own, read after an optional "Published on" / "Updated:".
DATELINE_MIN_CHARS = 6
DATELINE_MAX_CHARS = 48
DATELINE_PREFIX_RE = re.compile(
    r"^(?:last\s+)?(?:published|updated|posted|modified|written|date)(?:\s+on)?\s*:?\s*",
    re.IGNORECASE,
)
#: ``<meta>`` keys of the last modification, the date of a page that states no other.
MODIFIED_META: tuple[str, ...] = (
    "article:modified_time",
    "og:updated_time",
    "ms.date",
    "dcterms.modified",
    "last-modified",
    "datemodified",
)
#: How far into the article text a date still counts as its publication date.
DATE_TEXT_WINDOW = 300
