from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Cookie, Depends, Response, status
from fastapi.responses import HTMLResponse

from app import crud
from app.api.deps import (
    AuditDep,
    AuthenticatedDep,
    CurrentUser,
    DbDep,
    SettingsDep,
    SuperuserDep,
)
from app.api.rate_limits import (
    RATE_LIMITED,
    RateLimiterDep,
    ThrottledLoginForm,
    ThrottledPasswordRecovery,
    count_failed_login,
    throttle_refresh,
)
from app.core import security
from app.core.config import API_V1_STR, Settings
from app.core.db import Database
from app.exceptions import (
    EmailNotVerifiedError,
    InactiveUserError,
    InvalidCredentialsError,
    NotFoundError,
    SessionError,
    UnauthorizedError,
    invalid_reset_token,
)
from app.mail import EmailTemplate, reset_password_email
from app.models import (
    AuditContext,
    AuditEventType,
    Message,
    NewPassword,
    PasswordRecovery,
    RefreshRequest,
    Token,
    TwoFactorChallenge,
    User,
    UserPublic,
    UserSession,
)
from app.observability.metrics import count_login_failure

router = APIRouter(tags=["login"])

REFRESH_COOKIE = "refresh_token"
REFRESH_COOKIE_PATH = f"{API_V1_STR}/login/refresh"
# The token between a login's two steps, for a browser that reloads the second one.
TWO_FACTOR_COOKIE = "two_factor_token"
TWO_FACTOR_COOKIE_PATH = f"{API_V1_STR}/login/2fa"
TWO_FACTOR_STEP_LIFETIME = timedelta(minutes=5)
FAILED = AuditEventType.LOGIN_FAILED


def _issue_tokens(
    response: Response, settings: Settings, session: UserSession, refresh_token: str
) -> Token:
    """Sign an access token for the session and hand out its refresh token."""
    lifetime = timedelta(minutes=settings.ACCESS_TOKEN_EXPIRE_MINUTES)
    access_token = security.create_token(
        subject=session.user_id,
        token_type=security.TokenType.ACCESS,
        expires_delta=lifetime,
        secret_key=settings.SECRET_KEY,
        claims={"sid": str(session.id)},
    )
    refresh_lifetime = timedelta(days=settings.REFRESH_TOKEN_EXPIRE_DAYS)
    response.set_cookie(
        REFRESH_COOKIE,
        refresh_token,
        max_age=int(refresh_lifetime.total_seconds()),
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        secure=settings.ENVIRONMENT != "local",
        samesite="strict",
    )
    expires_in = int(lifetime.total_seconds())
    return Token(
        access_token=access_token, expires_in=expires_in, refresh_token=refresh_token
    )


async def start_session(
    response: Response,
    *,
    db: Database,
    settings: Settings,
    user: User,
    audit: AuditContext,
    method: str,
) -> Token:
    """A new session for a user who proved who they are: its tokens, and the
    refresh cookie set on `response`."""
    user_session, refresh_token = await crud.create_session(
        db=db,
        user=user,
        lifetime=timedelta(days=settings.REFRESH_TOKEN_EXPIRE_DAYS),
        audit=audit,
        method=method,
    )
    return _issue_tokens(response, settings, user_session, refresh_token)


def two_factor_challenge(
    response: Response, *, settings: Settings, user: User, method: str
) -> TwoFactorChallenge:
    """A login's first step done for a user with a second factor: a short-lived
    token for `/login/2fa`, in the answer and as an HttpOnly cookie scoped to it."""
    token = security.create_token(
        subject=user.id,
        token_type=security.TokenType.TWO_FACTOR,
        expires_delta=TWO_FACTOR_STEP_LIFETIME,
        secret_key=settings.SECRET_KEY,
        claims={"method": method},
    )
    lifetime = int(TWO_FACTOR_STEP_LIFETIME.total_seconds())
    response.set_cookie(
        TWO_FACTOR_COOKIE,
        token,
        max_age=lifetime,
        path=TWO_FACTOR_COOKIE_PATH,
        httponly=True,
        secure=settings.ENVIRONMENT != "local",
        samesite="strict",
    )
    return TwoFactorChallenge(two_factor_token=token, expires_in=lifetime)


async def first_step_done(
    response: Response,
    *,
    db: Database,
    settings: Settings,
    user: User,
    audit: AuditContext,
    method: str,
) -> Token | TwoFactorChallenge:
    """A session, or, for a user with a second factor, the challenge for it."""
    if user.two_factor_enabled:
        return two_factor_challenge(
            response, settings=settings, user=user, method=method
        )
    return await start_session(
        response, db=db, settings=settings, user=user, audit=audit, method=method
    )


@router.post("/login/access-token", responses=RATE_LIMITED)
async def login_access_token(
    db: DbDep,
    settings: SettingsDep,
    response: Response,
    form_data: ThrottledLoginForm,
    limiter: RateLimiterDep,
    audit: AuditDep,
) -> Token | TwoFactorChallenge:
    """OAuth2 password login (the username is the email): an access and a refresh token.

    The refresh token also comes as an HttpOnly cookie scoped to `/login/refresh`.
    Where email verification is required, an unverified account gets 403
    `Email not verified`. Repeated failures answer 429 with `Retry-After`.
    For an account with two-factor authentication, the answer is a
    `TwoFactorChallenge` instead: send a code with its token to `/login/2fa`.
    """
    email = form_data.username
    try:
        user = await crud.authenticate(
            db=db,
            email=email,
            password=form_data.password,
            bcrypt_rounds=settings.BCRYPT_ROUNDS,
            require_verified=settings.email_verification_required,
        )
    except InvalidCredentialsError as exc:
        await count_failed_login(limiter, email)
        await crud.record(
            db, audit, FAILED, exc.user_id, email=email, reason="invalid_credentials"
        )
        count_login_failure("invalid_credentials")
        raise
    except (InactiveUserError, EmailNotVerifiedError) as exc:
        reason = "inactive" if isinstance(exc, InactiveUserError) else "unverified"
        await crud.record(db, audit, FAILED, email=email, reason=reason)
        count_login_failure(reason)
        raise
    return await first_step_done(
        response, db=db, settings=settings, user=user, audit=audit, method="password"
    )


@router.post("/login/test-token")
async def test_token(current_user: CurrentUser) -> UserPublic:
    """Check an access token: answers with its user."""
    return UserPublic.model_validate(current_user)


@router.post(
    "/login/refresh", dependencies=[Depends(throttle_refresh)], responses=RATE_LIMITED
)
async def refresh_access_token(
    db: DbDep,
    settings: SettingsDep,
    response: Response,
    audit: AuditDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
    refresh_cookie: Annotated[str | None, Cookie(alias=REFRESH_COOKIE)] = None,
) -> Token:
    """Trade a refresh token (cookie, or `refresh_token` in the body) for new tokens.

    Each refresh token works once; presenting a used one again revokes the session.
    """
    refresh_token = (body.refresh_token if body else None) or refresh_cookie
    if not refresh_token:
        raise UnauthorizedError("Missing refresh token")
    try:
        _user, user_session, new_token = await crud.rotate_refresh_token(
            db=db,
            refresh_token=refresh_token,
            reuse_grace=timedelta(seconds=settings.REFRESH_TOKEN_REUSE_GRACE_SECONDS),
            audit=audit,
        )
    except SessionError as exc:
        # The error answer replaces `response`: the dead cookie is cleared on it.
        cleared = Response()
        cleared.delete_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH)
        exc.headers["set-cookie"] = cleared.headers["set-cookie"]
        raise
    return _issue_tokens(response, settings, user_session, new_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(
    db: DbDep, authenticated: AuthenticatedDep, audit: AuditDep
) -> Response:
    """End the caller's session: its refresh token and access tokens stop working."""
    audit = audit.by(authenticated.user.id)
    await crud.revoke_session(db=db, session_id=authenticated.session_id, audit=audit)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(REFRESH_COOKIE, path=REFRESH_COOKIE_PATH)
    return response


@router.post("/password-recovery", responses=RATE_LIMITED)
async def recover_password(body: ThrottledPasswordRecovery, db: DbDep) -> Message:
    """Email a password reset link. The answer is the same whether or not the account exists."""
    user = await crud.get_user_by_email(db=db, email=body.email)
    if user is not None and user.is_active:
        template = EmailTemplate.RESET_PASSWORD
        await crud.queue_email(db, template, to=user.email, user_id=user.id)
    return Message(
        message="If that email is registered, a password recovery link is on its way"
    )


@router.post("/reset-password")
async def reset_password(
    body: NewPassword, db: DbDep, settings: SettingsDep, audit: AuditDep
) -> Message:
    """Set a new password with the emailed token. The token works once; every session ends."""
    invalid = invalid_reset_token()
    try:
        claims: dict[str, Any] = security.decode_token(
            body.token,
            token_type=security.TokenType.PASSWORD_RESET,
            secret_key=settings.SECRET_KEY,
        )
    except security.InvalidTokenError as exc:
        raise invalid from exc
    user = await crud.get_user(db=db, user_id=claims["sub"])
    if user is None or not security.fingerprints_match(
        security.password_fingerprint(user.hashed_password), claims.get("pwd")
    ):
        raise invalid
    if not user.is_active:
        raise InactiveUserError()
    await crud.set_password(
        db=db,
        db_user=user,
        new_password=body.new_password,
        bcrypt_rounds=settings.BCRYPT_ROUNDS,
        audit=audit.by(user.id),
        event_type=AuditEventType.PASSWORD_RESET,
    )
    return Message(message="Password updated successfully")


@router.post("/password-recovery-html-content", response_class=HTMLResponse)
async def recover_password_html_content(
    body: PasswordRecovery,
    db: DbDep,
    settings: SettingsDep,
    _superuser: SuperuserDep,
) -> HTMLResponse:
    """The password recovery email that `/password-recovery` would send (superuser)."""
    user = await crud.get_user_by_email(db=db, email=body.email)
    if user is None:
        raise NotFoundError("User")
    email = reset_password_email(settings, user.id, user.email, user.hashed_password)
    return HTMLResponse(content=email.html_content)
