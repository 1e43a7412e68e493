"""What runs in the index writer process (``pipelines.IndexPipeline`` hands it batches).

Apart from ``archiver.crawl.pipelines`` so that the spawned writer imports the index and not Scrapy
and Twisted. One index connection per process, opened by the first call.
"""

from __future__ import annotations

from archiver.extract.items import ArticleItem, MediaItem
from archiver.index.store import Index

_index: Index | None = None


def open_index(path: str) -> None:
    global _index
    _index = Index(path)


def write(articles: list[ArticleItem], media: list[MediaItem]) -> list[str]:
    """One batch, articles then media; the articles' statuses (new, changed, unchanged)."""
    assert _index is not None
    statuses = _index.upsert_articles(articles) if articles else []
    if media:
        _index.upsert_media_many(media)
    return statuses


def close_index() -> None:
    """Close the index, first merging its full-text segments when this run wrote articles
    and they have piled up (``Index.compact``: searches read one b-tree per term again)."""
    global _index
    if _index is not None:
        try:
            _index.compact()
        finally:
            _index.close()
            _index = None
