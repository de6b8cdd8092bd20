"""The messaging provider this deployment is configured with (`MESSAGING_PROVIDER`)."""

from __future__ import annotations

from flask import Flask, current_app

from portal.clients.messaging import ConsoleClient, MessagingClient
from portal.clients.twilio_provider import TwilioClient

PROVIDERS = ("console", "twilio")


def init_app(app: Flask) -> None:
    name = app.config["MESSAGING_PROVIDER"]
    if name not in PROVIDERS:
        raise RuntimeError(f"MESSAGING_PROVIDER must be one of {sorted(PROVIDERS)}")
    if name == "twilio":
        app.extensions["messaging"] = TwilioClient(
            account_sid=app.config["TWILIO_ACCOUNT_SID"],
            auth_token=app.config["TWILIO_AUTH_TOKEN"],
            from_number=app.config["TWILIO_FROM_NUMBER"],
            messaging_service_sid=app.config["TWILIO_MESSAGING_SERVICE_SID"],
            public_base_url=app.config["PUBLIC_BASE_URL"],
            api_base_url=app.config["TWILIO_API_BASE_URL"],
            timeout=app.config["TWILIO_TIMEOUT_SECONDS"],
        )
        return
    production = app.config["CONFIG_OBJECT"].ENV_NAME == "production"
    app.extensions["messaging"] = ConsoleClient(show_content=not production)


def messaging_client() -> MessagingClient:
    return current_app.extensions["messaging"]  # type: ignore[no-any-return]
