"""A crawl node's side of the item stream, alone: ``python -m tests.stream_producer URL N
[PAUSE_S]`` adds articles 0..N-1 (one ``XADD`` each, answered before the next, as the
``StreamPipeline`` does) and prints the id of the last. Every other article carries no
segmented words, so the writer segments it: its batches take long enough for a kill to land
inside them."""

from __future__ import annotations

import sys
import time

from archiver.cluster.connect import connect
from archiver.cluster.stream import Producer
from archiver.extract.items import ArticleItem
from archiver.index import fulltext
from archiver.warc.records import RecordLocation


def article(n: int) -> ArticleItem:
    text = f"ข่าวที่ {n} จังหวัดคุณธรรม ประชาชนร่วมงานเทศกาล " * 20
    return ArticleItem(
        url=f"http://127.0.0.2/news/{n}.html",
        site="s1",
        title=f"ข่าว {n}",
        published="2021-11-09",
        published_raw=None,
        author=None,
        photographer=None,
        text=text,
        fetched_at="2026-01-01T00:00:00+00:00",
        warc=RecordLocation("s1-20260101000000-n1-00000.warc.gz", 1000 * n, 900),
        prepared=fulltext.prepare(f"ข่าว {n}", text) if n % 2 else None,
    )


def main(url: str, count: int, pause: float) -> None:
    producer = Producer(connect(url))
    last = ""
    for n in range(count):
        last = producer.add_item(article(n))
        if pause:
            time.sleep(pause)
    print(last)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 0.0)
