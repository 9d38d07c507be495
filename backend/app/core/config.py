"""Application settings, read from the environment and the repository's root `.env`."""

import json
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import AnyUrl, BeforeValidator, EmailStr, Field, HttpUrl, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

API_V1_STR = "/api/v1"
DEFAULT_SECRET = "changethis"
ROOT_ENV_FILE = Path(__file__).resolve().parents[3] / ".env"


def parse_list(value: Any) -> Any:
    """Accept a comma-separated string as well as a JSON list."""
    if not isinstance(value, str):
        return value
    if value.startswith("["):
        # The environment sources decode JSON lists themselves; a value given in code
        # arrives as text, and as text it would pass for one origin per character.
        return json.loads(value)
    return [item.strip() for item in value.split(",") if item.strip()]


# With `| str` in a field's type, the environment sources pass on text that is not
# JSON instead of failing to decode it.
TextList = BeforeValidator(parse_list)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=ROOT_ENV_FILE,
        env_ignore_empty=True,
        extra="ignore",
    )

    PROJECT_NAME: str = "Full Stack FastAPI Project"
    ENVIRONMENT: Literal["local", "staging", "production"] = "local"
    SECRET_KEY: str = DEFAULT_SECRET

    ACCESS_TOKEN_EXPIRE_MINUTES: int = Field(default=15, ge=1)
    REFRESH_TOKEN_EXPIRE_DAYS: int = Field(default=14, ge=1)
    # Off by default: any replay of a used refresh token ends its session. A few
    # seconds here let a page reloaded while its refresh was in flight (the browser
    # never got the new cookie) rotate again instead, at the cost of accepting a
    # stolen token that is used within that window.
    REFRESH_TOKEN_REUSE_GRACE_SECONDS: int = Field(default=0, ge=0, le=60)
    EMAIL_RESET_TOKEN_EXPIRE_HOURS: int = Field(default=1, ge=1)
    BCRYPT_ROUNDS: int = Field(default=12, ge=4, le=31)

    FRONTEND_HOST: str = "http://localhost:8000"
    BACKEND_CORS_ORIGINS: Annotated[list[AnyUrl] | str, TextList] = []

    DATABASE_URL: str | None = None
    DATABASE_POOL_SIZE: int = Field(default=10, ge=1)
    DATABASE_CONNECT_TIMEOUT_SECONDS: int = Field(default=5, ge=1)

    FIRST_SUPERUSER: EmailStr = "admin@example.com"
    FIRST_SUPERUSER_PASSWORD: str = DEFAULT_SECRET
    USERS_OPEN_REGISTRATION: bool = True

    SMTP_HOST: str | None = None
    SMTP_PORT: int = 587
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_TLS: bool = True
    SMTP_SSL: bool = False
    SMTP_TIMEOUT_SECONDS: int = Field(default=10, ge=1)
    EMAILS_FROM_EMAIL: EmailStr | None = None
    EMAILS_FROM_NAME: str | None = None
    # Where replies go; without it, no Reply-To header (replies go to the sender).
    EMAILS_REPLY_TO: EmailStr | None = None

    SENTRY_DSN: HttpUrl | None = None
    SENTRY_TRACES_SAMPLE_RATE: float = Field(default=0.0, ge=0.0, le=1.0)

    FRONTEND_DIST: Path | None = None

    # Abuse resistance: see app/core/rate_limit.py for the limits themselves.
    RATE_LIMIT_ENABLED: bool = True
    # Shared rate-limit counts across instances; in-process memory when unset.
    REDIS_URL: str | None = None
    # Proxies (IPs or CIDR networks) whose X-Forwarded-For / -Proto are believed.
    TRUSTED_PROXIES: Annotated[list[str] | str, TextList] = []
    # None: required everywhere but ENVIRONMENT=local.
    EMAIL_VERIFICATION_REQUIRED: bool | None = None
    EMAIL_VERIFICATION_TOKEN_EXPIRE_HOURS: int = Field(default=48, ge=1)
    TEAM_INVITATION_EXPIRE_DAYS: int = Field(default=7, ge=1, le=365)
    MAX_REQUEST_BODY_BYTES: int = Field(default=1024 * 1024, ge=1024)
    SMTP_MAX_ATTEMPTS: int = Field(default=4, ge=1, le=10)
    SMTP_RETRY_BACKOFF_SECONDS: float = Field(default=2.0, ge=0.0)

    @property
    def all_cors_origins(self) -> list[str]:
        origins = [str(origin).rstrip("/") for origin in self.BACKEND_CORS_ORIGINS]
        return [*origins, self.FRONTEND_HOST.rstrip("/")]

    @property
    def emails_enabled(self) -> bool:
        return bool(self.SMTP_HOST and self.EMAILS_FROM_EMAIL)

    @property
    def email_verification_required(self) -> bool:
        if self.EMAIL_VERIFICATION_REQUIRED is None:
            return self.ENVIRONMENT != "local"
        return self.EMAIL_VERIFICATION_REQUIRED

    @model_validator(mode="after")
    def _default_from_name(self) -> Self:
        if not self.EMAILS_FROM_NAME:
            self.EMAILS_FROM_NAME = self.PROJECT_NAME
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Self:
        defaults = [
            name
            for name in ("SECRET_KEY", "FIRST_SUPERUSER_PASSWORD")
            if getattr(self, name) == DEFAULT_SECRET
        ]
        if self.DATABASE_URL and f":{DEFAULT_SECRET}@" in self.DATABASE_URL:
            defaults.append("DATABASE_URL password")
        for name in defaults:
            message = (
                f'The value of {name} is "{DEFAULT_SECRET}", '
                "for security, please change it, at least for deployments."
            )
            if self.ENVIRONMENT == "local":
                warnings.warn(message, stacklevel=1)
            else:
                raise ValueError(message)
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
