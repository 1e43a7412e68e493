"""Names that several layers share: request-meta keys, the roles a fetch is recorded under,
and the crawl's stats keys.

A key spelt two ways in two modules fails silently (a ``meta.get`` that never finds its value,
a counter that stays 0 in the report); a constant spelt wrong fails at import. Everything here
is a plain string, so this module imports nothing.
"""

from __future__ import annotations

#: The generic spider's name: the crawl asks Scrapy's spider loader for it (``SPIDER_MODULES``).
GENERIC_SPIDER = "news"

# -- request meta keys (set by the spider or a middleware, read by the recorder and pipelines) ---
#: The slug of the site a request belongs to (one crawler crawls every site of a run).
SITE = "archiver_site"
#: Why a request is made: one of the ROLE_* values; written into the WARC metadata record.
ROLE = "archiver_role"
#: The article page an image, attachment or requisite was found on.
ARTICLE = "archiver_article"
#: One of the site's own listing URLs (its failure fails the site).
START = "archiver_start"
#: The earlier capture looked up for a conditional GET: (url, Capture or None).
EARLIER = "archiver_earlier"
#: The revisit profile when the recorder wrote a revisit instead of a response.
REVISIT = "archiver_revisit"
#: The SHA-1 (hex) of the body the recorder wrote, so the spider need not hash it again.
SHA1 = "archiver_sha1"
#: Why a response was not read as a page (set by the spider, for the report).
NOT_A_PAGE = "archiver_not_a_page"
#: Where the recorder wrote the response record (a ``RecordLocation``), or None.
WARC = "warc"

# -- roles: why a URL was fetched (the ``role`` field of each WARC metadata record) ------------
ROLE_LISTING = "listing"
ROLE_ARTICLE = "article"
ROLE_IMAGE = "image"
ROLE_ATTACHMENT = "attachment"
#: What an article page loads to show itself: stylesheets (and what they load: fonts, images,
#: other stylesheets), scripts, icons, the images of the page that are not the article's.
ROLE_REQUISITE = "requisite"
ROLE_OTHER = "other"
#: The roles of the media files an article links to (``MediaItem.kind``, counted as media).
MEDIA_ROLES = (ROLE_IMAGE, ROLE_ATTACHMENT)
#: The roles of the fetches that get a row of the index's ``media`` table (so that later runs
#: know them: not fetched again but with ``--full``, and then with a conditional GET).
MEDIA_TABLE_ROLES = (*MEDIA_ROLES, ROLE_REQUISITE)

# -- stats keys (Scrapy's stats collector; per site too, see ``archiver.crawl.sitestats``) -----
RESPONSES = "archiver/responses"
BYTES_FETCHED = "archiver/bytes_fetched"
REVISITS = "archiver/revisits"
WARC_BYTES = "archiver/warc_bytes"
WARC_RECORDS = "archiver/warc_records"
ARTICLES_PREFIX = "archiver/articles_"  # + new | changed | unchanged
#: Cluster mode: articles handed to the item stream (the index writer counts new/changed).
ARTICLES_STREAMED = "archiver/articles_streamed"
ARTICLES_KNOWN = "archiver/articles_known"
MEDIA_PREFIX = "archiver/media_"  # + image | attachment | requisite
NOT_ARCHIVED = "archiver/not_archived"
ERRORS_PREFIX = "archiver/errors/"  # + the kind of error
#: Before the kind of error of a requisite (``requisite_http_404``): never fails a site.
REQUISITE_ERROR = "requisite_"
SKIPPED = "archiver/skipped"
LISTING_PAGES = "archiver/listing_pages"
LISTING_ERRORS = "archiver/listing_errors"
START_LISTINGS_FAILED = "archiver/start_listings_failed"
RETRY_AFTER_TOO_LONG = "archiver/retry_after_too_long"
STOPPED = "archiver/stopped"
STOPPED_DETAIL = "archiver/stopped_detail"
#: What a cluster node did in its run (units, takeovers, recovered records, dead letters).
CLUSTER_SUMMARY = "archiver/cluster"
