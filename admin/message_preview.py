"""Every message Wenxu sends, as each language and channel renders it, with its SMS length."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from admin import bp
from portal.auth import staff_required
from portal.services.outbound.messages import SAMPLE_PARAMS, TEMPLATES, VOICE_TEMPLATES, render
from portal.services.outbound.sms_segments import Segments, count

LANGUAGES = {"zh_CN": _l("Chinese"), "en": _l("English")}
TEMPLATE_NAMES = {
    "case_ack": _l("Case received"),
    "sign_in_code": _l("Sign-in code"),
    "staff_reply": _l("Staff reply"),
    "case_paused": _l("Paused, waiting for the resident"),
    "case_resumed": _l("Work started again"),
    "case_extended": _l("Deadline extended"),
    "case_urgent": _l("Marked urgent, with the new date"),
    "case_resolved": _l("Resolved, with a rating request"),
    "case_merged": _l("Joined with another request"),
    "plan_awaiting_agreement": _l("Plan awaiting agreement"),
    "delivery_rating_request": _l("Service delivered, with a rating request"),
    "delivery_not_possible": _l("A service in the plan could not be delivered"),
    "staff_sla_warning": _l("To staff: deadline warning"),
    "staff_follow_up": _l("To staff: follow-up after a dissatisfied rating"),
    "staff_escalated": _l("To staff: escalation"),
    "guardian_copy": _l("To a guardian: a message that did not reach the resident"),
}


@dataclass(frozen=True)
class Rendering:
    language: str
    sms: str
    segments: Segments
    voice: str | None  # only where the call says something other than the text


@bp.get("/messages")
@staff_required
def message_preview() -> ResponseReturnValue:
    previews = {
        name: [
            Rendering(
                language=language,
                sms=(sms := render(name, SAMPLE_PARAMS[name], language, "sms")),
                segments=count(sms),
                voice=render(name, SAMPLE_PARAMS[name], language, "voice")
                if name in VOICE_TEMPLATES
                else None,
            )
            for language in LANGUAGES
        ]
        for name in TEMPLATES
    }
    return render_template(
        "admin/message_preview.html",
        title=_("Messages"),
        previews=previews,
        names=TEMPLATE_NAMES,
        languages=LANGUAGES,
    )
