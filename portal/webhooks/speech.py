"""Speaking to a caller: slow speech in their language, long numbers read digit by digit.

Both call flows (a message we call out with, the status line residents call) build their TwiML
from these pieces, so every call sounds the same: the configured voice for the language, read
at 85% speed, references and codes one digit at a time ("2611 00042" → "2 6 1 1 0 0 0 4 2")
because a listener cannot look back at a number read as "two hundred and sixty-one million".
"""

from __future__ import annotations

import re

from flask import Response, current_app
from twilio.twiml.voice_response import Gather, Say, VoiceResponse

#: Twilio's language code for each of our languages.
SPEECH_LANGUAGES = {"zh_CN": "cmn-CN", "en": "en-GB"}
VOICE_SETTINGS = {"zh_CN": "TWILIO_VOICE_ZH", "en": "TWILIO_VOICE_EN"}
SLOW = "85%"
#: A run of digits (spaces allowed between groups) that is not part of a date or a time.
_NUMBER = re.compile(r"(?<![\d\-:/.])\d+(?: \d+)*(?![\d\-/]|[:.]\d)")
#: Shorter runs (a year, a day, a count) read better as numbers.
_DIGIT_BY_DIGIT_FROM = 5


def spoken(text: str) -> str:
    """`text` with every reference, code or phone number spaced out digit by digit."""

    def one_by_one(match: re.Match[str]) -> str:
        digits = match.group().replace(" ", "")
        return " ".join(digits) if len(digits) >= _DIGIT_BY_DIGIT_FROM else match.group()

    return _NUMBER.sub(one_by_one, text)


def say(parent: VoiceResponse | Gather, text: str, language: str) -> Say:
    """Add `text`, read slowly in `language` with its configured voice, to `parent`."""
    key = language if language in SPEECH_LANGUAGES else "zh_CN"
    voice = current_app.config[VOICE_SETTINGS[key]]
    speech = parent.say(language=SPEECH_LANGUAGES[key], voice=voice)
    speech.prosody(spoken(text), rate=SLOW)
    return speech


def twiml(response: VoiceResponse) -> Response:
    """The TwiML document as Twilio expects it."""
    return Response(str(response), mimetype="text/xml")
