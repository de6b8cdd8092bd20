"""The per-sender token bucket: on the real Redis in CI (TEST_REDIS_URL), fakeredis on a desk."""

import fakeredis
import pytest
from redis import Redis

from portal.services.outbound.send_rate import acquire, take
from tests.conftest import redis_url


@pytest.fixture
def redis_conn():
    url = redis_url()
    connection = Redis.from_url(url) if url else fakeredis.FakeRedis()
    connection.flushdb()
    yield connection
    connection.flushdb()


def test_sends_are_spaced_at_the_rate_and_never_burst(redis_conn):
    """At 3 per second the second send at the same instant waits a third of a second."""
    assert take(redis_conn, "+15005550006", 3, 100.0) == 0
    assert take(redis_conn, "+15005550006", 3, 100.0) == pytest.approx(1 / 3, abs=0.002)
    assert take(redis_conn, "+15005550006", 3, 100.34) == 0  # one token refilled
    # Idle for a minute, the bucket still holds one token, not sixty: no burst after a lull.
    assert take(redis_conn, "+15005550006", 3, 160.0) == 0
    assert take(redis_conn, "+15005550006", 3, 160.0) > 0


def test_each_sender_has_its_own_bucket(redis_conn):
    assert take(redis_conn, "+15005550006", 1, 100.0) == 0
    assert take(redis_conn, "+15005550006", 1, 100.0) > 0
    assert take(redis_conn, "MG" + "1" * 32, 1, 100.0) == 0


def test_acquire_waits_briefly_for_a_token_then_gives_up(redis_conn):
    clock = [100.0]

    def sleep(seconds):
        clock[0] += seconds

    assert acquire(redis_conn, "s", 2, clock=lambda: clock[0], sleep=sleep)
    assert acquire(redis_conn, "s", 2, clock=lambda: clock[0], sleep=sleep)  # waited 0.5 s
    assert acquire(redis_conn, "s", 2, clock=lambda: clock[0], sleep=sleep)  # and 0.5 s more
    assert clock[0] == pytest.approx(101.0)
    # At 0.1 per second the next token is 10 s away: more than the wait allowed.
    slow = "slow"
    assert acquire(redis_conn, slow, 0.1, clock=lambda: clock[0], sleep=sleep)
    assert not acquire(redis_conn, slow, 0.1, clock=lambda: clock[0], sleep=sleep)
    assert clock[0] == pytest.approx(101.0)  # gave up without sleeping in vain
