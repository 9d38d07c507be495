"""Settings: default secrets are refused outside local, lists parse from text."""

import pytest
from pydantic import ValidationError

from app.core.config import Settings
from app.core.db import (
    Database,
    DatabaseNotConfiguredError,
    libpq_url,
    sqlalchemy_url,
)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read the environment: only what a test sets may count."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)


SAFE = {
    "SECRET_KEY": "a-secret-key-that-is-not-the-default",
    "FIRST_SUPERUSER_PASSWORD": "not-the-default-password",
    "DATABASE_URL": "postgresql://app:a-real-password@db:5432/app",
}


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def default_secret_message(name: str) -> str:
    return (
        f'The value of {name} is "changethis", '
        "for security, please change it, at least for deployments."
    )


@pytest.mark.parametrize("environment", ["staging", "production"])
@pytest.mark.parametrize(
    ("name", "default"),
    [
        ("SECRET_KEY", "changethis"),
        ("FIRST_SUPERUSER_PASSWORD", "changethis"),
        ("DATABASE_URL", "postgresql://app:changethis@db:5432/app"),
    ],
)
def test_default_secret_is_refused_outside_local(
    environment: str, name: str, default: str
) -> None:
    label = "DATABASE_URL password" if name == "DATABASE_URL" else name

    with pytest.raises(ValidationError) as raised:
        settings(**{**SAFE, name: default, "ENVIRONMENT": environment})

    assert default_secret_message(label) in str(raised.value)


def test_all_defaults_are_refused_outside_local() -> None:
    with pytest.raises(ValueError, match="SECRET_KEY"):
        settings(ENVIRONMENT="production")


def test_default_secrets_only_warn_in_local() -> None:
    with pytest.warns(UserWarning) as warned:
        local = settings(
            ENVIRONMENT="local",
            DATABASE_URL="postgresql://app:changethis@localhost/app",
        )

    assert [str(warning.message) for warning in warned] == [
        default_secret_message("SECRET_KEY"),
        default_secret_message("FIRST_SUPERUSER_PASSWORD"),
        default_secret_message("DATABASE_URL password"),
    ]
    assert local.SECRET_KEY == "changethis"


def test_changed_secrets_pass_everywhere() -> None:
    for environment in ("local", "staging", "production"):
        assert settings(**SAFE, ENVIRONMENT=environment).ENVIRONMENT == environment


def test_a_password_merely_containing_the_default_is_fine() -> None:
    production = settings(
        **{
            **SAFE,
            "ENVIRONMENT": "production",
            "DATABASE_URL": "postgresql://app:changethis-not@db/app",
        }
    )

    assert production.DATABASE_URL == "postgresql://app:changethis-not@db/app"


# CORS origins --------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        "http://a.test,http://b.test",
        " http://a.test , http://b.test/ ,",
        '["http://a.test", "http://b.test"]',
        ["http://a.test", "http://b.test"],
    ],
    ids=["comma", "comma-with-spaces", "json-text", "list"],
)
def test_cors_origins_parse(given: object) -> None:
    parsed = settings(
        **SAFE, BACKEND_CORS_ORIGINS=given, FRONTEND_HOST="http://ui.test/"
    )

    assert parsed.all_cors_origins == [
        "http://a.test",
        "http://b.test",
        "http://ui.test",
    ]


@pytest.mark.parametrize(
    "given",
    ["http://a.test,http://b.test", '["http://a.test","http://b.test"]'],
    ids=["comma", "json"],
)
def test_cors_origins_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.setenv("BACKEND_CORS_ORIGINS", given)

    parsed = settings(**SAFE)

    assert parsed.all_cors_origins == [
        "http://a.test",
        "http://b.test",
        "http://localhost:8000",
    ]


def test_no_cors_origins_but_the_frontend() -> None:
    assert settings(**SAFE).all_cors_origins == ["http://localhost:8000"]


@pytest.mark.parametrize("given", ["not a url", "[not json", 42])
def test_bad_cors_origins_are_refused(given: object) -> None:
    with pytest.raises(ValidationError):
        settings(**SAFE, BACKEND_CORS_ORIGINS=given)


# Derived values ------------------------------------------------------------------


def test_emails_enabled_needs_host_and_sender() -> None:
    assert settings(**SAFE).emails_enabled is False
    assert settings(**SAFE, SMTP_HOST="smtp.test").emails_enabled is False
    enabled = settings(
        **SAFE, SMTP_HOST="smtp.test", EMAILS_FROM_EMAIL="noreply@example.com"
    )
    assert enabled.emails_enabled is True
    assert enabled.EMAILS_FROM_NAME == enabled.PROJECT_NAME


def test_bcrypt_rounds_are_bounded() -> None:
    with pytest.raises(ValidationError):
        settings(**SAFE, BCRYPT_ROUNDS=3)


# Database URL --------------------------------------------------------------------


def test_database_url_names_the_psycopg_driver() -> None:
    assert (
        sqlalchemy_url("postgresql://app:secret@db:5432/app")
        == "postgresql+psycopg://app:secret@db:5432/app"
    )


def test_database_url_must_be_postgresql() -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        sqlalchemy_url("mysql://app:secret@db/app")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://app:secret@db:5432/app", "postgresql://app:secret@db:5432/app"),
        (
            "postgresql+psycopg://app:secret@db:5432/app",
            "postgresql://app:secret@db:5432/app",
        ),
        (
            "postgresql:///postgres?host=/tmp/pg.sock",
            "postgresql:///postgres?host=/tmp/pg.sock",
        ),
    ],
)
def test_the_plain_pool_gets_a_libpq_url(given: str, expected: str) -> None:
    assert libpq_url(given) == expected


def test_the_plain_pool_url_must_be_postgresql() -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        libpq_url("mysql://app:secret@db/app")


def test_no_database_without_a_database_url() -> None:
    with pytest.raises(DatabaseNotConfiguredError):
        Database(settings(**{**SAFE, "DATABASE_URL": None}))
