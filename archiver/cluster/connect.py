"""The ``--cluster`` URL and ``--node`` name, checked before anything is written, and the Redis
client every cluster process uses.

A bad URL or name is the user's mistake: ``ClusterConfigError`` (one line, exit 2). A server that
does not answer at start is ``ClusterUnavailableError`` (one line, exit 69): nothing has been
written yet. Once running, the client retries a lost connection with exponential back-off (a
restarted redis-server comes back on its append-only file) and only then gives up.
"""

from __future__ import annotations

import re
import threading
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from archiver.errors import ClusterConfigError, ClusterUnavailableError

if TYPE_CHECKING:
    import redis

#: Node names go into WARC file names and Redis keys: letters, digits, ``.``, ``_``, ``-``.
NODE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
SCHEMES = ("redis", "rediss", "unix")
#: Back-off while Redis is away mid-run: 0.1 s doubling to 5 s, 8 tries (about 20 s in all).
RETRIES = 8
BACKOFF_CAP_S = 5.0
BACKOFF_BASE_S = 0.1


def shown(url: str) -> str:
    """``url`` as messages and logs show it: a password in it is replaced by ``***`` (they go
    to terminals, the systemd journal and cron mail)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "the --cluster URL"
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def check_url(url: str) -> str:
    """``url`` if it is a Redis URL redis-py can open (``redis://HOST:PORT/DB``,
    ``rediss://…``, ``unix:///path``); else a one-line ``ClusterConfigError``."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ClusterConfigError(f"--cluster {shown(url)!r}: {exc}") from None
    if parts.scheme not in SCHEMES:
        raise ClusterConfigError(
            f"--cluster {shown(url)!r}: not a Redis URL (expected redis://HOST:PORT/DB)"
        )
    if parts.scheme == "unix":
        if not parts.path:
            raise ClusterConfigError(f"--cluster {shown(url)!r}: no socket path")
        return url
    if not parts.hostname:
        raise ClusterConfigError(
            f"--cluster {shown(url)!r}: no host (expected redis://HOST:PORT/DB)"
        )
    if port == 0:
        raise ClusterConfigError(f"--cluster {shown(url)!r}: port 0")
    db = parts.path.lstrip("/")
    if db and not db.isdigit():
        raise ClusterConfigError(
            f"--cluster {shown(url)!r}: the database must be a number, not {db!r}"
        )
    return url


def check_node(name: str | None) -> str:
    """A node name as given by ``--node``; a missing or unusable one is a one-line error."""
    if not name:
        raise ClusterConfigError('--cluster needs --node NAME (e.g. --node "$(hostname)")')
    if not NODE_NAME.fullmatch(name):
        raise ClusterConfigError(
            f"--node {name!r}: use 1-63 letters, digits, '.', '_' or '-' (it names WARC files)"
        )
    return name


#: Set in a crawl node when Redis did not answer within a client's retries (about 20 s):
#: from then on the node's clients (``connect(..., latched=True)``) fail at once, and the
#: run stops (``sitestats.stop`` reports ``redis_lost``, exit 69). Without it each later call
#: blocked the reactor for another 20 s of retries, and a node whose Redis was gone for good
#: hung until it came back (240 s down: 240 s hung). The index writer is not latched: it waits.
LOST = threading.Event()
LOST_MESSAGE = "Redis did not answer within the client's retries (about 20 s)"


@cache
def _latched_class() -> Any:
    """``redis.Redis`` whose commands and pipelines set ``LOST`` when they fail for good, and
    fail at once once it is set."""
    import redis
    from redis.client import Pipeline

    gone = (redis.ConnectionError, redis.TimeoutError)

    class LatchedPipeline(Pipeline):  # type: ignore[misc]
        def execute(self, raise_on_error: bool = True) -> Any:
            if LOST.is_set():
                raise redis.ConnectionError(LOST_MESSAGE)
            try:
                return super().execute(raise_on_error)
            except gone:
                LOST.set()
                raise

    class LatchedRedis(redis.Redis):  # type: ignore[misc]
        def execute_command(self, *args: Any, **options: Any) -> Any:
            if LOST.is_set():
                raise redis.ConnectionError(LOST_MESSAGE)
            try:
                return super().execute_command(*args, **options)
            except gone:
                LOST.set()
                raise

        def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Any:
            return LatchedPipeline(
                self.connection_pool, self.response_callbacks, transaction, shard_hint
            )

    return LatchedRedis


def connect(url: str, check: bool = True, latched: bool = False) -> redis.Redis:
    """A client of ``url`` that has answered PING, retrying a lost connection with back-off.

    ``check=False``: no quick PING first, for the parts of a process that already checked
    (a crawl node's scheduler, captures, pipeline, report): Redis restarting at that moment
    is then waited for with back-off like any loss mid-run, not an error at start.
    ``latched``: a crawl node's client, failing at once after ``LOST`` (above)."""
    import redis
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    check_url(url)
    retry = Retry(ExponentialBackoff(cap=BACKOFF_CAP_S, base=BACKOFF_BASE_S), RETRIES)
    client = (_latched_class() if latched else redis.Redis).from_url(
        url,
        retry=retry,
        retry_on_error=[redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError],
        socket_connect_timeout=5,
        health_check_interval=30,
    )
    if not check:
        return client
    try:
        # at start, one quick try: an unreachable server is reported now, not after 20 s
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.AuthenticationError as exc:
        raise ClusterConfigError(_refused(url, exc)) from None
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        reason = str(exc).split("\n")[0] or type(exc).__name__
        raise ClusterUnavailableError(f"Redis at {shown(url)} does not answer: {reason}") from None
    except redis.ResponseError as exc:
        if _asks_for_password(exc):
            raise ClusterConfigError(_refused(url, exc)) from None
        raise ClusterConfigError(f"--cluster {shown(url)}: {exc}") from None
    return client


def _asks_for_password(exc: Exception) -> bool:
    """Redis asking a client without a password for one (RESP3's HELLO says so at length)."""
    text = str(exc)
    return text.startswith(("NOAUTH", "HELLO must be called")) or "Authentication required" in text


def _refused(url: str, exc: Exception) -> str:
    if urlsplit(url).password is None:
        return (
            f"Redis at {shown(url)} asks for a password: give it in the URL "
            "(redis://:PASSWORD@HOST:PORT/DB)"
        )
    return f"Redis at {shown(url)} refused the password ({str(exc).splitlines()[0]})"
