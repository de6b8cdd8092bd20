"""The text of every message Wenxu sends, rendered in the recipient's language.

Jobs have no request, so rendering happens inside `force_locale(language)`.
"""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from portal.services.reference.labels import case_type_noun

TEMPLATES = {
    "case_ack": _l(
        "Wenxu: we have received your %(case_type)s, reference %(reference)s. "
        "We will reply by %(due)s. Hotline 12385."
    ),
    "sign_in_code": _l(
        "Wenxu sign-in code: %(code)s. It works for 5 minutes. "
        "Never tell it to anyone, not even staff."
    ),
    "staff_reply": _l(
        "Wenxu: staff replied about %(reference)s: %(text)s Sign in or call 12385 to answer."
    ),
    "case_paused": _l(
        "Wenxu: %(reference)s is waiting for you: %(text)s The deadline stops until you answer."
    ),
    "case_resumed": _l("Wenxu: work on %(reference)s has started again. We will reply by %(due)s."),
    "case_extended": _l(
        "Wenxu: the answer to %(reference)s will take longer: %(text)s New date: %(due)s."
    ),
    "case_urgent": _l("Wenxu: %(reference)s is now urgent. We will answer by %(due)s."),
    "case_resolved": _l(
        "Wenxu: %(reference)s is resolved: %(text)s How satisfied are you? "
        "Reply 1 satisfied, 2 basically satisfied, 3 dissatisfied."
    ),
    "case_merged": _l(
        "Wenxu: %(reference)s was the same matter as %(other)s, so we will answer it there."
    ),
    "plan_awaiting_agreement": _l(
        "Wenxu: your service plan for %(year)s is ready. Please read it by signing in or ask "
        "your worker to read it to you. Reply AGREE (同意) to agree to it."
    ),
    "delivery_rating_request": _l(
        "Wenxu: %(service)s was delivered on %(date)s. How satisfied are you? "
        "Reply 1 satisfied, 2 basically satisfied, 3 dissatisfied."
    ),
    "delivery_not_possible": _l(
        "Wenxu: %(service)s in your plan could not be delivered: %(reason)s "
        "Sign in or call 12385 to ask about it."
    ),
    "staff_sla_warning": _l(
        "Wenxu: case %(reference)s needs an answer by %(due)s (two thirds of the time used)."
    ),
    "staff_follow_up": _l(
        "Wenxu: case %(reference)s was reopened. Please call or visit the resident "
        "before answering again."
    ),
    "staff_escalated": _l(
        "Wenxu: case %(reference)s has been escalated to you (level %(level)s). Please act on it."
    ),
    "guardian_copy": _l(
        "Wenxu: we could not reach %(name)s, for whom you act. Please pass this on: %(text)s"
    ),
}
#: What a voice call says instead, where reading the text as written would not do.
VOICE_TEMPLATES = {
    "sign_in_code": _l(
        "This is Wenxu. Your sign-in code is: %(code)s. Once more: %(code)s. "
        "Never tell it to anyone."
    ),
    # The call's own menu asks for the rating or the agreement on the keypad (voice_out.py).
    "plan_awaiting_agreement": _l(
        "This is Wenxu. Your service plan for %(year)s is ready. Your worker can read it to you "
        "at home."
    ),
    "case_resolved": _l("This is Wenxu. Your request %(reference)s is resolved: %(text)s"),
    "delivery_rating_request": _l("This is Wenxu. %(service)s was delivered to you on %(date)s."),
}
#: Example parameters for the staff preview of every message (admin/message_preview.py).
SAMPLE_PARAMS: dict[str, dict[str, Any]] = {
    "case_ack": {"case_type": "complaint", "reference": "261100042", "due": "2026-12-15 17:30"},
    "sign_in_code": {"code": "482915"},
    "staff_reply": {"reference": "261100042", "text": "工作人员明天上午上门查看。"},
    "case_paused": {"reference": "261100042", "text": "请补充残疾人证照片。"},
    "case_resumed": {"reference": "261100042", "due": "2026-12-17 17:30"},
    "case_extended": {
        "reference": "261100042",
        "text": "需要县里批复。",
        "due": "2026-12-29 17:30",
    },
    "case_urgent": {"reference": "261100042", "due": "2026-12-08 17:30"},
    "case_resolved": {"reference": "261100042", "text": "盲道上的车辆已清走。"},
    "case_merged": {"reference": "261100043", "other": "261100042"},
    "plan_awaiting_agreement": {"year": "2026"},
    "delivery_rating_request": {"service": "轮椅适配", "date": "2026-11-20"},
    "delivery_not_possible": {"service": "轮椅适配", "reason": "今年的轮椅已发完，明年一月补发。"},
    "staff_sla_warning": {"reference": "261100042", "due": "2026-11-25 17:30"},
    "staff_follow_up": {"reference": "261100042"},
    "staff_escalated": {"reference": "261100042", "level": 1},
    "guardian_copy": {"name": "张秀英", "text": "问需：您反映的261100042已有工作人员答复。"},
}
#: Parameters that must not outlive the send: stored and shown only as dots.
SECRET_PARAMS = {"sign_in_code": ("code",)}
#: Messages the person is waiting for right now: quiet hours do not hold them.
IMMEDIATE = frozenset({"sign_in_code"})
REDACTED = "••••••"


def render(template: str, params: dict[str, Any], language: str, channel: str = "sms") -> str:
    """The message `template` with `params`, in `language`, worded for `channel`."""
    with force_locale(language):
        values = dict(params)
        if "case_type" in values:
            values["case_type"] = str(case_type_noun(values["case_type"]))
        text = TEMPLATES[template]
        if channel == "voice":
            text = VOICE_TEMPLATES.get(template, text)
            if "code" in values and values["code"] != REDACTED:
                # Read digit by digit, slowly: "1, 2, 3, 4, 5, 6".
                values["code"] = ", ".join(str(values["code"]))
        return str(text) % values


def redacted(template: str, params: dict[str, Any]) -> dict[str, Any]:
    """`params` with every secret replaced by dots."""
    secret = SECRET_PARAMS.get(template, ())
    return {key: REDACTED if key in secret else value for key, value in params.items()}
