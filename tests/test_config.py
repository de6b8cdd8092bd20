import pytest

from portal import create_app
from portal.config import ProductionConfig, config_from_env


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
    env = {
        "SECRET_KEY": "s" * 32,
        "FIELD_ENCRYPTION_KEY": "A" * 43 + "=",
        "LOOKUP_HASH_KEY": "k" * 32,
        "DATABASE_URL": "postgresql://db/wenxu",
    }
    app = create_app(ProductionConfig(env))
    assert app.config["SESSION_COOKIE_SECURE"] is True
