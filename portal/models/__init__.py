"""All models, imported here so Alembic and the app see the whole metadata."""

from portal.models.api_key import ApiKey
from portal.models.area import Area, AreaLevel
from portal.models.audit import AuditEvent
from portal.models.base import Base
from portal.models.case import (
    OPEN_STATUSES,
    RUNNING_STATUSES,
    Case,
    CaseChannel,
    CaseEvent,
    CaseStatus,
    CaseType,
    EventKind,
    SlaMark,
)
from portal.models.catalogue import NeedItem
from portal.models.coverage import CoverageTarget
from portal.models.draft import FormDraft
from portal.models.imports import ImportRun
from portal.models.institution import Institution
from portal.models.notification import (
    CallBack,
    InboundMessage,
    MessageChannel,
    Notification,
    NotificationStatus,
    ProviderReceipt,
)
from portal.models.plan import Delivery, ItemStatus, Plan, PlanItem, PlanPart, PlanStatus
from portal.models.rating import SATISFIED_LEVELS, GivenAs, Rating, Satisfaction
from portal.models.reference_version import ReferenceVersion
from portal.models.resident import (
    Channel,
    DisabilityCategory,
    GuardianKind,
    GuardianScope,
    Guardianship,
    Relationship,
    Resident,
)
from portal.models.sign_in import SignInCode
from portal.models.sla import CalendarDay, CalendarYear, SlaPolicy
from portal.models.submission import FormSubmission
from portal.models.summary import (
    CaseSummary,
    CoverageSummary,
    ReplyTimeSummary,
    ReplyTimeTotalSummary,
    ServiceSummary,
    SummaryMark,
    SummaryState,
    SupervisionInstitutionSummary,
    SupervisionSummary,
)
from portal.models.supervision import SupervisionItem, SupervisionRound, SupervisionSample
from portal.models.survey import BasicStatusRecord, NeedsAnswer, NeedsRecord
from portal.models.user import STAFF_ROLES, Role, User

__all__ = [
    "OPEN_STATUSES",
    "RUNNING_STATUSES",
    "SATISFIED_LEVELS",
    "STAFF_ROLES",
    "ApiKey",
    "Area",
    "AreaLevel",
    "AuditEvent",
    "Base",
    "BasicStatusRecord",
    "CalendarDay",
    "CalendarYear",
    "CallBack",
    "Case",
    "CaseSummary",
    "CaseChannel",
    "CaseEvent",
    "CaseStatus",
    "CaseType",
    "Channel",
    "CoverageSummary",
    "CoverageTarget",
    "Delivery",
    "DisabilityCategory",
    "EventKind",
    "FormDraft",
    "FormSubmission",
    "GivenAs",
    "GuardianKind",
    "GuardianScope",
    "Guardianship",
    "ImportRun",
    "InboundMessage",
    "Institution",
    "ItemStatus",
    "MessageChannel",
    "NeedItem",
    "NeedsAnswer",
    "NeedsRecord",
    "Notification",
    "NotificationStatus",
    "Plan",
    "PlanItem",
    "PlanPart",
    "PlanStatus",
    "ProviderReceipt",
    "Rating",
    "ReferenceVersion",
    "Relationship",
    "ReplyTimeSummary",
    "ReplyTimeTotalSummary",
    "Resident",
    "Role",
    "Satisfaction",
    "ServiceSummary",
    "SignInCode",
    "SlaMark",
    "SlaPolicy",
    "SummaryMark",
    "SummaryState",
    "SupervisionInstitutionSummary",
    "SupervisionItem",
    "SupervisionRound",
    "SupervisionSample",
    "SupervisionSummary",
    "User",
]
