"""Rows for a scenario, the wait for them to settle, and the figures that judge it.

Residents come in a mix that gives both channels (`channel_plan`): texters, blind residents
who chose SMS (a call first), deaf residents who chose both (SMS only), residents who chose
both (a call and a text), and residents who chose calls.

A scenario is judged over every notification row made since it began: each must end
`delivered` (lost = 0) with exactly one message or call stored at the fake Twilio for it
(duplicated = 0). A stored record belongs to the row named at the end of its StatusCallback;
one without that id is matched by its recipient and channel, when that names one row.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import cycle

from sqlalchemy import func, select

from portal.models import Channel, Notification, NotificationStatus, Resident
from portal.services.outbound.notifications import notify_resident
from tests.factories import create_area, create_resident_user
from tests.faults.stack import Stack

S = NotificationStatus
FINAL = {S.DELIVERED, S.FAILED, S.SKIPPED}
#: (disability_category, channel): 4 physical, 1 visual, 2 hearing, 5 intellectual.
MIX = [
    (4, Channel.SMS),  # a text
    (1, Channel.SMS),  # blind: a call instead
    (2, Channel.BOTH),  # deaf: a text only
    (4, Channel.BOTH),  # a call and a text
    (5, Channel.VOICE),  # a call
]
#: After every row is final, how long nothing may change (a late resend would show here).
QUIET = 3.0


def make_residents(stack: Stack, count: int) -> list[tuple[int, str]]:
    """`count` residents with accounts, in the channel mix: (resident id, phone)."""
    with stack.db() as session:
        village = create_area()
        made = []
        for _, (category, channel) in zip(range(count), cycle(MIX), strict=False):
            _, resident = create_resident_user(
                village, disability_category=category, channel=channel
            )
            made.append((resident.id, resident.phone))
        session.commit()
        return made


def last_id(stack: Stack) -> int:
    with stack.db() as session:
        return int(session.scalar(select(func.max(Notification.id))) or 0)


def notify(stack: Stack, residents: list[tuple[int, str]], tag: str) -> None:
    """One acknowledgement to each resident, all in one transaction (its jobs after commit)."""
    now = datetime.now(UTC)
    with stack.db() as session:
        for n, (resident_id, _) in enumerate(residents):
            resident = session.get(Resident, resident_id)
            assert resident is not None
            notify_resident(
                session,
                resident,
                template="case_ack",
                params={"case_type": "complaint", "reference": f"F{n:05d}", "due": "12-01"},
                dedupe_key=f"fault:{tag}:{resident_id}",
                now=now,
            )
        session.commit()


@dataclass
class Outcome:
    """What became of a scenario's rows."""

    name: str
    rows: int = 0
    delivered_once: int = 0
    lost: int = 0
    duplicated: int = 0
    unattributed: int = 0
    list_reads: int = 0
    seconds: float = 0.0
    statuses: Counter[str] = field(default_factory=Counter)
    channels: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"[faults] {self.name}: rows={self.rows} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(self.channels.items()))}) "
            f"delivered_once={self.delivered_once} lost={self.lost} "
            f"duplicated={self.duplicated} seconds={self.seconds:.1f} "
            f"(Twilio list reads: {self.list_reads})"
        )

    def clean(self) -> bool:
        return (
            self.rows > 0
            and self.delivered_once == self.rows
            and not (self.lost or self.duplicated or self.unattributed or self.problems)
        )

    def explain(self, stack: Stack, since: int) -> str:
        return "\n".join(
            [
                self.line(),
                f"statuses: {dict(self.statuses)}; stored records without a row: "
                f"{self.unattributed}",
                *self.problems,
                *_rows_in_trouble(stack, since),
                _receipt_answers(stack),
            ]
        )


def settle(stack: Stack, since: int, started: float, name: str, timeout: float) -> Outcome:
    """Wait until every row after `since` is final and stays so, then count."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _all_final(stack, since):
            stack.fake.wait_for_receipts(timeout=10)
            seconds = time.monotonic() - started
            time.sleep(QUIET)
            if _all_final(stack, since):
                return count(stack, since, name, seconds)
        time.sleep(0.3)
    return count(stack, since, name, time.monotonic() - started)


def _all_final(stack: Stack, since: int) -> bool:
    with stack.db() as session:
        statuses = session.scalars(select(Notification.status).where(Notification.id > since))
        found = list(statuses)
    return bool(found) and all(status in FINAL for status in found)


def count(stack: Stack, since: int, name: str, seconds: float) -> Outcome:
    with stack.db() as session:
        rows = session.execute(
            select(
                Notification.id, Notification.status, Notification.channel, Notification.to_phone
            )
            .where(Notification.id > since)
            .order_by(Notification.id)
        ).all()
    ids = {row.id for row in rows}
    by_recipient = Counter((row.to_phone, row.channel.value) for row in rows)
    owner = {
        (row.to_phone, row.channel.value): row.id
        for row in rows
        if by_recipient[(row.to_phone, row.channel.value)] == 1
    }
    stored: Counter[int] = Counter()
    outcome = Outcome(name=name, rows=len(rows), seconds=seconds)
    outcome.list_reads = sum(1 for entry in stack.fake.log if entry["method"] == "GET")
    for kind, records in (("sms", stack.fake.messages), ("voice", stack.fake.calls)):
        for record in list(records):
            row_id = stack.fake.notification_id(record) or owner.get((record["to"], kind))
            if row_id in ids:
                stored[row_id] += 1
            else:
                outcome.unattributed += 1
    for row in rows:
        outcome.statuses[row.status.value] += 1
        outcome.channels[row.channel.value] += 1
        if row.status != S.DELIVERED:
            outcome.lost += 1
        if stored[row.id] > 1:
            outcome.duplicated += 1
        elif stored[row.id] == 1 and row.status == S.DELIVERED:
            outcome.delivered_once += 1
    return outcome


def _rows_in_trouble(stack: Stack, since: int, limit: int = 8) -> list[str]:
    """The first rows not delivered once, with what they say about themselves."""
    stored = stack.fake.stored_per_notification()
    with stack.db() as session:
        rows = session.scalars(
            select(Notification).where(Notification.id > since).order_by(Notification.id)
        ).all()
        trouble = [r for r in rows if r.status != S.DELIVERED or stored[r.id] != 1]
        return [
            f"row {r.id} {r.channel.value} {r.status.value} attempts={r.attempts} "
            f"stored={stored[r.id]} provider_status={r.provider_status} ref={r.provider_ref} "
            f"last_error={(r.last_error or '')[:120]!r}"
            for r in trouble[:limit]
        ]


def _receipt_answers(stack: Stack) -> str:
    answers = Counter(str(entry.get("status")) for entry in stack.fake.receipt_log)
    creates = Counter(str(e["answer"]) for e in stack.fake.log if e["method"] == "POST")
    lists = sum(1 for e in stack.fake.log if e["method"] == "GET")
    return (
        f"fake Twilio: creates answered {dict(creates)}, list reads {lists}, "
        f"receipts answered {dict(answers)}"
    )


def judge(stack: Stack, outcome: Outcome, since: int) -> None:
    """Print the scenario's figures; fail with the evidence unless it is clean."""
    print(outcome.line())  # the one-line figure, visible with -s
    changed = stack.processes_unchanged()
    if changed:
        outcome.problems.append(changed)
    assert outcome.clean(), outcome.explain(stack, since)
