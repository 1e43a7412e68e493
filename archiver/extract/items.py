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
    #: The words for the search index, when segmented already (in a page worker).
    prepared: Prepared | None = field(default=None, repr=False, compare=False)


@dataclass
class MediaItem:
    """An image or attachment fetched for an article."""

    url: str
    article_url: str
    site: str
    kind: str  # image | attachment
    mime: str
    size: int
    sha1: str
    status: int
    fetched_at: str = ""
    warc: RecordLocation | None = None
