"""Messaging providers behind one small interface.

Keep it small: a domestic SMS/voice provider must be able to stand beside Twilio (Twilio in
mainland China needs whitelisted templates and has no two-way SMS).
"""

from __future__ import annotations

import logging
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime

from portal.phones import mask_phone

log = logging.getLogger(__name__)


class ProviderError(Exception):
    """A send that failed; `retryable` says whether trying again may help.

    `code` is the provider's own error code, kept on the message for the outbox;
    `retry_after` the seconds the provider asked us to wait (HTTP Retry-After), if it did.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code
        self.retry_after = retry_after


class AmbiguousSend(ProviderError):
    """The request may have reached the provider (no answer, a dropped connection, a 5xx):
    the message may have gone, so it is looked for before it is ever sent again."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, retryable=True, code=code)


@dataclass(frozen=True)
class Found:
    """A message or call the provider holds: its reference, its status, when it was made."""

    ref: str
    status: str
    created_at: datetime


class MessagingClient(ABC):
    name: str
    #: Whether a send is final on return: the console has no receipts, so it simulates one.
    simulated = False

    @property
    def sender(self) -> str:
        """Who the messages come from, as the per-sender rate limit counts them."""
        return self.name

    @property
    def call_sender(self) -> str:
        """Who calls come from, as the per-sender call rate counts them."""
        return self.sender

    @abstractmethod
    def send_sms(self, to: str, body: str, *, notification_id: int | None = None) -> str:
        """Send a text message; returns the provider's reference.

        `notification_id` goes into the receipt address, so every receipt names its message.
        """

    @abstractmethod
    def place_call(
        self, to: str, text: str, language: str, *, notification_id: int | None = None
    ) -> str:
        """Place a voice call that reads `text` in `language`; returns the provider's reference.

        With `notification_id`, the call is driven by our voice webhooks (keypad answers, the
        stored text); without it (a sign-in code, never stored), `text` is read as it is.
        """

    def warm_up(self) -> None:
        """Load now what the first send would load (a worker, once, before its first job)."""
        log.debug("%s: nothing to load before the first send", self.name)

    def find_sent(self, channel: str, to: str, body: str, since: datetime) -> list[Found]:
        """Messages (`sms`) with this body or calls (`voice`) to `to` made since `since`.

        After an ambiguous try this is how a send learns whether the first one went; a
        provider without lists (the console, which never fails) finds nothing.
        """
        return []


class ConsoleClient(MessagingClient):
    """Development provider: sends nothing; the staff outbox page lists the messages.

    Outside production it also logs what the phone would show, so a developer can read a
    sign-in code (which the outbox shows only as dots).
    """

    name = "console"
    simulated = True

    def __init__(self, show_content: bool = False) -> None:
        self.show_content = show_content

    def send_sms(self, to: str, body: str, *, notification_id: int | None = None) -> str:
        self._log("console sms to %s: %s", to, body)
        return f"console-{uuid.uuid4().hex[:16]}"

    def place_call(
        self, to: str, text: str, language: str, *, notification_id: int | None = None
    ) -> str:
        self._log("console call to %s: %s", to, text)
        return f"console-{uuid.uuid4().hex[:16]}"

    def _log(self, message: str, to: str, content: str) -> None:
        shown = content if self.show_content else f"({len(content)} characters)"
        log.info(message, mask_phone(to), shown)
