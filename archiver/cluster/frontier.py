"""The shared frontier: a reliable queue of requests per lease unit and run, in Redis.

Stock scrapy-redis deletes a request from Redis the moment it is popped and marks its URL seen
before it is safe, so a node killed with requests in its downloader loses them for good
(SCALE-OUT.md: 472 of 2,520 URLs never fetched in 8 runs). Here a request leaves Redis only
when the engine is done with it:

* **push** (``ENQUEUE``): ``SADD seen`` and, when new (or ``dont_filter``: a retry or a start
  URL), the serialized request into ``req`` and its fingerprint into the queue ``q``, in one
  script: a URL is never seen without also being queued.
* **pop** (``POP``): ``ZPOPMIN q`` and the fingerprint into ``inflight`` with a pop id
  (``<token>#<n>``), in one script.
* **ack** (``ACK``): when the engine is done with the request (its WARC record noted, its
  child requests pushed, its items handed on): out of ``inflight``. Only the pop it belongs to
  is acked: a retry of the same URL, queued again meanwhile, keeps its own entry.
* **finish** (``FINISH``): once nothing is queued or in flight, the run is marked done (with
  Redis server time) and its keys are deleted; the lease is given up.

The takeover of a unit whose holder died (``lease.ACQUIRE``) puts ``inflight`` back at the
head of ``q``. Every script first checks the unit's fencing token (``lease``): a node that lost
its unit can change nothing (``LeaseLost``).

Keys of a run, ``r:<unit>:<run>:`` + ``RUN_KEYS``: ``q`` ZSET fp -> -priority, ``req`` HASH
fp -> request, ``url`` HASH fp -> URL (for reports), ``seen`` SET, ``inflight`` HASH fp -> pop
id, ``attempts`` HASH fp -> takeovers that found it in flight, ``pops`` counter. Scripts name
run keys by prefix, so this is for one Redis server (or a primary and its replicas), not Redis
Cluster's sharding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from archiver.cluster.lease import LeaseLost, Leases, holder_key, lease_key, run_prefix, unit_key

if TYPE_CHECKING:
    import redis

RUN_KEYS = ("q", "req", "url", "seen", "inflight", "attempts", "pops")

_FENCE = "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end\n"

#: KEYS holder; ARGV token, prefix, fp, blob, score, dont_filter, url
ENQUEUE = (
    _FENCE
    + """
local p = ARGV[2]
local added = redis.call('SADD', p .. 'seen', ARGV[3])
if added == 0 and ARGV[6] ~= '1' then return 0 end
redis.call('HSET', p .. 'req', ARGV[3], ARGV[4])
redis.call('HSET', p .. 'url', ARGV[3], ARGV[7])
redis.call('ZADD', p .. 'q', ARGV[5], ARGV[3])
return 1
"""
)

#: KEYS holder; ARGV token, prefix -> {fp, pop id, blob} or {} (empty)
POP = (
    _FENCE
    + """
local p = ARGV[2]
while true do
  local top = redis.call('ZPOPMIN', p .. 'q')
  if #top == 0 then return {} end
  local fp = top[1]
  local blob = redis.call('HGET', p .. 'req', fp)
  if blob then
    local id = ARGV[1] .. '#' .. redis.call('INCR', p .. 'pops')
    redis.call('HSET', p .. 'inflight', fp, id)
    return {fp, id, blob}
  end
end
"""
)

#: The request ARGV[3] out of flight if pop ARGV[4] still has it (else 0: a later pop does).
_THIS_POP = """
local p = ARGV[2]
if redis.call('HGET', p .. 'inflight', ARGV[3]) ~= ARGV[4] then return 0 end
redis.call('HDEL', p .. 'inflight', ARGV[3])
"""

#: KEYS holder; ARGV token, prefix, fp, pop id -> 1 acked, 0 not this pop's
ACK = (
    _FENCE
    + _THIS_POP
    + """
if not redis.call('ZSCORE', p .. 'q', ARGV[3]) then
  redis.call('HDEL', p .. 'req', ARGV[3])
  redis.call('HDEL', p .. 'url', ARGV[3])
end
return 1
"""
)

#: KEYS holder; ARGV token, prefix, fp, pop id -> 1 put back, 0 not that pop's any more
PUT_BACK = (
    _FENCE
    + _THIS_POP
    + """
redis.call('ZADD', p .. 'q', '-inf', ARGV[3])
return 1
"""
)

#: KEYS holder, unit; ARGV token
SEEDED = _FENCE + "redis.call('HSET', KEYS[2], 'seeded', '1'); return 1\n"

#: KEYS holder, unit, lease; ARGV token, prefix -> 1 finished, 0 requests left
FINISH = (
    _FENCE
    + "local t = redis.call('TIME'); local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"
    + """
local p = ARGV[2]
if redis.call('ZCARD', p .. 'q') + redis.call('HLEN', p .. 'inflight') > 0 then return 0 end
redis.call('HSET', KEYS[2], 'state', 'done', 'ended', now)
"""
    + "".join(f"redis.call('DEL', p .. '{name}')\n" for name in RUN_KEYS)
    + """
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
return 1
"""
)


@dataclass(frozen=True)
class Popped:
    """A request out of the queue and into ``inflight``: ack it with ``fp`` and ``pop_id``."""

    fp: str
    pop_id: str
    blob: bytes


class Frontier:
    """The frontier scripts, fenced by this node's token (``Leases.token``)."""

    def __init__(self, client: redis.Redis, leases: Leases) -> None:
        self.client = client
        self.leases = leases
        self._enqueue = client.register_script(ENQUEUE)
        self._pop = client.register_script(POP)
        self._ack = client.register_script(ACK)
        self._seeded = client.register_script(SEEDED)
        self._finish = client.register_script(FINISH)
        self._put_back = client.register_script(PUT_BACK)

    def _fenced(self, unit: str, result: object) -> object:
        if result == -1:
            raise LeaseLost(f"unit {unit} was taken over by another node")
        return result

    def push(
        self, unit: str, run: str, fp: str, blob: bytes, priority: int, dont_filter: bool, url: str
    ) -> bool:
        """Queue a request unless this run saw it (``dont_filter``: queue it anyway)."""
        result = self._enqueue(
            keys=[holder_key(unit)],
            args=[
                self.leases.token,
                run_prefix(unit, run),
                fp,
                blob,
                -priority,
                "1" if dont_filter else "0",
                url,
            ],
        )
        return self._fenced(unit, result) == 1

    def pop(self, unit: str, run: str) -> Popped | None:
        result = self._fenced(
            unit,
            self._pop(keys=[holder_key(unit)], args=[self.leases.token, run_prefix(unit, run)]),
        )
        if not result:
            return None
        parts: list[bytes] = list(result)  # type: ignore[call-overload]
        return Popped(_text(parts[0]), _text(parts[1]), bytes(parts[2]))

    def ack(self, unit: str, run: str, fp: str, pop_id: str) -> bool:
        result = self._ack(
            keys=[holder_key(unit)], args=[self.leases.token, run_prefix(unit, run), fp, pop_id]
        )
        return self._fenced(unit, result) == 1

    def sweep(self, unit: str, run: str, outstanding: set[str]) -> int:
        """Put back this node's in-flight entries it does not know of: pops whose reply was
        lost (Redis restarted, or the client retried a pop that had run). Without this they
        would stay in flight, and the run never finish. ``outstanding``: the pop ids this
        process holds requests of. Returns how many were put back."""
        mine = self.leases.token + "#"
        back = 0
        for fp, pop_id in self.client.hgetall(run_prefix(unit, run) + "inflight").items():
            pop = _text(pop_id)
            if pop.startswith(mine) and pop not in outstanding:
                result = self._put_back(
                    keys=[holder_key(unit)],
                    args=[self.leases.token, run_prefix(unit, run), _text(fp), pop],
                )
                back += self._fenced(unit, result) == 1
        return back

    def mark_seeded(self, unit: str) -> None:
        """The run's start requests are all queued (a holder killed before this seeds again)."""
        self._fenced(
            unit, self._seeded(keys=[holder_key(unit), unit_key(unit)], args=[self.leases.token])
        )

    def finish(self, unit: str, run: str) -> bool:
        """Mark the run done and drop its keys when nothing is queued or in flight."""
        result = self._finish(
            keys=[holder_key(unit), unit_key(unit), lease_key(unit)],
            args=[self.leases.token, run_prefix(unit, run)],
        )
        return self._fenced(unit, result) == 1

    def queued(self, unit: str, run: str) -> int:
        return int(self.client.zcard(run_prefix(unit, run) + "q"))

    def pending(self, unit: str, run: str) -> tuple[int, int]:
        """(queued, in flight) of a run."""
        pipe = self.client.pipeline(transaction=False)
        pipe.zcard(run_prefix(unit, run) + "q")
        pipe.hlen(run_prefix(unit, run) + "inflight")
        queued, inflight = pipe.execute()
        return int(queued), int(inflight)


def frontier_keys(client: redis.Redis) -> list[str]:
    """Every frontier key left in Redis (``r:*``): none once every run is finished."""
    return sorted(_text(k) for k in client.scan_iter(match="r:*", count=1000))


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
