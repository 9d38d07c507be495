"""Application settings, read from the environment and the repository's root `.env`."""

import json
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AnyUrl,
    BaseModel,
    BeforeValidator,
    EmailStr,
    Field,
    HttpUrl,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

API_V1_STR = "/api/v1"
DEFAULT_SECRET = "changethis"
DEFAULT_DRAIN_SECONDS = 5.0
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


def parse_json(value: Any) -> Any:
    """A JSON value given as text (in code or `.env`) is decoded here."""
    return json.loads(value) if isinstance(value, str) else value


def _secure_url(url: str | None) -> str | None:
    """HTTPS, or plain HTTP on the loopback interface (a provider run for tests)."""
    if url is None:
        return None
    host = url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    loopback = host in ("localhost", "127.0.0.1", "[::1]")
    if not (url.startswith("https://") or (url.startswith("http://") and loopback)):
        raise ValueError(f"{url} must be an https:// URL")
    return url.rstrip("/")


# GitHub speaks OAuth 2.0 without OpenID Connect: its endpoints are known, not discovered.
GITHUB_DEFAULTS = {
    "authorization_endpoint": "https://github.com/login/oauth/authorize",
    "token_endpoint": "https://github.com/login/oauth/access_token",
    "api_base_url": "https://api.github.com",
}


class OIDCProviderSettings(BaseModel):
    """One sign-in provider of `OIDC_PROVIDERS`.

    `kind` "oidc" (the default) discovers everything else from
    `{issuer}/.well-known/openid-configuration`; "github" uses GitHub's OAuth 2.0
    endpoints and its user API (`authorization_endpoint`, `token_endpoint` and
    `api_base_url` change them, for GitHub Enterprise Server).
    """

    model_config = {"extra": "forbid"}

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    display: str | None = Field(default=None, max_length=64)
    kind: Literal["oidc", "github"] = "oidc"
    issuer: str | None = None
    client_id: str = Field(min_length=1)
    client_secret: str = ""
    scopes: list[str] | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    api_base_url: str | None = None

    _urls = field_validator(
        "issuer", "authorization_endpoint", "token_endpoint", "api_base_url"
    )(_secure_url)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.kind == "oidc":
            if not self.issuer:
                raise ValueError(
                    f"provider {self.name}: an OpenID provider needs issuer"
                )
            self.scopes = self.scopes or ["openid", "email", "profile"]
        else:
            for name, default in GITHUB_DEFAULTS.items():
                if getattr(self, name) is None:
                    setattr(self, name, default)
            self.scopes = self.scopes or ["read:user", "user:email"]
        self.display = self.display or self.name.replace("-", " ").title().replace(
            "Github", "GitHub"
        )
        return self


def _unique_names(providers: list[OIDCProviderSettings]) -> list[OIDCProviderSettings]:
    names = [provider.name for provider in providers]
    if len(names) != len(set(names)):
        raise ValueError("OIDC_PROVIDERS: each provider needs its own name")
    return providers


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
    # How long a request waits for a free pooled connection before it answers 503.
    DATABASE_POOL_TIMEOUT_SECONDS: float = Field(default=5.0, gt=0)
    # The longest one round trip to the database may take (a statement, BEGIN or
    # COMMIT): past it the connection is closed and the request answers 503, so a
    # database that hangs cannot hold requests (or the pool) for good.
    DATABASE_STATEMENT_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0)

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

    # Prometheus metrics on a port of their own, never the API's (0: no metrics).
    METRICS_PORT: int = Field(default=9100, ge=0, le=65535)
    # OTLP/HTTP collector for traces (`http://otel-collector:4318`); unset: no tracing.
    OTEL_EXPORTER_OTLP_ENDPOINT: HttpUrl | None = None
    # On SIGTERM, readiness answers 503 for this long while requests are still
    # served, so that balancers stop sending new ones; then the server shuts down.
    # None: 5 s everywhere but ENVIRONMENT=local (where a reload should not wait).
    SHUTDOWN_DRAIN_SECONDS: float | None = Field(default=None, ge=0, le=60)

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

    # Background jobs (app/jobs): a worker runs inside each API process unless off;
    # `python -m app.worker` runs one on its own.
    JOBS_WORKER_IN_PROCESS: bool = True
    JOBS_WORKER_CONCURRENCY: int = Field(default=4, ge=1, le=100)
    # A failing job is tried again after BACKOFF, 2 x BACKOFF, 4 x ... (at most
    # BACKOFF_MAX between tries), up to MAX_ATTEMPTS tries in all; then it is failed.
    JOBS_MAX_ATTEMPTS: int = Field(default=12, ge=1, le=100)
    JOBS_RETRY_BACKOFF_SECONDS: float = Field(default=2.0, ge=0.0)
    JOBS_RETRY_BACKOFF_MAX_SECONDS: float = Field(default=600.0, ge=0.0)
    # A job whose worker stopped sending heartbeats this long ago is run again.
    JOBS_STALLED_AFTER_SECONDS: float = Field(default=60.0, ge=1.0)
    # How long a stopping worker lets its running jobs finish before it hands them back.
    JOBS_SHUTDOWN_GRACE_SECONDS: float = Field(default=20.0, ge=0.0)
    # When expired sessions, old jobs and old audit events are purged (cron, UTC;
    # "off": never).
    JOBS_PURGE_CRON: str = "17 * * * *"
    # Finished jobs (and the record of each email sent) are deleted after this long.
    JOBS_RETENTION_DAYS: int = Field(default=14, ge=1)
    # Audit events older than this are deleted; 0 keeps them forever.
    AUDIT_RETENTION_DAYS: int = Field(default=0, ge=0)

    # Sign-in providers (OpenID Connect, or GitHub's OAuth 2.0): a JSON list of
    # {name, issuer, client_id, client_secret, scopes, ...}; README, "Sign-in".
    OIDC_PROVIDERS: Annotated[
        list[OIDCProviderSettings],
        BeforeValidator(parse_json),
        AfterValidator(_unique_names),
    ] = []
    # How long one request to a provider may take before the sign-in fails.
    OIDC_HTTP_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0.0, le=60.0)
    # Superusers without a second factor keep only an ordinary user's rights.
    REQUIRE_2FA_FOR_SUPERUSERS: bool = False

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

    @property
    def shutdown_drain_seconds(self) -> float:
        if self.SHUTDOWN_DRAIN_SECONDS is None:
            return 0.0 if self.ENVIRONMENT == "local" else DEFAULT_DRAIN_SECONDS
        return self.SHUTDOWN_DRAIN_SECONDS

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
