"""Tables and API schemas, one family per entity.

Schemas (`XCreate`, `XUpdate`, `XPublic`, ...) validate everything that crosses the
HTTP boundary; table classes (`X(XBase, table=True)`) map rows and are never read
from a request directly.
"""

import base64
import binascii
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, NamedTuple, Self, TypeVar, cast

from pydantic import (
    AfterValidator,
    EmailStr,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    true,
)
from sqlmodel import Field, SQLModel
from typing_extensions import TypedDict

from app.core.security import BCRYPT_MAX_PASSWORD_BYTES


def utc_now() -> datetime:
    return datetime.now(UTC)


_Shown = TypeVar("_Shown", bound=SQLModel)


def from_row(schema: type[_Shown], row: Mapping[str, Any] | SQLModel) -> _Shown:
    """A response schema filled from a database row (or a table object), without
    validating it again.

    For rows the database returns: their values were validated on the way in, and
    checking each of a hundred rows again (email syntax, say) costs more than
    reading them.
    """
    if isinstance(row, Mapping):
        values = {name: row[name] for name in schema.model_fields}
    else:
        values = {name: getattr(row, name) for name in schema.model_fields}
    # SQLModel types `model_construct` as returning SQLModel, not the class it is on.
    return cast(_Shown, schema.model_construct(**values))


class PageJson:
    """A list page (`XsPublic`: data, count, next_cursor) as JSON, straight from rows.

    The same fields and encoding as the `XsPublic` schema, which the list routes
    declare as their response model (and their tests check the bodies), but without
    an object per row: for a page of 100 that was most of the request's time.
    """

    def __init__(self, shown: type[SQLModel]) -> None:
        fields = {name: field.annotation for name, field in shown.model_fields.items()}
        row = TypedDict(f"{shown.__name__}Row", fields)  # type: ignore[misc]

        class Page(TypedDict):
            data: list[row]
            count: int
            next_cursor: str | None

        self._adapter: TypeAdapter[Any] = TypeAdapter(Page)

    def dump(
        self, *, rows: Sequence[Mapping[str, Any]], count: int, next_cursor: str | None
    ) -> bytes:
        return self._adapter.dump_json(
            {"data": rows, "count": count, "next_cursor": next_cursor}
        )


class InvalidCursorError(ValueError):
    """A page cursor that this API did not hand out."""

    def __init__(self) -> None:
        super().__init__("Invalid cursor: pass a `next_cursor` as given")


class PagePosition(NamedTuple):
    """Where a page ends in a list ordered by (created_at, id): the next one starts
    after it. Clients see it as an opaque `cursor` string."""

    created_at: datetime
    id: uuid.UUID

    @classmethod
    def after(cls, row: Mapping[str, Any]) -> "PagePosition":
        return cls(row["created_at"], row["id"])

    def encode(self) -> str:
        text = f"{self.created_at.isoformat()}/{self.id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> "PagePosition":
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            text = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
            created_at, row_id = text.split("/")
            position = cls(datetime.fromisoformat(created_at), uuid.UUID(row_id))
        except (UnicodeError, binascii.Error, ValueError) as exc:
            raise InvalidCursorError() from exc
        if position.created_at.tzinfo is None:
            raise InvalidCursorError()
        return position


def _fits_bcrypt(password: str) -> str:
    if len(password.encode()) > BCRYPT_MAX_PASSWORD_BYTES:
        raise ValueError(
            f"Password must be at most {BCRYPT_MAX_PASSWORD_BYTES} bytes "
            "(fewer characters when it has accents or symbols)"
        )
    return password


Password = Annotated[
    str, StringConstraints(min_length=8, max_length=72), AfterValidator(_fits_bcrypt)
]
# A password typed to prove identity: checked, never stored, so only bounded.
PasswordAttempt = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class Schema(SQLModel):
    """Base of every request schema: PostgreSQL text cannot hold NUL characters."""

    @field_validator("*", mode="after")
    @classmethod
    def _reject_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("Text must not contain NUL characters")
        return value

    @field_validator("email", mode="after", check_fields=False)
    @classmethod
    def _normalize_email(cls, value: str | None) -> str | None:
        return value.strip().lower() if value is not None else None


class PartialUpdate(Schema):
    """Base of update schemas: a field left out is kept, but some may not be nulled."""

    not_nullable: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _reject_null_for_required(self) -> Self:
        for name in self.not_nullable:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


def timestamp_column() -> Any:
    return Field(
        default_factory=utc_now,
        sa_column_kwargs={"nullable": False},
        sa_type=DateTime(timezone=True),
    )


# Users ---------------------------------------------------------------------------


class UserBase(Schema):
    email: EmailStr = Field(max_length=255)
    is_active: bool = True
    is_superuser: bool = False
    is_verified: bool = False
    full_name: str | None = Field(default=None, max_length=255)


class UserCreate(UserBase):
    password: Password


class UserRegister(Schema):
    email: EmailStr = Field(max_length=255)
    password: Password
    full_name: str | None = Field(default=None, max_length=255)


class UserUpdate(PartialUpdate):
    not_nullable = ("email", "is_active", "is_superuser", "is_verified", "password")

    email: EmailStr | None = Field(default=None, max_length=255)
    is_active: bool | None = None
    is_superuser: bool | None = None
    is_verified: bool | None = None
    full_name: str | None = Field(default=None, max_length=255)
    password: Password | None = None


class UserUpdateMe(PartialUpdate):
    """A new email needs `current_password`; it may take effect only once confirmed."""

    not_nullable = ("email",)

    full_name: str | None = Field(default=None, max_length=255)
    email: EmailStr | None = Field(default=None, max_length=255)
    current_password: PasswordAttempt | None = None

    @model_validator(mode="after")
    def _email_change_needs_password(self) -> Self:
        if self.email is not None and self.current_password is None:
            raise ValueError("current_password is required to change the email")
        return self


class UpdatePassword(Schema):
    current_password: PasswordAttempt
    new_password: Password


class User(UserBase, table=True):
    __table_args__ = (Index("ix_user_created_at_id", "created_at", "id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(sa_column=Column(String(255), unique=True, nullable=False))
    # Rows made outside the app (and those before verification existed) count as verified.
    is_verified: bool = Field(
        default=False, sa_column_kwargs={"server_default": true()}
    )
    # A new address waiting for its confirmation link to be followed.
    pending_email: str | None = Field(
        default=None, sa_column=Column(String(255), nullable=True)
    )
    hashed_password: str
    created_at: datetime = timestamp_column()


class UserPublic(UserBase):
    id: uuid.UUID
    created_at: datetime
    pending_email: str | None = None


NEXT_CURSOR_DESCRIPTION = (
    "Pass as `cursor` to read the page after this one; null on the last page."
)


class UsersPublic(SQLModel):
    data: list[UserPublic]
    count: int
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


USERS_PAGE_JSON = PageJson(UserPublic)


# Items ---------------------------------------------------------------------------


class ItemBase(Schema):
    title: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=255)


class ItemCreate(ItemBase):
    pass


class ItemUpdate(PartialUpdate):
    not_nullable = ("title",)

    title: str | None = Field(default=None, min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=255)


class Item(ItemBase, table=True):
    # An owner's items newest first, and everyone's for a superuser, are read
    # straight off these indexes (scanned backwards for DESC).
    __table_args__ = (
        Index("ix_item_owner_id_created_at_id", "owner_id", "created_at", "id"),
        Index("ix_item_created_at_id", "created_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    owner_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("user.id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    created_at: datetime = timestamp_column()


# Item counts, kept exact by database triggers on `item` (migrations 0003 and 0004),
# so a list's `count` costs the same at any table size. Each count is spread over up
# to 16 rows ("shards", one per connection's turn), so concurrent writers do not
# queue on one row: the count is their sum.


class ItemCount(SQLModel, table=True):
    """Part of one owner's item count."""

    __tablename__ = "item_count"

    owner_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    shard: int = Field(primary_key=True, sa_type=SmallInteger)
    count: int = Field(sa_type=BigInteger)


class ItemTotal(SQLModel, table=True):
    """Part of the number of rows in `item`; `id` is the shard."""

    __tablename__ = "item_total"

    id: int = Field(primary_key=True)
    count: int = Field(sa_type=BigInteger)


class ItemPublic(ItemBase):
    id: uuid.UUID
    owner_id: uuid.UUID
    created_at: datetime


class ItemsPublic(SQLModel):
    data: list[ItemPublic]
    count: int
    next_cursor: str | None = Field(default=None, description=NEXT_CURSOR_DESCRIPTION)


ITEMS_PAGE_JSON = PageJson(ItemPublic)


# Sessions ------------------------------------------------------------------------


class UserSession(SQLModel, table=True):
    """One login: the family of refresh tokens that rotate from it."""

    __tablename__ = "user_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = timestamp_column()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(
        default=None,
        sa_type=DateTime(timezone=True),
    )


class RefreshToken(SQLModel, table=True):
    """A refresh token, stored as its SHA-256 digest; `used_at` marks a rotated one."""

    __tablename__ = "refresh_token"

    token_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    session_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("user_session.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    created_at: datetime = timestamp_column()
    used_at: datetime | None = Field(
        default=None,
        sa_type=DateTime(timezone=True),
    )


# Authentication and messages -----------------------------------------------------


class Token(SQLModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str


class RefreshRequest(Schema):
    refresh_token: str | None = Field(default=None, max_length=128)


class PasswordRecovery(Schema):
    email: EmailStr = Field(max_length=255)


class NewPassword(Schema):
    token: str = Field(min_length=1, max_length=2048)
    new_password: Password


class TestEmail(Schema):
    email_to: EmailStr = Field(max_length=255)


class Message(SQLModel):
    message: str


class PrivateUserCreate(Schema):
    email: EmailStr = Field(max_length=255)
    password: Password
    full_name: str | None = Field(default=None, max_length=255)
    is_superuser: bool = False
    # Users made for end-to-end tests can log in even where verification is required.
    is_verified: bool = True


class LoginForm(Schema):
    """The OAuth2 password form: `username` carries the email."""

    username: str = Field(min_length=1, max_length=255)
    password: PasswordAttempt


# Email verification ----------------------------------------------------------------


class VerifyEmail(Schema):
    token: str = Field(min_length=1, max_length=2048)


class VerificationResend(Schema):
    email: EmailStr = Field(max_length=255)


# Audit log -------------------------------------------------------------------------


class AuditEventType(StrEnum):
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    REFRESH_TOKEN_REUSED = "refresh_token_reused"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    EMAIL_CHANGE_REQUESTED = "email_change_requested"
    EMAIL_CHANGED = "email_changed"
    EMAIL_VERIFIED = "email_verified"
    USER_CREATED = "user_created"
    USER_UPDATED = "user_updated"
    USER_DELETED = "user_deleted"
    ROLE_CHANGED = "role_changed"
    ACTIVE_CHANGED = "active_changed"


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Who acts, from where, in which request: stamped on every event recorded."""

    actor_id: uuid.UUID | None = None
    ip: str | None = None
    request_id: str | None = None

    def by(self, actor_id: uuid.UUID | None) -> "AuditContext":
        return replace(self, actor_id=actor_id)


class AuditEventBase(SQLModel):
    event_type: AuditEventType = Field(sa_type=String(40))
    actor_id: uuid.UUID | None = None
    target_id: uuid.UUID | None = None
    ip: str | None = Field(default=None, max_length=64)
    request_id: str | None = Field(default=None, max_length=128)
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )


class AuditEvent(AuditEventBase, table=True):
    """One security event; the ids are plain values, so the log outlives its users."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_created_at_id", "created_at", "id"),
        Index("ix_audit_event_event_type_created_at", "event_type", "created_at"),
        Index("ix_audit_event_actor_id_created_at", "actor_id", "created_at"),
        Index("ix_audit_event_target_id_created_at", "target_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    created_at: datetime = timestamp_column()


class AuditEventPublic(AuditEventBase):
    id: uuid.UUID
    created_at: datetime


class AuditEventsPublic(SQLModel):
    data: list[AuditEventPublic]
    count: int
