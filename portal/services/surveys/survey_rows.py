"""One row of a survey import file, checked field by field (`check_row`) into a `SurveyRow`.

Every bad field is reported with a stable code (`field_error`), worded when shown;
`survey_import` checks files of these rows, the ID numbers repeated and the user's scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from portal.input_guard import control_characters
from portal.phones import PhoneError, validate_phone
from portal.services.people import identifiers
from portal.services.surveys.surveys import LIVING_ARRANGEMENTS

FLAG_COLUMNS = ("income_support", "employed", "medical_insurance", "pension_insurance")
NAME_LIMIT = 100
_YES = frozenset({"1", "是", "y", "yes", "true"})
_NO = frozenset({"0", "否", "n", "no", "false"})


@dataclass(frozen=True)
class SurveyRow:
    """One checked row: the resident's details and both forms for the year."""

    row: int
    id_number: str
    name: str
    area_code: str
    category: int
    level: int | None
    phone: str | None
    visit_date: date
    living_arrangement: str | None
    flags: tuple[bool, ...]  # in FLAG_COLUMNS order
    needs: dict[str, bool]  # need code -> needed; items left empty are not in it


def field_error(row: int, column: str, code: str, **params: Any) -> dict[str, Any]:
    return {"row": row, "field": column, "code": code, **params}


def check_row(
    number: int,
    values: dict[str, str],
    needs: list[str],
    *,
    year: int,
    today: date,
    errors: list[dict[str, Any]],
) -> SurveyRow | None:
    """The row as a `SurveyRow`, or None after adding an error for each bad field."""
    found: list[dict[str, Any]] = []

    def bad(column: str, code: str, **params: Any) -> None:
        found.append(field_error(number, column, code, **params))

    id_number, name, area_code = _who_and_where(values, today, bad)
    category = _number(values["category"], range(1, 8))
    if category is None:
        bad("category", "category")
    level = _number(values["level"], range(1, 5)) if values["level"] else None
    if values["level"] and level is None:
        bad("level", "level")
    phone = None
    if values["phone"]:
        try:
            phone = validate_phone(values["phone"])
        except PhoneError:
            bad("phone", "phone")
    visit_date = _visit_date(values["visit_date"], year, today, bad)
    living = values["living_arrangement"] or None
    if living is not None and living not in LIVING_ARRANGEMENTS:
        bad("living_arrangement", "living_arrangement")
    flags = tuple(_yes_no(values[column], column, bad) is True for column in FLAG_COLUMNS)
    answers = _need_answers(values, needs, bad)
    errors.extend(found)
    if found or category is None or visit_date is None:
        return None
    return SurveyRow(
        row=number,
        id_number=id_number,
        name=name,
        area_code=area_code,
        category=category,
        level=level,
        phone=phone,
        visit_date=visit_date,
        living_arrangement=living,
        flags=flags,
        needs=answers,
    )


def _who_and_where(values: dict[str, str], today: date, bad: Any) -> tuple[str, str, str]:
    """The row's ID number (empty when bad), name and area code, each checked."""
    id_number = ""
    try:
        id_number = identifiers.validate_resident_id(values["id_number"], today=today).number
    except identifiers.IdentifierError as error:
        bad("id_number", "required" if not values["id_number"] else error.code)
    name = values["name"]
    if not name:
        bad("name", "required")
    elif len(name) > NAME_LIMIT:
        bad("name", "name_too_long", limit=NAME_LIMIT)
    elif control_characters(name):
        bad("name", "control_characters")  # a NUL would fail the whole apply on PostgreSQL
    area_code = values["area_code"]
    if not (len(area_code) == 12 and area_code.isascii() and area_code.isdigit()):
        bad("area_code", "area_format")
    return id_number, name, area_code


def _need_answers(values: dict[str, str], needs: list[str], bad: Any) -> dict[str, bool]:
    """Need code -> needed, for the need columns answered (empty ones are left out)."""
    answers: dict[str, bool] = {}
    for code in needs:
        answer = _yes_no(values[code], code, bad)
        if answer is not None:
            answers[code] = answer
    return answers


def _number(text: str, allowed: range) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and int(text) in allowed else None


def _visit_date(text: str, year: int, today: date, bad: Any) -> date | None:
    if not text:
        bad("visit_date", "required")
        return None
    try:
        day = date.fromisoformat(text.replace("/", "-"))
    except ValueError:
        bad("visit_date", "date_format")
        return None
    if day > today:
        bad("visit_date", "date_future")
    elif day.year != year:
        bad("visit_date", "date_year", year=year)
    return day


def _yes_no(text: str, column: str, bad: Any) -> bool | None:
    """1/是 → True, 0/否 → False, empty → None (not asked); anything else is an error."""
    value = text.lower()
    if not value:
        return None
    if value in _YES:
        return True
    if value not in _NO:
        bad(column, "yes_no")
    return False
