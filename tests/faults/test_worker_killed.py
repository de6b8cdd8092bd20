"""A worker killed mid-batch (issue #10, point 7, scenario f), against the real processes.

Twilio answers slowly, so a batch of messages takes seconds; the worker sending it (the batch
runs in the worker's own process) is killed with SIGKILL half-way. Twilio holds some of the
batch, not the rest, and the rows all stay `sending`: the scheduler's sweep must reclaim them
and find out which went, so that each is delivered exactly once. A replacement worker is
started, as systemd would.
"""

from __future__ import annotations

import time

from sqlalchemy import func, select

from portal.models import Notification, NotificationStatus
from tests.faults.scenario import judge, last_id, make_residents, notify, settle
from tests.faults.stack import Stack, wait_until

RESIDENTS = 30  # 36 rows in the channel mix: one deliver job (up to 50 rows)
SLOW = 1.0  # seconds per answer from Twilio: with 8 sends at once, about 5 s for the batch


def test_f_a_worker_killed_with_sigkill_mid_batch(stack: Stack):
    people = make_residents(stack, RESIDENTS)
    since = last_id(stack)
    stack.fake.slow_down(SLOW)
    started = time.monotonic()
    notify(stack, people, tag="f")

    def mid_batch() -> tuple[str, int, set[int]] | None:
        # Some answered (but not yet recorded: a batch writes its results at its end), some
        # in flight, the rest not sent.
        return len(stack.fake.requests) >= 12 and stack.busy_worker("deliver")

    busy = wait_until(mid_batch, timeout=30, step=0.05)
    assert busy, f"no worker was sending a batch\n{stack.tails()}"
    name, pid, horses = busy
    assert not horses, "the batch runs in the worker's own process, not in a forked horse"
    assert stack.kill(name) == {pid}
    stored_before = len(stack.fake.messages) + len(stack.fake.calls)
    stack.fake.slow_down(0)
    stack.replace(name)
    with stack.db() as session:
        left_sending = session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.id > since, Notification.status == NotificationStatus.SENDING)
        )
    assert left_sending, "the kill left no row `sending`: it was not mid-batch"
    print(
        f"[faults] f: killed {name} with {stored_before} stored, {left_sending} rows left sending"
    )
    outcome = settle(stack, since, started, "f worker SIGKILLed mid-batch", timeout=90)
    judge(stack, outcome, since)
