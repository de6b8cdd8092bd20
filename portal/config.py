"""Configuration: one class per environment, environment variables read once and typed.

`config_from_env()` is called by `create_app()` when no config is passed; tests build a
`TestingConfig` directly. Every variable is listed in README.md.
"""

from __future__ import annotations

import base64
import binascii
import math
import os
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-never-use-in-production"  # noqa: S105 - documented dev default

#: What a production key must be (README's configuration table and docs/security.md say why):
#: long, with enough different characters, no long run repeated, and not a published value.
SECRET_MIN_LENGTH = 32
SECRET_MIN_BITS_PER_CHARACTER = 2.5  # Shannon entropy of the characters' frequencies
SECRET_REPEAT_LENGTH = 8  # no run of this many characters may appear twice
PUBLISHED_SECRETS = frozenset(
    {
        DEV_SECRET,
        # Flask's documentation prints this as an example of `secrets.token_hex()`.
        "192b9bdd22ab9ed4d12e236c78afcb9a393ec15f71bbf5dc987d54727823bcbf",
        # The demo accounts' authenticator key, printed in README.md.
        "WENXUDEMOWENXUDEMOWENXUDEMOWENXU",
    }
)


def _float_or_none(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class BaseConfig:
    """Settings shared by every environment; subclasses change only what differs."""

    ENV_NAME = "development"
    DEMO_DATA_ALLOWED = True
    TESTING = False

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        instance = PROJECT_ROOT / "instance"
        self.SECRET_KEY = env.get("SECRET_KEY", DEV_SECRET)
        self.SQLALCHEMY_DATABASE_URI = _normalise_db_url(
            env.get("DATABASE_URL") or f"sqlite:///{instance / 'wenxu.db'}"
        )
        self.REDIS_URL = env.get("REDIS_URL") or None
        # How often a process asks whether areas or the catalogue changed (portal.reference_cache).
        self.REFERENCE_CHECK_SECONDS = float(env.get("REFERENCE_CHECK_SECONDS", "5"))
        self.FIELD_ENCRYPTION_KEY = env.get("FIELD_ENCRYPTION_KEY", "")
        self.LOOKUP_HASH_KEY = env.get("LOOKUP_HASH_KEY", "")
        self._read_messaging(env)
        self.TIMEZONE = env.get("WENXU_TIMEZONE", "Asia/Shanghai")
        self.SLA_CLOSE_OF_BUSINESS = env.get("SLA_CLOSE_OF_BUSINESS", "17:30")
        self.SESSION_COOKIE_SECURE = _bool(env.get("SESSION_COOKIE_SECURE"), False)
        self.LOG_LEVEL = env.get("LOG_LEVEL", "INFO")
        self.RATELIMIT_STORAGE_URI = self.REDIS_URL or "memory://"
        self.RATELIMIT_ENABLED = _bool(env.get("RATELIMIT_ENABLED"), True)
        # Reverse proxies in front of gunicorn whose X-Forwarded-For/-Proto/-Host are believed
        # (portal/proxy.py): exactly as many as there are, or clients can forge their address.
        self.TRUSTED_PROXY_COUNT = int(env.get("TRUSTED_PROXY_COUNT", "0"))
        # Redis down: count in this process's memory (logged) rather than refuse sign-in; a
        # quick timeout so a Redis that does not answer cannot hold a sign-in up.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.RATELIMIT_STORAGE_OPTIONS = (
            {"socket_connect_timeout": 2, "socket_timeout": 2} if self.REDIS_URL else {}
        )
        # Signed-in sessions end after this long without a request (warning 2 minutes before).
        self.PERMANENT_SESSION_LIFETIME = timedelta(
            minutes=int(env.get("SESSION_IDLE_MINUTES", "30"))
        )
        # Where checked import files wait to be applied (shared with the workers; emptied as
        # each import is applied).
        self.IMPORT_FOLDER = env.get("IMPORT_FOLDER") or str(instance / "imports")
        # The most rows an import file may have after its header; larger files are refused.
        self.IMPORT_ROW_CAP = int(env.get("IMPORT_ROW_CAP", "200000"))
        # Households sampled per township per month by supervision (督查).
        self.SUPERVISION_SAMPLE_SIZE = int(env.get("SUPERVISION_SAMPLE_SIZE", "30"))

    def _read_messaging(self, env: Mapping[str, str]) -> None:
        """Texts and calls: the provider, Twilio's account and pace, retries, the webhooks'
        address, the voices, and when a message counts as stuck."""
        self.MESSAGING_PROVIDER = env.get("MESSAGING_PROVIDER", "console")
        self.TWILIO_ACCOUNT_SID = env.get("TWILIO_ACCOUNT_SID", "")
        self.TWILIO_AUTH_TOKEN = env.get("TWILIO_AUTH_TOKEN", "")
        self.TWILIO_FROM_NUMBER = env.get("TWILIO_FROM_NUMBER", "")
        self.TWILIO_MESSAGING_SERVICE_SID = env.get("TWILIO_MESSAGING_SERVICE_SID", "")
        # Twilio's REST base; a proxy or a test server can stand there.
        self.TWILIO_API_BASE_URL = env.get("TWILIO_API_BASE_URL", "https://api.twilio.com")
        # Texts per second per sender (number or Messaging Service), shared by all workers;
        # unset, a long code's 1/s (a short code or a Messaging Service must say its own).
        self.TWILIO_SENDS_PER_SECOND = _float_or_none(env.get("TWILIO_SENDS_PER_SECOND"))
        # Calls placed per second (Twilio's default for an account is 1).
        self.TWILIO_CALLS_PER_SECOND = float(env.get("TWILIO_CALLS_PER_SECOND", "1"))
        # How long a request to Twilio may take before it counts as ambiguous.
        self.TWILIO_TIMEOUT_SECONDS = float(env.get("TWILIO_TIMEOUT_SECONDS", "10"))
        # Retries: how long a message keeps being tried before its fallback chain starts, the
        # back-off's first step and ceiling, and how long an ambiguous send waits for its receipt
        # before Twilio's own lists are asked whether it went.
        self.MESSAGE_RETRY_HOURS = float(env.get("MESSAGE_RETRY_HOURS", "6"))
        self.MESSAGE_RETRY_BASE_SECONDS = float(env.get("MESSAGE_RETRY_BASE_SECONDS", "30"))
        self.MESSAGE_RETRY_CAP_SECONDS = float(env.get("MESSAGE_RETRY_CAP_SECONDS", "900"))
        self.MESSAGE_RECONCILE_SECONDS = float(env.get("MESSAGE_RECONCILE_SECONDS", "60"))
        # Where Twilio reaches our webhooks (status callbacks), e.g. https://wenxu.example.
        self.PUBLIC_BASE_URL = env.get("PUBLIC_BASE_URL", "").rstrip("/")
        # The hotline replies and the phone status line give to people we cannot help by phone.
        self.HOTLINE_NUMBER = env.get("HOTLINE_NUMBER", "12385")
        # The voices that read calls aloud (Twilio <Say> voice names), by language.
        self.TWILIO_VOICE_ZH = env.get("TWILIO_VOICE_ZH", "Polly.Zhiyu")
        self.TWILIO_VOICE_EN = env.get("TWILIO_VOICE_EN", "Polly.Amy")
        # Messages: a `created` one without a hold this old was never queued and is queued
        # again; a `sending` one this old lost its worker; /healthz/messages fails when a due
        # message has waited longer than MESSAGES_HEALTH_MAX_AGE_SECONDS.
        self.MESSAGE_STUCK_SECONDS = int(env.get("MESSAGE_STUCK_SECONDS", "120"))
        self.MESSAGE_SENDING_TIMEOUT_SECONDS = int(
            env.get("MESSAGE_SENDING_TIMEOUT_SECONDS", "300")
        )
        self.MESSAGES_HEALTH_MAX_AGE_SECONDS = int(
            env.get("MESSAGES_HEALTH_MAX_AGE_SECONDS", "600")
        )

    # Fixed settings (not from the environment).
    PROJECT_ROOT = PROJECT_ROOT
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    # HSTS (portal/security_headers.py): only in production, which is served over HTTPS.
    STRICT_TRANSPORT_SECURITY: str | None = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "translations")
    LANGUAGES = ("zh_CN", "en")
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024

    def problems(self) -> list[str]:
        """What makes this configuration unsafe to run; empty when it is fine."""
        return self.messaging_problems()

    def messaging_problems(self) -> list[str]:
        if self.MESSAGING_PROVIDER != "twilio":
            return []
        found = [
            f"{name} must be set for MESSAGING_PROVIDER=twilio"
            for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL")
            if not getattr(self, name)
        ]
        if not (self.TWILIO_FROM_NUMBER or self.TWILIO_MESSAGING_SERVICE_SID):
            found.append("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID must be set")
        elif self.TWILIO_SENDS_PER_SECOND is None and not long_code(
            self.TWILIO_FROM_NUMBER, self.TWILIO_MESSAGING_SERVICE_SID
        ):
            found.append(
                "TWILIO_SENDS_PER_SECOND must be set for a short code or a Messaging Service "
                "(a long code's 1 per second is the default)"
            )
        return found


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(environ or {})
        self.WTF_CSRF_ENABLED = False
        self.SERVER_NAME = None
        # Webhook tests sign their requests as Twilio would (tests/twilio_webhooks.py).
        self.PUBLIC_BASE_URL = self.PUBLIC_BASE_URL or "https://wenxu.test"
        self.TWILIO_AUTH_TOKEN = self.TWILIO_AUTH_TOKEN or "test-auth-token"
        # One process writes and reads in tests: its own commits drop the cache at once, and
        # no periodic check adds a statement to the query counts.
        self.REFERENCE_CHECK_SECONDS = float((environ or {}).get("REFERENCE_CHECK_SECONDS", 3600))


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    DEMO_DATA_ALLOWED = False
    STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        super().__init__(environ)
        self.SESSION_COOKIE_SECURE = True

    def problems(self) -> list[str]:
        found = self.messaging_problems()
        if self.SECRET_KEY == DEV_SECRET:
            found.append("SECRET_KEY must be set")
        else:
            found += secret_problems("SECRET_KEY", self.SECRET_KEY)
        if not self.FIELD_ENCRYPTION_KEY:
            found.append("FIELD_ENCRYPTION_KEY must be set")
        elif not fernet_key(self.FIELD_ENCRYPTION_KEY):
            found.append(
                "FIELD_ENCRYPTION_KEY must be a Fernet key (32 random bytes in URL-safe base64: "
                "Fernet.generate_key())"
            )
        else:
            found += secret_problems("FIELD_ENCRYPTION_KEY", self.FIELD_ENCRYPTION_KEY)
        if not self.LOOKUP_HASH_KEY:
            found.append("LOOKUP_HASH_KEY must be set")
        elif self.LOOKUP_HASH_KEY == self.SECRET_KEY:
            found.append("LOOKUP_HASH_KEY must not be the same as SECRET_KEY")
        else:
            found += secret_problems("LOOKUP_HASH_KEY", self.LOOKUP_HASH_KEY)
        if self.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
            found.append("DATABASE_URL must name a PostgreSQL database")
        return found


CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env(environ: Mapping[str, str] | None = None) -> BaseConfig:
    """Build the configuration named by WENXU_ENV (development by default)."""
    env = os.environ if environ is None else environ
    name = env.get("WENXU_ENV", "development")
    try:
        cls = CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"WENXU_ENV must be one of {sorted(CONFIGS)}, not {name!r}") from None
    return cls(env)


def secret_problems(name: str, value: str) -> list[str]:
    """Why `value` is too weak to be the production key `name`; empty when it will do.

    A floor, not a proof of randomness: a key from `secrets.token_urlsafe(32)` or
    `Fernet.generate_key()` always passes, a word, a pattern or a copied example does not.
    """
    if value in PUBLISHED_SECRETS:
        return [f"{name} is a published value: make a key of your own"]
    if len(value) < SECRET_MIN_LENGTH:
        return [f"{name} must be at least {SECRET_MIN_LENGTH} characters long"]
    if shannon_bits(value) < SECRET_MIN_BITS_PER_CHARACTER:
        return [f"{name} has too few different characters to be a random key"]
    if repeats(value, SECRET_REPEAT_LENGTH):
        return [f"{name} repeats a run of {SECRET_REPEAT_LENGTH} characters: use a random key"]
    return []


def shannon_bits(text: str) -> float:
    """Shannon entropy of the characters of `text`, in bits per character."""
    counts = Counter(text).values()
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts)


def repeats(text: str, length: int) -> bool:
    """Whether some run of `length` characters appears twice in `text`."""
    seen: set[str] = set()
    for start in range(len(text) - length + 1):
        run = text[start : start + length]
        if run in seen:
            return True
        seen.add(run)
    return False


def fernet_key(value: str) -> bool:
    """Whether `value` is a Fernet key: 32 bytes in URL-safe base64 (nothing else in it)."""
    try:
        return len(base64.b64decode(value.encode("ascii"), altchars=b"-_", validate=True)) == 32
    except (binascii.Error, UnicodeEncodeError):
        return False


def long_code(from_number: str, messaging_service_sid: str) -> bool:
    """Whether texts come from an ordinary phone number (not a short code or a service)."""
    digits = from_number.lstrip("+")
    return not messaging_service_sid and len(digits) > 8


def _normalise_db_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
