"""Messaging providers behind one small interface.

Keep it small: a domestic SMS/voice provider must be able to stand beside Twilio (Twilio in
mainland China needs whitelisted templates and has no two-way SMS).
"""
from __future__ import annotations

import logging
import uuid
from abc import ABC, abstractmethod

from flask import Flask, current_app

from portal.services.phones import mask_phone

log = logging.getLogger(__name__)


class ProviderError(Exception):
    """A send that failed; `retryable` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class MessagingClient(ABC):
    name: str

    @abstractmethod
    def send_sms(self, to: str, body: str) -> str:
        """Send a text message; returns the provider's reference."""

    @abstractmethod
    def place_call(self, to: str, text: str, language: str) -> str:
        """Place a voice call that reads `text` in `language`; returns the provider's reference."""


class ConsoleClient(MessagingClient):
    """Development provider: logs the message; the staff outbox page shows it."""

    name = "console"

    def send_sms(self, to: str, body: str) -> str:
        log.info("console sms", extra={"to": mask_phone(to), "chars": len(body)})
        return f"console-{uuid.uuid4().hex[:16]}"

    def place_call(self, to: str, text: str, language: str) -> str:
        log.info("console call", extra={"to": mask_phone(to), "language": language})
        return f"console-{uuid.uuid4().hex[:16]}"


PROVIDERS: dict[str, type[MessagingClient]] = {"console": ConsoleClient}


def init_app(app: Flask) -> None:
    name = app.config["MESSAGING_PROVIDER"]
    if name not in PROVIDERS:
        raise RuntimeError(f"MESSAGING_PROVIDER must be one of {sorted(PROVIDERS)}")
    app.extensions["messaging"] = PROVIDERS[name]()


def messaging_client() -> MessagingClient:
    return current_app.extensions["messaging"]  # type: ignore[no-any-return]
