"""A per-sender send rate: a token bucket in Redis, shared by every worker.

Twilio queues what a number or Messaging Service sends beyond its rate and then drops what
waited too long (or answers 429), so the workers pace themselves on the wire: each provider
call takes one token from its sender's bucket right before it is made. The bucket refills at
the sender's rate and holds one token, so sends are spaced evenly and never burst past the
rate, however many workers and threads share it. The refill and the take happen in one Lua
script, so two workers can never both take the last token. Without Redis (inline mode, one
process) there is nothing to share and no limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from redis import Redis

KEY_PREFIX = "wenxu:send_rate:"
#: How long a send may wait for a token before its row goes back to the queue.
MAX_WAIT_SECONDS = 1.0

# KEYS[1] the bucket; ARGV rate (tokens/s), burst (tokens), now (s). Returns 0 when a token
# was taken, otherwise the milliseconds until one will be free.
TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
"""


def take(redis: Redis, sender: str, rate: float, now: float) -> float:
    """Take a token for `sender` at `now` (epoch seconds): 0, or seconds until one is free."""
    burst = 1.0
    # By its digest (EVALSHA): Redis keeps the script, so each send sends only its arguments.
    script = redis.register_script(TAKE)
    wait_ms = script(keys=[KEY_PREFIX + sender], args=[str(rate), str(burst), repr(now)])
    return int(wait_ms) / 1000  # type: ignore[arg-type]


def acquire(
    redis: Redis,
    sender: str,
    rate: float,
    *,
    max_wait: float = MAX_WAIT_SECONDS,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Whether `sender` may send now, waiting up to `max_wait` seconds for a token."""
    waited = 0.0
    while True:
        wait = take(redis, sender, rate, clock())
        if wait == 0:
            return True
        if waited + wait > max_wait:
            return False
        sleep(wait)
        waited += wait
