"""The User-Agent of a crawl, made when the crawl starts from the settings in force.

A Scrapy add-on (``ADDONS`` in ``archiver.settings``): Scrapy calls ``update_settings`` on the
crawler's settings before any component reads them, for ``archiver crawl`` and ``scrapy crawl``
alike, so ``-s ARCHIVER_CONTACT_URL=...`` reaches every request (and the robots.txt rules we
match, and the warcinfo record), and ``-s USER_AGENT=...`` still wins over both.
"""

from __future__ import annotations

from typing import Any

from archiver import __version__


def user_agent(contact_url: str) -> str:
    """The User-Agent naming the project, its version and where to read about the crawler."""
    return f"thai-news-archiver/{__version__} (+{contact_url})"


class UserAgent:
    """Sets ``USER_AGENT`` from ``ARCHIVER_CONTACT_URL`` unless the user gave one."""

    def update_settings(self, settings: Any) -> None:
        if settings.get("USER_AGENT") is None:
            agent = user_agent(settings.get("ARCHIVER_CONTACT_URL"))
            # at the priority of the unset value, which an add-on's own priority is below
            settings.set("USER_AGENT", agent, priority=settings.getpriority("USER_AGENT"))
