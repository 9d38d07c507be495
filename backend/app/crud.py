"""Every query, transaction and business rule of the API, as flat keyword-only functions.

Each takes the database first (`db=`: `app.core.db.Database`, or a transaction of
it) and speaks in table instances and schemas; `app.core.db` says how statements run.
"""

import functools
import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from psycopg.errors import UniqueViolation
from sqlalchemy import (
    Executable,
    Text,
    Uuid,
    bindparam,
    delete,
    desc,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import SQLModel, col

from app import jobs
from app.core import security, two_factor
from app.core.db import Database, Row, Statements, TableT, as_table
from app.core.listing import PageRequest, PageRows, Scope, TeamRows, table_of
from app.exceptions import (
    AlreadyMemberError,
    ConflictError,
    EmailAlreadyRegisteredError,
    EmailNotVerifiedError,
    ForbiddenError,
    IdentityInUseError,
    InactiveUserError,
    InvalidCredentialsError,
    LastOwnerError,
    LastSignInMethodError,
    NotFoundError,
    RefreshTokenReuseError,
    SessionError,
    SignInRefusedError,
    TwoFactorAlreadyOnError,
    invalid_invitation,
    invalid_verification,
)
from app.mail import EmailTemplate, TeamInvitationLink
from app.models import (
    AuditContext,
    AuditEvent,
    AuditEventType,
    Item,
    ItemCreate,
    ItemUpdate,
    Job,
    JobState,
    Membership,
    RecoveryCode,
    RefreshToken,
    SentEmail,
    Team,
    TeamCreate,
    TeamInvitation,
    TeamInvitationCreate,
    TeamInvitationPublic,
    TeamMember,
    TeamRole,
    TeamUpdate,
    User,
    UserCreate,
    UserIdentity,
    UserPublic,
    UserSession,
    UserTotp,
    UserUpdate,
    UserUpdateMe,
)
from app.oidc import ProviderIdentity

Event = AuditEventType

# Login for an unknown email checks the password against this, so that it costs
# the same time as a wrong password for a real account.
_dummy_hashes: dict[int, str] = {}


def prepare_login_timing(*, bcrypt_rounds: int) -> None:
    """Compute the stand-in hash now, so the first unknown-email login is not slower."""
    _dummy_hash(bcrypt_rounds)


def _dummy_hash(rounds: int) -> str:
    if rounds not in _dummy_hashes:
        _dummy_hashes[rounds] = security.hash_password(uuid.uuid4().hex, rounds=rounds)
    return _dummy_hashes[rounds]


async def ping_database(*, db: Database) -> None:
    await db.scalar(select(literal(1)))


@contextmanager
def _email_must_be_free() -> Iterator[None]:
    """The database keeps emails unique: a taken one is a 409, found at the write."""
    try:
        yield
    except UniqueViolation as exc:
        raise EmailAlreadyRegisteredError() from exc


# Users ---------------------------------------------------------------------------


async def get_user(*, db: Statements, user_id: uuid.UUID) -> User | None:
    return await db.get(User, user_id)


async def get_user_by_email(*, db: Statements, email: str) -> User | None:
    return await db.find(User, email=email.lower())


async def list_users(*, db: Database, page: PageRequest) -> PageRows:
    """Users oldest first, with the total (no password hashes are read)."""
    return await db.page(User, page, oldest_first=True, shown=UserPublic)


async def create_user(
    *,
    db: Database,
    user_create: UserCreate,
    bcrypt_rounds: int,
    audit: AuditContext | None = None,
    emails: Sequence[EmailTemplate] = (),
) -> User:
    """Create the account and queue `emails` to it, all or nothing."""
    hashed = await security.hash_password_async(
        user_create.password, rounds=bcrypt_rounds
    )
    with _email_must_be_free():
        async with db.transaction() as tx:
            user = await tx.insert(User, user_create, hashed_password=hashed)
            flags = {"is_superuser": user.is_superuser, "is_verified": user.is_verified}
            await record(
                tx, audit, Event.USER_CREATED, user.id, email=user.email, **flags
            )
            await _create_personal_team(tx, user_id=user.id)
            for template in emails:
                await queue_email(tx, template, to=user.email, user_id=user.id)
    return user


async def update_user(
    *,
    db: Database,
    db_user: User,
    user_in: UserUpdate | UserUpdateMe,
    bcrypt_rounds: int,
    audit: AuditContext | None = None,
) -> User:
    """Apply the fields that were sent; a new password or deactivation ends every session."""
    changes = user_in.model_dump(exclude_unset=True, exclude={"current_password"})
    if (password := changes.pop("password", None)) is not None:
        changes["hashed_password"] = await security.hash_password_async(
            password, rounds=bcrypt_rounds
        )
        changes["has_password"] = True
    with _email_must_be_free():
        async with db.transaction() as tx:
            await _audit_user_changes(tx, audit, db_user, changes)
            if password is not None or changes.get("is_active") is False:
                await tx.execute(_REVOKE_USER_SESSIONS, user_id=db_user.id)
            updated = await tx.update(User, db_user.id, changes)
    return updated or db_user


async def set_password(
    *,
    db: Database,
    db_user: User,
    new_password: str,
    bcrypt_rounds: int,
    audit: AuditContext | None = None,
    event_type: AuditEventType = Event.PASSWORD_CHANGED,
) -> None:
    """Change the password and revoke every session, so old tokens stop working."""
    hashed = await security.hash_password_async(new_password, rounds=bcrypt_rounds)
    async with db.transaction() as tx:
        changes = {"hashed_password": hashed, "has_password": True}
        await tx.update(User, db_user.id, changes)
        await record(tx, audit, event_type, db_user.id)
        await tx.execute(_REVOKE_USER_SESSIONS, user_id=db_user.id)


async def delete_user(
    *, db: Database, db_user: User, audit: AuditContext | None = None
) -> None:
    """Delete the user; their sessions and personal team go with them. A shared
    team they alone own passes to its longest-standing admin (else member), or goes
    when it has no one else."""
    async with db.transaction() as tx:
        await record(tx, audit, Event.USER_DELETED, db_user.id, email=db_user.email)
        await _hand_over_sole_owned_teams(tx, user_id=db_user.id, audit=audit)
        await tx.delete(User, db_user.id)


async def authenticate(
    *,
    db: Database,
    email: str,
    password: str,
    bcrypt_rounds: int,
    require_verified: bool = False,
) -> User:
    # One statement in autocommit: no connection waits on bcrypt below.
    user = await get_user_by_email(db=db, email=email)
    hashed = user.hashed_password if user else _dummy_hash(bcrypt_rounds)
    if not await security.verify_password_async(password, hashed) or user is None:
        raise InvalidCredentialsError(user_id=user.id if user else None)
    if not user.is_active:
        raise InactiveUserError()
    if require_verified and not user.is_verified:
        raise EmailNotVerifiedError()
    return user


async def request_email_change(
    *, db: Database, db_user: User, new_email: str, audit: AuditContext | None = None
) -> User:
    """Keep the new address aside, and send it a link that confirms it."""
    if await get_user_by_email(db=db, email=new_email) is not None:
        raise EmailAlreadyRegisteredError()
    async with db.transaction() as tx:
        user = await tx.update(User, db_user.id, {"pending_email": new_email})
        event = Event.EMAIL_CHANGE_REQUESTED
        await record(tx, audit, event, db_user.id, new_email=new_email)
        template = EmailTemplate.CHANGE_EMAIL
        await queue_email(tx, template, to=new_email, user_id=db_user.id)
    return user or db_user


async def confirm_email(
    *, db: Database, user_id: uuid.UUID, email: str, audit: AuditContext | None = None
) -> User:
    """Follow a verification link: verify the address, or switch to the pending one.
    Each link works once: afterwards the address it names is no longer waiting."""
    db_user = await get_user(db=db, user_id=user_id)
    if db_user is None or not db_user.is_active:
        raise invalid_verification()
    if db_user.pending_email == email:
        changes = {"email": email, "pending_email": None, "is_verified": True}
        event, details = (
            Event.EMAIL_CHANGED,
            {"old_email": db_user.email, "new_email": email},
        )
    elif db_user.email == email and not db_user.is_verified:
        changes, event, details = (
            {"is_verified": True},
            Event.EMAIL_VERIFIED,
            {"email": email},
        )
    else:
        raise invalid_verification()
    with _email_must_be_free():
        async with db.transaction() as tx:
            user = await tx.update(User, db_user.id, changes)
            await record(tx, audit, event, db_user.id, **details)
    return user or db_user


# Sessions ------------------------------------------------------------------------

# The access-token check on nearly every request: the user, if the session the token
# names is live. One statement, compiled once.
_users, _sessions = table_of(User), table_of(UserSession)
_USER_WITH_SESSION = _users.join(_sessions, _sessions.c.user_id == _users.c.id)
_NOT_EXPIRED = _sessions.c.expires_at > func.now()
_LIVE = (_sessions.c.revoked_at.is_(None), _NOT_EXPIRED)
_SESSION_IS_LIVE = (
    _users.c.id == bindparam("user_id"),
    _sessions.c.id == bindparam("session_id"),
    *_LIVE,
)
_SESSION_USER = select(_users).select_from(_USER_WITH_SESSION).where(*_SESSION_IS_LIVE)


async def get_session_user(
    *, db: Database, user_id: uuid.UUID, session_id: uuid.UUID
) -> User | None:
    """The user behind an access token, if its session is still live: one round trip."""
    row = await db.one(_SESSION_USER, user_id=user_id, session_id=session_id)
    return as_table(User, row) if row else None


_teams, _members = table_of(Team), table_of(TeamMember)
_ROLE = _members.c.role.label("member.role")


def _caller_in(team_id: Any) -> Any:
    """The caller's membership row in the team `team_id` names."""
    return (_members.c.team_id == team_id) & (_members.c.user_id == _users.c.id)


@functools.cache
def _session_user_and_row(table: type[SQLModel]) -> Executable:
    rows = table_of(table)
    shown = (column.label(f"row.{column.name}") for column in rows.c)
    joined = _USER_WITH_SESSION.outerjoin(
        rows, rows.c.id == bindparam("row_id")
    ).outerjoin(_members, _caller_in(rows.c.team_id))
    return select(_users, _ROLE, *shown).select_from(joined).where(*_SESSION_IS_LIVE)


async def get_session_user_and_row(
    *,
    db: Database,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    table: type[TableT],
    row_id: uuid.UUID,
) -> tuple[User | None, TableT | None, TeamRole | None]:
    """`get_session_user`, the row of `table` with this id (None if there is
    none), and the caller's role in the row's team (None if not a member), in one
    round trip: reading one row is the most frequent request after `/users/me`.
    Whether the caller may see the row is the caller's to decide."""
    found = await db.one(
        _session_user_and_row(table),
        user_id=user_id,
        session_id=session_id,
        row_id=row_id,
    )
    if found is None:
        return None, None, None
    role = found.pop("member.role")
    user, row = {}, {}
    for name, value in found.items():
        if name.startswith("row."):
            row[name[4:]] = value
        else:
            user[name] = value
    return (
        as_table(User, user),
        as_table(table, row) if row["id"] is not None else None,
        TeamRole(role) if role is not None else None,
    )


# The team a list or a new row is for: the one named, else the caller's own.
_PERSONAL_TEAM = (
    select(_teams.c.id)
    .where(_teams.c.personal_for_id == _users.c.id)
    .correlate(_users)
    .scalar_subquery()
)
_WANTED_TEAM = func.coalesce(bindparam("team_id", type_=Uuid), _PERSONAL_TEAM)
_SESSION_USER_AND_TEAM = (
    select(
        _users,
        _ROLE,
        _teams.c.id.label("team.id"),
        _teams.c.personal_for_id.label("team.personal_for_id"),
    )
    .select_from(
        _USER_WITH_SESSION.outerjoin(_teams, _teams.c.id == _WANTED_TEAM).outerjoin(
            _members, _caller_in(_teams.c.id)
        )
    )
    .where(*_SESSION_IS_LIVE)
)


async def get_session_membership(
    *,
    db: Database,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    team_id: uuid.UUID | None,
) -> tuple[User | None, Membership | None]:
    """`get_session_user`, and their standing in the team `team_id` names (their
    personal team when None), in one round trip. The membership is None when there
    is no such team; its role is None when the caller is not a member."""
    found = await db.one(
        _SESSION_USER_AND_TEAM, user_id=user_id, session_id=session_id, team_id=team_id
    )
    if found is None:
        return None, None
    role, found_team = found.pop("member.role"), found.pop("team.id")
    personal_for = found.pop("team.personal_for_id")
    user = as_table(User, found)
    if found_team is None:
        return user, None
    return user, Membership(
        user=user,
        team_id=found_team,
        is_personal=personal_for is not None,
        role=TeamRole(role) if role is not None else None,
    )


async def create_session(
    *,
    db: Database,
    user: User,
    lifetime: timedelta,
    audit: AuditContext | None = None,
    method: str = "password",
) -> tuple[UserSession, str]:
    """Start a login session; return it with its first refresh token (in clear).
    `method`: how the user proved who they are (`password`, `oidc:<provider>`, and
    `+totp` or `+recovery_code` after a second factor), kept in the audit log."""
    refresh_token = security.generate_refresh_token()
    expires_at = datetime.now(UTC) + lifetime
    ip, agent = (audit.ip, audit.user_agent) if audit else (None, None)
    async with db.transaction() as tx:
        session = await tx.insert(
            UserSession,
            user_id=user.id,
            expires_at=expires_at,
            method=method[:64],
            ip=ip,
            user_agent=agent,
        )
        token_hash = security.hash_refresh_token(refresh_token)
        await tx.insert(RefreshToken, token_hash=token_hash, session_id=session.id)
        audit = audit.by(user.id) if audit else None
        session_id = str(session.id)
        await record(
            tx,
            audit,
            Event.LOGIN_SUCCEEDED,
            user.id,
            session_id=session_id,
            method=method,
        )
    return session, refresh_token


_CLAIM_REFRESH_TOKEN = (
    update(RefreshToken)
    .where(
        col(RefreshToken.token_hash) == bindparam("token_hash"),
        col(RefreshToken.used_at).is_(None),
    )
    .values(used_at=func.now())
    .returning(col(RefreshToken.session_id))
)


async def rotate_refresh_token(
    *,
    db: Database,
    refresh_token: str,
    reuse_grace: timedelta,
    audit: AuditContext | None = None,
) -> tuple[User, UserSession, str]:
    """Trade a refresh token for a new one in the same session.

    The old token is marked used in one atomic statement, so two racing requests
    cannot both rotate it. Presenting a used token again revokes its whole session,
    unless it was rotated less than `reuse_grace` ago: then the answer to the first
    use was most likely lost (a reload mid-refresh), and it rotates once more.
    """
    token_hash = security.hash_refresh_token(refresh_token)
    new_token = security.generate_refresh_token()
    async with db.transaction() as tx:
        session_id = await tx.scalar(_CLAIM_REFRESH_TOKEN, token_hash=token_hash)
        if session_id is None:
            session_id = await _session_of_replayed_token(
                tx, token_hash=token_hash, reuse_grace=reuse_grace, audit=audit
            )
        if session_id is not None:
            # Raising here rolls the claim back: the token stays as it was.
            session = await tx.get(UserSession, session_id)
            if (
                session is None
                or session.revoked_at
                or session.expires_at <= datetime.now(UTC)
            ):
                raise SessionError()
            user = await tx.get(User, session.user_id)
            if user is None or not user.is_active:
                raise InactiveUserError()
            new_hash = security.hash_refresh_token(new_token)
            await tx.insert(RefreshToken, token_hash=new_hash, session_id=session_id)
    # A replay outside the grace: raised after the block, so that the revocation it
    # recorded is kept.
    if session_id is None:
        raise RefreshTokenReuseError()
    assert user is not None and session is not None  # checked in the block
    return user, session, new_token


async def _session_of_replayed_token(
    db: Statements,
    *,
    token_hash: str,
    reuse_grace: timedelta,
    audit: AuditContext | None,
) -> uuid.UUID | None:
    """A used token's session if it is within the grace; otherwise the session ends
    (None). An unknown token is a SessionError."""
    reused = await db.find(RefreshToken, token_hash=token_hash)
    if reused is None:
        raise SessionError()
    if reused.used_at is not None and datetime.now(UTC) - reused.used_at < reuse_grace:
        return reused.session_id
    await db.execute(_REVOKE_SESSION, id=reused.session_id)
    session = await db.get(UserSession, reused.session_id)
    target = session.user_id if session else None
    event = Event.REFRESH_TOKEN_REUSED
    await record(db, audit, event, target, session_id=str(reused.session_id))
    return None


async def revoke_session(
    *, db: Database, session_id: uuid.UUID, audit: AuditContext | None = None
) -> None:
    async with db.transaction() as tx:
        await tx.execute(_REVOKE_SESSION, id=session_id)
        actor = audit.actor_id if audit else None
        await record(tx, audit, Event.LOGOUT, actor, session_id=str(session_id))


_REVOKE = (
    update(UserSession)
    .where(col(UserSession.revoked_at).is_(None))
    .values(revoked_at=func.now())
)
_REVOKE_SESSION = _REVOKE.where(col(UserSession.id) == bindparam("id"))
_REVOKE_USER_SESSIONS = _REVOKE.where(col(UserSession.user_id) == bindparam("user_id"))

# A user's live sessions, the most recently used first: used is when a refresh token
# of it was last traded for a new one (or when it started).
MAX_LISTED_SESSIONS = 100
_tokens = table_of(RefreshToken)
_LAST_ROTATED = (
    select(func.max(_tokens.c.used_at))
    .where(_tokens.c.session_id == _sessions.c.id)
    .correlate(_sessions)
    .scalar_subquery()
)
_LIVE_SESSIONS = (
    select(
        _sessions,
        func.coalesce(_LAST_ROTATED, _sessions.c.created_at).label("last_used_at"),
    )
    .where(_sessions.c.user_id == bindparam("user_id"), *_LIVE)
    .order_by(desc("last_used_at"), _sessions.c.id)
    .limit(MAX_LISTED_SESSIONS)
)
_REVOKE_LIVE = _REVOKE_USER_SESSIONS.where(_NOT_EXPIRED).returning(_sessions.c.id)
_REVOKE_ONE_OF_USER = _REVOKE_LIVE.where(_sessions.c.id == bindparam("id"))
_REVOKE_OTHERS_OF_USER = _REVOKE_LIVE.where(_sessions.c.id != bindparam("keep"))


async def list_sessions(*, db: Statements, user_id: uuid.UUID) -> list[Row]:
    """The user's live sessions (at most MAX_LISTED_SESSIONS), the most recently used
    first, each with its `last_used_at`."""
    return await db.all(_LIVE_SESSIONS, user_id=user_id)


async def end_sessions(
    *,
    db: Database,
    user_id: uuid.UUID,
    session_id: uuid.UUID | None = None,
    keep: uuid.UUID | None = None,
    audit: AuditContext | None = None,
) -> int:
    """End one of the user's live sessions (`session_id`), or all but `keep`; how
    many ended. Each is recorded in the audit log."""
    async with db.transaction() as tx:
        if session_id is not None:
            ended = await tx.all(_REVOKE_ONE_OF_USER, user_id=user_id, id=session_id)
        else:
            ended = await tx.all(_REVOKE_OTHERS_OF_USER, user_id=user_id, keep=keep)
        for row in ended:
            event = Event.SESSION_REVOKED
            await record(tx, audit, event, user_id, session_id=str(row["id"]))
    return len(ended)


# Items ---------------------------------------------------------------------------


async def list_items(*, db: Database, scope: Scope, page: PageRequest) -> PageRows:
    """A team's items, newest first."""
    return await db.page(Item, page, scope=scope)


async def create_item(
    *, db: Database, item_in: ItemCreate, team_id: uuid.UUID, owner_id: uuid.UUID
) -> Item:
    return await db.insert(Item, item_in, team_id=team_id, owner_id=owner_id)


async def update_item(*, db: Database, item: Item, item_in: ItemUpdate) -> Item | None:
    """Change the fields that were sent; None if the item went meanwhile."""
    changes = item_in.model_dump(exclude_unset=True)
    return await db.update(Item, item.id, changes, scope=TeamRows(item.team_id))


async def delete_item(*, db: Database, item: Item) -> bool:
    return await db.delete(Item, item.id, scope=TeamRows(item.team_id))


# Audit log -----------------------------------------------------------------------


async def record(
    db: Statements,
    audit: AuditContext | None,
    event_type: AuditEventType,
    target_id: uuid.UUID | None = None,
    **details: Any,
) -> None:
    """Record a security event; inside a transaction it is kept only if the change is."""
    if audit is not None:
        await db.insert(
            AuditEvent,
            event_type=event_type,
            actor_id=audit.actor_id,
            target_id=target_id,
            ip=audit.ip,
            request_id=audit.request_id,
            details=details,
        )


async def _audit_user_changes(
    db: Statements, audit: AuditContext | None, user: User, changes: dict[str, Any]
) -> None:
    changed = {
        name
        for name, value in changes.items()
        if name == "hashed_password" or getattr(user, name) != value
    }
    if not changed:
        return
    fields = sorted("password" if n == "hashed_password" else n for n in changed)
    await record(db, audit, Event.USER_UPDATED, user.id, fields=fields)
    if "is_superuser" in changed:
        role = changes["is_superuser"]
        await record(db, audit, Event.ROLE_CHANGED, user.id, is_superuser=role)
    if "is_active" in changed:
        active = changes["is_active"]
        await record(db, audit, Event.ACTIVE_CHANGED, user.id, is_active=active)
    if "email" in changed:
        emails = {"old_email": user.email, "new_email": changes["email"]}
        await record(db, audit, Event.EMAIL_CHANGED, user.id, **emails)
    if "hashed_password" in changed:
        await record(db, audit, Event.PASSWORD_CHANGED, user.id)


async def list_audit_events(
    *,
    db: Database,
    page: PageRequest,
    event_type: AuditEventType | None,
    actor_id: uuid.UUID | None,
    target_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
) -> PageRows:
    """Events newest first, narrowed by whichever filters are given."""
    return await db.page(
        AuditEvent,
        page,
        filters=[
            ("event_type", "=", event_type),
            ("actor_id", "=", actor_id),
            ("target_id", "=", target_id),
            ("created_at", ">=", since),
            ("created_at", "<", until),
        ],
    )


# Emails and background jobs ------------------------------------------------------


async def queue_email(
    db: Statements,
    template: EmailTemplate,
    *,
    to: str,
    user_id: uuid.UUID | None = None,
    invitation_id: uuid.UUID | None = None,
) -> int:
    """Queue an email (a job); inside a transaction, it is sent only if the change is
    kept. The job holds the address and the user's (or the invitation's) id: links
    are made when it runs."""
    user = str(user_id) if user_id else None
    arguments = {"template": template, "to": to, "user_id": user}
    if invitation_id is not None:
        arguments["invitation_id"] = str(invitation_id)
    return await jobs.defer(db, jobs.SEND_EMAIL, queue="email", **arguments)


_CLAIM_EMAIL = (
    insert(SentEmail)
    .values(
        job_id=bindparam("job_id"), template=bindparam("template"), sent_at=func.now()
    )
    .on_conflict_do_nothing()
    .returning(col(SentEmail.job_id))
)


async def claim_email(db: Statements, *, job_id: int, template: EmailTemplate) -> bool:
    """Mark a job's email as sent, in the transaction that sends it; False when a run
    of that job already did (it waits here while another run holds the claim)."""
    return await db.scalar(_CLAIM_EMAIL, job_id=job_id, template=template) is not None


async def list_jobs(
    *,
    db: Database,
    page: PageRequest,
    state: JobState | None = None,
    kind: str | None = None,
) -> PageRows:
    """Jobs newest first, narrowed to a state and a kind (task name) when given."""
    filters = [("status", "=", state), ("task_name", "=", kind)]
    return await db.page(Job, page, filters=filters)


_RETRY_JOB = (
    update(Job)
    .where(col(Job.id) == bindparam("id"), col(Job.status) == JobState.FAILED)
    .values(status=JobState.TODO, attempts=0, scheduled_at=func.now())
    .returning(*table_of(Job).c)
)


# The notification procrastinate's workers listen for when a job is queued.
_WAKE_WORKERS = select(
    func.pg_notify(
        literal("procrastinate_any_queue_v1", Text), bindparam("payload", type_=Text)
    ),
    func.pg_notify(
        bindparam("queue_channel", type_=Text), bindparam("payload", type_=Text)
    ),
)


async def retry_job(*, db: Database, job_id: int) -> Job | None:
    """Run a failed job again, with a fresh set of tries; None if there is no such job.
    Workers hear of it at once, as of a job just queued."""
    if (job := await db.get(Job, job_id)) is None:
        return None
    async with db.transaction() as tx:
        row = await tx.one(_RETRY_JOB, id=job_id)
        if row is None:
            raise ConflictError(
                f"Only a failed job can be retried; this one is {job.status}"
            )
        payload = json.dumps({"type": "job_inserted", "job_id": job_id})
        channel = f"procrastinate_queue_v1#{row['queue_name']}"
        await tx.execute(_WAKE_WORKERS, payload=payload, queue_channel=channel)
    return as_table(Job, row)


async def purge_expired(
    *, db: Database, audit_retention_days: int, sent_email_retention_days: int
) -> dict[str, int]:
    """Delete what is of no more use: ended sessions (with their refresh tokens), the
    record of old sent emails, and audit events past their retention (0: kept).
    Returns how many rows of each went."""
    now = datetime.now(UTC)
    ended = col(UserSession.expires_at) < now
    revoked = col(UserSession.revoked_at).is_not(None)
    purged = {
        "sessions": delete(UserSession).where(ended | revoked),
        "sent_emails": delete(SentEmail).where(
            col(SentEmail.sent_at) < now - timedelta(days=sent_email_retention_days)
        ),
    }
    if audit_retention_days:
        cutoff = now - timedelta(days=audit_retention_days)
        purged["audit_events"] = delete(AuditEvent).where(
            col(AuditEvent.created_at) < cutoff
        )
    counts = {}
    for name, statement in purged.items():
        rows = await db.all(statement.returning(literal(1)))
        counts[name] = len(rows)
    return counts


# Sign-in providers ---------------------------------------------------------------

_identities = table_of(UserIdentity)
_IDENTITIES_OF_USER = (
    select(_identities)
    .where(_identities.c.user_id == bindparam("user_id"))
    .order_by(_identities.c.created_at, _identities.c.id)
)
_LOCK_USER = select(_users.c.has_password).where(_users.c.id == bindparam("id"))
_LOCK_USER = _LOCK_USER.with_for_update()


@contextmanager
def _identity_must_be_free() -> Iterator[None]:
    """(provider, subject) is unique: one provider account, one user."""
    try:
        yield
    except UniqueViolation as exc:
        raise IdentityInUseError() from exc


async def list_identities(*, db: Statements, user_id: uuid.UUID) -> list[UserIdentity]:
    """A user's linked provider accounts, oldest first (one per provider at most
    per provider account: a short list)."""
    rows = await db.all(_IDENTITIES_OF_USER, user_id=user_id)
    return [as_table(UserIdentity, row) for row in rows]


async def get_identity(
    *, db: Statements, provider: str, subject: str
) -> UserIdentity | None:
    return await db.find(UserIdentity, provider=provider, subject=subject)


def _identity_row(user_id: uuid.UUID, identity: ProviderIdentity) -> dict[str, Any]:
    email = identity.email[:255] if identity.email else None
    return {
        "user_id": user_id,
        "provider": identity.provider,
        "subject": identity.subject,
        "email": email,
    }


async def link_identity(
    *,
    db: Database,
    user: User,
    identity: ProviderIdentity,
    audit: AuditContext | None = None,
) -> UserIdentity:
    """Link a provider account to the user. Linked to them already: kept as it is;
    to someone else: IdentityInUseError."""
    found = await get_identity(
        db=db, provider=identity.provider, subject=identity.subject
    )
    if found is not None:
        if found.user_id != user.id:
            raise IdentityInUseError()
        return found
    with _identity_must_be_free():
        async with db.transaction() as tx:
            row = await tx.insert(UserIdentity, **_identity_row(user.id, identity))
            await record(
                tx,
                audit,
                Event.IDENTITY_LINKED,
                user.id,
                provider=identity.provider,
                email=identity.email,
            )
    return row


async def unlink_identity(
    *,
    db: Database,
    user: User,
    identity_id: uuid.UUID,
    audit: AuditContext | None = None,
) -> None:
    """Remove one of the user's identities, unless it is their last way to sign in.
    The user's row is locked meanwhile, so two removals cannot both pass the check."""
    async with db.transaction() as tx:
        has_password = await tx.scalar(_LOCK_USER, id=user.id)
        identities = await list_identities(db=tx, user_id=user.id)
        target = next((i for i in identities if i.id == identity_id), None)
        if target is None:
            raise NotFoundError("Identity")
        if not has_password and len(identities) == 1:
            raise LastSignInMethodError()
        await tx.delete(UserIdentity, identity_id)
        await record(
            tx,
            audit,
            Event.IDENTITY_UNLINKED,
            user.id,
            provider=target.provider,
            email=target.email,
        )


@dataclass(frozen=True, slots=True)
class ProviderSignIn:
    """Who a provider identity signs in as. `needs_password`: an existing account
    with the address the provider verified; the identity joins it once the
    account's password confirms it (`link_identity`)."""

    user: User
    needs_password: bool = False


async def sign_in_with_identity(
    *,
    db: Database,
    identity: ProviderIdentity,
    open_registration: bool,
    bcrypt_rounds: int,
    audit: AuditContext | None = None,
) -> ProviderSignIn:
    """The account a provider identity belongs to: the one it is linked to; else the
    one with its address (a verified one only, and with that account's password);
    else a new account where sign-up is open. An address the provider did not
    verify never reaches an existing account."""
    linked = await get_identity(
        db=db, provider=identity.provider, subject=identity.subject
    )
    if linked is not None:
        user = await get_user(db=db, user_id=linked.user_id)
        if user is None or not user.is_active:
            raise SignInRefusedError("inactive", "This account is switched off")
        return ProviderSignIn(user)
    if not identity.email or "@" not in identity.email or len(identity.email) > 254:
        raise SignInRefusedError("no_email", "The provider gave no email address")
    existing = await get_user_by_email(db=db, email=identity.email)
    if existing is not None:
        if not identity.email_verified:
            raise SignInRefusedError(
                "account_exists",
                "An account with this email exists, and the provider has not "
                "verified the address",
            )
        if not existing.is_active:
            raise SignInRefusedError("inactive", "This account is switched off")
        if not existing.has_password:
            raise SignInRefusedError(
                "link_from_settings",
                "An account with this email exists: sign in to it the way you "
                "did before and link this provider in Settings",
            )
        return ProviderSignIn(existing, needs_password=True)
    if not identity.email_verified:
        raise SignInRefusedError(
            "email_not_verified", "The provider has not verified your email address"
        )
    if not open_registration:
        raise SignInRefusedError(
            "signup_closed", "Open user registration is forbidden on this server"
        )
    user = await _create_user_from_identity(
        db=db, identity=identity, bcrypt_rounds=bcrypt_rounds, audit=audit
    )
    return ProviderSignIn(user)


async def _create_user_from_identity(
    *,
    db: Database,
    identity: ProviderIdentity,
    bcrypt_rounds: int,
    audit: AuditContext | None,
) -> User:
    """A new, verified account without a usable password, linked to the identity."""
    hashed = await security.hash_password_async(
        security.unusable_password(), rounds=bcrypt_rounds
    )
    name = identity.name.replace("\x00", "")[:255] if identity.name else None
    email = identity.email or ""
    with _email_must_be_free(), _identity_must_be_free():
        async with db.transaction() as tx:
            user = await tx.insert(
                User,
                email=email,
                full_name=name,
                hashed_password=hashed,
                has_password=False,
                is_verified=True,
            )
            created = {"email": email, "provider": identity.provider}
            await record(tx, audit, Event.USER_CREATED, user.id, **created)
            await _create_personal_team(tx, user_id=user.id)
            await tx.insert(UserIdentity, **_identity_row(user.id, identity))
            await record(tx, audit, Event.IDENTITY_LINKED, user.id, **created)
    return user


# Two-factor authentication -------------------------------------------------------

_totp, _recovery = table_of(UserTotp), table_of(RecoveryCode)
_DROP_PENDING_TOTP = delete(_totp).where(
    _totp.c.user_id == bindparam("user_id"), _totp.c.confirmed_at.is_(None)
)
_CONFIRM_TOTP = (
    update(_totp)
    .where(_totp.c.id == bindparam("id"), _totp.c.confirmed_at.is_(None))
    .values(confirmed_at=func.now(), last_used_step=bindparam("step"))
    .returning(_totp.c.id)
)
# A code's step is taken once: a later request with the same code finds it taken.
_CLAIM_STEP = (
    update(_totp)
    .where(
        _totp.c.id == bindparam("id"),
        _totp.c.confirmed_at.is_not(None),
        (_totp.c.last_used_step.is_(None))
        | (_totp.c.last_used_step < bindparam("step")),
    )
    .values(last_used_step=bindparam("step"))
    .returning(_totp.c.id)
)
_DROP_TOTP = delete(_totp).where(_totp.c.user_id == bindparam("user_id"))
_DROP_RECOVERY_CODES = delete(_recovery).where(
    _recovery.c.user_id == bindparam("user_id")
)
_USE_RECOVERY_CODE = (
    update(_recovery)
    .where(
        _recovery.c.user_id == bindparam("user_id"),
        _recovery.c.code_hash == bindparam("code_hash"),
        _recovery.c.used_at.is_(None),
    )
    .values(used_at=func.now())
    .returning(_recovery.c.id)
)
_RECOVERY_CODES_LEFT = select(func.count()).where(
    _recovery.c.user_id == bindparam("user_id"), _recovery.c.used_at.is_(None)
)


async def get_totp(*, db: Statements, user_id: uuid.UUID) -> UserTotp | None:
    return await db.find(UserTotp, user_id=user_id)


async def count_recovery_codes(*, db: Statements, user_id: uuid.UUID) -> int:
    """The recovery codes the user has not used yet."""
    return int(await db.scalar(_RECOVERY_CODES_LEFT, user_id=user_id) or 0)


async def start_two_factor_setup(
    *, db: Database, user: User, encrypted_secret: str
) -> None:
    """Keep a new, unconfirmed authenticator secret (replacing an unconfirmed one).
    With a confirmed one already: TwoFactorAlreadyOnError."""
    try:
        async with db.transaction() as tx:
            await tx.execute(_DROP_PENDING_TOTP, user_id=user.id)
            await tx.insert(UserTotp, user_id=user.id, secret=encrypted_secret)
    except UniqueViolation as exc:
        raise TwoFactorAlreadyOnError() from exc


async def enable_two_factor(
    *,
    db: Database,
    user: User,
    totp: UserTotp,
    step: int,
    audit: AuditContext | None = None,
) -> list[str]:
    """Confirm the pending secret with the step of the code that proved it; answer
    ten new recovery codes (only their digests are kept)."""
    async with db.transaction() as tx:
        if await tx.scalar(_CONFIRM_TOTP, id=totp.id, step=step) is None:
            raise TwoFactorAlreadyOnError()
        codes = await _new_recovery_codes(tx, user_id=user.id)
        await tx.update(User, user.id, {"two_factor_enabled": True})
        await record(tx, audit, Event.TWO_FACTOR_ENABLED, user.id)
    return codes


async def replace_recovery_codes(
    *, db: Database, user: User, audit: AuditContext | None = None
) -> list[str]:
    """Ten new recovery codes in place of all the earlier ones, used or not."""
    async with db.transaction() as tx:
        codes = await _new_recovery_codes(tx, user_id=user.id)
        await record(tx, audit, Event.RECOVERY_CODES_REPLACED, user.id)
    return codes


async def _new_recovery_codes(db: Statements, *, user_id: uuid.UUID) -> list[str]:
    codes = two_factor.new_recovery_codes()
    await db.execute(_DROP_RECOVERY_CODES, user_id=user_id)
    for code in codes:
        code_hash = two_factor.hash_recovery_code(code)
        await db.insert(RecoveryCode, user_id=user_id, code_hash=code_hash)
    return codes


async def disable_two_factor(
    *,
    db: Database,
    user: User,
    audit: AuditContext | None = None,
    event_type: AuditEventType = Event.TWO_FACTOR_DISABLED,
) -> None:
    """Forget the authenticator and the recovery codes: logins take one step again."""
    async with db.transaction() as tx:
        await tx.execute(_DROP_TOTP, user_id=user.id)
        await tx.execute(_DROP_RECOVERY_CODES, user_id=user.id)
        await tx.update(User, user.id, {"two_factor_enabled": False})
        if user.two_factor_enabled:
            await record(tx, audit, event_type, user.id)


async def check_second_factor(
    *,
    db: Database,
    user: User,
    code: str,
    secret_key: str,
    audit: AuditContext | None = None,
) -> Literal["totp", "recovery_code"] | None:
    """Use an authenticator code (once per step, within a step of now) or a recovery
    code (once); which one it was, or None when it is not valid."""
    if two_factor.is_recovery_code(code):
        code_hash = two_factor.hash_recovery_code(code)
        async with db.transaction() as tx:
            used = await tx.scalar(
                _USE_RECOVERY_CODE, user_id=user.id, code_hash=code_hash
            )
            if used is None:
                return None
            left = await count_recovery_codes(db=tx, user_id=user.id)
            await record(tx, audit, Event.RECOVERY_CODE_USED, user.id, codes_left=left)
        return "recovery_code"
    totp = await get_totp(db=db, user_id=user.id)
    if totp is None or totp.confirmed_at is None:
        return None
    secret = two_factor.decrypt_secret(totp.secret, secret_key=secret_key)
    if secret is None:
        return None
    step = two_factor.matching_step(secret, code, after=totp.last_used_step)
    if step is None or await db.scalar(_CLAIM_STEP, id=totp.id, step=step) is None:
        return None
    return "totp"


# Teams ---------------------------------------------------------------------------

PERSONAL_TEAM_NAME = "Personal"
_OWNER = TeamRole.OWNER

# A user's teams with their role in each, and a team's members with their account
# details: lists the list kit pages like any table.
_USER_TEAMS = (
    select(
        _teams.c.id,
        _teams.c.name,
        _teams.c.created_at,
        _teams.c.personal_for_id.is_not(None).label("is_personal"),
        _members.c.role,
        _members.c.user_id,
    )
    .join(_members, _members.c.team_id == _teams.c.id)
    .subquery("user_team")
)
_TEAM_MEMBERS = (
    select(
        _members.c.user_id.label("id"),
        _members.c.user_id,
        _members.c.team_id,
        _members.c.role,
        _members.c.created_at,
        _users.c.email,
        _users.c.full_name,
    )
    .join(_users, _users.c.id == _members.c.user_id)
    .subquery("team_members")
)
_THE_MEMBER = (
    _members.c.team_id == bindparam("team_id"),
    _members.c.user_id == bindparam("user_id"),
)
_SET_ROLE = (
    update(_members)
    .where(*_THE_MEMBER)
    .values(role=bindparam("new_role"))
    .returning(*_members.c)
)
_REMOVE_MEMBER = delete(_members).where(*_THE_MEMBER).returning(*_members.c)
# Membership changes of one team queue behind each other, so two owners demoting
# each other at once cannot leave the team without one.
_LOCK_TEAM = (
    select(_teams.c.id).where(_teams.c.id == bindparam("team_id")).with_for_update()
)
_OWNER_COUNT = (
    select(func.count())
    .select_from(_members)
    .where(_members.c.team_id == bindparam("team_id"), _members.c.role == _OWNER)
)


async def _create_personal_team(db: Statements, *, user_id: uuid.UUID) -> Team:
    team = await db.insert(Team, name=PERSONAL_TEAM_NAME, personal_for_id=user_id)
    await db.insert(TeamMember, team_id=team.id, user_id=user_id, role=_OWNER)
    return team


async def list_teams(
    *, db: Database, user_id: uuid.UUID, page: PageRequest
) -> PageRows:
    """The teams a user belongs to, with their role in each; oldest first, so the
    personal team leads."""
    return await db.page(
        _USER_TEAMS, page, filters=[("user_id", "=", user_id)], oldest_first=True
    )


def team_public(team: Team, role: TeamRole | None) -> dict[str, Any]:
    """A team as `TeamPublic` shows it to a caller with this role."""
    shown = {"is_personal": team.personal_for_id is not None, "role": role}
    return {**team.model_dump(), **shown}


async def get_team(*, db: Statements, team_id: uuid.UUID) -> Team | None:
    return await db.get(Team, team_id)


async def create_team(
    *, db: Database, team_in: TeamCreate, user_id: uuid.UUID, audit: AuditContext
) -> Team:
    """A new team, with its creator as owner."""
    async with db.transaction() as tx:
        team = await tx.insert(Team, team_in)
        await tx.insert(TeamMember, team_id=team.id, user_id=user_id, role=_OWNER)
        await record(tx, audit, Event.TEAM_CREATED, team.id, name=team.name)
        await _record_member(
            tx, audit, Event.TEAM_MEMBER_ADDED, team.id, user_id, role=_OWNER
        )
    return team


async def rename_team(
    *, db: Database, team_id: uuid.UUID, team_in: TeamUpdate, audit: AuditContext
) -> Team | None:
    changes = team_in.model_dump(exclude_unset=True)
    async with db.transaction() as tx:
        before = await tx.get(Team, team_id)
        team = await tx.update(Team, team_id, changes)
        if before is not None and team is not None and before.name != team.name:
            names = {"old_name": before.name, "new_name": team.name}
            await record(tx, audit, Event.TEAM_RENAMED, team_id, **names)
    return team


async def delete_team(
    *, db: Database, membership: Membership, audit: AuditContext
) -> None:
    """Delete a shared team and everything in it; a personal team stays."""
    if membership.is_personal:
        raise ForbiddenError("A personal team cannot be deleted")
    async with db.transaction() as tx:
        team = await tx.get(Team, membership.team_id)
        if team is None or not await tx.delete(Team, team.id):
            raise NotFoundError("Team")
        await record(tx, audit, Event.TEAM_DELETED, team.id, name=team.name)


async def list_members(*, db: Database, scope: TeamRows, page: PageRequest) -> PageRows:
    """A team's members, longest-standing first."""
    return await db.page(_TEAM_MEMBERS, page, scope=scope, oldest_first=True)


async def get_member(
    *, db: Statements, team_id: uuid.UUID, user_id: uuid.UUID
) -> dict[str, Any] | None:
    """A member as `TeamMemberPublic` shows them."""
    found = select(_TEAM_MEMBERS).where(
        _TEAM_MEMBERS.c.team_id == team_id, _TEAM_MEMBERS.c.id == user_id
    )
    return await db.one(found)


async def change_member_role(
    *,
    db: Database,
    membership: Membership,
    user_id: uuid.UUID,
    role: TeamRole,
    audit: AuditContext,
) -> None:
    """Give a member another role. Admins move members and admins between those two
    roles; making or unmaking an owner takes an owner; the last owner stays one."""
    team_id = membership.team_id
    async with db.transaction() as tx:
        await tx.execute(_LOCK_TEAM, team_id=team_id)
        member = await tx.find(TeamMember, team_id=team_id, user_id=user_id)
        if member is None:
            raise NotFoundError("Member")
        if member.role == role:
            return
        if _OWNER in (member.role, role) and not membership.at_least(_OWNER):
            raise ForbiddenError("Only an owner can give or take ownership")
        await tx.one(_SET_ROLE, team_id=team_id, user_id=user_id, new_role=role)
        if (
            member.role == _OWNER
            and await tx.scalar(_OWNER_COUNT, team_id=team_id) == 0
        ):
            raise LastOwnerError()  # rolls the change back
        roles = {"old_role": member.role, "new_role": role}
        await _record_member(
            tx, audit, Event.TEAM_ROLE_CHANGED, team_id, user_id, **roles
        )
        if _OWNER in (member.role, role):
            event = Event.TEAM_OWNERSHIP_CHANGED
            await _record_member(
                tx, audit, event, team_id, user_id, is_owner=role == _OWNER
            )


async def remove_member(
    *, db: Database, membership: Membership, user_id: uuid.UUID, audit: AuditContext
) -> None:
    """Remove a member: anyone may leave; an admin removes members and admins, an
    owner anyone; the last owner stays. Their rows stay with the team."""
    team_id, leaving = membership.team_id, user_id == membership.user.id
    async with db.transaction() as tx:
        await tx.execute(_LOCK_TEAM, team_id=team_id)
        member = await tx.find(TeamMember, team_id=team_id, user_id=user_id)
        if member is None:
            raise NotFoundError("Member")
        if not leaving and not membership.at_least(TeamRole.ADMIN):
            raise ForbiddenError()
        if member.role == _OWNER and not (leaving or membership.at_least(_OWNER)):
            raise ForbiddenError("Only an owner can remove an owner")
        await tx.one(_REMOVE_MEMBER, team_id=team_id, user_id=user_id)
        if (
            member.role == _OWNER
            and await tx.scalar(_OWNER_COUNT, team_id=team_id) == 0
        ):
            raise LastOwnerError()
        await _record_member(
            tx, audit, Event.TEAM_MEMBER_REMOVED, team_id, user_id, role=member.role
        )


async def _record_member(
    db: Statements,
    audit: AuditContext | None,
    event: AuditEventType,
    team_id: uuid.UUID,
    user_id: uuid.UUID,
    **details: Any,
) -> None:
    """A membership event: its target is the member, its details name the team."""
    await record(db, audit, event, user_id, team_id=str(team_id), **details)


_SOLE_OWNED_TEAMS = text(
    """
    SELECT m.team_id FROM team_member m JOIN team t ON t.id = m.team_id
    WHERE m.user_id = :user_id AND m.role = 'owner' AND t.personal_for_id IS NULL
      AND NOT EXISTS (
        SELECT 1 FROM team_member o
        WHERE o.team_id = m.team_id AND o.role = 'owner' AND o.user_id <> :user_id
      )
    """
)
_SUCCESSOR = text(
    """
    SELECT user_id FROM team_member
    WHERE team_id = :team_id AND user_id <> :user_id
    ORDER BY role = 'admin' DESC, created_at, user_id LIMIT 1
    """
)


async def _hand_over_sole_owned_teams(
    db: Statements, *, user_id: uuid.UUID, audit: AuditContext | None
) -> None:
    """Before a user goes: every shared team they alone own gets a new owner, or
    goes too when no one else is in it."""
    for row in await db.all(_SOLE_OWNED_TEAMS, user_id=user_id):
        team_id = row["team_id"]
        successor = await db.scalar(_SUCCESSOR, team_id=team_id, user_id=user_id)
        if successor is None:
            await db.delete(Team, team_id)
            await record(db, audit, Event.TEAM_DELETED, team_id, owner_deleted=True)
            continue
        await db.one(_SET_ROLE, team_id=team_id, user_id=successor, new_role=_OWNER)
        await _record_member(
            db, audit, Event.TEAM_OWNERSHIP_CHANGED, team_id, successor, is_owner=True
        )


# Invitations ---------------------------------------------------------------------

_invitations = table_of(TeamInvitation)
# Inviting an address again replaces its pending invitation: a new token and term.
_INVITE = (
    insert(_invitations)
    .values({name: bindparam(name) for name in _invitations.c.keys()})
    .on_conflict_do_update(
        index_elements=[_invitations.c.team_id, _invitations.c.email],
        set_={
            name: getattr(insert(_invitations).excluded, name)
            for name in (
                "id",
                "role",
                "token_hash",
                "invited_by_id",
                "created_at",
                "expires_at",
            )
        },
    )
    .returning(*_invitations.c)
)
# Taking an invitation uses it up, in the same statement: it works once.
_TAKE_INVITATION = (
    delete(_invitations)
    .where(
        _invitations.c.token_hash == bindparam("token_hash"),
        _invitations.c.expires_at > func.now(),
    )
    .returning(*_invitations.c)
)
_JOIN_TEAM = (
    insert(_members)
    .values({name: bindparam(name) for name in _members.c.keys()})
    .on_conflict_do_nothing()
    .returning(_members.c.role)
)
_MEMBER_WITH_EMAIL = (
    select(_members.c.user_id)
    .join(_users, _users.c.id == _members.c.user_id)
    .where(
        _members.c.team_id == bindparam("team_id"), _users.c.email == bindparam("email")
    )
)


async def list_invitations(
    *, db: Database, scope: TeamRows, page: PageRequest
) -> PageRows:
    """A team's pending invitations (expired ones are left out), newest first."""
    now = datetime.now(UTC)
    return await db.page(
        TeamInvitation,
        page,
        scope=scope,
        filters=[("expires_at", ">=", now)],
        shown=TeamInvitationPublic,
    )


async def create_invitation(
    *,
    db: Database,
    membership: Membership,
    invitation_in: TeamInvitationCreate,
    lifetime: timedelta,
    audit: AuditContext,
) -> TeamInvitation:
    """Invite an address to a shared team, and queue its email in the same
    transaction. The job names the invitation, not a token: the link's token is
    made when the email is sent (`issue_invitation_token`)."""
    if membership.is_personal:
        raise ForbiddenError("A personal team has no other members")
    now = datetime.now(UTC)
    row = {
        "id": uuid.uuid4(),
        "team_id": membership.team_id,
        "email": invitation_in.email,
        "role": invitation_in.role,
        "token_hash": None,
        "invited_by_id": membership.user.id,
        "created_at": now,
        "expires_at": now + lifetime,
    }
    async with db.transaction() as tx:
        email = invitation_in.email
        if await tx.one(_MEMBER_WITH_EMAIL, team_id=membership.team_id, email=email):
            raise AlreadyMemberError()
        invitation = as_table(TeamInvitation, cast(Row, await tx.one(_INVITE, **row)))
        await record(
            tx,
            audit,
            Event.TEAM_INVITATION_CREATED,
            invitation.id,
            team_id=str(membership.team_id),
            email=email,
            role=invitation.role,
        )
        await queue_email(
            tx,
            EmailTemplate.TEAM_INVITATION,
            to=invitation.email,
            invitation_id=invitation.id,
        )
    return invitation


# Giving a pending invitation the token its email carries (a new one each time).
_ISSUE_INVITATION_TOKEN = (
    update(_invitations)
    .where(
        _invitations.c.id == bindparam("invitation_id"),
        _invitations.c.expires_at > func.now(),
    )
    .values(token_hash=bindparam("new_hash"))
    .returning(*_invitations.c)
)


async def issue_invitation_token(
    db: Statements, *, invitation_id: uuid.UUID
) -> TeamInvitationLink | None:
    """Make a pending invitation's token, keep its digest (any earlier link stops
    working), and return what its email says; None when the invitation is gone
    (revoked, accepted, replaced or expired). Run it in the transaction that sends
    the email, so that a failed send keeps no token."""
    token = security.generate_refresh_token()
    found = await db.one(
        _ISSUE_INVITATION_TOKEN,
        invitation_id=invitation_id,
        new_hash=security.hash_refresh_token(token),
    )
    if found is None:
        return None
    invitation = as_table(TeamInvitation, found)
    team = await db.get(Team, invitation.team_id)
    assert team is not None  # the invitation goes with its team
    inviter = None
    if invitation.invited_by_id is not None:
        inviter = await db.get(User, invitation.invited_by_id)
    return TeamInvitationLink(
        token=token,
        team_name=team.name,
        inviter=(inviter.full_name or inviter.email) if inviter else team.name,
        role=invitation.role,
    )


async def revoke_invitation(
    *, db: Database, scope: TeamRows, invitation_id: uuid.UUID, audit: AuditContext
) -> None:
    async with db.transaction() as tx:
        if not await tx.delete(TeamInvitation, invitation_id, scope=scope):
            raise NotFoundError("Invitation")
        event = Event.TEAM_INVITATION_REVOKED
        await record(tx, audit, event, invitation_id, team_id=str(scope.team_id))


async def accept_invitation(
    *, db: Database, token: str, user: User, audit: AuditContext
) -> tuple[Team, TeamRole]:
    """Join the team an invitation is for, with the role it offers (a member
    already keeps their role). Only the invited address may: for anyone else the
    invitation stays as it was."""
    async with db.transaction() as tx:
        taken = await tx.one(
            _TAKE_INVITATION, token_hash=security.hash_refresh_token(token)
        )
        if taken is None:
            raise invalid_invitation()
        invitation = as_table(TeamInvitation, taken)
        if invitation.email != user.email:
            raise ForbiddenError("This invitation is for another email address")
        team = await tx.get(Team, invitation.team_id)
        assert team is not None  # the invitation goes with its team
        joined = {"team_id": team.id, "user_id": user.id, "role": invitation.role}
        added = await tx.scalar(_JOIN_TEAM, **joined, created_at=datetime.now(UTC))
        event = Event.TEAM_INVITATION_ACCEPTED
        await record(tx, audit, event, invitation.id, team_id=str(team.id))
        if added is not None:
            role = TeamRole(invitation.role)
            await _record_member(
                tx, audit, Event.TEAM_MEMBER_ADDED, team.id, user.id, role=role
            )
            return team, role
        current = await tx.find(TeamMember, team_id=team.id, user_id=user.id)
        assert current is not None
        return team, TeamRole(current.role)
