"""The Twilio provider: SMS from a number or a Messaging Service, voice calls with TwiML.

It speaks to Twilio through the official `twilio` SDK, except for the one request made for
every text: a message create is posted straight over the SDK's pooled connection
(`BaseUrlHttpClient.create`), with the very headers, form and basic auth the SDK would send, and
an error answer becomes the SDK's own exception. Building that request through the SDK and
requests (a resource object, a prepared request, a response object, a guess at the answer's
encoding) cost a send three times the CPU of the request itself. `TWILIO_API_BASE_URL` replaces
`https://api.twilio.com` in every request, so a proxy, or the fake Twilio server the tests start
on 127.0.0.1, can stand in for Twilio while the SDK and this code run unchanged.

Every message and call carries our notification id in its status callback address, so each
receipt names its message even before the send's own answer has come back.

Failures are classified for the deliver job (Twilio's error codes and HTTP statuses):
- 21610 (the recipient replied STOP): `OptedOut`, never retried;
- 429: retryable, after the `Retry-After` Twilio gives; a connection never made: retryable;
- whenever the request may have reached Twilio (a read timeout, a connection dropped after the
  request was written, a 5xx): `AmbiguousSend`, looked for in Twilio's lists before any resend;
- any other 4xx: permanent.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from twilio.base.exceptions import TwilioRestException
from twilio.base.version import Version
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, ReadTimeoutError

from portal.clients.messaging import AmbiguousSend, Found, MessagingClient, ProviderError

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
OPTED_OUT_CODE = 21610
#: An SMS not delivered within this many seconds is dropped by Twilio: old news is no news.
SMS_VALIDITY_SECONDS = 4 * 60 * 60
#: Twilio's voices by our language (Polly voices read Mandarin and English well, slowly).
VOICES = {"zh_CN": ("cmn-CN", "Polly.Zhiyu"), "en": ("en-GB", "Polly.Amy")}
TIMEOUT_SECONDS = 10
#: What a call's status callback reports: every step, so a placed call is known at once.
CALL_EVENTS = ["initiated", "ringing", "answered", "completed"]
#: How many of a number's most recent messages or calls are searched for a lost answer.
LOOKBACK = 50
#: Open connections kept to Twilio per process, reused request after request (keep-alive):
#: at least as many as a batch's sending threads, so none is closed for want of room.
POOL_SIZE = 16


class OptedOut(ProviderError):
    """The recipient has opted out at the carrier (Twilio 21610): never retry."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False, code=str(OPTED_OUT_CODE))


class _Session(requests.Session):
    """requests' Session, reading the environment's proxy and CA settings once per address.

    requests reads them again for every request (every variable of the environment, twice),
    which cost a send more CPU than its connection did. The environment is read once at
    start-up anyway, as every other setting is.
    """

    def __init__(self) -> None:
        super().__init__()
        self.environment: dict[tuple[str, str], dict[str, Any]] = {}

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> dict[str, Any]:
        if proxies or stream is not None or verify is not None or cert is not None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        scheme, netloc = urlsplit(url)[:2]
        settings = self.environment.get((scheme, netloc))
        if settings is None:
            settings = super().merge_environment_settings(url, {}, None, None, None)
            self.environment[(scheme, netloc)] = settings
        return {**settings, "proxies": dict(settings["proxies"])}


class BaseUrlHttpClient(TwilioHttpClient):
    """Sends every request to `base_url` instead of Twilio's own address, over a pool of
    kept-alive connections shared by the sending threads."""

    def __init__(self, base_url: str, timeout: float = TIMEOUT_SECONDS) -> None:
        super().__init__(timeout=timeout)
        self.session = _Session()
        for scheme in ("https://", "http://"):
            self.session.mount(scheme, HTTPAdapter(pool_maxsize=POOL_SIZE))
        self.base_url = base_url.rstrip("/")

        # The last answer's headers, per thread: the SDK's exceptions drop them, and a 429's
        # Retry-After is Twilio telling us when to come back.
        self.answers = threading.local()

    def rebased(self, url: str) -> str:
        """`url` at `base_url` instead of Twilio's own address."""
        if self.base_url != TWILIO_API:
            for prefix in (TWILIO_API, "https://api.us1.twilio.com"):
                if url.startswith(prefix):
                    return self.base_url + url[len(prefix) :]
        return url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        self.answers.headers = {}
        response = super().request(method, self.rebased(url), *args, **kwargs)
        self.answers.headers = response.headers or {}
        return response

    def create(self, url: str, form: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
        """POST `form` to `url` as requests would send it, straight over the pooled connection
        requests' adapter holds for that address (the same proxy and TLS settings); the answer
        as JSON. An error answer raises the SDK's exception for it (`Version.exception`).

        The steps are those of requests' `HTTPAdapter.send`, without what a create does not
        need from it: cookies, hooks, redirects, and a response object with its encoding
        guessed. urllib3's own errors come through as they are (no retries, as requests'
        adapter makes none): `TwilioClient._call` classifies them.
        """
        url = self.rebased(url)
        settings = self.session.merge_environment_settings(url, {}, None, None, None)
        adapter = self.session.get_adapter(url)
        assert isinstance(adapter, HTTPAdapter)  # noqa: S101  (mounted in __init__)
        target = requests.PreparedRequest()
        target.prepare_url(url, None)
        verify, proxies, cert = settings["verify"], settings["proxies"], settings["cert"]
        pool = adapter.get_connection_with_tls_context(target, verify, proxies, cert)
        adapter.cert_verify(pool, url, verify, cert)
        self.answers.headers = {}
        answer = pool.urlopen(
            "POST",
            adapter.request_url(target, proxies),
            body=urlencode(form).encode(),
            headers=headers,
            redirect=False,
            assert_same_host=False,
            preload_content=True,
            decode_content=True,
            retries=False,
            timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout),
        )
        self.answers.headers = answer.headers
        text = answer.data.decode("utf-8", errors="replace")
        if not 200 <= answer.status < 300:
            response = Response(answer.status, text, answer.headers)
            raise Version.exception("POST", url, response, "Unable to create record")
        return json.loads(text) if text else {}

    def retry_after(self) -> float | None:
        """The seconds the last answer on this thread asked us to wait, if it said."""
        value = getattr(self.answers, "headers", {}).get("Retry-After")
        try:
            return max(0.0, float(value)) if value is not None else None
        except ValueError:  # an HTTP date: Twilio sends seconds, so this is not Twilio
            return None


def twiml_say(text: str, language: str) -> str:
    """TwiML that reads `text` slowly, pauses, and reads it once more (no keypad answers),
    built by the SDK's `VoiceResponse` as the voice webhooks build theirs.

    Only for a call whose text is never stored (a sign-in code); every other call is driven by
    the voice webhooks (`portal.webhooks`), which take keypad answers.
    """
    lang, voice = VOICES.get(language, VOICES["zh_CN"])
    response = VoiceResponse()
    response.say(language=lang, voice=voice).prosody(text, rate="85%")
    response.pause(length=2)
    response.say(language=lang, voice=voice).prosody(text, rate="85%")
    return str(response)


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
        self.http = BaseUrlHttpClient(api_base_url, timeout)
        self.client = Client(account_sid, auth_token, http_client=self.http)
        # A message create as the SDK makes it (`client.messages.create`), built once: its
        # address (with TWILIO_EDGE and TWILIO_REGION, as the SDK reads them), and its headers,
        # the SDK's over the session's defaults, as requests merges them, with basic auth.
        self.messages_url = self.client.get_hostname(
            f"{TWILIO_API}/2010-04-01/Accounts/{account_sid}/Messages.json"
        )
        headers = CaseInsensitiveDict(self.http.session.headers)
        headers.update(
            self.client.get_headers(
                "POST",
                {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
            )
        )
        headers.update(urllib3.util.make_headers(basic_auth=f"{account_sid}:{auth_token}"))
        self.create_headers = dict(headers)
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.public_base_url = public_base_url.rstrip("/")

    @property
    def sender(self) -> str:
        return self.messaging_service_sid or self.from_number

    @property
    def call_sender(self) -> str:
        return self.from_number

    def warm_up(self) -> None:
        # The SDK imports its REST resources on first use, which costs half a second of CPU:
        # done once as the worker starts, not while the first batch's messages wait.
        for resource in (self.client.messages, self.client.calls):
            log.debug("twilio resource ready: %s", resource)

    def _callback(self, path: str) -> str | None:
        return f"{self.public_base_url}{path}" if self.public_base_url else None

    def _status_callback(self, notification_id: int | None) -> dict[str, Any]:
        path = "/webhooks/twilio/status"
        if notification_id is not None:
            path += f"/{notification_id}"
        callback = self._callback(path)
        return {"status_callback": callback} if callback else {}

    def send_sms(self, to: str, body: str, *, notification_id: int | None = None) -> str:
        # The SDK's parameters, in its order (`MessageList.create`), by their names on the wire.
        form = {"To": to}
        callback = self._status_callback(notification_id).get("status_callback")
        if callback:
            form["StatusCallback"] = callback
        form["ValidityPeriod"] = str(SMS_VALIDITY_SECONDS)
        if self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid
        else:
            form["From"] = self.from_number
        form["Body"] = body
        message = self._call(lambda: self.http.create(self.messages_url, form, self.create_headers))
        sid = message.get("sid")
        if not sid:  # an answer without one cannot be matched to its receipts: look for it
            raise AmbiguousSend("twilio answered a create without a message sid")
        return str(sid)

    def place_call(
        self, to: str, text: str, language: str, *, notification_id: int | None = None
    ) -> str:
        extra = self._status_callback(notification_id)
        if extra:
            extra["status_callback_event"] = CALL_EVENTS
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

    def find_sent(self, channel: str, to: str, body: str, since: datetime) -> list[Found]:
        """What Twilio holds for `to` since `since`: texts with this body, or our calls.

        Not filtered on the date sent: a message Twilio still holds as queued has none, and
        it went all the same. Newest first, as Twilio lists them.
        """
        if channel == "voice":
            calls = self._call(lambda: self.client.calls.list(to=to, limit=LOOKBACK))
            return [
                Found(str(c.sid), str(c.status), c.date_created)
                for c in calls
                if c.date_created is not None
                and c.date_created >= since
                and getattr(c, "_from", None) in (None, self.from_number)
            ]
        messages = self._call(lambda: self.client.messages.list(to=to, limit=LOOKBACK))
        return [
            Found(str(m.sid), str(m.status), m.date_created)
            for m in messages
            if m.body == body and m.date_created is not None and m.date_created >= since
        ]

    def _call(self, request: Any) -> Any:
        try:
            return request()
        except TwilioRestException as error:
            code = str(error.code) if error.code is not None else None
            text = f"twilio {error.status} {error.code}: {error.msg}"
            if error.code == OPTED_OUT_CODE:
                raise OptedOut(f"twilio {error.code}: {error.msg}") from error
            if error.status >= 500:
                raise AmbiguousSend(text, code=code) from error
            if error.status == 429:
                raise ProviderError(
                    text, retryable=True, code=code, retry_after=self.http.retry_after()
                ) from error
            raise ProviderError(text, retryable=False, code=code) from error
        except (requests.exceptions.ReadTimeout, ReadTimeoutError) as error:
            raise AmbiguousSend(f"twilio read timeout: {error}") from error
        except (OSError, urllib3.exceptions.HTTPError) as error:
            # requests' errors (the SDK's requests: OSErrors all), urllib3's as they come (a
            # create), and the socket's own
            if _never_connected(error):
                raise ProviderError(f"twilio unreachable: {error}", retryable=True) from error
            raise AmbiguousSend(f"twilio connection lost: {error}") from error


def _never_connected(error: Exception) -> bool:
    """Whether the request surely never reached Twilio (no connection was ever made)."""
    if isinstance(error, requests.exceptions.ConnectTimeout | ConnectTimeoutError):
        return True  # a connection refused (NewConnectionError) is a ConnectTimeoutError too
    reason: Any = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, ConnectTimeoutError)  # NewConnectionError is one
