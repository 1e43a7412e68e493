"""Scrapy's downloader with per-host concurrency enforced when there is no download delay.

In Scrapy 2.19 the downloader takes requests off a host's queue while the host has free transfer
slots, but starts each download as a scheduled task, and only counts it as transferring when
the task runs. With ``DOWNLOAD_DELAY = 0`` every queued request leaves the queue before the
first one runs: 6 requests at once were seen here with ``CONCURRENT_REQUESTS_PER_DOMAIN = 2``
(tests/test_recrawl.py). Here a request counts as transferring as soon as it leaves the queue.
With a delay (the polite default) Scrapy starts one request per delay and is unaffected.
"""

from __future__ import annotations

from time import monotonic

from scrapy.core.downloader import Downloader, Slot
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro


class PoliteDownloader(Downloader):
    """``DOWNLOADER = "archiver.crawl.downloader.PoliteDownloader"`` (archiver/settings.py)."""

    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall:
            return  # a delayed call will come back here
        now = monotonic()
        delay = slot.download_delay()
        if delay and (wait := delay - (now - slot.lastseen)) > 0:
            slot.latercall = call_later(wait, self._latercall, slot)
            return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, done = slot.queue.popleft()
            slot.transferring.add(request)  # counted now, not when the task gets to run
            _schedule_coro(self._wait_for_download(slot, request, done))
            if delay:  # one request per delay: come back for the next
                self._process_queue(slot)
                return
