"""Supervision (督查): a monthly random sample per township and the check of each household.

A round's sample is `random.Random(seed)` over the township's eligible residents in id order, so
anyone holding the stored seed can draw it again and get the same households. There is one round
per township and month; asking again returns the round already drawn.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, case, func, select
from sqlalchemy.exc import IntegrityError

from portal.models import (
    Area,
    AreaLevel,
    AuditEvent,
    Delivery,
    Institution,
    Plan,
    PlanItem,
    Resident,
    SupervisionInstitutionSummary,
    SupervisionItem,
    SupervisionRound,
    SupervisionSample,
    SupervisionSummary,
    User,
)
from portal.models.base import AnySession
from portal.services.people.access import areas_for, residents_in_area
from portal.services.reference.area_tree import in_subtree

#: A resident sampled in one of this many months before is not sampled again.
SKIP_MONTHS = 6
PROBLEMS = ("over_ticked", "missed", "wrong")


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_before(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def townships_for(session: AnySession, user: User) -> list[Area]:
    """The townships inside the user's scope, where rounds can be drawn."""
    query = areas_for(session, user).where(Area.level == AreaLevel.TOWNSHIP)
    return list(session.scalars(query.order_by(Area.code)))


def eligible_ids(session: AnySession, township: Area, month: date) -> list[int]:
    """Living residents of the township not sampled in the `SKIP_MONTHS` before `month`."""
    recent = (
        select(SupervisionSample.resident_id)
        .join(SupervisionRound)
        .where(
            SupervisionRound.month >= months_before(month, SKIP_MONTHS),
            SupervisionRound.month < month,
        )
    )
    query = (
        residents_in_area(session, township)
        .with_only_columns(Resident.id)
        .where(Resident.deceased_on.is_(None), Resident.id.not_in(recent))
        .order_by(Resident.id)
    )
    return list(session.scalars(query))


def sample_ids(eligible: Sequence[int], seed: str, size: int) -> list[int]:
    """The sample for `seed`: the same ids, in the same order, every time."""
    return sorted(random.Random(seed).sample(list(eligible), min(size, len(eligible))))  # noqa: S311 - a reproducible draw, not a secret


def draw_round(
    session: AnySession,
    township: Area,
    *,
    month: date,
    seed: str,
    size: int,
    actor_id: int | None,
    now: datetime,
    ip_address: str | None = None,
) -> tuple[SupervisionRound, bool]:
    """The township's round for `month`, drawn now unless it exists; (round, drawn now)."""
    existing = _round_of(session, township.id, month)
    if existing is not None:
        return existing, False
    chosen = sample_ids(eligible_ids(session, township, month), seed, size)
    round_ = SupervisionRound(
        area_id=township.id, month=month, seed=seed, sample_size=size, drawn_by_id=actor_id
    )
    try:
        # Two people drawing at once: the unique (area, month) keeps the first round.
        with session.begin_nested():
            session.add(round_)
            session.flush()
    except IntegrityError:
        found = _round_of(session, township.id, month)
        assert found is not None
        return found, False
    session.add_all(
        SupervisionSample(round_id=round_.id, resident_id=rid, created_at=now) for rid in chosen
    )
    session.add(
        AuditEvent(
            actor_id=actor_id,
            action="supervision.draw",
            object_type="supervision_round",
            object_id=round_.id,
            data={"area": township.code, "month": month.isoformat(), "seed": seed, "size": size},
            ip_address=ip_address,
            created_at=now,
        )
    )
    session.flush()
    session.refresh(round_)
    return round_, True


def _round_of(session: AnySession, area_id: int, month: date) -> SupervisionRound | None:
    return session.scalar(
        select(SupervisionRound).where(
            SupervisionRound.area_id == area_id, SupervisionRound.month == month
        )
    )


def _rounds_in_scope(session: AnySession, user: User) -> Select[SupervisionRound]:
    return select(SupervisionRound).where(
        SupervisionRound.area_id.in_(areas_for(session, user).with_only_columns(Area.id))
    )


def rounds_for(session: AnySession, user: User) -> list[SupervisionRound]:
    """Rounds in the user's townships, newest month first."""
    query = _rounds_in_scope(session, user).join(Area, SupervisionRound.area_id == Area.id)
    return list(session.scalars(query.order_by(SupervisionRound.month.desc(), Area.code)))


def round_for(session: AnySession, user: User, round_id: int) -> SupervisionRound | None:
    query = _rounds_in_scope(session, user).where(SupervisionRound.id == round_id)
    return session.scalar(query)


def sample_for(
    session: AnySession, user: User, round_id: int, sample_id: int
) -> SupervisionSample | None:
    round_ = round_for(session, user, round_id)
    if round_ is None:
        return None
    return next((s for s in round_.samples if s.id == sample_id), None)


def current_items(session: AnySession, resident_id: int) -> list[PlanItem]:
    """The items of the resident's current plan: what the checklist goes through."""
    plan = session.scalar(select(Plan).where(Plan.resident_id == resident_id, Plan.is_current))
    return list(plan.items) if plan else []


@dataclass(frozen=True)
class ItemCheck:
    problem: str | None  # None: precise; else one of PROBLEMS
    note: str | None = None


@dataclass(frozen=True)
class Check:
    record_consistent: bool
    plan_consistent: bool
    archive_consistent: bool
    falsification_found: bool
    note: str | None
    items: dict[int, ItemCheck]  # by PlanItem.id


def record_check(
    session: AnySession,
    sample: SupervisionSample,
    check: Check,
    *,
    actor_id: int,
    now: datetime,
    ip_address: str | None = None,
) -> None:
    """Store the checklist (a later check replaces an earlier one) and audit it; a
    falsification finding is audited on its own so the area's flag can be traced."""
    found_before = sample.falsification_found
    sample.record_consistent = check.record_consistent
    sample.plan_consistent = check.plan_consistent
    sample.archive_consistent = check.archive_consistent
    sample.falsification_found = check.falsification_found
    sample.note = check.note
    sample.checked_at, sample.checked_by_id = now, actor_id
    rows = {row.plan_item_id: row for row in sample.items}
    for plan_item_id, item in check.items.items():
        row = rows.get(plan_item_id)
        if row is None:
            row = SupervisionItem(plan_item_id=plan_item_id)
            sample.items.append(row)
        row.imprecise = item.problem is not None
        row.problem, row.note = item.problem, item.note
        row.institution_id = _institution_of(session, plan_item_id)
    _audit(session, sample, "supervision.check", actor_id, now, ip_address)
    if check.falsification_found and not found_before:
        _audit(session, sample, "supervision.falsification", actor_id, now, ip_address)
    session.flush()


def _institution_of(session: AnySession, plan_item_id: int) -> int | None:
    """The institution of the item's latest delivery, else the one the item was given to."""
    delivered = session.scalar(
        select(Delivery.institution_id)
        .where(Delivery.plan_item_id == plan_item_id, Delivery.institution_id.is_not(None))
        .order_by(Delivery.delivered_on.desc(), Delivery.id.desc())
        .limit(1)
    )
    if delivered is not None:
        return delivered
    return session.scalar(select(PlanItem.institution_id).where(PlanItem.id == plan_item_id))


def _audit(
    session: AnySession,
    sample: SupervisionSample,
    action: str,
    actor_id: int,
    now: datetime,
    ip_address: str | None,
) -> None:
    session.add(
        AuditEvent(
            actor_id=actor_id,
            action=action,
            resident_id=sample.resident_id,
            object_type="supervision_sample",
            object_id=sample.id,
            data={"round_id": sample.round_id},
            ip_address=ip_address,
            created_at=now,
        )
    )


@dataclass
class Precision:
    """Items checked and found imprecise; a falsification finding vetoes the score."""

    checked: int = 0
    imprecise: int = 0
    vetoed: bool = False

    @property
    def rate(self) -> float | None:
        """(items checked − imprecise) ÷ items checked; None when nothing was checked."""
        if self.checked == 0:
            return None
        return (self.checked - self.imprecise) / self.checked

    @property
    def score(self) -> float | None:
        """The institutions' score out of 2 (机构量服 assessment): the rate times two."""
        return None if self.rate is None else self.rate * 2

    def add(self, other: Precision) -> None:
        self.checked += other.checked
        self.imprecise += other.imprecise
        self.vetoed = self.vetoed or other.vetoed


@dataclass(frozen=True)
class PrecisionReport:
    townships: list[tuple[Area, Precision]]
    counties: list[tuple[Area, Precision]]  # the townships rolled up to their parent
    institutions: list[tuple[Institution, Precision]]


def precision(session: AnySession, user: User, year: int) -> PrecisionReport:
    """Precision of the rounds drawn in `year` in the user's scope, by area and institution,
    summed from the supervision summaries (one row per round; see services.summaries)."""
    s, i = SupervisionSummary, SupervisionInstitutionSummary
    where = [s.month >= date(year, 1, 1), s.month < date(year + 1, 1, 1)]
    if user.area_id is not None:
        where.append(in_subtree(session, s.area_id, user.area_id))
    by_area: dict[int, Precision] = {}
    for area_id, checked, imprecise, falsified in session.execute(
        select(
            s.area_id, func.sum(s.items_checked), func.sum(s.items_imprecise), func.sum(s.falsified)
        )
        .where(*where)
        .group_by(s.area_id)
    ):
        if checked or falsified:
            by_area[area_id] = Precision(int(checked), int(imprecise), vetoed=bool(falsified))
    by_institution = {
        institution_id: Precision(int(checked), int(imprecise))
        for institution_id, checked, imprecise in session.execute(
            select(i.institution_id, func.sum(i.items_checked), func.sum(i.items_imprecise))
            .join(s, s.round_id == i.round_id)
            .where(*where)
            .group_by(i.institution_id)
        )
    }
    townships = [(a, by_area[a.id]) for a in _areas(session, by_area)]
    counties: dict[int, Precision] = {}
    for township, figures in townships:
        if township.parent_id is not None:
            counties.setdefault(township.parent_id, Precision()).add(figures)
    return PrecisionReport(
        townships=townships,
        counties=[(a, counties[a.id]) for a in _areas(session, counties)],
        institutions=[
            (inst, by_institution[inst.id])
            for inst in session.scalars(
                select(Institution)
                .where(Institution.id.in_(by_institution))
                .order_by(Institution.id)
            )
        ],
    )


@dataclass(frozen=True)
class Progress:
    samples: int = 0
    checked: int = 0
    falsified: int = 0


def round_progress(session: AnySession, round_ids: Sequence[int]) -> dict[int, Progress]:
    """Samples, checked and falsification findings of each round, in one query (live: the
    rounds list is where a check just saved must show)."""
    rows = session.execute(
        select(
            SupervisionSample.round_id,
            func.count(),
            func.count(SupervisionSample.checked_at),
            func.coalesce(func.sum(case((SupervisionSample.falsification_found, 1), else_=0)), 0),
        )
        .where(SupervisionSample.round_id.in_(round_ids))
        .group_by(SupervisionSample.round_id)
    )
    return {rid: Progress(int(n), int(c), int(f)) for rid, n, c, f in rows}


def _areas(session: AnySession, ids: dict[int, Precision]) -> list[Area]:
    return list(session.scalars(select(Area).where(Area.id.in_(ids)).order_by(Area.code)))
