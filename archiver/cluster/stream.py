"""The item stream of cluster mode: what crawl nodes hand the one index writer, through Redis.

On one machine the crawl's ``IndexPipeline`` hands a writer process batches of articles and
media (``archiver.jobs.index_writer``), and the run writes its report and the sites into
``index.db`` itself. With many crawl nodes there is one ``index.db`` and one writer
(``archiver index-writer --cluster URL``), fed by one Redis stream: every node ``XADD``s what it
would have written, and the writer applies it (``archiver.cluster.writer``).

Why a stream and not a list: a consumer group keeps what was delivered but not acknowledged
(the pending list), so a writer killed mid-batch gets its entries again, and entry ids are
ordered, so the writer can store the last id it applied in the same SQLite transaction as the
rows and skip what it already applied: exactly once, whatever is killed when.

Every key name of the stream is here, and so is the payload format (JSON, never pickle: a
node and the writer may run different versions, and a Redis anyone can write to must not be
able to run code in the writer). One entry is one thing to apply:

=========  ===========================================================  ==========================
kind       data                                                         applied as
=========  ===========================================================  ==========================
article    an ``ArticleItem`` (with the page worker's segmented words)  ``Index.upsert_articles``
media      a ``MediaItem``                                              ``Index.upsert_media_many``
site       a registry ``Site`` (slug, names, listing URLs)              ``Index.upsert_site``
walked     ``{"slug", "when"}``: a run walked a site's whole listing    ``Index.mark_walked``
report     a run's report (``archiver.crawl.run``)                      ``Index.record_crawl``
=========  ===========================================================  ==========================

Applying is idempotent for each kind (an article seen again with the same text is
``unchanged``, a media row is replaced, a report already in ``crawls`` is skipped), because a
producer may add an entry twice: a node killed after its ``XADD`` but before the engine was done
with the request fetches the page again, and a client retrying an ``XADD`` whose reply was lost
to a Redis restart adds it again. Exactly once is the writer's promise for each entry; the
upserts make a page delivered twice harmless.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from archiver.extract.items import ArticleItem, MediaItem, Prepared
from archiver.registry import Site
from archiver.warc.records import RecordLocation

if TYPE_CHECKING:
    import redis

# -- key names: the one place they are spelt ---------------------------------------------------
#: The stream every node adds to and the index writer reads.
STREAM = "items"
#: The index writer's consumer group (one group: one index).
GROUP = "index"
#: Entries the writer could not read (another version's kind, broken JSON): kept here with the
#: reason, never applied and never silently dropped.
DEAD = "items:dead"
#: The ``meta`` key of ``index.db`` that holds the id of the last entry applied.
META_STREAM_ID = "stream_id"
#: Payload version: a writer refuses (dead-letters) entries of a version it does not know.
VERSION = "1"

ARTICLE = "article"
MEDIA = "media"
SITE = "site"
WALKED = "walked"
REPORT = "report"
KINDS = (ARTICLE, MEDIA, SITE, WALKED, REPORT)


class BadEntry(ValueError):
    """An entry the writer cannot apply (unknown version or kind, broken payload)."""


# -- entry ids ----------------------------------------------------------------------------------
def parse_id(entry_id: str | bytes) -> tuple[int, int]:
    """``"1700000000000-3"`` as ``(1700000000000, 3)``: ids compare as pairs of numbers, not as
    text (``"9-0" > "10-0"`` as text)."""
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def id_text(entry_id: str | bytes) -> str:
    return entry_id.decode() if isinstance(entry_id, bytes) else entry_id


# -- payloads -------------------------------------------------------------------------------------
def _location(value: RecordLocation | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"filename": value.filename, "offset": value.offset, "length": value.length}


def _location_of(data: Any) -> RecordLocation | None:
    if data is None:
        return None
    return RecordLocation(str(data["filename"]), int(data["offset"]), int(data["length"]))


def article_data(item: ArticleItem) -> dict[str, Any]:
    """What the index needs of an article: every column, the record's place, and the words the
    page worker segmented (so the writer does not segment them again: about 2 ms an article
    instead of 5), and what else it loads (``loads``: the index keeps it, so that the run after
    one that ended early fetches what of it is missing). Not its image sources and requisites
    as the page spells them: the crawl fetches them, the index does not keep them."""
    prepared = item.prepared
    return {
        "url": item.url,
        "site": item.site,
        "title": item.title,
        "published": item.published,
        "published_raw": item.published_raw,
        "author": item.author,
        "photographer": item.photographer,
        "text": item.text,
        "images": list(item.images),
        "attachments": list(item.attachments),
        "lang": item.lang,
        "fetched_at": item.fetched_at,
        "warc": _location(item.warc),
        "loads": list(item.loads),
        "prepared": (
            None
            if prepared is None
            else {"title_words": prepared.title_words, "text_words": prepared.text_words}
        ),
    }


def article_of(data: Mapping[str, Any]) -> ArticleItem:
    prepared = data.get("prepared")
    return ArticleItem(
        url=str(data["url"]),
        site=str(data["site"]),
        title=data.get("title"),
        published=data.get("published"),
        published_raw=data.get("published_raw"),
        author=data.get("author"),
        photographer=data.get("photographer"),
        text=str(data["text"]),
        images=list(data.get("images") or []),
        attachments=list(data.get("attachments") or []),
        lang=str(data.get("lang") or "th"),
        fetched_at=str(data.get("fetched_at") or ""),
        warc=_location_of(data.get("warc")),
        loads=list(data.get("loads") or []),
        prepared=(
            None
            if prepared is None
            else Prepared(str(prepared["title_words"]), str(prepared["text_words"]))
        ),
    )


def media_data(item: MediaItem) -> dict[str, Any]:
    return {
        "url": item.url,
        "article_url": item.article_url,
        "site": item.site,
        "kind": item.kind,
        "mime": item.mime,
        "size": item.size,
        "sha1": item.sha1,
        "status": item.status,
        "fetched_at": item.fetched_at,
        "warc": _location(item.warc),
        "loads": list(item.loads),
    }


def media_of(data: Mapping[str, Any]) -> MediaItem:
    return MediaItem(
        url=str(data["url"]),
        article_url=str(data["article_url"]),
        site=str(data["site"]),
        kind=str(data["kind"]),
        mime=str(data["mime"]),
        size=int(data["size"]),
        sha1=str(data["sha1"]),
        status=int(data["status"]),
        fetched_at=str(data.get("fetched_at") or ""),
        warc=_location_of(data.get("warc")),
        loads=list(data.get("loads") or []),
    )


def site_data(site: Site) -> dict[str, Any]:
    return {
        "slug": site.slug,
        "name_th": site.name_th,
        "name_en": site.name_en,
        "listings": list(site.listings),
    }


def site_of(data: Mapping[str, Any]) -> Site:
    return Site(
        slug=str(data["slug"]),
        name_th=str(data["name_th"]),
        name_en=str(data["name_en"]),
        listings=tuple(str(u) for u in data["listings"]),
    )


def fields(kind: str, data: Mapping[str, Any], stats: str | None = None) -> dict[str, str]:
    """The fields of one stream entry. ``stats``: a Redis hash the writer adds each article's
    status to (``<site>/articles_<status>``), for a run report made on a crawl node."""
    out = {"v": VERSION, "kind": kind, "data": json.dumps(data, ensure_ascii=False)}
    if stats:
        out["stats"] = stats
    return out


def fields_of_item(item: object, stats: str | None = None) -> dict[str, str]:
    """An item of the crawl (``ArticleItem`` or ``MediaItem``) as entry fields."""
    if isinstance(item, ArticleItem):
        return fields(ARTICLE, article_data(item), stats)
    if isinstance(item, MediaItem):
        return fields(MEDIA, media_data(item), stats)
    raise TypeError(f"not an item the index takes: {type(item).__name__}")


@dataclass
class Entry:
    """One entry read back: its id, kind and the decoded value (an item, a Site, a dict)."""

    id: str
    kind: str
    value: Any
    stats: str | None = None


def decode(entry_id: str | bytes, raw: Mapping[bytes | str, bytes | str]) -> Entry:
    """An entry as read by ``XREADGROUP``; ``BadEntry`` when it cannot be applied."""
    got = {
        (k.decode() if isinstance(k, bytes) else k): (
            v.decode("utf-8", "replace") if isinstance(v, bytes) else v
        )
        for k, v in raw.items()
    }
    if got.get("v") != VERSION:
        raise BadEntry(f"payload version {got.get('v')!r}, this writer reads {VERSION}")
    kind = got.get("kind", "")
    if kind not in KINDS:
        raise BadEntry(f"unknown kind {kind!r}")
    try:
        data = json.loads(got.get("data", ""))
        value: Any
        if kind == ARTICLE:
            value = article_of(data)
        elif kind == MEDIA:
            value = media_of(data)
        elif kind == SITE:
            value = site_of(data)
        elif kind == WALKED:
            value = {"slug": str(data["slug"]), "when": str(data["when"])}
        else:
            if not isinstance(data, dict) or not isinstance(data.get("sites"), dict):
                raise BadEntry("a report without its sites")
            value = data
    except BadEntry:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise BadEntry(f"{kind}: unreadable payload ({type(exc).__name__}: {exc})") from None
    return Entry(id_text(entry_id), kind, value, got.get("stats") or None)


@dataclass
class Batch:
    """Decoded entries of one read, sorted by kind, in stream order within each kind."""

    articles: list[ArticleItem] = field(default_factory=list)
    media: list[MediaItem] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    walked: list[dict[str, str]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    #: For each article, the stats hash its status goes to (or None).
    article_stats: list[str | None] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        if entry.kind == ARTICLE:
            self.articles.append(entry.value)
            self.article_stats.append(entry.stats)
        elif entry.kind == MEDIA:
            self.media.append(entry.value)
        elif entry.kind == SITE:
            self.sites.append(entry.value)
        elif entry.kind == WALKED:
            self.walked.append(entry.value)
        else:
            self.reports.append(entry.value)

    def __len__(self) -> int:
        return (
            len(self.articles)
            + len(self.media)
            + len(self.sites)
            + len(self.walked)
            + len(self.reports)
        )


# -- the producer side -------------------------------------------------------------------------
class Producer:
    """Adds entries to the stream; each call returns once Redis has answered (and, with
    ``appendfsync always``, written them to its append-only file), so that a node acks a
    request only when its items are safe."""

    def __init__(self, client: redis.Redis, stats: str | None = None) -> None:
        self.client = client
        self.stats = stats

    def add(self, kind: str, data: Mapping[str, Any]) -> str:
        return id_text(self.client.xadd(STREAM, fields(kind, data, self.stats)))  # type: ignore[arg-type]

    def add_item(self, item: object) -> str:
        """An ``ArticleItem`` or a ``MediaItem``: its entry id."""
        return id_text(self.client.xadd(STREAM, fields_of_item(item, self.stats)))  # type: ignore[arg-type]

    def add_many(self, entries: Iterable[tuple[str, Mapping[str, Any]]]) -> list[str]:
        """Several entries in one round trip (a MULTI pipeline): all of them, or an error."""
        pipe = self.client.pipeline(transaction=True)
        for kind, data in entries:
            pipe.xadd(STREAM, fields(kind, data, self.stats))  # type: ignore[arg-type]
        return [id_text(i) for i in pipe.execute()]

    def add_sites(self, sites: Iterable[Site]) -> list[str]:
        return self.add_many((SITE, site_data(s)) for s in sites)

    def add_walked(self, slug: str, when: str) -> str:
        return self.add(WALKED, {"slug": slug, "when": when})

    def add_report(self, report: Mapping[str, Any]) -> str:
        return self.add(REPORT, {k: v for k, v in report.items() if k != "id"})
