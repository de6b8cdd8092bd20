"""Bare extension instances; `create_app` wires them with `init_app`."""

import logging

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from portal.clients.job_queue import CommittingSession
from portal.models.base import Base

log = logging.getLogger(__name__)


class SharedLimiter(Limiter):
    """Says in our log when the limits stop being shared through Redis, and when they are again.

    With RATELIMIT_IN_MEMORY_FALLBACK_ENABLED, Flask-Limiter (4.1) counts in this process's
    memory while its storage is down and checks the storage again now and then (after 1, 2,
    4 … 32 s); every check runs through `_check_request_limit`.
    """

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        was_down = self._storage_dead
        try:
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)
        finally:
            if self._storage_dead and not was_down:
                log.warning(
                    "rate limit storage unreachable: limits are counted per process until it "
                    "is back (each web process allows the full limit)"
                )
            elif was_down and not self._storage_dead:
                log.info("rate limit storage is back: limits are shared again")


db = SQLAlchemy(model_class=Base, session_options={"class_": CommittingSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = SharedLimiter(key_func=get_remote_address)
