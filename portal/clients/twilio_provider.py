"""The Twilio provider: SMS from a number or a Messaging Service, voice calls with TwiML.

It speaks to Twilio through the official `twilio` SDK. `TWILIO_API_BASE_URL` replaces
`https://api.twilio.com` in every request, so a proxy, or the fake Twilio server the tests start
on 127.0.0.1, can stand in for Twilio while the SDK and this code run unchanged.

Failures are classified for the deliver job (Twilio's error codes and HTTP statuses):
- 21610 (the recipient replied STOP): `OptedOut`, never retried;
- 429 and 5xx, and a connection that never reached Twilio: retryable;
- a read timeout: ambiguous (the message may have gone): `AmbiguousSend`, reconciled against
  Twilio's message list before any resend;
- any other 4xx: permanent.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from portal.clients.messaging import MessagingClient, ProviderError

TWILIO_API = "https://api.twilio.com"
OPTED_OUT_CODE = 21610
#: An SMS not delivered within this many seconds is dropped by Twilio: old news is no news.
SMS_VALIDITY_SECONDS = 4 * 60 * 60
#: Twilio's voices by our language (Polly voices read Mandarin and English well, slowly).
VOICES = {"zh_CN": ("cmn-CN", "Polly.Zhiyu"), "en": ("en-GB", "Polly.Amy")}
TIMEOUT_SECONDS = 10


class OptedOut(ProviderError):
    """The recipient has opted out at the carrier (Twilio 21610): never retry."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, code=str(OPTED_OUT_CODE))


class AmbiguousSend(ProviderError):
    """The request went out but no answer came back: the message may have been sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=True)


class BaseUrlHttpClient(TwilioHttpClient):
    """Sends every request to `base_url` instead of Twilio's own address."""

    def __init__(self, base_url: str, timeout: float = TIMEOUT_SECONDS) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.base_url != TWILIO_API:
            for prefix in (TWILIO_API, "https://api.us1.twilio.com"):
                if url.startswith(prefix):
                    url = self.base_url + url[len(prefix) :]
                    break
        return super().request(method, url, *args, **kwargs)


def twiml_say(text: str, language: str) -> str:
    """TwiML that reads `text` slowly, pauses, and reads it once more (no keypad answers).

    Only for a call whose text is never stored (a sign-in code); every other call is driven by
    the voice webhooks (`portal.webhooks`), which take keypad answers.
    """
    lang, voice = VOICES.get(language, VOICES["zh_CN"])
    say = (
        f'<Say language="{lang}" voice="{voice}"><prosody rate="85%">{escape(text)}</prosody></Say>'
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Response>{say}<Pause length="2"/>{say}</Response>'
    )


class TwilioClient(MessagingClient):
    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str = "",
        messaging_service_sid: str = "",
        public_base_url: str = "",
        api_base_url: str = TWILIO_API,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        http = BaseUrlHttpClient(api_base_url, timeout)
        self.client = Client(account_sid, auth_token, http_client=http)
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.public_base_url = public_base_url.rstrip("/")

    @property
    def sender(self) -> str:
        return self.messaging_service_sid or self.from_number

    def _callback(self, path: str) -> str | None:
        return f"{self.public_base_url}{path}" if self.public_base_url else None

    def send_sms(self, to: str, body: str) -> str:
        sender: dict[str, Any] = (
            {"messaging_service_sid": self.messaging_service_sid}
            if self.messaging_service_sid
            else {"from_": self.from_number}
        )
        callback = self._callback("/webhooks/twilio/status")
        extra = {"status_callback": callback} if callback else {}
        message = self._call(
            lambda: self.client.messages.create(
                to=to, body=body, validity_period=SMS_VALIDITY_SECONDS, **sender, **extra
            )
        )
        return str(message.sid)

    def place_call(
        self, to: str, text: str, language: str, *, notification_id: int | None = None
    ) -> str:
        callback = self._callback("/webhooks/twilio/status")
        extra: dict[str, Any] = {"status_callback": callback} if callback else {}
        voice_url = self._callback(f"/webhooks/twilio/voice/out/{notification_id}")
        if notification_id is not None and voice_url:
            # Twilio asks the webhook what to say once it knows who (or what) answered.
            extra["url"] = voice_url
        else:
            extra["twiml"] = twiml_say(text, language)
        call = self._call(
            lambda: self.client.calls.create(
                to=to, from_=self.from_number, machine_detection="DetectMessageEnd", **extra
            )
        )
        return str(call.sid)

    def sent_to_since(self, to: str, body: str, since: Any) -> str | None:
        """The sid of a message with this body already sent to `to` since `since`, if any.

        Twilio's Messages API has no idempotency key: after an ambiguous timeout, this is how
        the deliver job learns whether the first try went out before it sends again.
        """
        messages = self._call(
            lambda: self.client.messages.list(to=to, date_sent_after=since, limit=50)
        )
        for message in messages:
            if message.body == body:
                return str(message.sid)
        return None

    @staticmethod
    def _call(request: Any) -> Any:
        try:
            return request()
        except TwilioRestException as error:
            if error.code == OPTED_OUT_CODE:
                raise OptedOut(f"twilio {error.code}: {error.msg}") from error
            retryable = error.status == 429 or error.status >= 500
            raise ProviderError(
                f"twilio {error.status} {error.code}: {error.msg}",
                retryable=retryable,
                code=str(error.code) if error.code is not None else None,
            ) from error
        except requests.exceptions.ReadTimeout as error:
            raise AmbiguousSend(f"twilio read timeout: {error}") from error
        except requests.exceptions.RequestException as error:
            raise ProviderError(f"twilio unreachable: {error}", retryable=True) from error
