"""The private APIs of our libraries that we still use, each owned by one module, pinned here.

Where Scrapy or warcio has no public API for what we need, one module of ours uses the private
one, and this file holds a fingerprint of it (name, signature, and the source of the method we
override or call). An upgrade that changes any of them fails here, before it can change what a
crawl does silently: re-read the new code, adapt the owning module, then update the fingerprint.
"""

from __future__ import annotations

import hashlib
import inspect

from scrapy.core.downloader import Downloader
from scrapy.core.engine import ExecutionEngine
from scrapy.utils import defer
from warcio.warcwriter import WARCWriter


def _fingerprint(function: object) -> str:
    return hashlib.sha1(inspect.getsource(function).encode()).hexdigest()  # type: ignore[arg-type]


def test_the_downloader_method_we_override_is_the_one_we_read() -> None:
    """archiver/crawl/downloader.py replaces ``Downloader._process_queue`` (Scrapy 2.19) to
    count a request as transferring when it leaves the queue, and calls ``_latercall``,
    ``_wait_for_download`` and ``scrapy.utils.defer._schedule_coro`` as Scrapy's does."""
    assert _fingerprint(Downloader._process_queue) == "39db5c34e2acafbfb98a0261ccbaeba8ca6fc941"
    assert list(inspect.signature(Downloader._process_queue).parameters) == ["self", "slot"]
    assert list(inspect.signature(Downloader._wait_for_download).parameters)[:3] == [
        "self",
        "slot",
        "request",
    ]
    assert callable(Downloader._latercall) and callable(defer._schedule_coro)


def test_the_warcio_method_that_serialises_a_record_is_the_one_we_read() -> None:
    """archiver/warc/writer.py has warcio build each record and serialise it uncompressed with
    ``WARCWriter._write_warc_record`` (warcio 1.7-1.8), then gzips it at its own level
    (warcio's public writer hard-codes zlib level 9)."""
    assert _fingerprint(WARCWriter._write_warc_record) == "5a75cec48073d6f27e9fe10c0f04633549f0ae62"
    assert list(inspect.signature(WARCWriter._write_warc_record).parameters) == [
        "self",
        "out",
        "record",
    ]


def test_the_engine_method_cluster_acks_wrap_is_the_one_we_read() -> None:
    """archiver/crawl/cluster.py acks a request to the shared frontier by wrapping
    ``ExecutionEngine._remove_request`` (Scrapy 2.19): ``_start_scheduled_request`` calls it
    (by attribute, so an instance attribute replaces it) once the download, the callback's
    child requests and items, or the retry/redirect that replaced the request are done."""
    assert (
        _fingerprint(ExecutionEngine._remove_request) == "086ad820e8b4af8d7a67cbdece746d725a1a5e08"
    )
    assert list(inspect.signature(ExecutionEngine._remove_request).parameters) == [
        "self",
        "_",
        "request",
    ]
    assert _fingerprint(ExecutionEngine._start_scheduled_request) == (
        "86f3673c6739987f6726a6fb75b8fe8882f52cb9"
    )
    assert "partial(self._remove_request, request=request)" in inspect.getsource(
        ExecutionEngine._start_scheduled_request
    )
