"""Twilio misbehaving, against the real processes (issue #10, point 7, scenarios a to e).

Each scenario sends one acknowledgement to each of a fresh set of residents (texts and calls
mixed), with the fake Twilio misbehaving, and is judged over every row made: delivered, with
exactly one message or call stored at Twilio for it, and no process restarted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.fake_twilio import FakeTwilio
from tests.faults.scenario import Outcome, judge, last_id, make_residents, notify, settle
from tests.faults.stack import AUTH_TOKEN, PUBLIC, Stack

RESIDENTS = 15
TIMEOUT = 90.0


def run(stack: Stack, name: str, inject: Callable[[FakeTwilio], Any]) -> Outcome:
    people = make_residents(stack, RESIDENTS)
    since = last_id(stack)
    inject(stack.fake)
    started = time.monotonic()
    notify(stack, people, tag=name)
    outcome = settle(stack, since, started, name, TIMEOUT)
    judge(stack, outcome, since)
    assert not stack.fake.plans, "not every fault planned happened"
    return outcome


def answers(fake: FakeTwilio, answer: object) -> list[dict[str, Any]]:
    """The create requests the fake answered with `answer` (a status or "dropped")."""
    return [e for e in fake.log if e["method"] == "POST" and e["answer"] == answer]


def test_0_control_twilio_answering_well(stack):
    run(stack, "0 control", lambda fake: None)


def test_a_a_run_of_500s_then_recovery(stack):
    run(stack, "a 500 x10", lambda fake: fake.fail_next(500, times=10))
    assert len(answers(stack.fake, 500)) == 10


def test_b_429s_with_retry_after_then_recovery(stack):
    run(stack, "b 429 Retry-After 2 x10", lambda fake: fake.fail_next(429, times=10, retry_after=2))
    refused = answers(stack.fake, 429)
    assert len(refused) == 10
    creates = [e for e in stack.fake.log if e["method"] == "POST"]
    for entry in refused:  # the same recipient on the same channel is the same row here
        again = [
            e["at"]
            for e in creates
            if e["at"] > entry["at"]
            and (e["path"], e["form"].get("To")) == (entry["path"], entry["form"].get("To"))
        ]
        assert again and min(again) - entry["at"] >= 2 - 0.05, "Retry-After: 2 not honoured"


def test_c_a_send_stalls_past_the_timeout_after_twilio_stored_it(stack):
    # Answered (and its receipts posted) after the timeout (2 s) and the wait for a receipt
    # (2 s): the sender must find the message in Twilio's list rather than send it again.
    run(stack, "c stall 8 s (timeout 2 s) x4", lambda fake: fake.stall_next(8.0, times=4))


@pytest.mark.parametrize("store", [True, False], ids=["stored", "not-stored"])
def test_d_the_connection_drops_after_the_request_was_read(stack, store):
    def drop(fake: FakeTwilio) -> None:
        fake.drop_next(store=store, times=4)
        # Receipts late: what a stored message is, the sender must learn from Twilio's list.
        fake.receipts(
            target=stack.web_url, public=PUBLIC, auth_token=AUTH_TOKEN, mode="normal", delay=6.0
        )

    run(stack, f"d dropped, {'stored' if store else 'not stored'} x4", drop)
    assert len(answers(stack.fake, "dropped")) == 4


@pytest.mark.parametrize("mode", ["early", "out_of_order"])
def test_e_receipts_early_or_out_of_order(stack, mode):
    def receipts(fake: FakeTwilio) -> None:
        fake.receipts(target=stack.web_url, public=PUBLIC, auth_token=AUTH_TOKEN, mode=mode)

    run(stack, f"e receipts {mode}", receipts)
    assert stack.fake.receipt_log
