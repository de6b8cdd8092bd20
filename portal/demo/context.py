"""What every demo step shares: the session, the clock, the random source and the rows so far."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar

from sqlalchemy import select

from portal.models import Area, Institution, NeedItem, Resident, User
from portal.models.base import AnySession
from portal.services.sla.sla import local_zone

T = TypeVar("T")

#: The fixed seed: the demo data is the same on every run and every machine.
SEED = 2026


@dataclass
class DemoContext:
    """The state one `seed_demo` run builds up, passed from step to step."""

    session: AnySession
    now: datetime
    password_hash: str
    # Fake data, not secrets: a seeded generator makes every run the same.
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))  # noqa: S311
    county: Area | None = None
    townships: list[Area] = field(default_factory=list)
    villages: list[Area] = field(default_factory=list)
    institutions: dict[str, Institution] = field(default_factory=dict)
    #: Staff accounts by key: "village:<code>", "township:<code>", "county", "supervisor",
    #: "institution", "admin".
    staff: dict[str, User] = field(default_factory=dict)
    #: Named residents the demo accounts use: "demo", "dependent", "agent_for".
    named: dict[str, Resident] = field(default_factory=dict)
    residents: list[Resident] = field(default_factory=list)
    #: By resident id: the resident's own account, and the guardian or agent acting for them.
    accounts: dict[int, User] = field(default_factory=dict)
    guardians: dict[int, User] = field(default_factory=dict)
    catalogue: dict[str, NeedItem] = field(default_factory=dict)
    used_ids: set[str] = field(default_factory=set)
    used_phones: set[str] = field(default_factory=set)
    #: How often each `cycle` key was used, so the first uses cover every option.
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def today(self) -> date:
        """The local date (Asia/Shanghai) of `now`."""
        return self.now.astimezone(local_zone()).date()

    @property
    def year_start(self) -> datetime:
        """Local midnight on 1 January of the current year, in UTC."""
        start = datetime.combine(date(self.today.year, 1, 1), time(0, 0), local_zone())
        return start.astimezone(UTC)

    def load_catalogue(self) -> None:
        """Index the need catalogue by code (seeded by reference data just before)."""
        self.catalogue = {item.code: item for item in self.session.scalars(select(NeedItem))}

    def item(self, code: str) -> NeedItem:
        return self.catalogue[code]

    def resident(self, resident_id: int) -> Resident:
        """A resident created in this run (from the session's identity map, no query)."""
        found = self.session.get(Resident, resident_id)
        assert found is not None
        return found

    def village_of(self, resident: Resident) -> Area:
        return next(v for v in self.villages if v.id == resident.area_id)

    def township_of(self, village: Area) -> Area:
        return next(t for t in self.townships if t.id == village.parent_id)

    def worker_for(self, resident: Resident) -> User:
        """The village worker who covers the resident's village."""
        return self.staff["village:" + self.village_of(resident).code]

    def officer_for(self, resident: Resident) -> User:
        """The township officer above the resident's village."""
        return self.staff["township:" + self.township_of(self.village_of(resident)).code]

    # Random helpers: all randomness goes through `rng` so every run is the same.

    def pick(self, options: Sequence[T], weights: Sequence[float] | None = None) -> T:
        return self.rng.choices(options, weights=weights)[0]

    def cycle(self, key: str, options: Sequence[T], weights: Sequence[float] | None = None) -> T:
        """The first uses of `key` take each option in turn; later ones are drawn at random.

        Guarantees that every option appears, however small the demo, while keeping a
        realistic mix overall.
        """
        seen = self.counters.get(key, 0)
        self.counters[key] = seen + 1
        return options[seen] if seen < len(options) else self.pick(options, weights)

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def between(self, start: datetime, end: datetime) -> datetime:
        """A random moment in [start, end]; `start` itself when the span is empty."""
        span = (end - start).total_seconds()
        if span <= 0:
            return start
        return start + timedelta(seconds=int(self.rng.uniform(0, span)))

    def after(
        self, start: datetime, low: timedelta, high: timedelta, share: float = 0.5
    ) -> datetime:
        """A moment `low`–`high` after `start`, but never past `share` of what is left until now.

        Chaining calls keeps a timeline ordered and in the past, however little time is left.
        """
        wanted = timedelta(seconds=self.rng.uniform(low.total_seconds(), high.total_seconds()))
        room = max(self.now - start, timedelta(0)) * share
        return start + min(wanted, room)

    def working(self, moment: datetime) -> datetime:
        """`moment` moved to local office hours (Monday–Friday, 08:30–17:30) if outside them.

        Staff answer during office hours. A moment that would move past `now` stays as it is.
        """
        zone = local_zone()
        local = moment.astimezone(zone)
        opening = datetime.combine(local.date(), time(8, 30), zone)
        if local.weekday() < 5 and opening <= local <= opening + timedelta(hours=9):
            return moment
        day = local.date() + timedelta(days=0 if local < opening else 1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        start = datetime.combine(day, time(8, 30), zone)
        moved = (start + timedelta(minutes=self.rng.randint(0, 420))).astimezone(UTC)
        return moment if moved > self.now else moved

    def local_moment(self, day: date, earliest: int = 8, latest: int = 20) -> datetime:
        """A UTC moment on local `day` between the hours `earliest` and `latest`."""
        moment = time(self.rng.randint(earliest, latest - 1), self.rng.randint(0, 59))
        return datetime.combine(day, moment, local_zone()).astimezone(UTC)
