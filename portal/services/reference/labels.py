"""Translated display names for the enums users see."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


def current_locale() -> str:
    """The request's locale as one of our catalogue names ("zh_CN" or "en")."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh_CN"


#: Case types on their own: options, table cells, headings.
CASE_TYPES: dict[str, LazyString] = {
    "need": _l("Need"),
    "urgent": _l("Urgent request"),
    "consultation": _l("Question"),
    "help": _l("Request for help"),
    "suggestion": _l("Suggestion"),
    "complaint": _l("Complaint"),
    "report": _l("Report of misconduct"),
    "petition": _l("Formal petition"),
    "correction": _l("Correction of your record"),
    "follow_up": _l("Follow-up"),
}

#: Case types inside a sentence ("we have received your complaint").
CASE_TYPE_NOUNS: dict[str, LazyString] = {
    "need": _l("need"),
    "urgent": _l("urgent request"),
    "consultation": _l("question"),
    "help": _l("request for help"),
    "suggestion": _l("suggestion"),
    "complaint": _l("complaint"),
    "report": _l("report of misconduct"),
    "petition": _l("formal petition"),
    "correction": _l("correction of your record"),
    "follow_up": _l("follow-up"),
}

CASE_STATUSES: dict[str, LazyString] = {
    "new": _l("Received"),
    "in_progress": _l("Being handled"),
    "waiting": _l("Waiting for you"),
    "resolved": _l("Resolved"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn"),
}

NOTIFICATION_STATUSES: dict[str, LazyString] = {
    "created": _l("Queued"),
    "sending": _l("Sending"),
    "sent": _l("Sent"),
    "delivered": _l("Delivered"),
    "failed": _l("Failed"),
    "skipped": _l("Not sent"),
}

CHANNELS: dict[str, LazyString] = {
    "sms": _l("Text message"),
    "voice": _l("Voice call"),
    "both": _l("Voice call and text message"),
    "none": _l("No messages"),
}

CATEGORIES: dict[int, LazyString] = {
    1: _l("Visual"),
    2: _l("Hearing"),
    3: _l("Speech"),
    4: _l("Physical"),
    5: _l("Intellectual"),
    6: _l("Psychosocial"),
    7: _l("Multiple"),
}


def case_type_noun(value: str) -> LazyString:
    return CASE_TYPE_NOUNS[value]


EVENT_KINDS: dict[str, LazyString] = {
    "created": _l("Received"),
    "public_reply": _l("Reply from staff"),
    "resident_reply": _l("Your reply"),
    "internal_note": _l("Internal note"),
    "assigned": _l("Assigned to a worker"),
    "status_changed": _l("Status changed"),
    "paused": _l("Waiting for you"),
    "resumed": _l("Work resumed"),
    "escalated": _l("Passed to a higher level"),
    "sla_warning": _l("Deadline approaching"),
    "rated": _l("Rated"),
    "reopened": _l("Reopened"),
    "withdrawn": _l("Withdrawn"),
    "extended": _l("Deadline extended"),
    "marked_urgent": _l("Marked urgent"),
    "merged": _l("Joined with another request"),
}

SKIP_REASONS: dict[str, LazyString] = {
    "opted_out": _l("the resident chose no messages"),
    "no_phone": _l("no phone number on record"),
    "opted_out_at_provider": _l("the person replied STOP to an earlier text"),
}

GUARDIAN_KINDS: dict[str, LazyString] = {
    "guardian": _l("Guardian or family member"),
    "agent": _l("Agent (steward service)"),
}

RELATIONSHIPS: dict[str, LazyString] = {
    "parent": _l("Parent"),
    "spouse": _l("Husband or wife"),
    "child": _l("Son or daughter"),
    "sibling": _l("Brother or sister"),
    "other_relative": _l("Other relative"),
    "appointed": _l("Appointed by the village or township"),
}

GUARDIAN_SCOPES: dict[str, LazyString] = {
    "full": _l("Everything you can do here"),
    "view": _l("Only look at your information"),
    "cases": _l("Look at your information, and raise and follow requests"),
}

# --- Plans, records and ratings (issue 3: my plan, my record, ratings) ---

SATISFACTION: dict[str, LazyString] = {
    "satisfied": _l("Satisfied"),
    "basic": _l("Basically satisfied"),
    "dissatisfied": _l("Dissatisfied"),
}

PLAN_STATUSES: dict[str, LazyString] = {
    "draft": _l("Being written"),
    "awaiting_agreement": _l("Waiting for you to agree"),
    "awaiting_approval": _l("Agreed, waiting for the township to approve"),
    "active": _l("In force"),
    "closed": _l("Finished"),
}

ITEM_STATUSES: dict[str, LazyString] = {
    "planned": _l("Planned"),
    "delivered": _l("Carried out"),
    "not_delivered": _l("Could not be delivered"),
    "referred": _l("Passed to another service"),
    "declined": _l("Not planned this year"),
}

RECORD_PARTS: dict[str, LazyString] = {
    "personal": _l("My personal details"),
    "disability": _l("My disability category or level"),
    "visit": _l("This year's home visit"),
    "other": _l("Something else"),
}

#: Coded answers on the yearly basic-status form, in plain words.
SURVEY_VALUES: dict[str, LazyString] = {
    "with_family": _l("Lives with family"),
    "with_spouse": _l("Lives with husband or wife"),
    "alone": _l("Lives alone"),
    "institution": _l("Lives in a care home"),
    "none": _l("No schooling"),
    "primary": _l("Primary school"),
    "junior_secondary": _l("Junior secondary school"),
    "senior_secondary": _l("Senior secondary school"),
    "college": _l("College or university"),
    "own_safe": _l("Own home, safe"),
    "own_unsafe": _l("Own home, not safe"),
    "rented": _l("Rented home"),
}

PLAN_PARTS: dict[str, LazyString] = {
    "assistance": _l("Help and support (assistance plan)"),
    "development": _l("Work and training (development plan)"),
}

# --- Staff accounts (issue 4: staff accounts and the audit log) ---

ACCOUNT_ROLES: dict[str, LazyString] = {
    "resident": _l("Resident"),
    "guardian": _l("Guardian or agent"),
    "village_worker": _l("Village worker"),
    "township_officer": _l("Township officer"),
    "county_staff": _l("County staff"),
    "supervisor": _l("Supervisor"),
    "institution": _l("Service institution"),
    "admin": _l("Administrator"),
}
