"""Dependencies the routes declare: settings, database session, who is calling, what they own."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from app import crud
from app.core import security
from app.core.config import API_V1_STR, Settings
from app.core.db import Pool
from app.models import (
    AuditContext,
    InvalidCursorError,
    ItemPublic,
    PagePosition,
    User,
    from_row,
)
from app.request_id import current_request_id

# Every dependency here is `async def`, even those that never await: FastAPI runs a
# plain `def` dependency in a worker thread, and that hand-off costs far more than
# the work itself on a path every request takes.


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (tests build apps with their own)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]

# Paging for every list endpoint: `limit` is capped so one request stays cheap.
MAX_PAGE_SIZE = 100
Skip = Annotated[int, Query(ge=0, le=2_147_483_647)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=f"{API_V1_STR}/login/access-token")
TokenDep = Annotated[str, Depends(oauth2_scheme)]


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessionmaker() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_db)]


async def get_pool(request: Request) -> Pool:
    pool: Pool = request.app.state.pool
    return pool


PoolDep = Annotated[Pool, Depends(get_pool)]


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page a list request asks for: by offset, or after a cursor."""

    skip: int
    limit: int
    after: PagePosition | None


def invalid_query(name: str, message: str, value: object) -> RequestValidationError:
    """A 422 shaped like FastAPI's own, for a query parameter checked by hand."""
    return RequestValidationError(
        [
            {
                "type": "value_error",
                "loc": ("query", name),
                "msg": message,
                "input": value,
            }
        ]
    )


async def get_page_request(
    skip: Skip = 0,
    limit: Limit = 100,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="A `next_cursor` from the previous page: the page after it, "
            "as fast at any depth (unlike `skip`, which the database must walk).",
        ),
    ] = None,
) -> PageRequest:
    if cursor is None:
        return PageRequest(skip=skip, limit=limit, after=None)
    if skip:
        raise invalid_query("skip", "Use either skip or cursor, not both", skip)
    try:
        after = PagePosition.decode(cursor)
    except InvalidCursorError as exc:
        raise invalid_query("cursor", str(exc), cursor) from exc
    return PageRequest(skip=0, limit=limit, after=after)


PageDep = Annotated[PageRequest, Depends(get_page_request)]


def unauthorized(detail: str = "Could not validate credentials") -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail=detail,
        headers={"WWW-Authenticate": "Bearer"},
    )


@dataclass(frozen=True, slots=True)
class Authenticated:
    """The caller behind a valid access token, and the login session it belongs to."""

    user: User
    session_id: uuid.UUID


def _claimed_session(settings: Settings, token: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The user and login session an access token names, if its signature holds."""
    try:
        claims = security.decode_token(
            token,
            token_type=security.TokenType.ACCESS,
            secret_key=settings.SECRET_KEY,
        )
        session_id = uuid.UUID(str(claims.get("sid")))
    except (security.InvalidTokenError, ValueError) as exc:
        raise unauthorized() from exc
    return claims["sub"], session_id


def _allowed(user: User | None) -> User:
    """A caller whose session is live (else 401) and who is active (else 403)."""
    if user is None:
        raise unauthorized()
    if not user.is_active:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN, detail="Inactive user"
        )
    return user


async def authenticate(request: Request, token: str) -> Authenticated:
    """The caller behind an access token: its session must be live, the user active."""
    # Settings and pool straight off the app, not as dependencies of their own:
    # this runs on nearly every request, and each dependency costs a resolution.
    settings: Settings = request.app.state.settings
    pool: Pool = request.app.state.pool
    user_id, session_id = _claimed_session(settings, token)
    user = await crud.get_session_user(
        pool=pool, user_id=user_id, session_id=session_id
    )
    return Authenticated(user=_allowed(user), session_id=session_id)


# Two dependencies over `authenticate`, rather than one on top of the other: a level
# less on the path of nearly every request. A route takes one of them, never both
# (that would check the token twice).


async def get_authenticated(request: Request, token: TokenDep) -> Authenticated:
    return await authenticate(request, token)


AuthenticatedDep = Annotated[Authenticated, Depends(get_authenticated)]


async def get_current_user(request: Request, token: TokenDep) -> User:
    return (await authenticate(request, token)).user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_current_superuser(current_user: CurrentUser) -> User:
    if not current_user.is_superuser:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail="The user doesn't have enough privileges",
        )
    return current_user


SuperuserDep = Annotated[User, Depends(get_current_superuser)]


async def get_item_scope(current_user: CurrentUser) -> uuid.UUID | None:
    """Whose items the caller reaches: its own, or everyone's (None) for a superuser."""
    return None if current_user.is_superuser else current_user.id


ItemScopeDep = Annotated[uuid.UUID | None, Depends(get_item_scope)]


def item_not_found() -> HTTPException:
    """Absent and someone else's look the same: existence must not leak."""
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Item not found")


async def get_owned_item(
    item_id: uuid.UUID, request: Request, token: TokenDep
) -> ItemPublic:
    """The item, if the caller owns it or is a superuser; 404 either way otherwise.

    It authenticates the caller itself (rather than taking `CurrentUser`), so that
    the session check and the item come back from one statement.
    """
    settings: Settings = request.app.state.settings
    user_id, session_id = _claimed_session(settings, token)
    user, row = await crud.get_session_user_and_item(
        pool=request.app.state.pool,
        user_id=user_id,
        session_id=session_id,
        item_id=item_id,
    )
    caller = _allowed(user)
    if row is None or (row["owner_id"] != caller.id and not caller.is_superuser):
        raise item_not_found()
    return from_row(ItemPublic, row)


OwnedItemDep = Annotated[ItemPublic, Depends(get_owned_item)]


async def get_audit_context(request: Request) -> AuditContext:
    """Where the request comes from; routes add who acts with `.by(user_id)`."""
    return AuditContext(
        ip=request.client.host if request.client else None,
        request_id=current_request_id(),
    )


AuditDep = Annotated[AuditContext, Depends(get_audit_context)]
