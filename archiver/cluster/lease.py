"""Who crawls what: node names, unit leases and the fencing token every frontier script checks.

Politeness is per host and lives in one Scrapy process's memory (2 at a time, AutoThrottle,
Crawl-delay, Retry-After), so a host must be crawled by one process at a time. The unit of work
is therefore a *lease unit*: the sites of a run that share a host (``units``), leased by one
node at a time with ``SET lease:<unit> <token> NX PX <ttl>`` (Redis server time, never node
clocks) and renewed every third of the TTL.

A lease can expire under a node that is still alive (a long GC pause, a partition). Its
``holder:<unit>`` key (no expiry) keeps the *fencing token* of the node that acquired the unit
last, and every frontier script (push, pop, ack, finish) first checks it: a node whose token is
no longer there can no longer change the frontier, and stops (``LeaseLost``).

Node names go into WARC file names; two live processes with one name would write and recover
each other's files, so a name is registered (``node:<name>``, renewed like a lease) and a
second live process with it is refused. A killed node's registration is not renewed: a node
restarted under the same name waits until it expires (at most one TTL) and takes it over.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archiver.errors import ArchiverError, ClusterConfigError

if TYPE_CHECKING:
    import redis

#: Requests a takeover found in flight this many times go to the dead-letter list, not back.
MAX_ATTEMPTS = 3


class LeaseLost(ArchiverError):
    """This node's fencing token is no longer the unit's: another node took the unit over."""


def node_key(name: str) -> str:
    return f"node:{name}"


def lease_key(unit: str) -> str:
    return f"lease:{unit}"


def holder_key(unit: str) -> str:
    return f"holder:{unit}"


def unit_key(unit: str) -> str:
    """HASH of the unit's current run: ``run``, ``state`` (active | done), ``seeded``,
    ``started``, ``ended`` (Redis server milliseconds)."""
    return f"unit:{unit}"


def dead_key(unit: str) -> str:
    return f"dead:{unit}"


def run_prefix(unit: str, run: str = "") -> str:
    """``r:<unit>:<run>:``, the prefix of a run's frontier keys (``frontier.RUN_KEYS``)."""
    return f"r:{unit}:{run}:" if run else f"r:{unit}:"


def node_of_token(token: str) -> str:
    """The node name in a fencing token ``<node>/<random>``."""
    return token.rpartition("/")[0]


def units(groups: Iterable[tuple[str, Sequence[str]]]) -> dict[str, list[str]]:
    """Lease units of ``(slug, hosts)`` pairs: the connected components of sites sharing a
    host, each named by its smallest slug, ``{unit: [slugs]}``. Every node of a cluster must be
    given the same sites (the same command line) so that they compute the same units."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    slugs: list[str] = []
    for slug, hosts in groups:
        slugs.append(slug)
        for host in hosts:
            a, b = find("s:" + slug), find("h:" + host)
            if a != b:
                parent[max(a, b)] = min(a, b)
    members: dict[str, list[str]] = {}
    for slug in slugs:
        members.setdefault(find("s:" + slug), []).append(slug)
    return {min(group): sorted(group) for group in members.values()}


# Redis server time in ms, inside scripts (TIME is allowed in Redis 7 scripts: effects replication).
_NOW = "local t = redis.call('TIME'); local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"

#: KEYS lease, holder, unit, dead; ARGV token, ttl_ms, node_started_ms, min_interval_ms,
#: new_run, max_attempts, run prefix ("r:<unit>:"). Returns {status, run, previous token,
#: seeded, requeued, dead}: status "done" (crawled in this round), "busy" (leased), "new" (a
#: new run: seed it), "resume" (a run left by its holder: its in-flight requests were put back).
ACQUIRE = (
    _NOW
    + """
local state = redis.call('HGET', KEYS[3], 'state')
if state ~= 'active' then
  local ended = tonumber(redis.call('HGET', KEYS[3], 'ended') or '')
  if ended and (ended >= tonumber(ARGV[3]) or now - ended < tonumber(ARGV[4])) then
    return {'done', '', '', '0', 0, 0}
  end
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {'busy', '', '', '0', 0, 0}
end
local previous = redis.call('GET', KEYS[2]) or ''
redis.call('SET', KEYS[2], ARGV[1])
if state ~= 'active' then
  redis.call('HSET', KEYS[3], 'run', ARGV[5], 'state', 'active', 'seeded', '0',
             'started', now)
  redis.call('HDEL', KEYS[3], 'ended')
  return {'new', ARGV[5], previous, '0', 0, 0}
end
local run = redis.call('HGET', KEYS[3], 'run')
local p = ARGV[7] .. run .. ':'
local inflight = redis.call('HGETALL', p .. 'inflight')
local back, dead = 0, 0
for i = 1, #inflight, 2 do
  local fp = inflight[i]
  local n = redis.call('HINCRBY', p .. 'attempts', fp, 1)
  if n >= tonumber(ARGV[6]) then
    local url = redis.call('HGET', p .. 'url', fp) or ''
    redis.call('RPUSH', KEYS[4], cjson.encode({run = run, url = url, attempts = n}))
    redis.call('HDEL', p .. 'req', fp)
    redis.call('HDEL', p .. 'url', fp)
    dead = dead + 1
  else
    redis.call('ZADD', p .. 'q', '-inf', fp)
    back = back + 1
  end
end
redis.call('DEL', p .. 'inflight')
return {'resume', run, previous, redis.call('HGET', KEYS[3], 'seeded') or '0', back, dead}
"""
)

#: KEYS lease, holder; ARGV token, ttl_ms: 1 renewed (or taken back: expired, no one took it)
RENEW = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""

#: KEYS lease; ARGV token: give a lease up (the holder key stays: whoever acquires the unit
#: next recovers this node's last WARC record and puts its in-flight requests back).
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]); return 1 end
return 0
"""

#: KEYS node; ARGV token, ttl_ms: 1 renewed (or taken back: it expired while the process
#: started, and no other process took it), 0 another process has the name
NODE_RENEW = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]); return 1 end
if not holder and redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""


@dataclass(frozen=True)
class Acquired:
    """What ``Leases.acquire`` got: ``status`` new | resume | busy | done."""

    unit: str
    status: str
    run: str = ""
    previous: str = ""  # the fencing token of the unit's previous holder ("" if none)
    seeded: bool = False
    requeued: int = 0  # in-flight requests of the previous holder put back
    dead: int = 0  # ... sent to the dead-letter list instead (MAX_ATTEMPTS)

    @property
    def held(self) -> bool:
        return self.status in ("new", "resume")


class Leases:
    """The leases of one node process: its registration and the units it holds."""

    def __init__(
        self, client: redis.Redis, node: str, ttl_s: float, token: str | None = None
    ) -> None:
        self.client = client
        self.node = node
        self.ttl_ms = max(100, int(ttl_s * 1000))
        #: ``<node>/<random>``; a process's parts share one (``token``: the one registered)
        self.token = token or f"{node}/{secrets.token_hex(6)}"
        self.started_ms = self.server_ms()
        self._acquire = client.register_script(ACQUIRE)
        self._renew = client.register_script(RENEW)
        self._release = client.register_script(RELEASE)
        self._node_renew = client.register_script(NODE_RENEW)

    def server_ms(self) -> int:
        seconds, micros = self.client.time()
        return int(seconds) * 1000 + int(micros) // 1000

    # -- the node's name ---------------------------------------------------------------------
    def register(self) -> None:
        """Take ``node:<name>``, or refuse (``ClusterConfigError``) when a live process holds
        it. A held name is watched for at most one TTL: renewed, its holder is alive; expired,
        it was a killed process of this node (restarted, as systemd would) and is taken."""
        key = node_key(self.node)
        deadline = time.monotonic() + self.ttl_ms / 1000 + 1.0
        last_ttl: int | None = None
        while True:
            if self.client.set(key, self.token, nx=True, px=self.ttl_ms):
                return
            ttl = int(self.client.pttl(key))
            if last_ttl is not None and ttl > last_ttl + 20:  # renewed meanwhile: alive
                break
            if ttl > 0:
                last_ttl = ttl if last_ttl is None else min(last_ttl, ttl)
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        raise ClusterConfigError(
            f"--node {self.node}: another running node has this name (give each node its own)"
        )

    def renew_node(self) -> bool:
        return bool(self._node_renew(keys=[node_key(self.node)], args=[self.token, self.ttl_ms]))

    def unregister(self) -> None:
        self._release(keys=[node_key(self.node)], args=[self.token])

    # -- units -------------------------------------------------------------------------------
    def acquire(
        self, unit: str, min_interval_s: float, max_attempts: int = MAX_ATTEMPTS
    ) -> Acquired:
        """Lease ``unit`` if it is free and not crawled in this round (its last run ended
        after this node started, or less than ``min_interval_s`` ago: ``done``). A run left
        active by its previous holder is resumed: its in-flight requests go back to the queue
        (each counted; at ``max_attempts`` to ``dead:<unit>``), all in one script."""
        new_run = f"{self.server_ms()}-{secrets.token_hex(3)}"
        status, run, previous, seeded, back, dead = self._acquire(
            keys=[lease_key(unit), holder_key(unit), unit_key(unit), dead_key(unit)],
            args=[
                self.token,
                self.ttl_ms,
                self.started_ms,
                int(min_interval_s * 1000),
                new_run,
                max_attempts,
                run_prefix(unit),
            ],
        )
        return Acquired(
            unit,
            _text(status),
            _text(run),
            _text(previous),
            _text(seeded) == "1",
            int(back),
            int(dead),
        )

    def renew(self, unit: str) -> bool:
        """Extend the lease; False when this node is no longer the unit's holder."""
        return bool(
            self._renew(keys=[lease_key(unit), holder_key(unit)], args=[self.token, self.ttl_ms])
        )

    def release(self, unit: str) -> None:
        self._release(keys=[lease_key(unit)], args=[self.token])

    def dead_letters(self, unit: str) -> list[dict[str, object]]:
        """The requests of ``unit`` that were in flight at ``MAX_ATTEMPTS`` takeovers."""
        import json

        return [json.loads(raw) for raw in self.client.lrange(dead_key(unit), 0, -1)]


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
