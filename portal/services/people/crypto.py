"""Field encryption at rest and keyed-hash lookup for sensitive identifiers.

Identifiers (resident ID, certificate number) are encrypted with Fernet and found through an
HMAC-SHA256 of their normalised form, so equality lookups work without decrypting and the
lookup column reveals nothing without the key. Development keys derive from SECRET_KEY;
production refuses to start without its own keys (see config.ProductionConfig.problems).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet
from flask import Flask, current_app


class FieldCipher:
    def __init__(self, encryption_key: str, lookup_key: str, secret_key: str) -> None:
        self._fernet = Fernet(
            encryption_key.encode() if encryption_key else _derive(secret_key, b"enc")
        )
        self._lookup_key = lookup_key.encode() if lookup_key else _derive(secret_key, b"lookup")

    def encrypt(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def decrypt(self, token: bytes) -> str:
        return self._fernet.decrypt(token).decode()

    def lookup(self, normalised: str) -> str:
        return hmac.new(self._lookup_key, normalised.encode(), hashlib.sha256).hexdigest()


def _derive(secret: str, purpose: bytes) -> bytes:
    digest = hashlib.sha256(purpose + b":" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def init_app(app: Flask) -> None:
    app.extensions["wenxu_cipher"] = FieldCipher(
        app.config["FIELD_ENCRYPTION_KEY"], app.config["LOOKUP_HASH_KEY"], app.config["SECRET_KEY"]
    )


def cipher() -> FieldCipher:
    return current_app.extensions["wenxu_cipher"]  # type: ignore[no-any-return]
