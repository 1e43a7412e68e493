"""The settings of a crawl: ``-s NAME=VALUE`` options parsed and checked against
``archiver.settings.setting_rules``, layered over the project's settings.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Any

from scrapy.settings import Settings

from archiver.errors import (
    CrawlConfigError,
)


def parse_settings(pairs: list[str]) -> dict[str, str]:
    """``-s NAME=VALUE`` options as a dict, as ``scrapy crawl -s`` takes them."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CrawlConfigError(f"-s takes NAME=VALUE, got {pair!r}")
        out[name.strip()] = value
    return out


def check_settings(settings: Settings, overrides: dict[str, str] | None = None) -> None:
    """Refuse (``CrawlConfigError``, exit 2) any setting outside its rule in
    ``archiver.settings.setting_rules``, an ``ARCHIVER_*`` name that is not ours, and a lower-case
    ``-s`` name (Scrapy would ignore it): before the crawl fetches anything."""
    from scrapy.settings import default_settings

    from archiver import settings as project
    from archiver.settings import setting_rules

    ours = {rule[0] for rule in setting_rules}
    for name in overrides or {}:
        if name == "ARCHIVER_ARCHIVE":  # the lock and the run's report go with --archive
            raise CrawlConfigError("give the archive with --archive DIR, not -s ARCHIVER_ARCHIVE")
        if name in ("ARCHIVER_CLUSTER_NODE", "ARCHIVER_CLUSTER_TOKEN"):
            raise CrawlConfigError(
                f"give cluster mode with --cluster URL --node NAME, not -s {name}"
            )
        if name.startswith("ARCHIVER_") and name not in ours:
            close = difflib.get_close_matches(name, sorted(ours), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise CrawlConfigError(f"unknown setting {name}{hint}")
        if name != name.upper() and (
            name.upper() in ours or hasattr(default_settings, name.upper())
        ):
            raise CrawlConfigError(f"setting names are upper case: {name.upper()}, not {name}")
    for name, kind, low, high in setting_rules:
        value = settings.get(name)
        if value is None or (value == "" and kind is not str and getattr(project, name, 0) is None):
            continue  # unset, or empty where unset is the default (ARCHIVER_WORKERS)
        problem = _rule_problem(value, kind, low, high)
        if problem:
            raise CrawlConfigError(f"bad setting {name}={value!r}: must be {problem}")
    if settings.get("ARCHIVER_CLUSTER"):  # a malformed Redis URL: exit 2, nothing fetched
        from archiver.cluster.connect import check_url

        check_url(str(settings.get("ARCHIVER_CLUSTER")))


#: What Scrapy's ``getbool`` reads as a boolean, as text (it reads any integer too: "2" is
#: refused here, as a likely mistake).
_BOOL_TEXTS = frozenset({"0", "1", "True", "true", "False", "false"})


def _rule_problem(
    value: Any, kind: type | tuple[str, ...], low: float | None, high: float | None
) -> str | None:
    """What is wrong with ``value`` under a rule (``archiver.settings.setting_rules``), or None."""
    if isinstance(kind, tuple):
        return None if str(value) in kind else f"one of {', '.join(kind)}"
    if kind is bool:
        ok = value in (True, False, 0, 1) or str(value) in _BOOL_TEXTS
        return None if ok else "True or False (or 1 / 0)"
    if kind is str:
        if not isinstance(value, str):
            return "a string"
        return "a text that is not empty" if low and not value.strip() else None
    noun = "a whole number" if kind is int else "a number"
    if low is not None and high is not None:
        allowed = f"{noun} from {low:g} to {high:g}"
    elif low is not None:
        allowed = f"{noun}, {low:g} or more"
    else:
        allowed = noun
    try:
        number = int(value) if kind is int else float(value)
    except (TypeError, ValueError):
        return allowed
    if isinstance(value, bool) or not math.isfinite(number):
        return allowed
    if (low is not None and number < low) or (high is not None and number > high):
        return allowed
    return None


def crawl_settings(archive: Path, overrides: dict[str, str], log_level: str) -> Settings:
    settings = Settings()
    settings.setmodule("archiver.settings", priority="project")
    settings.set("ARCHIVER_ARCHIVE", str(Path(archive).resolve()), priority="cmdline")
    # Scrapy's own log (with tracebacks of every refused connection) only when asked for
    # (-v or -s LOG_ENABLED=True); problems reach the user through the run report instead.
    settings.set("LOG_ENABLED", log_level != "ERROR", priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", True, priority="cmdline")
    settings.setdict(overrides, priority="cmdline")
    return settings
