"""Every query, transaction and business rule of the API, as flat keyword-only functions.

Each takes the database first (`db=`: `app.core.db.Database`, or a transaction of
it) and speaks in table instances and schemas; `app.core.db` says how statements run.
"""

import functools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from psycopg.errors import UniqueViolation
from sqlalchemy import (
    Executable,
    Uuid,
    bindparam,
    delete,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import SQLModel, col

from app.core import security
from app.core.db import Database, Row, Statements, TableT, as_table
from app.core.listing import PageRequest, PageRows, Scope, TeamRows, table_of
from app.exceptions import (
    AlreadyMemberError,
    EmailAlreadyRegisteredError,
    EmailNotVerifiedError,
    ForbiddenError,
    InactiveUserError,
    InvalidCredentialsError,
    LastOwnerError,
    NotFoundError,
    RefreshTokenReuseError,
    SessionError,
    invalid_invitation,
    invalid_verification,
)
from app.models import (
    AuditContext,
    AuditEvent,
    AuditEventType,
    Item,
    ItemCreate,
    ItemUpdate,
    Membership,
    RefreshToken,
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
    UserPublic,
    UserSession,
    UserUpdate,
    UserUpdateMe,
)

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
) -> User:
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
        await tx.update(User, db_user.id, {"hashed_password": hashed})
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
    """Keep the new address aside until its confirmation link is followed."""
    if await get_user_by_email(db=db, email=new_email) is not None:
        raise EmailAlreadyRegisteredError()
    async with db.transaction() as tx:
        user = await tx.update(User, db_user.id, {"pending_email": new_email})
        event = Event.EMAIL_CHANGE_REQUESTED
        await record(tx, audit, event, db_user.id, new_email=new_email)
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
_SESSION_IS_LIVE = (
    _users.c.id == bindparam("user_id"),
    _sessions.c.id == bindparam("session_id"),
    _sessions.c.revoked_at.is_(None),
    _sessions.c.expires_at > func.now(),
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
    *, db: Database, user: User, lifetime: timedelta, audit: AuditContext | None = None
) -> tuple[UserSession, str]:
    """Start a login session; return it with its first refresh token (in clear)."""
    refresh_token = security.generate_refresh_token()
    expires_at = datetime.now(UTC) + lifetime
    async with db.transaction() as tx:
        session = await tx.insert(UserSession, user_id=user.id, expires_at=expires_at)
        token_hash = security.hash_refresh_token(refresh_token)
        await tx.insert(RefreshToken, token_hash=token_hash, session_id=session.id)
        audit = audit.by(user.id) if audit else None
        await record(
            tx, audit, Event.LOGIN_SUCCEEDED, user.id, session_id=str(session.id)
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
        ip = audit.ip[:64] if audit.ip else None
        await db.insert(
            AuditEvent,
            event_type=event_type,
            actor_id=audit.actor_id,
            target_id=target_id,
            ip=ip,
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
    pg_insert(_invitations)
    .values({name: bindparam(name) for name in _invitations.c.keys()})
    .on_conflict_do_update(
        index_elements=[_invitations.c.team_id, _invitations.c.email],
        set_={
            name: getattr(pg_insert(_invitations).excluded, name)
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
    pg_insert(_members)
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
) -> tuple[TeamInvitation, str]:
    """Invite an address to a shared team; the invitation and its token (in clear,
    for the email: only its digest is stored)."""
    if membership.is_personal:
        raise ForbiddenError("A personal team has no other members")
    token = security.generate_refresh_token()
    now = datetime.now(UTC)
    row = {
        "id": uuid.uuid4(),
        "team_id": membership.team_id,
        "email": invitation_in.email,
        "role": invitation_in.role,
        "token_hash": security.hash_refresh_token(token),
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
    return invitation, token


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
