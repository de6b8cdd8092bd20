import secrets

import pytest
from cryptography.fernet import Fernet

from portal import create_app
from portal.config import DEV_SECRET, ProductionConfig, config_from_env


def test_development_is_the_default_and_uses_sqlite_under_instance():
    config = config_from_env({})
    assert config.ENV_NAME == "development"
    assert config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert config.SQLALCHEMY_DATABASE_URI.endswith("instance/wenxu.db")
    assert config.REDIS_URL is None


def test_postgres_urls_use_psycopg3():
    config = config_from_env({"DATABASE_URL": "postgres://u@h/db"})
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@h/db"


def test_an_unknown_environment_is_refused():
    with pytest.raises(RuntimeError, match="WENXU_ENV"):
        config_from_env({"WENXU_ENV": "staging"})


def test_production_refuses_to_start_with_development_secrets():
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app(ProductionConfig({"DATABASE_URL": "postgresql://db/wenxu"}))


def test_production_starts_with_its_own_keys():
    app = create_app(ProductionConfig(PRODUCTION))
    # The session cookie: HTTPS only, out of scripts' reach, not sent on cross-site posts.
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


# --- production secrets (#11, point 8) --------------------------------------------------

#: Keys as docs/deploy.md#settings says to make them; each passes every rule.
GOOD_SECRET = "q8JvX2mT0rLw5NcYb7EhUe3AsKd9GfPz1HiRoW4Vn6Mk"  # noqa: S105 - a test value
GOOD_LOOKUP = "f3a91c07d25e48b6a0c9e1d74b3f8265c0e7a9d1b4f62833"
GOOD_FERNET = "7x0uXvP4b0m2yWk3cJ9eLrT5nA8dQfGh1sZiVoB6-Hw="
PRODUCTION = {
    "SECRET_KEY": GOOD_SECRET,
    "FIELD_ENCRYPTION_KEY": GOOD_FERNET,
    "LOOKUP_HASH_KEY": GOOD_LOOKUP,
    "DATABASE_URL": "postgresql://db/wenxu",
}


def _problems(**changes):
    return ProductionConfig({**PRODUCTION, **changes}).problems()


def test_well_made_keys_pass_every_rule():
    assert _problems() == []
    made = {
        "SECRET_KEY": secrets.token_urlsafe(32),
        "LOOKUP_HASH_KEY": secrets.token_hex(32),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    assert _problems(**made) == []


@pytest.mark.parametrize("name", ["SECRET_KEY", "LOOKUP_HASH_KEY"])
@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("a", "at least 32 characters"),
        ("s3cr3t-k3y-2026", "at least 32 characters"),
        ("a" * 40, "too few different characters"),
        ("ab" * 20, "too few different characters"),
        ("1234" * 10, "too few different characters"),
        ("password1password1password1password1", "repeats"),
        ("0123456789abcdef0123456789abcdef", "repeats"),
        ("WENXUDEMOWENXUDEMOWENXUDEMOWENXU", "published"),  # the demo key (docs/development.md)
        # Flask's documentation prints this one as an example of `secrets.token_hex()`.
        ("192b9bdd22ab9ed4d12e236c78afcb9a393ec15f71bbf5dc987d54727823bcbf", "published"),
    ],
)
def test_production_refuses_weak_keys(name, value, words):
    problems = _problems(**{name: value})
    assert any(p.startswith(name) and words in p for p in problems), problems


def test_the_development_secret_is_published():
    assert "SECRET_KEY must be set" in _problems(SECRET_KEY=DEV_SECRET)
    assert "LOOKUP_HASH_KEY is a published value: make a key of your own" in _problems(
        LOOKUP_HASH_KEY=DEV_SECRET
    )


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "must be set"),
        ("not-a-fernet-key", "Fernet key"),
        (GOOD_SECRET, "Fernet key"),  # long and random, but not 32 bytes in URL-safe base64
        ("A" * 43 + "=", "too few different characters"),  # a valid Fernet key of zeros
    ],
)
def test_the_field_encryption_key_must_be_a_strong_fernet_key(value, words):
    problems = _problems(FIELD_ENCRYPTION_KEY=value)
    assert any(p.startswith("FIELD_ENCRYPTION_KEY") and words in p for p in problems), problems


def test_each_key_is_its_own():
    problems = _problems(LOOKUP_HASH_KEY=GOOD_SECRET)
    assert problems == ["LOOKUP_HASH_KEY must not be the same as SECRET_KEY"]


def test_production_does_not_start_with_a_one_letter_secret():
    with pytest.raises(RuntimeError, match="SECRET_KEY must be at least 32 characters"):
        create_app(ProductionConfig({**PRODUCTION, "SECRET_KEY": "a"}))


def test_development_and_tests_keep_their_short_keys():
    assert config_from_env({"SECRET_KEY": "a"}).problems() == []
