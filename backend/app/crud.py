"""Every query, commit and business rule of the API, as flat keyword-only functions."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg.rows import DictRow
from sqlalchemy import func, literal_column, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import configure_mappers, make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import security
from app.core.db import Pool
from app.exceptions import (
    EmailAlreadyRegisteredError,
    EmailNotVerifiedError,
    InactiveUserError,
    InvalidCredentialsError,
    InvalidVerificationError,
    RefreshTokenReuseError,
    SessionError,
)
from app.models import (
    AuditContext,
    AuditEvent,
    AuditEventType,
    Item,
    ItemCreate,
    ItemUpdate,
    PagePosition,
    RefreshToken,
    User,
    UserCreate,
    UserPublic,
    UserSession,
    UserUpdate,
    UserUpdateMe,
)

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


async def _commit_user(*, session: AsyncSession, user: User) -> User:
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise EmailAlreadyRegisteredError() from exc
    return user


# Users ---------------------------------------------------------------------------


async def get_user(*, session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_email(*, session: AsyncSession, email: str) -> User | None:
    result = await session.exec(select(User).where(User.email == email.lower()))
    return result.first()


async def create_user(
    *,
    session: AsyncSession,
    user_create: UserCreate,
    bcrypt_rounds: int,
    audit: AuditContext | None = None,
) -> User:
    hashed_password = await security.hash_password_async(
        user_create.password, rounds=bcrypt_rounds
    )
    user = User.model_validate(user_create, update={"hashed_password": hashed_password})
    add_audit_event(
        session=session,
        audit=audit,
        event_type=AuditEventType.USER_CREATED,
        target_id=user.id,
        details={
            "email": user.email,
            "is_superuser": user.is_superuser,
            "is_verified": user.is_verified,
        },
    )
    return await _commit_user(session=session, user=user)


async def update_user(
    *,
    session: AsyncSession,
    db_user: User,
    user_in: UserUpdate | UserUpdateMe,
    bcrypt_rounds: int,
    audit: AuditContext | None = None,
) -> User:
    """Apply the fields that were sent; a new password or deactivation ends every session."""
    data: dict[str, Any] = user_in.model_dump(
        exclude_unset=True, exclude={"current_password"}
    )
    _audit_user_changes(session=session, audit=audit, db_user=db_user, data=data)
    password = data.pop("password", None)
    ends_sessions = password is not None or data.get("is_active") is False
    if password is not None:
        data["hashed_password"] = await security.hash_password_async(
            password, rounds=bcrypt_rounds
        )
    if ends_sessions:
        # Before the user's new values: the UPDATE would autoflush them, and an
        # email conflict must surface in `_commit_user` (409), not here.
        await _revoke_user_sessions(session=session, user_id=db_user.id)
    db_user.sqlmodel_update(data)
    return await _commit_user(session=session, user=db_user)


async def set_password(
    *,
    session: AsyncSession,
    db_user: User,
    new_password: str,
    bcrypt_rounds: int,
    audit: AuditContext | None = None,
    event_type: AuditEventType = AuditEventType.PASSWORD_CHANGED,
) -> None:
    """Change the password and revoke every session, so old tokens stop working."""
    db_user.hashed_password = await security.hash_password_async(
        new_password, rounds=bcrypt_rounds
    )
    session.add(db_user)
    add_audit_event(
        session=session, audit=audit, event_type=event_type, target_id=db_user.id
    )
    await _revoke_user_sessions(session=session, user_id=db_user.id)
    await session.commit()


async def delete_user(
    *, session: AsyncSession, db_user: User, audit: AuditContext | None = None
) -> None:
    add_audit_event(
        session=session,
        audit=audit,
        event_type=AuditEventType.USER_DELETED,
        target_id=db_user.id,
        details={"email": db_user.email},
    )
    await session.delete(db_user)
    await session.commit()


async def authenticate(
    *,
    session: AsyncSession,
    email: str,
    password: str,
    bcrypt_rounds: int,
    require_verified: bool = False,
) -> User:
    user = await get_user_by_email(session=session, email=email)
    # End the read transaction first: the pooled connection must not wait on bcrypt.
    await session.commit()
    hashed_password = user.hashed_password if user else _dummy_hash(bcrypt_rounds)
    is_valid = await security.verify_password_async(password, hashed_password)
    if user is None or not is_valid:
        raise InvalidCredentialsError(user_id=user.id if user else None)
    if not user.is_active:
        raise InactiveUserError()
    if require_verified and not user.is_verified:
        raise EmailNotVerifiedError()
    return user


async def request_email_change(
    *,
    session: AsyncSession,
    db_user: User,
    new_email: str,
    audit: AuditContext | None = None,
) -> User:
    """Keep the new address aside until its confirmation link is followed."""
    if await get_user_by_email(session=session, email=new_email) is not None:
        raise EmailAlreadyRegisteredError()
    db_user.pending_email = new_email
    add_audit_event(
        session=session,
        audit=audit,
        event_type=AuditEventType.EMAIL_CHANGE_REQUESTED,
        target_id=db_user.id,
        details={"new_email": new_email},
    )
    return await _commit_user(session=session, user=db_user)


async def confirm_email(
    *,
    session: AsyncSession,
    user_id: uuid.UUID,
    email: str,
    audit: AuditContext | None = None,
) -> User:
    """Follow a verification link: verify the address, or switch to the pending one.

    Each link works once: afterwards the address it names is no longer waiting.
    """
    db_user = await get_user(session=session, user_id=user_id)
    if db_user is None or not db_user.is_active:
        raise InvalidVerificationError()
    if db_user.pending_email is not None and db_user.pending_email == email:
        old_email = db_user.email
        db_user.email, db_user.pending_email = email, None
        db_user.is_verified = True
        event_type = AuditEventType.EMAIL_CHANGED
        details: dict[str, Any] = {"old_email": old_email, "new_email": email}
    elif db_user.email == email and not db_user.is_verified:
        db_user.is_verified = True
        event_type, details = AuditEventType.EMAIL_VERIFIED, {"email": email}
    else:
        raise InvalidVerificationError()
    add_audit_event(
        session=session,
        audit=audit,
        event_type=event_type,
        target_id=db_user.id,
        details=details,
    )
    return await _commit_user(session=session, user=db_user)


# Sessions ------------------------------------------------------------------------


async def create_session(
    *,
    session: AsyncSession,
    user: User,
    lifetime: timedelta,
    audit: AuditContext | None = None,
) -> tuple[UserSession, str]:
    """Start a login session; return it with its first refresh token (in clear)."""
    user_session = UserSession(user_id=user.id, expires_at=datetime.now(UTC) + lifetime)
    refresh_token = security.generate_refresh_token()
    session.add(user_session)
    add_audit_event(
        session=session,
        audit=audit.by(user.id) if audit else None,
        event_type=AuditEventType.LOGIN_SUCCEEDED,
        target_id=user.id,
        details={"session_id": str(user_session.id)},
    )
    await session.flush()  # the token row refers to the session row
    session.add(
        RefreshToken(
            token_hash=security.hash_refresh_token(refresh_token),
            session_id=user_session.id,
        )
    )
    await session.commit()
    return user_session, refresh_token


async def rotate_refresh_token(
    *,
    session: AsyncSession,
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
    now = datetime.now(UTC)
    claimed = await session.exec(
        update(RefreshToken)
        .where(col(RefreshToken.token_hash) == token_hash)
        .where(col(RefreshToken.used_at).is_(None))
        .values(used_at=now)
        .returning(col(RefreshToken.session_id))
    )
    session_id = claimed.scalar_one_or_none()
    if session_id is None:
        session_id = await _session_of_replayed_token(
            session=session,
            token_hash=token_hash,
            reuse_grace=reuse_grace,
            now=now,
            audit=audit,
        )

    result = await session.exec(
        select(User, UserSession)
        .join(UserSession, col(UserSession.user_id) == col(User.id))
        .where(col(UserSession.id) == session_id)
    )
    user, user_session = result.one()
    if user_session.revoked_at is not None or user_session.expires_at <= now:
        await session.rollback()
        raise SessionError()
    if not user.is_active:
        await session.rollback()
        raise InactiveUserError()
    new_token = security.generate_refresh_token()
    session.add(
        RefreshToken(
            token_hash=security.hash_refresh_token(new_token),
            session_id=session_id,
        )
    )
    await session.commit()
    return user, user_session, new_token


async def _session_of_replayed_token(
    *,
    session: AsyncSession,
    token_hash: str,
    reuse_grace: timedelta,
    now: datetime,
    audit: AuditContext | None,
) -> uuid.UUID:
    """A used token's session if it is within the grace; otherwise the session ends."""
    reused = await session.get(RefreshToken, token_hash)
    if reused is None:
        raise SessionError()
    if reused.used_at is not None and now - reused.used_at < reuse_grace:
        return reused.session_id
    await _revoke_session(session=session, session_id=reused.session_id)
    reused_session = await session.get(UserSession, reused.session_id)
    add_audit_event(
        session=session,
        audit=audit,
        event_type=AuditEventType.REFRESH_TOKEN_REUSED,
        target_id=reused_session.user_id if reused_session else None,
        details={"session_id": str(reused.session_id)},
    )
    await session.commit()
    raise RefreshTokenReuseError()


def _columns(table: Any, alias: str, *, shown_by: Any = None) -> str:
    """The table's columns for raw SQL; with `shown_by`, only those that schema shows
    (so lists never read password hashes)."""
    return ", ".join(
        f'{alias}."{column.name}"'
        for column in table.__table__.columns
        if shown_by is None or column.name in shown_by.model_fields
    )


# The paths nearly every request takes are single statements on the plain pool
# (`app.core.db.create_pool`), in autocommit: one round trip each, no ORM objects.

# Positional parameters on the two statements of nearly every request: named ones
# cost a reordering per execution.
_SESSION_USER_SQL = (
    f'SELECT {_columns(User, "u")} FROM "user" u '
    "JOIN user_session s ON s.user_id = u.id "
    "WHERE u.id = %s AND s.id = %s "
    "AND s.revoked_at IS NULL AND s.expires_at > now()"
)
_ITEM_COLUMNS = _columns(Item, "i")
_ITEM_RETURNING = _ITEM_COLUMNS.replace('i."', '"')
_ITEM_SQL = f"SELECT {_ITEM_COLUMNS} FROM item i WHERE i.id = %s"
# Owners reach their own items; `owner_id` NULL stands for a superuser, who reaches all.
_ITEM_REACHABLE = "(%(owner_id)s::uuid IS NULL OR owner_id = %(owner_id)s)"
_INSERT_ITEM_SQL = (
    "INSERT INTO item (id, owner_id, title, description, created_at) "
    "VALUES (%(id)s, %(owner_id)s, %(title)s, %(description)s, now()) "
    f"RETURNING {_ITEM_RETURNING}"
)
_DELETE_ITEM_SQL = (
    f"DELETE FROM item WHERE id = %(item_id)s AND {_ITEM_REACHABLE} RETURNING id"
)
_UPDATABLE_ITEM_FIELDS = frozenset(ItemUpdate.model_fields)


configure_mappers()
_USER_CLASS_MANAGER = manager_of_class(User)


def _loaded_user(row: DictRow) -> User:
    """A user row read outside the ORM, built the way the ORM builds a loaded row
    (no `__init__`, whose defaults and checks cost several times more than the
    read), and usable later with `session.add` as if a session had loaded it."""
    user: User = _USER_CLASS_MANAGER.new_instance()
    user.__dict__.update(row)
    make_transient_to_detached(user)
    return user


async def _fetch_one(
    pool: Pool, sql: str, params: dict[str, Any] | tuple[Any, ...]
) -> DictRow | None:
    async with pool.connection() as connection:
        cursor = await connection.execute(sql, params)
        return await cursor.fetchone()


async def get_session_user(
    *, pool: Pool, user_id: uuid.UUID, session_id: uuid.UUID
) -> User | None:
    """The user behind an access token, if its session is still live: one round trip."""
    row = await _fetch_one(pool, _SESSION_USER_SQL, (user_id, session_id))
    return _loaded_user(row) if row else None


_ITEM_PREFIX = "item."
_SESSION_USER_AND_ITEM_SQL = (
    f"SELECT {_columns(User, 'u')}, "
    + ", ".join(
        f'i."{column.name}" AS "{_ITEM_PREFIX}{column.name}"'
        for column in Item.__table__.columns  # type: ignore[attr-defined]
    )
    + ' FROM "user" u JOIN user_session s ON s.user_id = u.id '
    "LEFT JOIN item i ON i.id = %s "
    "WHERE u.id = %s AND s.id = %s "
    "AND s.revoked_at IS NULL AND s.expires_at > now()"
)


async def get_session_user_and_item(
    *, pool: Pool, user_id: uuid.UUID, session_id: uuid.UUID, item_id: uuid.UUID
) -> tuple[User | None, DictRow | None]:
    """`get_session_user`, and the item with this id (None if there is none), in
    one round trip: reading an item is the most frequent request after `/users/me`.
    Whether the caller may see the item is the caller's to decide."""
    row = await _fetch_one(
        pool, _SESSION_USER_AND_ITEM_SQL, (item_id, user_id, session_id)
    )
    if row is None:
        return None, None
    user: DictRow = {}
    item: DictRow = {}
    for name, value in row.items():
        if name.startswith(_ITEM_PREFIX):
            item[name.removeprefix(_ITEM_PREFIX)] = value
        else:
            user[name] = value
    return _loaded_user(user), item if item["id"] is not None else None


@dataclass(frozen=True, slots=True)
class PageRows:
    """One page of a list: its rows, the list's total, and whether more follow."""

    rows: list[DictRow]
    count: int
    has_more: bool

    @property
    def next_cursor(self) -> str | None:
        """Where the next page starts, for the client to pass back; None at the end."""
        if not self.has_more:
            return None
        return PagePosition.after(self.rows[-1]).encode()


@dataclass(frozen=True, slots=True)
class _ListQueries:
    """A list's SQL: its count, and its page by offset or after a position."""

    count: str
    by_offset: str
    by_position: str


def _list_queries(
    *, columns: str, source: str, where: str | None, descending: bool, count: str
) -> _ListQueries:
    order, beyond = ("DESC", "<") if descending else ("ASC", ">")
    alias = source.split()[-1]
    keys = f"({alias}.created_at, {alias}.id)"
    after = f"{keys} {beyond} (%(after_created_at)s, %(after_id)s)"
    select = f"SELECT {columns} FROM {source}"
    ordered = f"ORDER BY {alias}.created_at {order}, {alias}.id {order}"
    conditions = [where] if where else []
    by_offset_where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    by_position_where = f" WHERE {' AND '.join([*conditions, after])}"
    return _ListQueries(
        count=count,
        by_offset=f"{select}{by_offset_where} {ordered} "
        "OFFSET %(skip)s LIMIT %(limit)s",
        by_position=f"{select}{by_position_where} {ordered} LIMIT %(limit)s",
    )


_USER_LIST = _list_queries(
    columns=_columns(User, "u", shown_by=UserPublic),
    source='"user" u',
    where=None,
    descending=False,
    count='SELECT count(*) AS count FROM "user"',
)
# Item counts are kept exact by triggers on `item` (`models.ItemCount`): no page
# counts rows.
_OWNER_ITEM_LIST = _list_queries(
    columns=_ITEM_COLUMNS,
    source="item i",
    where="i.owner_id = %(owner_id)s",
    descending=True,
    count="SELECT coalesce(sum(count), 0) AS count FROM item_count "
    "WHERE owner_id = %(owner_id)s",
)
_ALL_ITEM_LIST = _list_queries(
    columns=_ITEM_COLUMNS,
    source="item i",
    where=None,
    descending=True,
    count="SELECT coalesce(sum(count), 0) AS count FROM item_total",
)


async def _read_page(
    pool: Pool,
    queries: _ListQueries,
    *,
    skip: int,
    limit: int,
    after: PagePosition | None,
    params: dict[str, Any] | None = None,
) -> PageRows:
    """The count and a page of rows on one connection; one row more than asked for
    tells whether another page follows. Past `after`, the page is read straight off
    the (created_at, id) index, as cheap 10,000 rows deep as on the first page."""
    values: dict[str, Any] = {**(params or {}), "skip": skip, "limit": limit + 1}
    if after is not None:
        values.update(after_created_at=after.created_at, after_id=after.id)
    page_sql = queries.by_offset if after is None else queries.by_position
    async with pool.connection() as connection:
        counted = await (await connection.execute(queries.count, values)).fetchone()
        rows = await (await connection.execute(page_sql, values)).fetchall()
    return PageRows(
        rows=rows[:limit],
        count=int(counted["count"]) if counted else 0,
        has_more=len(rows) > limit,
    )


async def list_users(
    *, pool: Pool, skip: int, limit: int, after: PagePosition | None = None
) -> PageRows:
    """Users oldest first, with the total (no password hashes are read)."""
    return await _read_page(pool, _USER_LIST, skip=skip, limit=limit, after=after)


async def list_items(
    *,
    pool: Pool,
    owner_id: uuid.UUID | None,
    skip: int,
    limit: int,
    after: PagePosition | None = None,
) -> PageRows:
    """Items newest first: one owner's, or everyone's when `owner_id` is None."""
    if owner_id is None:
        return await _read_page(
            pool, _ALL_ITEM_LIST, skip=skip, limit=limit, after=after
        )
    return await _read_page(
        pool,
        _OWNER_ITEM_LIST,
        skip=skip,
        limit=limit,
        after=after,
        params={"owner_id": owner_id},
    )


async def read_item(
    *, pool: Pool, item_id: uuid.UUID, owner_id: uuid.UUID | None
) -> DictRow | None:
    """An item by id if `owner_id` owns it (any item for None): one round trip."""
    row = await _fetch_one(pool, _ITEM_SQL, (item_id,))
    if row is None or (owner_id is not None and row["owner_id"] != owner_id):
        return None
    return row


async def create_item(
    *, pool: Pool, item_in: ItemCreate, owner_id: uuid.UUID
) -> DictRow:
    """Insert an item owned by `owner_id`; the row as stored, in one round trip."""
    row = await _fetch_one(
        pool,
        _INSERT_ITEM_SQL,
        {"id": uuid.uuid4(), "owner_id": owner_id, **item_in.model_dump()},
    )
    assert row is not None  # INSERT ... RETURNING gives its row
    return row


async def update_item(
    *,
    pool: Pool,
    item_id: uuid.UUID,
    owner_id: uuid.UUID | None,
    item_in: ItemUpdate,
) -> DictRow | None:
    """Change the fields that were sent, if the item is reachable (see `read_item`);
    the row as stored, or None when there is no such item for this caller."""
    changes = item_in.model_dump(exclude_unset=True)
    if not changes:
        return await read_item(pool=pool, item_id=item_id, owner_id=owner_id)
    assignments = ", ".join(
        f'"{name}" = %({name})s' for name in changes if name in _UPDATABLE_ITEM_FIELDS
    )
    sql = (
        f"UPDATE item SET {assignments} "
        f"WHERE id = %(item_id)s AND {_ITEM_REACHABLE} RETURNING {_ITEM_RETURNING}"
    )
    return await _fetch_one(
        pool, sql, {**changes, "item_id": item_id, "owner_id": owner_id}
    )


async def delete_item(
    *, pool: Pool, item_id: uuid.UUID, owner_id: uuid.UUID | None
) -> bool:
    """Delete the item if it is reachable (see `read_item`); whether it was."""
    deleted = await _fetch_one(
        pool, _DELETE_ITEM_SQL, {"item_id": item_id, "owner_id": owner_id}
    )
    return deleted is not None


async def revoke_session(
    *,
    session: AsyncSession,
    session_id: uuid.UUID,
    audit: AuditContext | None = None,
) -> None:
    await _revoke_session(session=session, session_id=session_id)
    add_audit_event(
        session=session,
        audit=audit,
        event_type=AuditEventType.LOGOUT,
        target_id=audit.actor_id if audit else None,
        details={"session_id": str(session_id)},
    )
    await session.commit()


async def _revoke_session(*, session: AsyncSession, session_id: uuid.UUID) -> None:
    await session.exec(
        update(UserSession)
        .where(col(UserSession.id) == session_id)
        .where(col(UserSession.revoked_at).is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


async def _revoke_user_sessions(*, session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.exec(
        update(UserSession)
        .where(col(UserSession.user_id) == user_id)
        .where(col(UserSession.revoked_at).is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


async def ping_database(*, session: AsyncSession) -> None:
    await session.exec(select(literal_column("1")))


# Audit log -----------------------------------------------------------------------


def add_audit_event(
    *,
    session: AsyncSession,
    audit: AuditContext | None,
    event_type: AuditEventType,
    target_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Stage an event in the caller's transaction: it is kept only if the change is."""
    if audit is None:
        return
    session.add(
        AuditEvent(
            event_type=event_type,
            actor_id=audit.actor_id,
            target_id=target_id,
            ip=audit.ip[:64] if audit.ip else None,
            request_id=audit.request_id,
            details=details or {},
        )
    )


async def record_audit_event(
    *,
    session: AsyncSession,
    audit: AuditContext,
    event_type: AuditEventType,
    target_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record an event that changes nothing else (a failed login)."""
    add_audit_event(
        session=session,
        audit=audit,
        event_type=event_type,
        target_id=target_id,
        details=details,
    )
    await session.commit()


def _audit_user_changes(
    *,
    session: AsyncSession,
    audit: AuditContext | None,
    db_user: User,
    data: dict[str, Any],
) -> None:
    changed = sorted(
        name
        for name, value in data.items()
        if name == "password" or getattr(db_user, name) != value
    )
    if not changed:
        return

    def add(event_type: AuditEventType, details: dict[str, Any]) -> None:
        add_audit_event(
            session=session,
            audit=audit,
            event_type=event_type,
            target_id=db_user.id,
            details=details,
        )

    add(AuditEventType.USER_UPDATED, {"fields": changed})
    if "is_superuser" in changed:
        add(AuditEventType.ROLE_CHANGED, {"is_superuser": data["is_superuser"]})
    if "is_active" in changed:
        add(AuditEventType.ACTIVE_CHANGED, {"is_active": data["is_active"]})
    if "email" in changed:
        add(
            AuditEventType.EMAIL_CHANGED,
            {"old_email": db_user.email, "new_email": data["email"]},
        )
    if "password" in changed:
        add(AuditEventType.PASSWORD_CHANGED, {})


async def list_audit_events(
    *,
    session: AsyncSession,
    event_type: AuditEventType | None,
    actor_id: uuid.UUID | None,
    target_id: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    skip: int,
    limit: int,
) -> tuple[Sequence[AuditEvent], int]:
    """Events newest first, narrowed by whichever filters are given."""
    conditions: list[Any] = []
    if event_type is not None:
        conditions.append(col(AuditEvent.event_type) == event_type.value)
    if actor_id is not None:
        conditions.append(col(AuditEvent.actor_id) == actor_id)
    if target_id is not None:
        conditions.append(col(AuditEvent.target_id) == target_id)
    if since is not None:
        conditions.append(col(AuditEvent.created_at) >= since)
    if until is not None:
        conditions.append(col(AuditEvent.created_at) < until)
    count = (
        await session.exec(
            select(func.count()).select_from(AuditEvent).where(*conditions)
        )
    ).one()
    events = await session.exec(
        select(AuditEvent)
        .where(*conditions)
        .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
        .offset(skip)
        .limit(limit)
    )
    return events.all(), count
