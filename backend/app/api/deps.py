"""Dependencies the routes declare: settings, database, who is calling, what they reach."""

import inspect
import re
import uuid
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer

from app import crud
from app.core import security
from app.core.config import API_V1_STR, Settings
from app.core.db import Database, TableT
from app.core.listing import CURSOR_PATTERN, Cursor, PageRequest
from app.core.logging import current_request_id
from app.exceptions import (
    ForbiddenError,
    InactiveUserError,
    NotFoundError,
    SuperuserNeedsTwoFactorError,
    UnauthorizedError,
)
from app.models import AuditContext, AuditEventType, Membership, TeamRole, User
from app.oidc import Providers

# Every dependency here is `async def`, even those that never await: FastAPI runs a
# plain `def` dependency in a worker thread, and that hand-off costs far more than
# the work itself on a path every request takes.


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (tests build apps with their own)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


DbDep = Annotated[Database, Depends(get_db)]

# Paging for every list endpoint: `limit` is capped so one request stays cheap.
MAX_PAGE_SIZE = 100
CURSOR = (
    "A `next_cursor` from the previous page: the page after it, as fast at any depth "
    "(unlike `skip`, which the database must walk). With `skip`, that many rows after."
)


async def get_page_request(
    skip: Annotated[int, Query(ge=0, le=2_147_483_647)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = MAX_PAGE_SIZE,
    cursor: Annotated[
        str | None, Query(pattern=CURSOR_PATTERN, description=CURSOR)
    ] = None,
) -> PageRequest:
    after = Cursor.decode(cursor) if cursor is not None else None
    return PageRequest(limit=limit, skip=skip, after=after)


PageDep = Annotated[PageRequest, Depends(get_page_request)]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl=f"{API_V1_STR}/login/access-token")
TokenDep = Annotated[str, Depends(oauth2_scheme)]


@dataclass(frozen=True, slots=True)
class Authenticated:
    """The caller behind a valid access token, and the login session it belongs to."""

    user: User
    session_id: uuid.UUID


def _claimed_session(request: Request, token: str) -> tuple[uuid.UUID, uuid.UUID]:
    """The user and login session an access token names, if its signature holds."""
    # Settings straight off the app, not as a dependency of its own: this runs on
    # nearly every request, and each dependency costs a resolution.
    settings: Settings = request.app.state.settings
    try:
        claims = security.decode_token(
            token, token_type=security.TokenType.ACCESS, secret_key=settings.SECRET_KEY
        )
        session_id = uuid.UUID(str(claims.get("sid")))
    except (security.InvalidTokenError, ValueError) as exc:
        raise UnauthorizedError() from exc
    return claims["sub"], session_id


def _allowed(user: User | None) -> User:
    """A caller whose session is live (else 401) and who is active (else 403)."""
    if user is None:
        raise UnauthorizedError()
    if not user.is_active:
        raise InactiveUserError()
    return user


async def authenticate(request: Request, token: str) -> Authenticated:
    """The caller behind an access token: its session must be live, the user active."""
    user_id, session_id = _claimed_session(request, token)
    user = await crud.get_session_user(
        db=request.app.state.db, user_id=user_id, session_id=session_id
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


def acts_as_superuser(user: User, settings: Settings) -> bool:
    """A superuser's rights, where REQUIRE_2FA_FOR_SUPERUSERS is set, need a second
    factor: until they turn it on, superusers act as ordinary users."""
    return user.is_superuser and (
        user.two_factor_enabled or not settings.REQUIRE_2FA_FOR_SUPERUSERS
    )


async def get_current_superuser(request: Request, current_user: CurrentUser) -> User:
    if not current_user.is_superuser:
        raise ForbiddenError()
    if not acts_as_superuser(current_user, request.app.state.settings):
        raise SuperuserNeedsTwoFactorError()
    return current_user


SuperuserDep = Annotated[User, Depends(get_current_superuser)]


async def _audit_superuser_reach(
    request: Request, user: User, team_id: uuid.UUID
) -> None:
    """A superuser acting in a team they are not in: recorded, every time."""
    audit = (await get_audit_context(request)).by(user.id)
    event, target = AuditEventType.SUPERUSER_TEAM_ACCESS, team_id
    details = {"method": request.method, "path": request.url.path}
    await crud.record(request.app.state.db, audit, event, target, **details)


async def resolve_membership(
    request: Request, token: str, team_id: uuid.UUID | None
) -> Membership:
    """The caller and their standing in a team (their personal team when
    `team_id` is None), from one statement. A team the caller is not in looks
    absent (404), but to a superuser, whose reach is audited."""
    user_id, session_id = _claimed_session(request, token)
    user, membership = await crud.get_session_membership(
        db=request.app.state.db,
        user_id=user_id,
        session_id=session_id,
        team_id=team_id,
    )
    user = _allowed(user)
    superuser = acts_as_superuser(user, request.app.state.settings)
    if membership is None or (membership.role is None and not superuser):
        raise NotFoundError("Team")
    if membership.role is None:
        await _audit_superuser_reach(request, user, membership.team_id)
    return replace(membership, superuser=superuser)


TEAM_ID = "The team: one the caller is in. Left out: the caller's personal team."


async def get_team_of_request(
    request: Request,
    token: TokenDep,
    team_id: Annotated[uuid.UUID | None, Query(description=TEAM_ID)] = None,
) -> Membership:
    return await resolve_membership(request, token, team_id)


# The team a list or a new row is for (`?team_id=`, the personal team by default):
# `team.scope` is what every list-kit call of the request is given.
TeamDep = Annotated[Membership, Depends(get_team_of_request)]


def team_role(minimum: TeamRole) -> Any:
    """A dependency giving the caller's membership in the path's `{team_id}`: 404
    for a team they are not in, 403 below the `minimum` role."""

    async def get_team_member(
        request: Request, token: TokenDep, team_id: Annotated[uuid.UUID, Path()]
    ) -> Membership:
        membership = await resolve_membership(request, token, team_id)
        if not membership.at_least(minimum):
            raise ForbiddenError()
        return membership

    return Depends(get_team_member)


TeamMemberDep = Annotated[Membership, team_role(TeamRole.MEMBER)]
TeamAdminDep = Annotated[Membership, team_role(TeamRole.ADMIN)]
TeamOwnerDep = Annotated[Membership, team_role(TeamRole.OWNER)]


def team_row(table: type[TableT], *, change: bool = False) -> Any:
    """A dependency giving the row of `table` named by the path's `{<table>_id}`, if
    the caller is in its team (or is a superuser, audited); 404 otherwise (another
    team's row looks absent). With `change`, a member may only have the rows they
    created (403 for the others). It authenticates the caller itself, so that the
    session check, the row and the caller's role come back from one statement:
    `TeamItem = Annotated[Item, team_row(Item)]`."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", table.__name__).lower()  # invoice_line
    parameter = f"{snake}_id"

    async def get_team_row(request: Request, token: str, **path: uuid.UUID) -> TableT:
        user_id, session_id = _claimed_session(request, token)
        user, row, role = await crud.get_session_user_and_row(
            db=request.app.state.db,
            user_id=user_id,
            session_id=session_id,
            table=table,
            row_id=path[parameter],
        )
        user = _allowed(user)
        superuser = acts_as_superuser(user, request.app.state.settings)
        if row is None or (role is None and not superuser):
            raise NotFoundError(snake.replace("_", " ").capitalize())
        team_id = row.team_id  # type: ignore[attr-defined]
        membership = Membership(
            user=user,
            team_id=team_id,
            is_personal=False,
            role=role,
            superuser=superuser,
        )
        if change and not membership.may_change(row):
            raise ForbiddenError()
        if role is None:
            await _audit_superuser_reach(request, user, team_id)
        return row

    # FastAPI reads the parameters off the signature: the path's id is a UUID.
    keyword = inspect.Parameter.KEYWORD_ONLY
    get_team_row.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("request", keyword, annotation=Request),
            inspect.Parameter("token", keyword, annotation=TokenDep),
            inspect.Parameter(
                parameter, keyword, annotation=Annotated[uuid.UUID, Path()]
            ),
        ]
    )
    return Depends(get_team_row)


async def get_audit_context(request: Request) -> AuditContext:
    """Where the request comes from; routes add who acts with `.by(user_id)`. The
    address and the user agent are cut to the lengths the tables keep."""
    ip = request.client.host[:64] if request.client else None
    agent = request.headers.get("user-agent")
    return AuditContext(
        ip=ip,
        request_id=current_request_id(),
        user_agent=agent[:512] if agent else None,
    )


AuditDep = Annotated[AuditContext, Depends(get_audit_context)]


async def get_providers(request: Request) -> Providers:
    providers: Providers = request.app.state.providers
    return providers


ProvidersDep = Annotated[Providers, Depends(get_providers)]
