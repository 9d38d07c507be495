"""Every query, commit and business rule of the API, as flat keyword-only functions."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, literal_column, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core import security
from app.exceptions import (
    EmailAlreadyRegisteredError,
    InactiveUserError,
    InvalidCredentialsError,
    RefreshTokenReuseError,
    SessionError,
)
from app.models import (
    Item,
    ItemCreate,
    ItemUpdate,
    RefreshToken,
    User,
    UserCreate,
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


async def list_users(
    *, session: AsyncSession, skip: int, limit: int
) -> tuple[Sequence[User], int]:
    count = (await session.exec(select(func.count()).select_from(User))).one()
    users = await session.exec(
        select(User)
        .order_by(col(User.created_at), col(User.id))
        .offset(skip)
        .limit(limit)
    )
    return users.all(), count


async def create_user(
    *, session: AsyncSession, user_create: UserCreate, bcrypt_rounds: int
) -> User:
    hashed_password = await security.hash_password_async(
        user_create.password, rounds=bcrypt_rounds
    )
    user = User.model_validate(user_create, update={"hashed_password": hashed_password})
    return await _commit_user(session=session, user=user)


async def update_user(
    *,
    session: AsyncSession,
    db_user: User,
    user_in: UserUpdate | UserUpdateMe,
    bcrypt_rounds: int,
) -> User:
    """Apply the fields that were sent; a new password or deactivation ends every session."""
    data: dict[str, Any] = user_in.model_dump(exclude_unset=True)
    password = data.pop("password", None)
    ends_sessions = password is not None or data.get("is_active") is False
    if password is not None:
        data["hashed_password"] = await security.hash_password_async(
            password, rounds=bcrypt_rounds
        )
    db_user.sqlmodel_update(data)
    if ends_sessions:
        await _revoke_user_sessions(session=session, user_id=db_user.id)
    return await _commit_user(session=session, user=db_user)


async def set_password(
    *, session: AsyncSession, db_user: User, new_password: str, bcrypt_rounds: int
) -> None:
    """Change the password and revoke every session, so old tokens stop working."""
    db_user.hashed_password = await security.hash_password_async(
        new_password, rounds=bcrypt_rounds
    )
    session.add(db_user)
    await _revoke_user_sessions(session=session, user_id=db_user.id)
    await session.commit()


async def delete_user(*, session: AsyncSession, db_user: User) -> None:
    await session.delete(db_user)
    await session.commit()


async def authenticate(
    *, session: AsyncSession, email: str, password: str, bcrypt_rounds: int
) -> User:
    user = await get_user_by_email(session=session, email=email)
    hashed_password = user.hashed_password if user else _dummy_hash(bcrypt_rounds)
    is_valid = await security.verify_password_async(password, hashed_password)
    if user is None or not is_valid:
        raise InvalidCredentialsError()
    if not user.is_active:
        raise InactiveUserError()
    return user


# Sessions ------------------------------------------------------------------------


async def create_session(
    *, session: AsyncSession, user: User, lifetime: timedelta
) -> tuple[UserSession, str]:
    """Start a login session; return it with its first refresh token (in clear)."""
    user_session = UserSession(user_id=user.id, expires_at=datetime.now(UTC) + lifetime)
    refresh_token = security.generate_refresh_token()
    session.add(user_session)
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
    *, session: AsyncSession, refresh_token: str
) -> tuple[User, UserSession, str]:
    """Trade a refresh token for a new one in the same session.

    The old token is marked used in one atomic statement, so two racing requests
    cannot both rotate it. Presenting a used token again revokes its whole session.
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
        reused = await session.get(RefreshToken, token_hash)
        if reused is None:
            raise SessionError()
        await _revoke_session(session=session, session_id=reused.session_id)
        await session.commit()
        raise RefreshTokenReuseError()

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


async def get_session_user(
    *, session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID
) -> User | None:
    """The user behind an access token, if its session is still live."""
    result = await session.exec(
        select(User)
        .join(UserSession, col(UserSession.user_id) == col(User.id))
        .where(col(User.id) == user_id)
        .where(col(UserSession.id) == session_id)
        .where(col(UserSession.revoked_at).is_(None))
        .where(col(UserSession.expires_at) > datetime.now(UTC))
    )
    return result.first()


async def revoke_session(*, session: AsyncSession, session_id: uuid.UUID) -> None:
    await _revoke_session(session=session, session_id=session_id)
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


# Items ---------------------------------------------------------------------------


async def create_item(
    *, session: AsyncSession, item_in: ItemCreate, owner_id: uuid.UUID
) -> Item:
    item = Item.model_validate(item_in, update={"owner_id": owner_id})
    session.add(item)
    await session.commit()
    return item


async def get_item(*, session: AsyncSession, item_id: uuid.UUID) -> Item | None:
    return await session.get(Item, item_id)


async def list_items(
    *, session: AsyncSession, owner_id: uuid.UUID | None, skip: int, limit: int
) -> tuple[Sequence[Item], int]:
    """Items newest first: one owner's, or everyone's when `owner_id` is None."""
    count_query = select(func.count()).select_from(Item)
    items_query = select(Item)
    if owner_id is not None:
        count_query = count_query.where(col(Item.owner_id) == owner_id)
        items_query = items_query.where(col(Item.owner_id) == owner_id)
    count = (await session.exec(count_query)).one()
    items = await session.exec(
        items_query.order_by(col(Item.created_at).desc(), col(Item.id).desc())
        .offset(skip)
        .limit(limit)
    )
    return items.all(), count


async def update_item(
    *, session: AsyncSession, db_item: Item, item_in: ItemUpdate
) -> Item:
    db_item.sqlmodel_update(item_in.model_dump(exclude_unset=True))
    session.add(db_item)
    await session.commit()
    return db_item


async def delete_item(*, session: AsyncSession, db_item: Item) -> None:
    await session.delete(db_item)
    await session.commit()


async def ping_database(*, session: AsyncSession) -> None:
    await session.exec(select(literal_column("1")))
