"""The dashboard: how well the user's area answers, by area, case type and month; with exports.

The figures come from `portal.services.reporting.dashboard`, summed from the summaries over the
user's
area subtree, so each person sees only their own area; the area filter picks one of the child
areas shown, never more. The page says how current the summaries are, and administrators can
have them rebuilt (`dashboard_rebuild`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_login import current_user
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from admin import bp
from admin.charts import Chart, bar_chart
from admin.downloads import csv_file, xlsx_file
from portal.auth import roles_required
from portal.clients.job_queue import QUEUE_PERIODIC, after_commit
from portal.extensions import db
from portal.forms import BaseForm
from portal.jobs.summaries import refresh_summaries
from portal.models import Area, AuditEvent, CaseType, Role
from portal.services.reference.labels import CASE_TYPES, current_locale
from portal.services.reporting import dashboard as stats
from portal.services.reporting import summaries
from portal.services.sla.sla import local_zone

PERIODS = (3, 6, 12, 24)
DEFAULT_MONTHS = 12
#: What a chart can show: label, the figure, and the top of the scale (None: the largest).
METRICS: dict[str, tuple[LazyString, Callable[[stats.Figures], float | None], float | None]] = {
    "answered": (_l("Answered in time"), lambda f: f.answered_rate, 1.0),
    "median": (_l("Median hours to first reply"), lambda f: f.median_hours, None),
    "overdue": (_l("Overdue now"), lambda f: f.overdue, None),
    "satisfaction": (_l("Satisfied"), lambda f: f.satisfaction_rate, 1.0),
    "resolved": (_l("Resolved in time"), lambda f: f.resolved_rate, 1.0),
}
GROUPING_TITLES = {"area": _l("By area"), "type": _l("By type of case"), "month": _l("By month")}
CAPTIONS = {
    "area": _l("Figures by area"),
    "type": _l("Figures by type of case"),
    "month": _l("Figures by month"),
}
CHART_TITLES = {
    "area": _l("Bar chart by area, showing: %(metric)s. The table below has every figure."),
    "type": _l("Bar chart by type of case, showing: %(metric)s. The table below has every figure."),
    "month": _l("Bar chart by month, showing: %(metric)s. The table below has every figure."),
}
#: Staff with an area (administrators always pass); institutions have no area to group by.
AREA_ROLES = (Role.VILLAGE_WORKER, Role.TOWNSHIP_OFFICER, Role.COUNTY_STAFF, Role.SUPERVISOR)


class DashboardFilters(BaseForm):
    """The GET form above the figures; a value it does not know falls back to the default."""

    class Meta:
        csrf = False

    months = SelectField(
        _l("Period"),
        choices=[SelectChoice(n, _l("The last %(num)d months", num=n)) for n in PERIODS],
        coerce=int,
        default=DEFAULT_MONTHS,
    )
    case_type = SelectField(_l("Type of case"), default="")
    area = SelectField(_l("Area"), default="")
    metric = SelectField(_l("The charts show"), default="answered")


def _filters(areas: list[Area], locale: str) -> DashboardFilters:
    form = DashboardFilters(request.args)
    form.case_type.choices = [SelectChoice("", _("All types"))] + [
        SelectChoice(t.value, CASE_TYPES[t.value]) for t in CaseType
    ]
    form.area.choices = [SelectChoice("", _("All areas"))] + [
        SelectChoice(str(a.id), a.name(locale)) for a in areas
    ]
    form.metric.choices = [SelectChoice(key, label) for key, (label, _f, _s) in METRICS.items()]
    if request.args:
        form.validate()
    return form


def _value(field: SelectField) -> Any:
    """The field's value, or its default when the value is not one of its choices."""
    return field.default if field.errors else field.data


def _compute() -> tuple[DashboardFilters, stats.Dashboard, stats.Period, dict[str, Area], str]:
    now = datetime.now(UTC)
    locale = current_locale()
    scope_id = current_user.area_id
    scope = db.session.get(Area, scope_id) if scope_id else None
    areas = stats.child_areas(db.session, scope)
    form = _filters(areas, locale)
    chosen_area = next((a for a in areas if str(a.id) == _value(form.area)), None)
    case_type = _value(form.case_type)
    period = stats.Period.last_months(
        now.astimezone(local_zone()).date(),
        int(_value(form.months)),
        local_zone(),
    )
    figures = stats.compute(
        db.session,
        scope_id,
        period=period,
        areas=areas,
        case_type=CaseType(case_type) if case_type else None,
        area=chosen_area,
    )
    return form, figures, period, {a.prefix: a for a in areas}, locale


def _group_label(grouping: str, key: str, areas: dict[str, Area], locale: str) -> str:
    if grouping == "area":
        area = areas.get(key)
        return area.name(locale) if area else _("Elsewhere in your area")
    if grouping == "type":
        return str(CASE_TYPES[key])
    return key


def percent(rate: float | None) -> str:
    return format_percent(rate, "#,##0%") if rate is not None else _("No figure")


def hours(value: float | None) -> str:
    return format_decimal(value, "#,##0.0") if value is not None else _("No figure")


def _formatted(metric: str, value: float | None) -> str:
    if metric in ("median",):
        return hours(value)
    if metric == "overdue":
        return format_decimal(value or 0, "#,##0")
    return percent(value)


@bp.get("/dashboard")
@roles_required(*AREA_ROLES)
def dashboard() -> ResponseReturnValue:
    """The four headline figures, then each grouping as a bar chart and its table."""
    form, figures, period, areas, locale = _compute()
    metric = str(_value(form.metric))
    label, figure_of, scale = METRICS[metric]
    groupings = []
    for name in stats.GROUPINGS:
        rows = [(_group_label(name, f.key, areas, locale), f) for f in figures.grouping(name)]
        chart: Chart = bar_chart(
            [(text, figure_of(f), _formatted(metric, figure_of(f))) for text, f in rows], scale
        )
        groupings.append(
            {
                "name": name,
                "heading": GROUPING_TITLES[name],
                "caption": CAPTIONS[name],
                "chart_title": str(CHART_TITLES[name]) % {"metric": str(label)},
                "rows": rows,
                "chart": chart,
            }
        )
    return render_template(
        "admin/dashboard.html",
        title=_("Dashboard"),
        form=form,
        figures=figures,
        period=period,
        groupings=groupings,
        metric_label=label,
        percent=percent,
        hours=hours,
        query=request.query_string.decode("ascii", "replace"),
        as_of=summaries.as_of(db.session),
        can_rebuild=current_user.role == Role.ADMIN,
    )


@bp.post("/dashboard/rebuild")
@roles_required()
def dashboard_rebuild() -> ResponseReturnValue:
    """Administrators: have every summary worked out again from the raw tables, now (inline
    without a queue) or by the next worker; audited as summaries.rebuild."""
    now = datetime.now(UTC)
    summaries.ask_rebuild(db.session)
    db.session.add(
        AuditEvent(
            actor_id=current_user.id,
            action="summaries.rebuild",
            ip_address=request.remote_addr,
            created_at=now,
        )
    )
    after_commit(db.session, QUEUE_PERIODIC, refresh_summaries)
    db.session.commit()
    flash(_("The figures are being worked out again. This page shows when they are done."), "info")
    return redirect(url_for("admin.dashboard"))


def export_rows() -> list[list[object]]:
    """The header and one row per group (the total first), as both exports write them."""
    _form, figures, _period, areas, locale = _compute()
    header: list[object] = [
        _("Grouping"),
        _("Group"),
        _("Cases received"),
        _("First reply due or given"),
        _("Answered in time"),
        _("Answered in time, per cent"),
        _("Median hours to first reply"),
        _("Resolution due or given"),
        _("Resolved in time"),
        _("Resolved in time, per cent"),
        _("Overdue now"),
        _("Ratings"),
        _("Satisfied or basically satisfied"),
        _("Satisfied, per cent"),
    ]
    rows = [header, _row(_("Total"), _("All cases"), figures.total)]
    for name in stats.GROUPINGS:
        for f in figures.grouping(name):
            rows.append(
                _row(str(GROUPING_TITLES[name]), _group_label(name, f.key, areas, locale), f)
            )
    return rows


def _row(grouping: str, group: str, f: stats.Figures) -> list[object]:
    def pct(rate: float | None) -> float | str:
        return round(rate * 100, 1) if rate is not None else ""

    return [
        grouping,
        group,
        f.received,
        f.answer_due,
        f.answered_in_time,
        pct(f.answered_rate),
        f.median_hours if f.median_hours is not None else "",
        f.resolve_due,
        f.resolved_in_time,
        pct(f.resolved_rate),
        f.overdue,
        f.ratings,
        f.satisfied,
        pct(f.satisfaction_rate),
    ]


def _filename(extension: str) -> str:
    return f"wenxu-dashboard-{datetime.now(UTC).astimezone(local_zone()):%Y-%m-%d}.{extension}"


@bp.get("/dashboard/export-csv")
@roles_required(*AREA_ROLES)
def dashboard_csv() -> ResponseReturnValue:
    """The figures as CSV."""
    return csv_file(export_rows(), _filename("csv"))


@bp.get("/dashboard/export-xlsx")
@roles_required(*AREA_ROLES)
def dashboard_xlsx() -> ResponseReturnValue:
    return xlsx_file([(_("Dashboard"), export_rows())], _filename("xlsx"))
