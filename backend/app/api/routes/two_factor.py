"""Two-factor authentication: enrolling an authenticator, the login's second step,
turning it off, and a superuser's reset."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, Response, status

from app import crud
from app.api.deps import (
    AuditDep,
    CurrentUser,
    DbDep,
    SettingsDep,
    SuperuserDep,
)
from app.api.rate_limits import (
    RATE_LIMITED,
    RateLimiterDep,
    check_two_factor_attempts,
    count_wrong_code,
    throttle_login_ip,
)
from app.api.routes.login import (
    TWO_FACTOR_COOKIE,
    TWO_FACTOR_COOKIE_PATH,
    start_session,
)
from app.core import security, two_factor
from app.core.config import Settings
from app.core.db import Database
from app.core.rate_limit import RateLimiter
from app.exceptions import (
    IncorrectCodeError,
    IncorrectPasswordError,
    InvalidSecondFactorError,
    NotFoundError,
    SecondStepError,
    TwoFactorAlreadyOnError,
)
from app.models import (
    AuditContext,
    AuditEventType,
    Message,
    RecoveryCodes,
    Token,
    TwoFactorEnable,
    TwoFactorLogin,
    TwoFactorProof,
    TwoFactorSetup,
    TwoFactorStatus,
    User,
)

router = APIRouter()

FAILED = AuditEventType.TWO_FACTOR_FAILED


async def _wrong_code(
    limiter: RateLimiter, db: Database, audit: AuditContext, user: User, step: str
) -> None:
    await count_wrong_code(limiter, user.id)
    await crud.record(db, audit, FAILED, user.id, step=step)


@router.get("/users/me/two-factor", tags=["users"])
async def read_two_factor(
    db: DbDep, settings: SettingsDep, current_user: CurrentUser
) -> TwoFactorStatus:
    """Whether the caller's logins take a second step, and their recovery codes left."""
    left = await crud.count_recovery_codes(db=db, user_id=current_user.id)
    required = current_user.is_superuser and settings.REQUIRE_2FA_FOR_SUPERUSERS
    return TwoFactorStatus(
        enabled=current_user.two_factor_enabled,
        recovery_codes_left=left if current_user.two_factor_enabled else 0,
        required=required,
    )


@router.post("/users/me/two-factor/setup", tags=["users"])
async def setup_two_factor(
    db: DbDep, settings: SettingsDep, current_user: CurrentUser
) -> TwoFactorSetup:
    """Start enrolling an authenticator: a new secret, as a QR code and as text.

    Nothing changes for logins until `/users/me/two-factor/enable` confirms it with
    a first code. Starting again replaces a secret not yet confirmed.
    """
    if current_user.two_factor_enabled:
        raise TwoFactorAlreadyOnError()
    secret = two_factor.new_secret()
    encrypted = two_factor.encrypt_secret(secret, secret_key=settings.SECRET_KEY)
    await crud.start_two_factor_setup(
        db=db, user=current_user, encrypted_secret=encrypted
    )
    uri = two_factor.provisioning_uri(
        secret, account=current_user.email, issuer=settings.PROJECT_NAME
    )
    return TwoFactorSetup(secret=secret, otpauth_uri=uri, qr_svg=two_factor.qr_svg(uri))


@router.post("/users/me/two-factor/enable", tags=["users"], responses=RATE_LIMITED)
async def enable_two_factor(
    body: TwoFactorEnable,
    db: DbDep,
    settings: SettingsDep,
    current_user: CurrentUser,
    limiter: RateLimiterDep,
    audit: AuditDep,
) -> RecoveryCodes:
    """Confirm the authenticator with a code from it: logins take a second step from
    now on. The answer holds ten single-use recovery codes, shown this once."""
    audit = audit.by(current_user.id)
    await check_two_factor_attempts(limiter, current_user.id)
    totp = await crud.get_totp(db=db, user_id=current_user.id)
    if totp is None:
        raise NotFoundError("Two-factor setup")
    if totp.confirmed_at is not None:
        raise TwoFactorAlreadyOnError()
    secret = two_factor.decrypt_secret(totp.secret, secret_key=settings.SECRET_KEY)
    step = two_factor.matching_step(secret, body.code, after=None) if secret else None
    if step is None:
        await _wrong_code(limiter, db, audit, current_user, "enable")
        raise IncorrectCodeError()
    codes = await crud.enable_two_factor(
        db=db, user=current_user, totp=totp, step=step, audit=audit
    )
    return RecoveryCodes(recovery_codes=codes)


async def _prove_second_factor(
    body: TwoFactorProof,
    db: Database,
    settings: Settings,
    user: User,
    limiter: RateLimiter,
    audit: AuditContext,
    step: str,
) -> None:
    """The caller's password (for an account that has one) and a current code, from
    the authenticator or a recovery code (which it uses up); raises when either is
    wrong or two-factor authentication is off."""
    await check_two_factor_attempts(limiter, user.id)
    if user.has_password and not await security.verify_password_async(
        body.password or "", user.hashed_password
    ):
        raise IncorrectPasswordError()
    if not user.two_factor_enabled:
        raise NotFoundError("Two-factor authentication")
    used = await crud.check_second_factor(
        db=db, user=user, code=body.code, secret_key=settings.SECRET_KEY, audit=audit
    )
    if used is None:
        await _wrong_code(limiter, db, audit, user, step)
        raise IncorrectCodeError()


@router.post("/users/me/two-factor/disable", tags=["users"], responses=RATE_LIMITED)
async def disable_two_factor(
    body: TwoFactorProof,
    db: DbDep,
    settings: SettingsDep,
    current_user: CurrentUser,
    limiter: RateLimiterDep,
    audit: AuditDep,
) -> Message:
    """Turn two-factor authentication off: the password (for an account that has
    one) and a current code, from the authenticator or a recovery code."""
    audit = audit.by(current_user.id)
    await _prove_second_factor(
        body, db, settings, current_user, limiter, audit, "disable"
    )
    await crud.disable_two_factor(db=db, user=current_user, audit=audit)
    return Message(message="Two-factor authentication is off")


@router.post(
    "/users/me/two-factor/recovery-codes", tags=["users"], responses=RATE_LIMITED
)
async def replace_recovery_codes(
    body: TwoFactorProof,
    db: DbDep,
    settings: SettingsDep,
    current_user: CurrentUser,
    limiter: RateLimiterDep,
    audit: AuditDep,
) -> RecoveryCodes:
    """Ten new recovery codes, shown this once; the earlier ones stop working. Asks
    for the password (for an account that has one) and a current code."""
    audit = audit.by(current_user.id)
    await _prove_second_factor(
        body, db, settings, current_user, limiter, audit, "recovery_codes"
    )
    codes = await crud.replace_recovery_codes(db=db, user=current_user, audit=audit)
    return RecoveryCodes(recovery_codes=codes)


@router.delete(
    "/users/{user_id}/two-factor",
    tags=["users"],
    status_code=status.HTTP_204_NO_CONTENT,
)
async def reset_two_factor(
    user_id: uuid.UUID, db: DbDep, superuser: SuperuserDep, audit: AuditDep
) -> None:
    """Remove a user's second factor, for one who lost it (superuser); their next
    login takes one step. Recorded in the audit log."""
    user = await crud.get_user(db=db, user_id=user_id)
    if user is None:
        raise NotFoundError("User")
    event = AuditEventType.TWO_FACTOR_RESET
    await crud.disable_two_factor(
        db=db, user=user, audit=audit.by(superuser.id), event_type=event
    )


@router.post(
    "/login/2fa",
    tags=["login"],
    dependencies=[Depends(throttle_login_ip)],
    responses=RATE_LIMITED,
)
async def login_two_factor(
    body: TwoFactorLogin,
    response: Response,
    db: DbDep,
    settings: SettingsDep,
    limiter: RateLimiterDep,
    audit: AuditDep,
    step_cookie: Annotated[str | None, Cookie(alias=TWO_FACTOR_COOKIE)] = None,
) -> Token:
    """A login's second step: a code from the authenticator, or a recovery code
    (each works once), with the first step's `two_factor_token` (or its cookie).
    The answer is a password login's: tokens and the refresh cookie.

    Wrong codes answer 401; after five in 15 minutes, 429 for the account.
    """
    try:
        claims = security.decode_token(
            body.two_factor_token or step_cookie or "",
            token_type=security.TokenType.TWO_FACTOR,
            secret_key=settings.SECRET_KEY,
        )
    except security.InvalidTokenError as exc:
        raise SecondStepError() from exc
    user = await crud.get_user(db=db, user_id=claims["sub"])
    # Turned off (or reset) since the first step: that step no longer holds.
    if user is None or not user.is_active or not user.two_factor_enabled:
        raise SecondStepError()
    audit = audit.by(user.id)
    await check_two_factor_attempts(limiter, user.id)
    used = await crud.check_second_factor(
        db=db, user=user, code=body.code, secret_key=settings.SECRET_KEY, audit=audit
    )
    if used is None:
        await _wrong_code(limiter, db, audit, user, "login")
        raise InvalidSecondFactorError(user.id)
    response.delete_cookie(TWO_FACTOR_COOKIE, path=TWO_FACTOR_COOKIE_PATH)
    method = f"{claims.get('method', 'password')}+{used}"
    return await start_session(
        response, db=db, settings=settings, user=user, audit=audit, method=method
    )
