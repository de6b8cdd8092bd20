"""Coverage (/admin/coverage): services against their targets, needs answered with a delivery,
and satisfaction; each chart with its table, CSV and Excel exports, and a printable quarterly
report.

County staff, supervisors and administrators; township officers for their own township. The
figures come from `portal.services.reporting.coverage` over the user's area, summed from the
summaries;
the page says as of when.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_login import current_user

from admin import bp
from admin.charts import Chart, bar_chart
from admin.downloads import csv_file, xlsx_file
from portal.auth import roles_required
from portal.extensions import db
from portal.models import Area, CoverageTarget, Role, Satisfaction
from portal.services.reference.labels import current_locale
from portal.services.reporting import coverage as stats
from portal.services.reporting import summaries
from portal.services.sla.sla import local_zone

ROLES = (Role.COUNTY_STAFF, Role.SUPERVISOR, Role.TOWNSHIP_OFFICER)
TABLES = ("coverage", "correspondence", "satisfaction")
YEARS_SHOWN = 3


def _today() -> date:
    return datetime.now(UTC).astimezone(local_zone()).date()


def _year() -> int:
    """The `year` asked for, or this year when it is missing or out of range."""
    this_year = _today().year
    year = request.args.get("year", type=int) or this_year
    return year if this_year - 10 <= year <= this_year else this_year


def _compute(period: stats.Period) -> stats.Coverage:
    scope = db.session.get(Area, current_user.area_id) if current_user.area_id else None
    return stats.compute(db.session, scope, period)


def target_name(target: CoverageTarget, locale: str) -> str:
    return target.name_en if locale.startswith("en") else target.name_zh


def percent(rate: float | None) -> str:
    return format_percent(rate, "#,##0%") if rate is not None else _("No figure")


def _charts(figures: stats.Coverage, locale: str) -> dict[str, Chart]:
    """One chart per table: coverage by service, and the two others by area."""
    return {
        "coverage": bar_chart(
            [
                (target_name(t.target, locale), t.total.rate, percent(t.total.rate))
                for t in figures.targets
            ],
            1.0,
        ),
        "correspondence": bar_chart(
            [(a.name(locale), s.rate, percent(s.rate)) for a, s in figures.correspondence[1]], 1.0
        ),
        "satisfaction": bar_chart(
            [
                (a.name(locale), r.satisfied.rate, percent(r.satisfied.rate))
                for a, r in figures.satisfaction[1]
            ],
            1.0,
        ),
    }


def _page(template: str, period: stats.Period, **extra: Any) -> str:
    figures = _compute(period)
    locale = current_locale()
    return render_template(
        template,
        figures=figures,
        charts=_charts(figures, locale),
        locale=locale,
        percent=percent,
        target_name=target_name,
        target_of=lambda t: t.target_percent / 100,
        correspondence_target=stats.CORRESPONDENCE_TARGET / 100,
        levels=list(Satisfaction),
        as_of=summaries.as_of(db.session),
        **extra,
    )


@bp.get("/coverage")
@roles_required(*ROLES)
def coverage() -> ResponseReturnValue:
    year = _year()
    this_year = _today().year
    return _page(
        "admin/coverage.html",
        stats.Period.of_year(year),
        title=_("Coverage"),
        year=year,
        years=list(range(this_year, this_year - YEARS_SHOWN, -1)),
        quarter=stats.Period.quarter_of(_today()).code,
    )


@bp.get("/coverage/report")
@roles_required(*ROLES)
def coverage_report() -> ResponseReturnValue:
    """The quarterly report, year to date at the quarter's end, laid out for printing."""
    period = stats.Period.parse_quarter(request.args.get("quarter", "")) or (
        stats.Period.quarter_of(_today())
    )
    return _page(
        "admin/coverage_report.html",
        period,
        title=_("Quarterly report: %(quarter)s", quarter=period.code),
    )


def export_rows(table: str, figures: stats.Coverage, locale: str) -> list[list[object]]:
    """The header and rows of one table, as both exports write them."""
    if table == "coverage":
        return _coverage_rows(figures, locale)
    if table == "correspondence":
        return _correspondence_rows(figures, locale)
    return _satisfaction_rows(figures, locale)


def _pct(rate: float | None) -> float | str:
    return round(rate * 100, 1) if rate is not None else ""


def _coverage_rows(figures: stats.Coverage, locale: str) -> list[list[object]]:
    """Each service's coverage everywhere and by area, against its target."""
    everywhere = _("All areas")
    rows: list[list[object]] = [
        [
            _("Service"),
            _("Area"),
            _("Eligible residents"),
            _("Covered"),
            _("Coverage, per cent"),
            _("Target, per cent"),
        ]
    ]
    for t in figures.targets:
        name = target_name(t.target, locale)
        for area, share in [
            (everywhere, t.total),
            *((a.name(locale), s) for a, s in t.by_area),
        ]:
            rows.append(
                [
                    name,
                    area,
                    share.whole,
                    share.part,
                    _pct(share.rate),
                    float(t.target.target_percent),
                ]
            )
    return rows


def _correspondence_rows(figures: stats.Coverage, locale: str) -> list[list[object]]:
    """Needs answered with a delivery, everywhere and by area."""
    everywhere = _("All areas")
    total, by_area = figures.correspondence
    rows: list[list[object]] = [
        [
            _("Area"),
            _("Needs"),
            _("Answered with a delivery"),
            _("Answered, per cent"),
            _("Target, per cent"),
        ]
    ]
    for area, share in [(everywhere, total), *((a.name(locale), s) for a, s in by_area)]:
        rows.append(
            [area, share.whole, share.part, _pct(share.rate), float(stats.CORRESPONDENCE_TARGET)]
        )
    return rows


def _satisfaction_rows(figures: stats.Coverage, locale: str) -> list[list[object]]:
    """The ratings by level, everywhere and by area."""
    everywhere = _("All areas")
    ratings, by_area_ratings = figures.satisfaction
    rows: list[list[object]] = [
        [
            _("Area"),
            _("Satisfied"),
            _("Basically satisfied"),
            _("Dissatisfied"),
            _("Ratings"),
            _("Satisfied or basically satisfied, per cent"),
        ]
    ]
    for area, r in [(everywhere, ratings), *((a.name(locale), r) for a, r in by_area_ratings)]:
        rows.append(
            [area, *(r.counts[level] for level in Satisfaction), r.total, _pct(r.satisfied.rate)]
        )
    return rows


def _filename(table: str, extension: str) -> str:
    return f"wenxu-{table}-{_year()}.{extension}"


@bp.get("/coverage/export-csv")
@roles_required(*ROLES)
def coverage_csv() -> ResponseReturnValue:
    """One table (`table=coverage|correspondence|satisfaction`) as CSV."""
    table = request.args.get("table", "coverage")
    table = table if table in TABLES else "coverage"
    rows = export_rows(table, _compute(stats.Period.of_year(_year())), current_locale())
    return csv_file(rows, _filename(table, "csv"))


@bp.get("/coverage/export-xlsx")
@roles_required(*ROLES)
def coverage_xlsx() -> ResponseReturnValue:
    """Every table in one workbook, a sheet each."""
    figures = _compute(stats.Period.of_year(_year()))
    locale = current_locale()
    titles = {
        "coverage": _("Coverage"),
        "correspondence": _("Needs answered"),
        "satisfaction": _("Satisfaction"),
    }
    sheets = [(titles[table], export_rows(table, figures, locale)) for table in TABLES]
    return xlsx_file(sheets, _filename("coverage", "xlsx"))
