"""Seeding the calendar: 2024 onwards wherever the app seeds, and `flask sla seed`."""

from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import CalendarDay, CalendarYear, SlaPolicy
from portal.services.reference.reference_data import seed_reference_data
from portal.services.sla.calendar_admin import seed_years
from tests.reference_rows import kept_reference_rows


@pytest.fixture(autouse=True)
def _keep_calendar(app):
    with kept_reference_rows():
        yield


@pytest.mark.parametrize(
    ("today", "years"),
    [
        (date(2024, 3, 1), range(2023, 2026)),
        (date(2026, 11, 24), range(2024, 2028)),
        (date(2030, 1, 1), range(2024, 2032)),
    ],
)
def test_seed_years_start_in_2024_at_the_latest(today, years):
    assert seed_years(today) == years


def _forget(*years: int) -> None:
    for year in years:
        db.session.execute(CalendarYear.__table__.delete().where(CalendarYear.year == year))
        db.session.execute(
            CalendarDay.__table__.delete().where(
                CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
            )
        )
    db.session.commit()


def test_reference_data_loads_2024_to_2026(app):
    _forget(2024, 2025, 2026)
    seed_reference_data(db.session, date(2026, 11, 24))
    db.session.commit()
    assert {2024, 2025, 2026} <= set(db.session.scalars(select(CalendarYear.year)))
    assert db.session.get(CalendarDay, date(2024, 10, 12)).is_working_day
    assert db.session.get(CalendarDay, date(2025, 9, 28)).is_working_day
    assert not db.session.get(CalendarDay, date(2026, 2, 16)).is_working_day


def test_flask_sla_seed_loads_the_calendar_and_keeps_edits(app):
    _forget(2024)
    db.session.add(
        CalendarDay(day=date(2024, 10, 1), is_working_day=False, name="国庆", source="admin")
    )
    db.session.execute(SlaPolicy.__table__.delete().where(SlaPolicy.case_type == "report"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["sla", "seed", "--to-year", "2027"])
    assert result.exit_code == 0, result.output
    assert "policies added: 1" in result.output
    assert "2024" in result.output
    assert "no official calendar in the package for: [2027]" in result.output
    db.session.expire_all()
    assert db.session.get(CalendarYear, 2024).source == "package"
    assert db.session.get(CalendarDay, date(2024, 10, 1)).name == "国庆"
    assert db.session.get(CalendarDay, date(2024, 2, 18)).is_working_day
    assert db.session.get(CalendarYear, 2027) is None
    assert db.session.scalar(select(SlaPolicy).where(SlaPolicy.case_type == "report"))


def test_flask_sla_seed_refuses_a_reversed_range(app):
    result = app.test_cli_runner().invoke(
        args=["sla", "seed", "--from-year", "2026", "--to-year", "2025"]
    )
    assert result.exit_code != 0
