"""What the spiders hand to the pipelines: an extracted article, or a fetched media file."""

from __future__ import annotations

from dataclasses import dataclass, field

from archiver.warc.records import RecordLocation


@dataclass
class Prepared:
    """The segmented title and text of an article, for the word table (the trigram table
    takes the plain ``body``). Computed in a page worker and sent back to the crawl, so it
    holds nothing the item does not (the text is not sent twice)."""

    title_words: str
    text_words: str


@dataclass
class ArticleItem:
    """An article page, extracted; ``warc`` is where its response record is."""

    url: str
    site: str
    title: str | None
    published: str | None  # YYYY-MM-DD, Gregorian
    published_raw: str | None
    author: str | None
    photographer: str | None
    text: str
    images: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    lang: str = "th"
    fetched_at: str = ""
    warc: RecordLocation | None = None
    #: Fetched with the article, not indexed with it: the other sources of its images
    #: (``srcset`` candidates, ``src``; canonical) and the page's requisites (stylesheets,
    #: scripts, icons, every image of the page; as the page spells them, absolute).
    image_sources: list[str] = field(default_factory=list, repr=False, compare=False)
    requisites: list[str] = field(default_factory=list, repr=False, compare=False)
    #: What the page loads besides ``images`` and ``attachments`` (canonical, as the media
    #: rows name them; not a ``/favicon.ico`` it names not): the index keeps it, so that a run
    #: after one that ended early knows what of it is missing (``Runs.incomplete_articles``).
    loads: list[str] = field(default_factory=list, repr=False, compare=False)
    #: The words for the search index, when segmented already (in a page worker).
    prepared: Prepared | None = field(default=None, repr=False, compare=False)


@dataclass
class MediaItem:
    """An image, attachment or page requisite fetched for an article."""

    url: str
    article_url: str
    site: str
    kind: str  # image | attachment | requisite (names.ROLE_*)
    mime: str
    size: int
    sha1: str
    status: int
    fetched_at: str = ""
    warc: RecordLocation | None = None
    #: What a stylesheet loads in turn (``@import``, fonts, images; canonical), so that a
    #: later run knows them without fetching it again (``Runs.incomplete_articles``).
    loads: list[str] = field(default_factory=list)
