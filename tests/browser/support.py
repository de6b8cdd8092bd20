"""Shared pieces of the browser tests: settings, test data, the page catalogue and page scripts.

The catalogue (`PAGES`) lists every page the app can show, by role and state; `test_axe.py`
checks that it covers every GET route in `app.url_map`, so a new page cannot be forgotten.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from flask_babel import force_locale, gettext
from playwright.sync_api import BrowserContext, Page
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    Area,
    AreaLevel,
    BasicStatusRecord,
    CaseType,
    Institution,
    NeedItem,
    NeedsAnswer,
    NeedsRecord,
    PlanItem,
    PlanStatus,
    Resident,
    Role,
    SlaPolicy,
    User,
)
from portal.models.imports import ImportRun
from portal.models.supervision import SupervisionRound, SupervisionSample
from portal.services.accounts import two_factor
from portal.services.outbound.call_backs import ASKED, UNREACHABLE, request_call_back
from portal.services.people.crypto import cipher
from portal.services.reference.reference_data import seed_coverage_targets
from portal.services.reporting.supervision import Check, ItemCheck, record_check
from tests.case_factories import create_resolved_case
from tests.factories import (
    PASSWORD,
    create_area,
    create_case,
    create_guardianship,
    create_resident,
    create_resident_user,
    create_user,
)
from tests.plan_factories import create_delivered_plan, create_plan, create_plan_item

#: Chromium flags that work on these machines (docs/accessibility.md).
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS: dict[str, dict[str, Any]] = {
    "mobile": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
#: The narrowest screen the pages must work on (WCAG reflow, GB/T 37668).
NARROW = {"width": 320, "height": 640}
#: Babel locale (the `wenxu_lang` cookie value) → BCP 47 tag (`<html lang>`, browser locale).
LOCALES = {"zh_CN": "zh-CN", "en": "en"}
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    # Passing options replaces axe's default resultTypes: ask for violations again.
    "resultTypes": ["violations"],
}
_AXE = Axe()
#: The `new_context` fixture's type: `new_context(viewport=, locale=, login=, size=)`.
NewContext = Callable[..., BrowserContext]


def assert_no_axe_violations(page: Page, label: str = "") -> None:
    # A click's navigation matches `expect(...).to_have_url` as soon as the document commits,
    # before its stylesheet has applied; axe must judge the page as a reader sees it.
    page.wait_for_load_state("load")
    result = _AXE.run(page, options=AXE_OPTIONS)
    assert result.violations_count == 0, (
        f"axe: {result.violations_count} violation(s) on {label or page.url}\n"
        + result.generate_report()
    )


# ---------------------------------------------------------------------------------------------
# Test data


@dataclass(frozen=True)
class World:
    """Plain values (no ORM objects, so nothing detaches) describing the committed test data."""

    area_id: int
    resident_id: int
    resident_phone: str  # E.164
    resident_login: str  # User.get_id(), for the session cookie
    staff_phone: str
    staff_login: str
    case_id: int | None
    case_reference: str | None
    guardian_login: str = ""  # a guardian of the resident and of one more dependent
    admin_login: str = ""  # an administrator (county-wide: staff accounts, calendar, API keys)
    # The resident's current plan, awaiting agreement, with one delivered item and its delivery.
    plan_id: int | None = None
    plan_item_id: int | None = None
    delivery_id: int | None = None
    need_case_id: int | None = None  # a need (case of type NEED) of the resident
    resolved_case_id: int | None = None  # a resolved complaint: confirm, rate, reopen
    sla_policy_id: int | None = None  # the complaint SLA policy (reference data)
    staff_id: int | None = None  # the village worker's User.id (the staff account page)
    admin_phone: str = ""  # the administrator: no authenticator app set up yet
    second_factor_phone: str = ""  # a supervisor whose authenticator app is set up
    # Survey imports (admin.import_run): a file with errors, one checked, one applied.
    import_rejected_id: int | None = None
    import_checked_id: int | None = None
    import_applied_id: int | None = None
    # This month's supervision round in the township; the resident sampled and checked.
    supervision_round_id: int | None = None
    supervision_sample_id: int | None = None
    delivery_item_id: int | None = None  # a planned item of another resident's active plan
    # Residents whose plans stand in a given state for the staff plan pages: a draft (the
    # editor) and one agreed in person, awaiting the township's approval.
    draft_plan_resident_id: int | None = None
    approval_plan_resident_id: int | None = None

    @staticmethod
    def national(phone: str) -> str:
        """The number as a resident types it: 11 digits, no country code."""
        return phone.removeprefix("+86")


def build_world(with_case: bool = True) -> World:
    """A village, a resident (with a case) and a village worker for that village; committed."""
    area = create_area(name_zh="幸福村", name_en="Xingfu Village")
    # Quiet hours that never apply (start == end): the acknowledgement is sent at any hour.
    user, resident = create_resident_user(
        area, name="张秀英", quiet_hours_start=time(0, 0), quiet_hours_end=time(0, 0)
    )
    staff = create_user(Role.VILLAGE_WORKER, area_id=area.id, name="李建国")
    admin = create_user(Role.ADMIN, name="王管理")
    guardian = create_user(Role.GUARDIAN, name="张文")
    create_guardianship(guardian, resident)
    create_guardianship(guardian, create_resident(area, name="张小文", disability_category=5))
    case = None
    if with_case:
        need_item = db.session.scalar(
            select(NeedItem).where(NeedItem.active, NeedItem.kind != "status").limit(1)
        )
        case = create_case(resident, filed_by=user, need_item=need_item)
    # A township above the village, with contact details for the services directory.
    township = create_area(
        level=AreaLevel.TOWNSHIP,
        name_zh="幸福镇",
        name_en="Xingfu Town",
        service_phone="0817-5550123",
        service_address="幸福镇人民路1号",
    )
    area.parent_id = township.id
    need = None
    if with_case:
        wheelchair = db.session.scalar(select(NeedItem).where(NeedItem.code == "ACC.WHEELCHAIR"))
        need = create_case(resident, filed_by=user, case_type=CaseType.NEED, need_item=wheelchair)
    plan, plan_item, delivery = create_delivered_plan(resident)
    resolved = create_resolved_case(resident, filed_by=user) if with_case else None
    if with_case:
        # The call-back page: one task waiting, one called with a note.
        now = datetime.now(UTC)
        request_call_back(
            db.session, resident, reason=UNREACHABLE, dedupe_key="world:1", now=now, case=case
        )
        called = request_call_back(
            db.session, resident, reason=ASKED, dedupe_key="world:2", now=now
        )
        called.done_at, called.done_by_id, called.note = now, staff.id, "已回电，情况良好。"
    # This year's home visit, not yet confirmed: the staff survey pages and the resident's
    # "This is right" confirmation.
    survey_home_visit(resident, staff)
    delivery_item = active_plan_item(area, township)
    draft_resident, approval_resident = plans_in_progress(area)
    round_id, sample_id = supervision_round(resident, township, admin, plan_item.id)
    imports = import_runs(area.id, admin.id)
    supervisor = create_user(Role.SUPERVISOR, area_id=township.id, name="敬国强")
    two_factor.ensure_secret(db.session, supervisor, encrypt=cipher().encrypt)
    supervisor.totp_confirmed_at = datetime.now(UTC)
    db.session.commit()
    return World(
        area_id=area.id,
        resident_id=resident.id,
        resident_phone=user.phone,
        resident_login=user.get_id(),
        staff_phone=staff.phone,
        staff_login=staff.get_id(),
        case_id=case.id if case else None,
        case_reference=case.reference if case else None,
        guardian_login=guardian.get_id(),
        admin_login=admin.get_id(),
        plan_id=plan.id,
        plan_item_id=plan_item.id,
        delivery_id=delivery.id,
        need_case_id=need.id if need else None,
        resolved_case_id=resolved.id if resolved else None,
        sla_policy_id=db.session.scalar(
            select(SlaPolicy.id).where(SlaPolicy.case_type == "complaint")
        ),
        staff_id=staff.id,
        admin_phone=admin.phone,
        second_factor_phone=supervisor.phone,
        import_rejected_id=imports["rejected"],
        import_checked_id=imports["checked"],
        import_applied_id=imports["applied"],
        supervision_round_id=round_id,
        supervision_sample_id=sample_id,
        delivery_item_id=delivery_item.id,
        draft_plan_resident_id=draft_resident.id,
        approval_plan_resident_id=approval_resident.id,
    )


def plans_in_progress(area: Area) -> tuple[Resident, Resident]:
    """Two residents of `area` with plans being made: a draft, and one awaiting approval.

    Each page spec then finds its plan in its state, in whatever order the specs run.
    """
    drafting = create_resident(area, name="赵春梅", disability_category=4)
    create_plan_item(create_plan(drafting, status=PlanStatus.DRAFT))
    agreed = create_resident(area, name="孙德福", disability_category=4)
    plan = create_plan(
        agreed,
        status=PlanStatus.AWAITING_APPROVAL,
        agreed_at=datetime.now(UTC),
        agreement_method="paper",
        agreement_witness="王村长",
    )
    create_plan_item(plan)
    return drafting, agreed


def translate(app: Flask, locale: str, message: str, **params: Any) -> str:
    """`message` as the app renders it in `locale` (whatever catalogues are compiled now)."""
    with app.test_request_context(), force_locale(locale):
        return gettext(message, **params)


# ---------------------------------------------------------------------------------------------
# The page catalogue


@dataclass(frozen=True)
class PageSpec:
    name: str
    role: str  # "anonymous", "resident", "guardian", "staff" (a village worker) or "admin"
    path: str  # may hold {case_id}, {need_case_id}, {plan_item_id}, {delivery_id}...
    endpoint: str | None  # the url_map endpoint this page covers (None: an error page)
    status: int = 200
    submit_empty: bool = False  # then submit the page's form empty: the error state
    clear_form: bool = False  # empty a prefilled form (radios, boxes, text) before that submit
    form_selector: str = "main form"  # which form to submit empty, on pages with several
    prepare: Callable[[Page, World], None] | None = None  # steps before the page can be seen

    def url(self, world: World) -> str:
        return self.path.format(
            case_id=world.case_id,
            need_case_id=world.need_case_id,
            plan_item_id=world.plan_item_id,
            delivery_id=world.delivery_id,
            resolved_case_id=world.resolved_case_id,
            sla_policy_id=world.sla_policy_id,
            staff_id=world.staff_id,
            import_rejected_id=world.import_rejected_id,
            import_checked_id=world.import_checked_id,
            import_applied_id=world.import_applied_id,
            round_id=world.supervision_round_id,
            sample_id=world.supervision_sample_id,
            delivery_item_id=world.delivery_item_id,
            resident_id=world.resident_id,
            draft_resident_id=world.draft_plan_resident_id,
            approval_resident_id=world.approval_plan_resident_id,
            year=datetime.now(UTC).year,
        )


PAGES = [
    PageSpec("anonymous-welcome", "anonymous", "/", "home.index"),
    PageSpec("anonymous-sign-in", "anonymous", "/sign-in", "auth.sign_in"),
    PageSpec(
        "anonymous-sign-in-errors", "anonymous", "/sign-in", "auth.sign_in", submit_empty=True
    ),
    PageSpec(
        "anonymous-sign-in-password", "anonymous", "/sign-in/password", "auth.sign_in_password"
    ),
    PageSpec(
        "anonymous-sign-in-password-errors",
        "anonymous",
        "/sign-in/password",
        "auth.sign_in_password",
        submit_empty=True,
    ),
    PageSpec(
        "anonymous-sign-in-code",
        "anonymous",
        "/sign-in/code",
        "auth.enter_code",
        prepare=lambda page, world: ask_for_code(page, world.resident_phone),
    ),
    PageSpec(
        "anonymous-sign-in-code-errors",
        "anonymous",
        "/sign-in/code",
        "auth.enter_code",
        submit_empty=True,
        form_selector="main #code-form",
        prepare=lambda page, world: ask_for_code(page, world.resident_phone),
    ),
    PageSpec("anonymous-not-found", "anonymous", "/no-such-page", None, status=404),
    PageSpec("resident-home", "resident", "/", "home.index"),
    PageSpec("resident-new-case", "resident", "/cases/new", "cases.new"),
    PageSpec("resident-new-case-errors", "resident", "/cases/new", "cases.new", submit_empty=True),
    PageSpec("resident-case", "resident", "/cases/{case_id}", "cases.show"),
    PageSpec("resident-cases", "resident", "/cases", "cases.index"),
    PageSpec(
        "resident-case-reply-errors",
        "resident",
        "/cases/{case_id}",
        "cases.show",
        submit_empty=True,
        form_selector="main #reply-form",
    ),
    PageSpec("resident-case-resolved", "resident", "/cases/{resolved_case_id}", "cases.show"),
    PageSpec(
        "resident-case-rating-errors",
        "resident",
        "/cases/{resolved_case_id}",
        "cases.show",
        submit_empty=True,
        form_selector="main #rating-form",
    ),
    PageSpec("resident-admin-hidden", "resident", "/admin/", None, status=404),
    PageSpec("resident-acting-for-me", "resident", "/acting-for-me", "acting.guardians"),
    PageSpec("guardian-acting-for", "guardian", "/acting-for", "acting.choose"),
    PageSpec("resident-needs", "resident", "/needs", "needs.index"),
    PageSpec("resident-needs-catalogue", "resident", "/needs/catalogue", "needs.catalogue"),
    PageSpec(
        "resident-needs-search", "resident", "/needs/catalogue?q=wheelchair", "needs.catalogue"
    ),
    PageSpec("resident-need-new", "resident", "/needs/new", "needs.new"),
    PageSpec("resident-need-new-errors", "resident", "/needs/new", "needs.new", submit_empty=True),
    PageSpec("resident-need", "resident", "/needs/{need_case_id}", "needs.show"),
    PageSpec("resident-services", "resident", "/services", "directory.index"),
    PageSpec("anonymous-services", "anonymous", "/services", "directory.index"),
    PageSpec("resident-settings", "resident", "/settings", "settings.edit"),
    PageSpec(
        "resident-settings-errors",
        "resident",
        "/settings",
        "settings.edit",
        submit_empty=True,
        clear_form=True,
        form_selector="main form:first-of-type",
    ),
    PageSpec("resident-phone-pin", "resident", "/settings/phone-pin", "settings.phone_pin"),
    PageSpec(
        "resident-phone-pin-errors",
        "resident",
        "/settings/phone-pin",
        "settings.phone_pin",
        submit_empty=True,
    ),
    PageSpec("resident-password", "resident", "/settings/password", "settings.password"),
    PageSpec(
        "resident-password-errors",
        "resident",
        "/settings/password",
        "settings.password",
        submit_empty=True,
    ),
    PageSpec("staff-password", "staff", "/settings/password", "settings.password"),
    PageSpec("resident-plan", "resident", "/plan", "plan.show"),
    PageSpec("resident-plan-errors", "resident", "/plan", "plan.show", submit_empty=True),
    PageSpec(
        "resident-plan-item-correction",
        "resident",
        "/plan/items/{plan_item_id}/correction",
        "plan.correct_item",
    ),
    PageSpec(
        "resident-plan-item-correction-errors",
        "resident",
        "/plan/items/{plan_item_id}/correction",
        "plan.correct_item",
        submit_empty=True,
    ),
    PageSpec("resident-record", "resident", "/record", "record.show"),
    PageSpec("resident-record-correction", "resident", "/record/correction", "record.correct"),
    PageSpec(
        "resident-record-correction-errors",
        "resident",
        "/record/correction",
        "record.correct",
        submit_empty=True,
    ),
    PageSpec(
        "resident-delivery-rating",
        "resident",
        "/plan/deliveries/{delivery_id}/rating",
        "ratings.rate_delivery",
    ),
    PageSpec(
        "resident-delivery-rating-errors",
        "resident",
        "/plan/deliveries/{delivery_id}/rating",
        "ratings.rate_delivery",
        submit_empty=True,
    ),
    PageSpec("resident-plan-rating", "resident", "/plan/rating", "ratings.rate_plan"),
    PageSpec(
        "resident-plan-rating-errors",
        "resident",
        "/plan/rating",
        "ratings.rate_plan",
        submit_empty=True,
    ),
    PageSpec("staff-queue", "staff", "/admin/", "admin.queue"),
    PageSpec("staff-case", "staff", "/admin/cases/{case_id}", "admin.case"),
    PageSpec(
        "staff-case-reply-errors",
        "staff",
        "/admin/cases/{case_id}",
        "admin.case",
        submit_empty=True,
        form_selector="#public-reply-form",
    ),
    PageSpec("staff-outbox", "staff", "/admin/outbox", "admin.outbox"),
    PageSpec("staff-call-backs", "staff", "/admin/call-backs", "admin.call_backs"),
    PageSpec("staff-messages", "staff", "/admin/messages", "admin.message_preview"),
    PageSpec("staff-dashboard", "staff", "/admin/dashboard", "admin.dashboard"),
    PageSpec("admin-dashboard", "admin", "/admin/dashboard?metric=overdue", "admin.dashboard"),
    PageSpec("staff-forbidden", "staff", "/plan", None, status=403),
    PageSpec("admin-calendar", "admin", "/admin/calendar?year=2026", "admin.calendar"),
    PageSpec("admin-calendar-not-loaded", "admin", "/admin/calendar?year=2029", "admin.calendar"),
    PageSpec(
        "admin-calendar-errors",
        "admin",
        "/admin/calendar?year=2026",
        "admin.calendar",
        submit_empty=True,
        form_selector="main #day-form",
    ),
    PageSpec("admin-sla-policies", "admin", "/admin/sla-policies", "admin.sla_policies"),
    PageSpec(
        "admin-sla-policy", "admin", "/admin/sla-policies/{sla_policy_id}", "admin.sla_policy"
    ),
    PageSpec(
        "admin-sla-policy-errors",
        "admin",
        "/admin/sla-policies/{sla_policy_id}",
        "admin.sla_policy",
        submit_empty=True,
        clear_form=True,
    ),
    PageSpec(
        "admin-api-keys",
        "admin",
        "/admin/api-keys",
        "admin.api_key_list",
        prepare=lambda page, world: create_api_key(page),
    ),
    PageSpec("admin-api-key-new", "admin", "/admin/api-keys/new", "admin.api_key_new"),
    PageSpec(
        "admin-api-key-new-errors",
        "admin",
        "/admin/api-keys/new",
        "admin.api_key_new",
        submit_empty=True,
    ),
    # Opened directly: the state after the key has been shown once.
    PageSpec("admin-api-key-gone", "admin", "/admin/api-keys/created", "admin.api_key_created"),
    PageSpec("admin-staff", "admin", "/admin/staff", "admin.staff"),
    PageSpec("admin-staff-filtered", "admin", "/admin/staff?role=supervisor", "admin.staff"),
    PageSpec("admin-staff-new", "admin", "/admin/staff/new", "admin.staff_new"),
    PageSpec(
        "admin-staff-new-errors", "admin", "/admin/staff/new", "admin.staff_new", submit_empty=True
    ),
    PageSpec("admin-staff-account", "admin", "/admin/staff/{staff_id}", "admin.staff_account"),
    PageSpec("admin-audit-log", "admin", "/admin/audit", "admin.audit_log"),
    PageSpec(
        "admin-audit-log-errors",
        "admin",
        "/admin/audit?actor=abc&date_from=2026-11-30&date_to=2026-11-01",
        "admin.audit_log",
    ),
    PageSpec("staff-residents", "staff", "/admin/residents", "admin.residents"),
    PageSpec(
        "staff-residents-filtered",
        "staff",
        "/admin/residents?q=nobody&survey=not_done",
        "admin.residents",
    ),
    PageSpec("staff-resident", "staff", "/admin/residents/{resident_id}", "admin.resident"),
    PageSpec(
        "staff-survey", "staff", "/admin/residents/{resident_id}/survey/{year}", "admin.survey"
    ),
    PageSpec(
        "staff-survey-errors",
        "staff",
        "/admin/residents/{resident_id}/survey/{year}",
        "admin.survey",
        submit_empty=True,
        clear_form=True,
        form_selector="main #survey-form",
    ),
    PageSpec(
        "staff-survey-confirm-errors",
        "staff",
        "/admin/residents/{resident_id}/survey/{year}",
        "admin.survey",
        submit_empty=True,
        form_selector="main #confirm-form",
    ),
    PageSpec(
        "resident-record-confirmed",
        "resident",
        "/record",
        "record.show",
        prepare=lambda page, world: confirm_record(page),
    ),
    PageSpec(
        "staff-delivery-new",
        "staff",
        "/admin/plan-items/{delivery_item_id}/deliveries/new",
        "admin.new_delivery",
    ),
    PageSpec(
        "staff-delivery-new-errors",
        "staff",
        "/admin/plan-items/{delivery_item_id}/deliveries/new",
        "admin.new_delivery",
        submit_empty=True,
        form_selector="main #delivery-form",
    ),
    PageSpec("admin-institutions", "admin", "/admin/institutions", "admin.institutions"),
    PageSpec(
        "staff-service-card", "staff", "/admin/residents/{resident_id}/card", "admin.service_card"
    ),
    PageSpec(
        "staff-service-card-large",
        "staff",
        "/admin/residents/{resident_id}/card?size=large",
        "admin.service_card",
    ),
    PageSpec("resident-service-card", "resident", "/plan/card", "service_card.show"),
    PageSpec("admin-supervision", "admin", "/admin/supervision", "admin.supervision"),
    PageSpec(
        "admin-supervision-errors",
        "admin",
        "/admin/supervision",
        "admin.supervision",
        submit_empty=True,
    ),
    PageSpec(
        "admin-supervision-round",
        "admin",
        "/admin/supervision/rounds/{round_id}",
        "admin.supervision_round",
    ),
    PageSpec(
        "admin-supervision-sample",
        "admin",
        "/admin/supervision/rounds/{round_id}/samples/{sample_id}",
        "admin.supervision_sample",
    ),
    PageSpec(
        "admin-supervision-sample-errors",
        "admin",
        "/admin/supervision/rounds/{round_id}/samples/{sample_id}",
        "admin.supervision_sample",
        submit_empty=True,
        clear_form=True,
    ),
    PageSpec(
        "admin-supervision-precision",
        "admin",
        "/admin/supervision/precision",
        "admin.supervision_precision",
    ),
    PageSpec("admin-coverage", "admin", "/admin/coverage", "admin.coverage"),
    PageSpec(
        "admin-coverage-report",
        "admin",
        "/admin/coverage/report?quarter=2026Q4",
        "admin.coverage_report",
    ),
    # Reached after a right password, before the second step: the sign-in is pending.
    PageSpec(
        "anonymous-two-factor-set-up",
        "anonymous",
        "/sign-in/two-factor/set-up",
        "auth.two_factor_set_up",
        prepare=lambda page, world: start_sign_in(page, world.admin_phone),
    ),
    PageSpec(
        "anonymous-two-factor-set-up-errors",
        "anonymous",
        "/sign-in/two-factor/set-up",
        "auth.two_factor_set_up",
        submit_empty=True,
        prepare=lambda page, world: start_sign_in(page, world.admin_phone),
    ),
    PageSpec(
        "anonymous-two-factor",
        "anonymous",
        "/sign-in/two-factor",
        "auth.two_factor",
        prepare=lambda page, world: start_sign_in(page, world.second_factor_phone),
    ),
    PageSpec(
        "anonymous-two-factor-errors",
        "anonymous",
        "/sign-in/two-factor",
        "auth.two_factor",
        submit_empty=True,
        prepare=lambda page, world: start_sign_in(page, world.second_factor_phone),
    ),
    # The plan (一人一策) for staff: awaiting the resident's agreement, the editor after taking
    # it back to draft (and its errors), and the township's approval step (and its errors).
    PageSpec("staff-plan", "staff", "/admin/residents/{resident_id}/plan", "admin.resident_plan"),
    PageSpec(
        "staff-plan-editor",
        "staff",
        "/admin/residents/{draft_resident_id}/plan",
        "admin.resident_plan",
    ),
    PageSpec(
        "staff-plan-editor-errors",
        "staff",
        "/admin/residents/{draft_resident_id}/plan",
        "admin.resident_plan",
        submit_empty=True,
        form_selector="#extra-item-form",
    ),
    PageSpec(
        "admin-plan-approval",
        "admin",
        "/admin/residents/{approval_resident_id}/plan",
        "admin.resident_plan",
    ),
    PageSpec(
        "admin-plan-approval-errors",
        "admin",
        "/admin/residents/{approval_resident_id}/plan",
        "admin.resident_plan",
        submit_empty=True,
        form_selector="#return-form",
    ),
    PageSpec("admin-imports", "admin", "/admin/imports", "admin.imports"),
    PageSpec(
        "admin-imports-errors",
        "admin",
        "/admin/imports",
        "admin.imports",
        submit_empty=True,
        form_selector="main form[enctype]",
    ),
    PageSpec(
        "admin-import-rejected", "admin", "/admin/imports/{import_rejected_id}", "admin.import_run"
    ),
    PageSpec(
        "admin-import-checked", "admin", "/admin/imports/{import_checked_id}", "admin.import_run"
    ),
    PageSpec(
        "admin-import-applied", "admin", "/admin/imports/{import_applied_id}", "admin.import_run"
    ),
]
PAGE_IDS = [p.name for p in PAGES]
ERROR_STATE_PAGES = [p for p in PAGES if p.submit_empty]
ROLES = ("anonymous", "resident", "guardian", "staff", "admin")
#: GET routes that are not pages: static files, the favicon and the load balancers' health check.
NOT_PAGES = {"static", "favicon", "health.healthz", "health.healthz_messages"}
#: Downloads, not pages: the dashboard's exports.
NOT_PAGES |= {"admin.dashboard_csv", "admin.dashboard_xlsx"}
#: Downloads, not pages: the survey import's templates and exports.
NOT_PAGES |= {
    "admin.import_template_csv",
    "admin.import_template_xlsx",
    "admin.import_export_csv",
    "admin.import_export_xlsx",
}
NOT_PAGES |= {"admin.coverage_csv", "admin.coverage_xlsx"}
#: JSON for hotline systems (Open311 GeoReport v2), not pages.
NOT_PAGES |= {
    "open311.services",
    "open311.service_definition",
    "open311.requests_list",
    "open311.request_detail",
    "open311.token",
}


def supervision_round(
    resident: Resident, township: Area, admin: User, plan_item_id: int
) -> tuple[int, int]:
    """This month's supervision round in the township with the resident sampled and checked:
    one item imprecise and falsification found (the veto on the round and precision pages).
    Also the coverage targets, which the reference data seeds."""
    seed_coverage_targets(db.session)
    now = datetime.now(UTC)
    round_ = SupervisionRound(
        area_id=township.id, month=now.date().replace(day=1), seed="world", sample_size=30
    )
    db.session.add(round_)
    db.session.flush()
    sample = SupervisionSample(round_id=round_.id, resident_id=resident.id)
    db.session.add(sample)
    db.session.flush()
    check = Check(
        record_consistent=True,
        plan_consistent=False,
        archive_consistent=True,
        falsification_found=True,
        note="纸质档案缺少签字。",
        items={plan_item_id: ItemCheck("over_ticked", "未见器材")},
    )
    record_check(db.session, sample, check, actor_id=admin.id, now=now)
    return round_.id, sample.id


def start_sign_in(page: Page, phone: str) -> None:
    """The password step only: for staff with a second factor, the sign-in is then pending."""
    page.goto("/sign-in/password")
    page.fill("#phone", World.national(phone))
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/sign-in/two-factor" in page.url, f"no second step: {page.url}"


def survey_home_visit(resident: Resident, staff: User) -> None:
    """This year's two survey records for `resident`, visited by `staff`, not confirmed."""
    today = datetime.now(UTC).date()
    visit = today.replace(month=1, day=1)
    db.session.add(
        BasicStatusRecord(
            resident_id=resident.id,
            year=today.year,
            surveyed_on=visit,
            surveyed_by_id=staff.id,
            living_arrangement="with_family",
            answers={"EDU.LEVEL": "primary", "EDU.LITERACY": True},
        )
    )
    wheelchair = db.session.scalar(select(NeedItem).where(NeedItem.code == "ACC.WHEELCHAIR"))
    assert wheelchair is not None
    needs = NeedsRecord(
        resident_id=resident.id, year=today.year, surveyed_on=visit, surveyed_by_id=staff.id
    )
    needs.answers = [NeedsAnswer(need_item_id=wheelchair.id, needed=True, note="轮椅坏了")]
    db.session.add(needs)


def confirm_record(page: Page) -> None:
    """The resident says "This is right" on their record page."""
    page.goto("/record")
    button = page.locator("main #confirm-form button[type=submit]")
    if button.count():  # a page opened twice is confirmed already the second time
        with page.expect_navigation():
            button.click()


def active_plan_item(area: Area, township: Area) -> PlanItem:
    """A neighbour's active plan with one planned item (the delivery form), and an institution
    in the township (the institutions page)."""
    db.session.add(Institution(name_zh="幸福康复中心", name_en="Xingfu Rehab", area_id=township.id))
    neighbour = create_resident(area, name="刘邻居")
    return create_plan_item(create_plan(neighbour, status=PlanStatus.ACTIVE))


def create_api_key(page: Page) -> None:
    """Make an Open311 key through the form (the page after shows it once)."""
    page.goto("/admin/api-keys/new")
    page.fill("#name", "12345 热线")
    page.select_option("#area", index=1)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def open_page(page: Page, spec: PageSpec, world: World) -> None:
    """Navigate to `spec` in its state (after an empty submit when asked) and check the status."""
    if spec.prepare is not None:
        spec.prepare(page, world)
    response = page.goto(spec.url(world))
    assert response is not None and response.status == spec.status, (
        f"{spec.name}: {response.status if response else 'no response'} != {spec.status}"
    )
    if spec.submit_empty:
        if spec.clear_form:
            page.evaluate(CLEAR_FORM_JS)
        with page.expect_navigation():
            page.locator(f"{spec.form_selector} button[type=submit]").click()
        assert page.locator(".error-summary").count() == 1, f"{spec.name}: no error summary"


#: Empties the first form in main: what a person who answered nothing would send.
CLEAR_FORM_JS = """
() => {
  for (const el of document.querySelector('main form').elements) {
    if (el.type === 'radio' || el.type === 'checkbox') el.checked = false;
    else if (['text', 'time', 'tel', 'number', 'textarea'].includes(el.type)) el.value = '';
  }
}
"""


def ask_for_code(page: Page, phone: str) -> None:
    """Step 1 of signing in with a code: type the number and ask for a code."""
    page.goto("/sign-in")
    page.fill("#phone", World.national(phone))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def sign_in(page: Page, phone: str, password: str) -> None:
    """Sign in through the real password form, typing the number as a resident would."""
    page.goto("/sign-in/password")
    page.fill("#phone", World.national(phone))
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/sign-in" not in page.url, f"sign-in failed: {page.url}"


# ---------------------------------------------------------------------------------------------
# Scripts run in the page

#: Elements in the sequential focus order, in DOM order (the app uses no positive tabindex).
TABBABLES_JS = """
() => {
  const selector = 'a[href], area[href], button, input, select, textarea, summary, iframe, ' +
    '[tabindex], [contenteditable=""], [contenteditable="true"]';
  return Array.from(document.querySelectorAll(selector)).filter((el) => {
    if (el.tabIndex < 0 || el.disabled) return false;
    if (el.tagName === 'INPUT' && el.type === 'hidden') return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    return el.getClientRects().length > 0;
  });
}
"""

#: A short description of an element for failure messages.
DESCRIBE_JS = """
(el) => {
  if (!el) return 'null';
  let text = el.tagName.toLowerCase();
  if (el.id) text += '#' + el.id;
  if (el.className && typeof el.className === 'string') {
    text += '.' + el.className.trim().split(/\\s+/).join('.');
  }
  const href = el.getAttribute && el.getAttribute('href');
  if (href) text += '[href="' + href + '"]';
  const name = (el.innerText || el.value || '').trim().slice(0, 30);
  return name ? text + ' "' + name + '"' : text;
}
"""


def describe(page: Page, handle_or_selector: Any) -> str:
    return str(page.evaluate(DESCRIBE_JS, handle_or_selector))


HAS_CJK = re.compile(r"[\u3400-\u9fff]")


def import_runs(area_id: int, user_id: int) -> dict[str, int]:
    """Survey imports in the world's village: rejected (with errors), checked and applied."""
    errors: list[dict[str, Any]] = [
        {"row": 0, "field": "", "code": "unknown_columns", "columns": "remarks"},
        {"row": 3, "field": "id_number", "code": "id_checksum"},
        {"row": 4, "field": "area_code", "code": "area_out_of_scope"},
        {"row": 5, "field": "id_number", "code": "duplicate", "first_row": 2},
        {"row": 6, "field": "visit_date", "code": "date_year", "year": 2026},
    ]
    now = datetime.now(UTC)
    runs = {
        "rejected": ImportRun(status="rejected", rows_total=5, errors=errors),
        "checked": ImportRun(status="checked", rows_total=120, errors=[]),
        "applied": ImportRun(
            status="applied", rows_total=120, rows_done=120, rows_changed=7, finished_at=now
        ),
    }
    for name, run in runs.items():
        run.user_id, run.area_id, run.year = user_id, area_id, now.year
        run.filename, run.sha256 = f"{name}-survey.csv", "0" * 64
        db.session.add(run)
    db.session.flush()
    return {name: run.id for name, run in runs.items()}
