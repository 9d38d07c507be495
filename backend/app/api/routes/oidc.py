"""Signing in at a provider (OpenID Connect, or GitHub), and linking provider
accounts to users.

The browser leaves for the provider from `/login/oidc/{provider}/authorize` and
comes back to `/login/oidc/{provider}/callback`. What must hold between the two
(`state`, `nonce`, the PKCE verifier, and for a link the session asking for it)
travels in a signed, 10-minute, HttpOnly cookie scoped to `/api/v1/login/oidc`
(SameSite=Lax, so it comes back with the provider's redirect): no server-side
store, so any instance can take the callback. The callback always answers with a
redirect to the UI: a session started (the refresh cookie set, as a password login
does; the UI picks up its access token through `/login/refresh`), the second step,
the password that confirms a link, or the login page with an `error` code.
"""

import uuid
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Cookie, Depends, Path, Query, Response, status
from fastapi.responses import RedirectResponse

from app import crud
from app.api.deps import (
    AuditDep,
    AuthenticatedDep,
    DbDep,
    ProvidersDep,
    SettingsDep,
)
from app.api.rate_limits import (
    RATE_LIMITED,
    RateLimiterDep,
    account_key,
    count_failed_login,
    throttle_login_ip,
)
from app.api.routes.login import first_step_done, start_session, two_factor_challenge
from app.core import rate_limit, security
from app.core.config import API_V1_STR, Settings
from app.core.db import Database
from app.exceptions import (
    EmailAlreadyRegisteredError,
    IdentityInUseError,
    InactiveUserError,
    InvalidCredentialsError,
    NotFoundError,
    SignInRefusedError,
    UnauthorizedError,
)
from app.models import (
    AuditContext,
    AuditEventType,
    AuthorizationUrl,
    ConfirmLink,
    SignInProvider,
    Token,
    TwoFactorChallenge,
    User,
)
from app.oidc import Authorization, Provider, ProviderError, ProviderIdentity

router = APIRouter(tags=["login"])

STATE_COOKIE = "oidc_state"
LINK_COOKIE = "oidc_link"
COOKIE_PATH = f"{API_V1_STR}/login/oidc"
FLOW_LIFETIME = timedelta(minutes=10)
FAILED = AuditEventType.LOGIN_FAILED

ProviderName = Annotated[
    str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$", description="A provider's `name`")
]
# Where the UI goes once signed in: a path on it (not `//host`).
NEXT_PATTERN = r"^/([A-Za-z0-9_.~-][^\x00-\x1f\\]*)?$"
# What a provider sends back: no NUL, within reason.
Returned = Annotated[str | None, Query(max_length=2048, pattern=r"^[^\x00]*$")]
REDIRECT: dict[int | str, dict[str, Any]] = {
    status.HTTP_302_FOUND: {"description": "On to the provider, or the UI"}
}


def _provider(providers: ProvidersDep, provider: ProviderName) -> Provider:
    found = providers.get(provider)
    if found is None:
        raise NotFoundError("Provider")
    return found


ProviderDep = Annotated[Provider, Depends(_provider)]


def _to_ui(settings: Settings, path: str, **query: str) -> RedirectResponse:
    """A redirect to a page of the UI; the flow's cookie is cleared on it."""
    url = f"{settings.FRONTEND_HOST.rstrip('/')}{path}"
    if query:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(query)}"
    response = RedirectResponse(url, status_code=status.HTTP_302_FOUND)
    response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
    return response


def _set_flow_cookie(
    response: Response, settings: Settings, name: str, token: str, samesite: str
) -> None:
    response.set_cookie(
        name,
        token,
        max_age=int(FLOW_LIFETIME.total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        secure=settings.ENVIRONMENT != "local",
        samesite=samesite,  # type: ignore[arg-type]
    )


def _flow_token(
    settings: Settings,
    provider: Provider,
    authorization: Authorization,
    *,
    user_id: uuid.UUID | None = None,
    claims: dict[str, Any],
) -> str:
    """What the callback checks, signed: the subject is the user a link is for."""
    return security.create_token(
        subject=user_id or uuid.uuid4(),
        token_type=security.TokenType.OIDC_STATE,
        expires_delta=FLOW_LIFETIME,
        secret_key=settings.SECRET_KEY,
        claims={
            "provider": provider.name,
            "state": authorization.state,
            "nonce": authorization.nonce,
            "verifier": authorization.code_verifier,
            **claims,
        },
    )


@router.get("/login/providers")
async def read_providers(providers: ProvidersDep) -> list[SignInProvider]:
    """The sign-in providers this server offers, for the login page's buttons."""
    return [SignInProvider(name=p.name, display=p.display) for p in providers]


@router.get(
    "/login/oidc/{provider}/authorize",
    response_class=RedirectResponse,
    status_code=status.HTTP_302_FOUND,
    responses=REDIRECT,
)
async def authorize(
    provider: ProviderDep,
    settings: SettingsDep,
    next_path: Annotated[
        str | None,
        Query(alias="next", max_length=2048, pattern=NEXT_PATTERN),
    ] = None,
) -> RedirectResponse:
    """Sign in at a provider: a redirect to it (or, if it cannot be reached, to the
    login page with `error=provider_unavailable`). `next`: the UI's page to open
    once signed in."""
    try:
        authorization = await provider.authorization()
    except ProviderError as exc:
        return _to_ui(settings, "/login", error=exc.code)
    response = RedirectResponse(authorization.url, status.HTTP_302_FOUND)
    token = _flow_token(
        settings, provider, authorization, claims={"next": next_path or "/"}
    )
    _set_flow_cookie(response, settings, STATE_COOKIE, token, "lax")
    return response


@router.post("/login/oidc/{provider}/link")
async def start_link(
    provider: ProviderDep,
    settings: SettingsDep,
    authenticated: AuthenticatedDep,
    response: Response,
) -> AuthorizationUrl:
    """Link an account at a provider to the caller's: open the URL answered (the
    flow's cookie is set on this answer); the provider sends the browser back to
    the callback, which links it and returns to Settings."""
    try:
        authorization = await provider.authorization()
    except ProviderError as exc:
        return AuthorizationUrl(
            authorization_url=_to_ui(
                settings, "/settings", tab="sign-in", error=exc.code
            ).headers["location"]
        )
    token = _flow_token(
        settings,
        provider,
        authorization,
        user_id=authenticated.user.id,
        claims={"link_session": str(authenticated.session_id)},
    )
    _set_flow_cookie(response, settings, STATE_COOKIE, token, "lax")
    return AuthorizationUrl(authorization_url=authorization.url)


def _flow(
    settings: Settings, cookie: str | None, provider: Provider, state: str | None
) -> dict[str, Any] | None:
    """The flow the cookie describes, if it is this provider's and `state` matches."""
    try:
        claims = security.decode_token(
            cookie or "",
            token_type=security.TokenType.OIDC_STATE,
            secret_key=settings.SECRET_KEY,
        )
    except security.InvalidTokenError:
        return None
    if claims.get("provider") != provider.name or not security.fingerprints_match(
        str(claims.get("state")), state
    ):
        return None
    return claims


@router.get(
    "/login/oidc/{provider}/callback",
    response_class=RedirectResponse,
    status_code=status.HTTP_302_FOUND,
    responses=REDIRECT,
)
async def callback(
    provider: ProviderDep,
    db: DbDep,
    settings: SettingsDep,
    audit: AuditDep,
    code: Returned = None,
    state: Returned = None,
    error: Returned = None,
    state_cookie: Annotated[str | None, Cookie(alias=STATE_COOKIE)] = None,
) -> RedirectResponse:
    """Where the provider sends the browser back. Always a redirect to the UI: into
    the app, to the second step (`/login/two-factor`), to the password that links
    an existing account (`/login/link`), to Settings after a link, or to the login
    page with an `error` code."""
    flow = _flow(settings, state_cookie, provider, state)
    if flow is None:
        return _to_ui(settings, "/login", error="invalid_state")
    linking = "link_session" in flow
    fail_to = ("/settings", {"tab": "sign-in"}) if linking else ("/login", {})
    if error is not None or code is None:
        return _to_ui(settings, fail_to[0], **fail_to[1], error="access_denied")
    try:
        identity = await provider.identity(
            code=code, code_verifier=str(flow["verifier"]), nonce=str(flow["nonce"])
        )
        if linking:
            return await _link(db, settings, audit, flow, identity)
        return await _sign_in(db, settings, audit, identity, str(flow["next"]))
    except ProviderError as exc:
        return _to_ui(settings, fail_to[0], **fail_to[1], error=exc.code)


async def _link(
    db: Database,
    settings: Settings,
    audit: AuditContext,
    flow: dict[str, Any],
    identity: ProviderIdentity,
) -> RedirectResponse:
    """Link the identity to the user whose session asked for it, if still live."""
    user = await crud.get_session_user(
        db=db, user_id=flow["sub"], session_id=uuid.UUID(str(flow["link_session"]))
    )
    if user is None or not user.is_active:
        return _to_ui(settings, "/login", error="session_ended")
    try:
        await crud.link_identity(
            db=db, user=user, identity=identity, audit=audit.by(user.id)
        )
    except IdentityInUseError:
        return _to_ui(settings, "/settings", tab="sign-in", error="identity_in_use")
    return _to_ui(settings, "/settings", tab="sign-in", linked=identity.provider)


async def _sign_in(
    db: Database,
    settings: Settings,
    audit: AuditContext,
    identity: ProviderIdentity,
    next_path: str,
) -> RedirectResponse:
    method = f"oidc:{identity.provider}"
    try:
        found = await crud.sign_in_with_identity(
            db=db,
            identity=identity,
            open_registration=settings.USERS_OPEN_REGISTRATION,
            bcrypt_rounds=settings.BCRYPT_ROUNDS,
            audit=audit,
        )
    except (SignInRefusedError, EmailAlreadyRegisteredError, IdentityInUseError) as exc:
        # The last two: another request made the account or the link meanwhile.
        reason = exc.code if isinstance(exc, SignInRefusedError) else "account_exists"
        await crud.record(
            db, audit, FAILED, email=identity.email, reason=reason, method=method
        )
        return _to_ui(settings, "/login", error=reason)
    user = found.user
    if found.needs_password:
        response = _to_ui(
            settings, "/login/link", provider=identity.provider, email=user.email
        )
        token = security.create_token(
            subject=user.id,
            token_type=security.TokenType.OIDC_LINK,
            expires_delta=FLOW_LIFETIME,
            secret_key=settings.SECRET_KEY,
            claims={
                "provider": identity.provider,
                "subject": identity.subject,
                "email": identity.email,
            },
        )
        _set_flow_cookie(response, settings, LINK_COOKIE, token, "strict")
        return response
    if user.two_factor_enabled:
        response = _to_ui(settings, "/login/two-factor")
        two_factor_challenge(response, settings=settings, user=user, method=method)
        return response
    response = _to_ui(settings, next_path)
    await start_session(
        response,
        db=db,
        settings=settings,
        user=user,
        audit=audit,
        method=method,
    )
    return response


@router.post(
    "/login/oidc/confirm-link",
    dependencies=[Depends(throttle_login_ip)],
    responses=RATE_LIMITED,
)
async def confirm_link(
    body: ConfirmLink,
    response: Response,
    db: DbDep,
    settings: SettingsDep,
    limiter: RateLimiterDep,
    audit: AuditDep,
    link_cookie: Annotated[str | None, Cookie(alias=LINK_COOKIE)] = None,
) -> Token | TwoFactorChallenge:
    """Link the provider account just signed in with to the existing account that
    has its (verified) address, with that account's password; then log in as a
    password login does (tokens, or the second step's challenge)."""
    try:
        claims = security.decode_token(
            link_cookie or "",
            token_type=security.TokenType.OIDC_LINK,
            secret_key=settings.SECRET_KEY,
        )
    except security.InvalidTokenError as exc:
        raise UnauthorizedError("The provider sign-in expired: start again") from exc
    user: User | None = await crud.get_user(db=db, user_id=claims["sub"])
    if user is None:
        raise UnauthorizedError("The provider sign-in expired: start again")
    await limiter.check(rate_limit.LOGIN_PER_ACCOUNT, account_key(user.email))
    if not await security.verify_password_async(body.password, user.hashed_password):
        await count_failed_login(limiter, user.email)
        await crud.record(
            db, audit, FAILED, user.id, email=user.email, reason="invalid_credentials"
        )
        raise InvalidCredentialsError(user_id=user.id)
    if not user.is_active:
        raise InactiveUserError()
    provider = str(claims["provider"])
    identity = ProviderIdentity(
        provider=provider,
        subject=str(claims["subject"]),
        email=claims.get("email"),
        email_verified=True,
        name=None,
    )
    await crud.link_identity(
        db=db, user=user, identity=identity, audit=audit.by(user.id)
    )
    response.delete_cookie(LINK_COOKIE, path=COOKIE_PATH)
    return await first_step_done(
        response,
        db=db,
        settings=settings,
        user=user,
        audit=audit,
        method=f"oidc:{provider}",
    )
