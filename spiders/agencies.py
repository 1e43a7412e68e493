"""One spider class per registered agency, made from the registry, so that
``scrapy list`` shows every slug and ``scrapy crawl <slug>`` crawls it."""

from archiver.registry import AGENCIES
from spiders.news import NewsSpider


def _spider_for(site):  # type: ignore[no-untyped-def]
    cls = type(
        f"{site.slug.title().replace('-', '')}Spider",
        (NewsSpider,),
        {"name": site.slug, "site": site, "__module__": __name__},
    )
    return cls


for _site in AGENCIES:
    _cls = _spider_for(_site)
    globals()[_cls.__name__] = _cls

del _cls, _site
