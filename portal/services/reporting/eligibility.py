"""Who a coverage target counts: disability category, level and age on a day.

The summaries count with it (`summary_coverage`), so coverage figures and the rows behind them
agree; it stands apart from `coverage`, which reads those summaries.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import Any, Protocol


class Person(Protocol):
    """What eligibility looks at (a summary's resident row)."""

    @property
    def category(self) -> int: ...
    @property
    def level(self) -> int | None: ...
    @property
    def birth_date(self) -> date | None: ...


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


class Rule(Protocol):
    """What a coverage target's eligibility says (a `CoverageTarget`, or a plain copy)."""

    @property
    def categories(self) -> Collection[Any]: ...
    @property
    def levels(self) -> Collection[Any]: ...
    @property
    def min_age(self) -> int | None: ...
    @property
    def max_age(self) -> int | None: ...


def eligible(target: Rule, person: Person, day: date) -> bool:
    """Whether the target counts the person: category, level and age on `day` all match."""
    if target.categories and person.category not in target.categories:
        return False
    if target.levels and person.level not in target.levels:
        return False
    if target.min_age is None and target.max_age is None:
        return True
    if person.birth_date is None:
        return False
    age = age_on(person.birth_date, day)
    low_ok = target.min_age is None or age >= target.min_age
    return low_ok and (target.max_age is None or age <= target.max_age)
