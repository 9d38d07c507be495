"""Tables and API schemas, one family per entity.

Schemas (`XCreate`, `XUpdate`, `XPublic`, ...) validate everything that crosses the
HTTP boundary; table classes (`X(XBase, table=True)`) describe the rows. Response
schemas derive from `Public`, lists from `Page[XPublic]` (`app.core.listing`).
"""

import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    EmailStr,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    String,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.core.listing import COUNTED, Page, Public, TeamRows


def utc_now() -> datetime:
    return datetime.now(UTC)


# PostgreSQL text cannot hold NUL characters: every text field refuses them.
NO_NUL = r"^[^\x00]*$"
Text = Annotated[str, StringConstraints(pattern=NO_NUL)]


def _normalize_email(email: str) -> str:
    return email.strip().lower()


# Domains no mail is delivered to (RFC 6761 and friends): refused, as the schema says.
_SPECIAL_USE = ("arpa", "invalid", "local", "localhost", "onion", "test")
_ANY_CASE = "|".join(
    "".join(f"[{c}{c.upper()}]" for c in name) for name in _SPECIAL_USE
)
# An address (validated, then compared and stored in lower case); at most 254
# characters, as SMTP carries them.
Email = Annotated[
    EmailStr,
    AfterValidator(_normalize_email),
    Field(max_length=254),
    WithJsonSchema(
        {
            "type": "string",
            "format": "email",
            "maxLength": 254,
            "not": {"pattern": rf"\.({_ANY_CASE})\.?$"},
        }
    ),
]


# Passwords of any length count whole (`app.core.security`); the cap bounds the work.
Password = Annotated[
    str, StringConstraints(min_length=8, max_length=128, pattern=NO_NUL)
]
# A password typed to prove identity: checked, never stored.
PasswordAttempt = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=NO_NUL)
]
# A token this API signed (a JWT: three base64url parts), as emailed links carry.
SignedToken = Annotated[
    str,
    StringConstraints(
        max_length=2048, pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
    ),
]
# A refresh token as `app.core.security.generate_refresh_token` makes them.
RefreshTokenText = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{43}$")]
# An invitation's token, made the same way.
InvitationTokenText = RefreshTokenText


def _not_null_in_schema(schema: dict[str, Any], model: type[Any]) -> None:
    for name in model.not_nullable:
        field = schema["properties"].get(name, {})
        options = [
            option for option in field.pop("anyOf", []) if option != {"type": "null"}
        ]
        field.update(options[0] if len(options) == 1 else {"anyOf": options})
        field.pop("default", None)


def _update_me_schema(schema: dict[str, Any], model: type[Any]) -> None:
    _not_null_in_schema(schema, model)
    schema["dependentRequired"] = {"email": ["current_password"]}


class PartialUpdate(SQLModel):
    """Base of update schemas: a field left out is kept; those in `not_nullable` may be
    left out but not set to null (their JSON schema says so too)."""

    model_config = {"json_schema_extra": _not_null_in_schema}
    not_nullable: ClassVar[tuple[str, ...]] = ()

    @model_validator(mode="after")
    def _reject_null_for_required(self) -> Self:
        for name in self.not_nullable:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


def id_field() -> Any:
    return Field(default_factory=uuid.uuid4, primary_key=True)


def timestamp_field() -> Any:
    return Field(
        default_factory=utc_now,
        sa_column_kwargs={"nullable": False},
        sa_type=DateTime(timezone=True),
    )


def team_field() -> Any:
    """The team a row belongs to; its rows go when it does."""
    return Field(foreign_key="team.id", ondelete="CASCADE", nullable=False)


def owner_field() -> Any:
    """The user who created the row. It stays with the team when they leave it or
    delete their account (then it is null)."""
    return Field(default=None, foreign_key="user.id", ondelete="SET NULL")


def owned_table_args(name: str, *, counted: bool = True) -> tuple[Any, ...]:
    """Indexes every team-owned table needs: a team's rows newest first, and
    everyone's, read straight off an index (scanned backwards for DESC), and the
    creator's rows (for the foreign key). `counted`: its list counts come from
    counters the migration keeps (`app/alembic/row_counts.py`), for tables that grow
    past a few thousand rows."""
    indexes = (
        Index(f"ix_{name}_team_id_created_at_id", "team_id", "created_at", "id"),
        Index(f"ix_{name}_created_at_id", "created_at", "id"),
        Index(f"ix_{name}_owner_id", "owner_id"),
    )
    return (*indexes, {"info": {COUNTED: "team_id"}}) if counted else indexes


# Users ---------------------------------------------------------------------------


class UserBase(SQLModel):
    email: Email
    is_active: bool = True
    is_superuser: bool = False
    is_verified: bool = False
    full_name: Text | None = Field(default=None, max_length=255)


class UserCreate(UserBase):
    password: Password


class UserRegister(SQLModel):
    email: Email
    password: Password
    full_name: Text | None = Field(default=None, max_length=255)


class UserUpdate(PartialUpdate):
    not_nullable = ("email", "is_active", "is_superuser", "is_verified", "password")

    email: Email | None = None
    is_active: bool | None = None
    is_superuser: bool | None = None
    is_verified: bool | None = None
    full_name: Text | None = Field(default=None, max_length=255)
    password: Password | None = None


class UserUpdateMe(PartialUpdate):
    """A new email needs `current_password`; it may take effect only once confirmed."""

    not_nullable = ("email", "current_password")

    full_name: Text | None = Field(default=None, max_length=255)
    email: Email | None = None
    current_password: PasswordAttempt | None = None

    model_config = {"json_schema_extra": _update_me_schema}

    @model_validator(mode="after")
    def _email_change_needs_password(self) -> Self:
        if self.email is not None and self.current_password is None:
            raise ValueError("current_password is required to change the email")
        return self


class UpdatePassword(SQLModel):
    current_password: PasswordAttempt
    new_password: Password


class User(UserBase, table=True):
    __table_args__ = (Index("ix_user_created_at_id", "created_at", "id"),)

    id: uuid.UUID = id_field()
    email: str = Field(sa_column=Column(String(255), unique=True, nullable=False))
    # Rows made outside the app count as verified.
    is_verified: bool = Field(
        default=False, sa_column_kwargs={"server_default": true()}
    )
    # A new address waiting for its confirmation link to be followed.
    pending_email: str | None = Field(
        default=None, sa_column=Column(String(255), nullable=True)
    )
    hashed_password: str
    created_at: datetime = timestamp_field()
    # False for an account made through a sign-in provider: its stored hash is of a
    # random secret nobody knows, until a password is set through recovery.
    has_password: bool = Field(
        default=True, sa_column_kwargs={"server_default": true()}
    )
    # A confirmed authenticator (`UserTotp`): logins then take a second step.
    two_factor_enabled: bool = Field(
        default=False, sa_column_kwargs={"server_default": false()}
    )


class UserPublic(UserBase, Public):
    # Shown as stored: it was checked on its way in.
    email: str
    id: uuid.UUID
    created_at: datetime
    pending_email: str | None = None
    has_password: bool = True
    two_factor_enabled: bool = False


class UsersPublic(Page[UserPublic]):
    pass


# Items ---------------------------------------------------------------------------


class ItemBase(SQLModel):
    title: Text = Field(min_length=1, max_length=255)
    description: Text | None = Field(default=None, max_length=255)


class ItemCreate(ItemBase):
    pass


class ItemUpdate(PartialUpdate):
    not_nullable = ("title",)

    title: Text | None = Field(default=None, min_length=1, max_length=255)
    description: Text | None = Field(default=None, max_length=255)


class Item(ItemBase, table=True):
    __table_args__ = owned_table_args("item")

    id: uuid.UUID = id_field()
    team_id: uuid.UUID = team_field()
    owner_id: uuid.UUID | None = owner_field()
    created_at: datetime = timestamp_field()


class ItemPublic(ItemBase, Public):
    id: uuid.UUID
    team_id: uuid.UUID
    owner_id: uuid.UUID | None
    created_at: datetime


class ItemsPublic(Page[ItemPublic]):
    pass


# Sessions ------------------------------------------------------------------------


class UserSession(SQLModel, table=True):
    """One login: the family of refresh tokens that rotate from it."""

    __tablename__ = "user_session"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(
        foreign_key="user.id", ondelete="CASCADE", nullable=False, index=True
    )
    created_at: datetime = timestamp_field()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # How the login was proven (`password`, `oidc:<provider>`, `+totp`, ...), and
    # from where: what the user's list of sessions shows them.
    method: str = Field(default="password", max_length=64)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=512)


class SessionPublic(SQLModel):
    """One of the caller's live logins; `current` marks the one asking."""

    id: uuid.UUID
    created_at: datetime
    # When its refresh token last rotated (a client refreshes while it is in use).
    last_used_at: datetime
    expires_at: datetime
    method: str
    ip: str | None
    user_agent: str | None
    current: bool


class RefreshToken(SQLModel, table=True):
    """A refresh token, stored as its SHA-256 digest; `used_at` marks a rotated one."""

    __tablename__ = "refresh_token"

    token_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    session_id: uuid.UUID = Field(
        foreign_key="user_session.id", ondelete="CASCADE", nullable=False, index=True
    )
    created_at: datetime = timestamp_field()
    used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


# Authentication and messages -----------------------------------------------------


class Token(SQLModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str


class RefreshRequest(SQLModel):
    refresh_token: RefreshTokenText | None = None


class PasswordRecovery(SQLModel):
    email: Email


class NewPassword(SQLModel):
    token: SignedToken
    new_password: Password


class TestEmail(SQLModel):
    email_to: Email


class Message(SQLModel):
    message: str


class PrivateUserCreate(SQLModel):
    email: Email
    password: Password
    full_name: Text | None = Field(default=None, max_length=255)
    is_superuser: bool = False
    # Users made for end-to-end tests can log in even where verification is required.
    is_verified: bool = True


class LoginForm(SQLModel):
    """The OAuth2 password form: `username` carries the email."""

    username: Text = Field(min_length=1, max_length=255)
    password: PasswordAttempt


# Email verification ----------------------------------------------------------------


class VerifyEmail(SQLModel):
    token: SignedToken


class VerificationResend(SQLModel):
    email: Email


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
    IDENTITY_LINKED = "identity_linked"
    IDENTITY_UNLINKED = "identity_unlinked"
    TWO_FACTOR_ENABLED = "two_factor_enabled"
    TWO_FACTOR_DISABLED = "two_factor_disabled"
    TWO_FACTOR_RESET = "two_factor_reset"
    TWO_FACTOR_FAILED = "two_factor_failed"
    RECOVERY_CODE_USED = "recovery_code_used"
    RECOVERY_CODES_REPLACED = "recovery_codes_replaced"
    SESSION_REVOKED = "session_revoked"
    TEAM_CREATED = "team_created"
    TEAM_RENAMED = "team_renamed"
    TEAM_DELETED = "team_deleted"
    TEAM_MEMBER_ADDED = "team_member_added"
    TEAM_MEMBER_REMOVED = "team_member_removed"
    TEAM_ROLE_CHANGED = "team_role_changed"
    TEAM_OWNERSHIP_CHANGED = "team_ownership_changed"
    TEAM_INVITATION_CREATED = "team_invitation_created"
    TEAM_INVITATION_REVOKED = "team_invitation_revoked"
    TEAM_INVITATION_ACCEPTED = "team_invitation_accepted"
    SUPERUSER_TEAM_ACCESS = "superuser_team_access"


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Who acts, from where, in which request: stamped on every event recorded."""

    actor_id: uuid.UUID | None = None
    ip: str | None = None
    request_id: str | None = None
    # Kept with a session the request starts, not on events.
    user_agent: str | None = None

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

    id: uuid.UUID = id_field()
    created_at: datetime = timestamp_field()


class AuditEventPublic(AuditEventBase, Public):
    id: uuid.UUID
    created_at: datetime


class AuditEventsPublic(Page[AuditEventPublic]):
    pass


# Background jobs ---------------------------------------------------------------------


class JobState(StrEnum):
    TODO = "todo"
    DOING = "doing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ABORTED = "aborted"


class JobKind(StrEnum):
    """The jobs the app defines (`app.jobs.tasks`)."""

    SEND_EMAIL = "send_email"
    PURGE_EXPIRED = "purge_expired"


class Job(SQLModel, table=True):
    """A background job as the queue keeps it (`app.jobs`): its table belongs to
    procrastinate, which creates and changes it; the app reads it, and adds only
    `created_at` (migration 0002) so jobs list like every other table."""

    __tablename__ = "procrastinate_jobs"

    id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    queue_name: str
    task_name: str
    status: JobState = Field(
        sa_column=Column(
            SqlEnum(
                JobState,
                name="procrastinate_job_status",
                create_type=False,
                values_callable=lambda states: [state.value for state in states],
            ),
            nullable=False,
        )
    )
    args: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    attempts: int
    scheduled_at: datetime | None = Field(sa_type=DateTime(timezone=True))
    created_at: datetime = timestamp_field()


class JobPublic(Public):
    id: int
    kind: str = Field(validation_alias="task_name")
    queue: str = Field(validation_alias="queue_name")
    state: JobState = Field(validation_alias="status")
    attempts: int = Field(description="Tries made so far.")
    args: dict[str, Any]
    scheduled_at: datetime | None = Field(
        description="When a job waiting for its next try runs again."
    )
    created_at: datetime


class JobsPublic(Page[JobPublic]):
    pass


class SentEmail(SQLModel, table=True):
    """An email the job that sends it has sent: a job that runs twice sends once."""

    __tablename__ = "sent_email"

    job_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    template: str = Field(max_length=40)
    sent_at: datetime = timestamp_field()


# Sign-in providers ---------------------------------------------------------------


class UserIdentity(SQLModel, table=True):
    """An account at a sign-in provider (its `subject` there), linked to a user."""

    __tablename__ = "user_identity"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(
        foreign_key="user.id", ondelete="CASCADE", nullable=False, index=True
    )
    provider: str = Field(max_length=32)
    subject: str = Field(max_length=255)
    # The address the provider gave when the identity was linked, for display.
    email: str | None = Field(default=None, max_length=255)
    created_at: datetime = timestamp_field()


class UserIdentityPublic(Public):
    id: uuid.UUID
    provider: str
    email: str | None
    created_at: datetime


class SignInProvider(SQLModel):
    """A provider the login page offers."""

    name: str
    display: str


class AuthorizationUrl(SQLModel):
    """Where to send the browser to sign in at a provider."""

    authorization_url: str


class ConfirmLink(SQLModel):
    """The password of the account a provider identity is about to be linked to."""

    password: PasswordAttempt


# Two-factor authentication -------------------------------------------------------


class UserTotp(SQLModel, table=True):
    """A user's authenticator secret (encrypted, `app.core.two_factor`). Unconfirmed
    until a first code proves the authenticator has it."""

    __tablename__ = "user_totp"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(
        foreign_key="user.id", ondelete="CASCADE", nullable=False, unique=True
    )
    secret: str = Field(max_length=255)
    confirmed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # The 30-second step of the last code accepted: no code of it or before it again.
    last_used_step: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = timestamp_field()


class RecoveryCode(SQLModel, table=True):
    """A single-use code that stands in for the authenticator, stored as a digest."""

    __tablename__ = "recovery_code"

    id: uuid.UUID = id_field()
    user_id: uuid.UUID = Field(
        foreign_key="user.id", ondelete="CASCADE", nullable=False, index=True
    )
    code_hash: str = Field(sa_column=Column(String(64), nullable=False))
    used_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = timestamp_field()


# A code from the authenticator (6 digits), or a recovery code (16 letters and
# digits, dashes and spaces between groups allowed).
TwoFactorCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        pattern=r"^([0-9]{6}|[A-Za-z2-7]{4}([ -]?[A-Za-z2-7]{4}){3})$",
    ),
]
AuthenticatorCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class TwoFactorStatus(SQLModel):
    enabled: bool
    recovery_codes_left: int
    # Set for a superuser where REQUIRE_2FA_FOR_SUPERUSERS is on.
    required: bool


class TwoFactorSetup(SQLModel):
    """A new authenticator secret, to scan (`qr_svg`, an SVG data URI) or type in."""

    secret: str
    otpauth_uri: str
    qr_svg: str


class TwoFactorEnable(SQLModel):
    code: AuthenticatorCode


class RecoveryCodes(SQLModel):
    """Shown once: only their digests are kept."""

    recovery_codes: list[str]


class TwoFactorProof(SQLModel):
    """The password (for an account that has one) and a current code: asked before
    turning two-factor authentication off or replacing the recovery codes."""

    password: PasswordAttempt | None = None
    code: TwoFactorCode


class TwoFactorChallenge(SQLModel):
    """A login's first step succeeded: send a code with this token to `/login/2fa`."""

    two_factor_required: bool = True
    two_factor_token: str
    expires_in: int


class TwoFactorLogin(SQLModel):
    """The second step: a code, and the token of the first step (or its cookie)."""

    code: TwoFactorCode
    two_factor_token: SignedToken | None = None


# Teams -----------------------------------------------------------------------------


class TeamRole(StrEnum):
    """What a member may do in a team: a member creates rows and changes their own;
    an admin also manages members, invitations and every row; an owner also renames
    and deletes the team and makes other owners."""

    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"

    @property
    def rank(self) -> int:
        return _ROLE_RANKS[self]


_ROLE_RANKS = {TeamRole.MEMBER: 0, TeamRole.ADMIN: 1, TeamRole.OWNER: 2}


@dataclass(frozen=True, slots=True)
class Membership:
    """The caller's standing in one team, resolved once per request (`app.api.deps`)."""

    user: User
    team_id: uuid.UUID
    is_personal: bool
    role: TeamRole | None  # None: a superuser who is not a member
    # The caller's superuser rights are in force (`app.api.deps.acts_as_superuser`:
    # where a second factor is required, only once they have one).
    superuser: bool = False

    @property
    def scope(self) -> TeamRows:
        return TeamRows(self.team_id)

    def at_least(self, role: TeamRole) -> bool:
        """Whether the caller has this role or a higher one (a superuser has all)."""
        if self.superuser:
            return True
        return self.role is not None and self.role.rank >= role.rank

    def may_change(self, row: Any) -> bool:
        """A member changes the rows they created; an admin or owner, all of them."""
        return self.at_least(TeamRole.ADMIN) or row.owner_id == self.user.id


class InvitedRole(StrEnum):
    """The roles an invitation may offer; ownership is given by an owner, later."""

    ADMIN = "admin"
    MEMBER = "member"


# A team's name goes into email subjects: one line, no control characters.
OneLine = Annotated[str, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]*$")]


class TeamBase(SQLModel):
    name: OneLine = Field(min_length=1, max_length=255)


class TeamCreate(TeamBase):
    pass


class TeamUpdate(PartialUpdate):
    not_nullable = ("name",)

    name: OneLine | None = Field(default=None, min_length=1, max_length=255)


class Team(TeamBase, table=True):
    """A shared workspace. Every user has one of their own (`personal_for_id`), made
    with their account and gone with it, which no one else joins."""

    __table_args__ = (Index("ix_team_created_at_id", "created_at", "id"),)

    id: uuid.UUID = id_field()
    personal_for_id: uuid.UUID | None = Field(
        default=None, foreign_key="user.id", ondelete="CASCADE", unique=True
    )
    created_at: datetime = timestamp_field()


class TeamPublic(TeamBase, Public):
    id: uuid.UUID
    is_personal: bool
    created_at: datetime
    # The caller's role; null for a superuser who is not a member.
    role: TeamRole | None


class TeamsPublic(Page[TeamPublic]):
    pass


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"

    team_id: uuid.UUID = Field(
        foreign_key="team.id", ondelete="CASCADE", primary_key=True
    )
    user_id: uuid.UUID = Field(
        foreign_key="user.id", ondelete="CASCADE", primary_key=True, index=True
    )
    role: TeamRole = Field(sa_type=String(10))
    created_at: datetime = timestamp_field()


class TeamMemberUpdate(SQLModel):
    role: TeamRole


class TeamMemberPublic(Public):
    user_id: uuid.UUID
    email: str
    full_name: str | None
    role: TeamRole
    # When they joined.
    created_at: datetime


class TeamMembersPublic(Page[TeamMemberPublic]):
    pass


class TeamInvitationCreate(SQLModel):
    email: Email
    role: InvitedRole = InvitedRole.MEMBER


class TeamInvitation(SQLModel, table=True):
    """An invitation to join a team, for one address: it works once, until it
    expires; only the SHA-256 digest of its token is kept, from when its email is
    sent (a new email makes a new token, and the previous link stops working)."""

    __tablename__ = "team_invitation"
    __table_args__ = (
        Index(
            "ix_team_invitation_team_id_created_at_id", "team_id", "created_at", "id"
        ),
        UniqueConstraint("team_id", "email"),
    )

    id: uuid.UUID = id_field()
    team_id: uuid.UUID = team_field()
    email: str = Field(sa_column=Column(String(255), nullable=False))
    role: InvitedRole = Field(sa_type=String(10))
    # Set when its email is sent (the job makes the token then): none before.
    token_hash: str | None = Field(
        default=None, sa_column=Column(String(64), unique=True, nullable=True)
    )
    invited_by_id: uuid.UUID | None = Field(
        default=None, foreign_key="user.id", ondelete="SET NULL"
    )
    created_at: datetime = timestamp_field()
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))


class TeamInvitationPublic(Public):
    id: uuid.UUID
    team_id: uuid.UUID
    email: str
    role: InvitedRole
    invited_by_id: uuid.UUID | None
    created_at: datetime
    expires_at: datetime


class TeamInvitationsPublic(Page[TeamInvitationPublic]):
    pass


class InvitationAccept(SQLModel):
    token: InvitationTokenText
