"""Dependencies the routes declare: settings, database session, who is calling, what they own."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from app import crud
from app.core import security
from app.core.config import API_V1_STR, Settings
from app.models import AuditContext, Item, User
from app.request_id import current_request_id


def get_app_settings(request: Request) -> Settings:
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


def get_read_engine(request: Request) -> AsyncEngine:
    engine: AsyncEngine = request.app.state.read_engine
    return engine


ReadEngineDep = Annotated[AsyncEngine, Depends(get_read_engine)]


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


async def get_authenticated(
    read_engine: ReadEngineDep, settings: SettingsDep, token: TokenDep
) -> Authenticated:
    try:
        claims = security.decode_token(
            token,
            token_type=security.TokenType.ACCESS,
            secret_key=settings.SECRET_KEY,
        )
        session_id = uuid.UUID(str(claims.get("sid")))
    except (security.InvalidTokenError, ValueError) as exc:
        raise unauthorized() from exc
    user = await crud.get_session_user(
        read_engine=read_engine, user_id=claims["sub"], session_id=session_id
    )
    if user is None:
        raise unauthorized()
    if not user.is_active:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN, detail="Inactive user"
        )
    return Authenticated(user=user, session_id=session_id)


AuthenticatedDep = Annotated[Authenticated, Depends(get_authenticated)]


def get_current_user(authenticated: AuthenticatedDep) -> User:
    return authenticated.user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_current_superuser(current_user: CurrentUser) -> User:
    if not current_user.is_superuser:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail="The user doesn't have enough privileges",
        )
    return current_user


SuperuserDep = Annotated[User, Depends(get_current_superuser)]


async def get_owned_item(
    item_id: uuid.UUID, read_engine: ReadEngineDep, current_user: CurrentUser
) -> Item:
    """The item, if the caller owns it or is a superuser; 404 either way otherwise."""
    item = await crud.read_item(read_engine=read_engine, item_id=item_id)
    if item is None or (
        item.owner_id != current_user.id and not current_user.is_superuser
    ):
        raise HTTPException(
            status_code=status.HTTP_404_NOT_FOUND, detail="Item not found"
        )
    return item


OwnedItemDep = Annotated[Item, Depends(get_owned_item)]


def get_audit_context(request: Request) -> AuditContext:
    """Where the request comes from; routes add who acts with `.by(user_id)`."""
    return AuditContext(
        ip=request.client.host if request.client else None,
        request_id=current_request_id(),
    )


AuditDep = Annotated[AuditContext, Depends(get_audit_context)]
