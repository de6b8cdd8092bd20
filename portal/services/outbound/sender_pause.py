"""A per-sender pause when the provider keeps failing, shared by every worker through Redis.

One failed send is retried on its own back-off. When a sender's sends keep failing (Twilio is
down, or answers 429), every worker trying again on its own schedule only adds load and burns
the messages' tries: instead the sender pauses, and its messages wait (without using a try)
until the pause is over. A 429's `Retry-After` pauses it for as long as Twilio asks; otherwise
`FAILURES_BEFORE_PAUSE` retryable failures in a row pause it, longer each time it goes on.
A success ends the count. Without Redis (inline, one process) there is no pause.
"""

from __future__ import annotations

from redis import Redis

PAUSE_KEY = "wenxu:sender_pause:"
FAILURES_KEY = "wenxu:sender_failures:"
FAILURES_BEFORE_PAUSE = 5
LONGEST_PAUSE_SECONDS = 300.0
#: A failure count older than this is forgotten (the failures were not "in a row").
FAILURES_MEMORY_SECONDS = 600


def paused_until(redis: Redis, sender: str) -> float | None:
    """The epoch second the sender's pause ends, or None when it may send."""
    value = redis.get(PAUSE_KEY + sender)
    return float(value) if value is not None else None  # type: ignore[arg-type]


def pause(redis: Redis, sender: str, seconds: float, now: float) -> None:
    """Pause `sender` for `seconds` from `now` (a longer pause already set is kept)."""
    until = now + seconds
    current = paused_until(redis, sender)
    if current is not None and current >= until:
        return
    redis.set(PAUSE_KEY + sender, repr(until), px=max(1, int(seconds * 1000)))


def failed(
    redis: Redis, sender: str, now: float, *, retry_after: float | None, step: float
) -> None:
    """Count a retryable failure; pause the sender when it is one too many, or when asked."""
    if retry_after is not None:
        pause(redis, sender, retry_after, now)
    count = int(redis.incr(FAILURES_KEY + sender))  # type: ignore[arg-type]
    redis.expire(FAILURES_KEY + sender, FAILURES_MEMORY_SECONDS)
    if count >= FAILURES_BEFORE_PAUSE:
        seconds = step * (count // FAILURES_BEFORE_PAUSE)
        pause(redis, sender, min(LONGEST_PAUSE_SECONDS, seconds), now)


def succeeded(redis: Redis, sender: str) -> None:
    """A send went: the failures were not in a row after all."""
    redis.delete(FAILURES_KEY + sender)
