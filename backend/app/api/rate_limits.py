"""Rate-limit dependencies: each counts a hit; over the limit, `RateLimitExceeded`
rises and `app.edge.errors` answers 429 with `Retry-After`.

The client's address is `request.client`, which the proxy middleware rewrites from
`X-Forwarded-For` only when the direct peer is one of `TRUSTED_PROXIES`.
"""

from contextlib import suppress
from typing import Annotated, Any, cast

from fastapi import Depends, Form, Request, status

from app.core import rate_limit
from app.core.rate_limit import RateLimiter, RateLimitExceeded
from app.models import LoginForm, PasswordRecovery, VerificationResend

# For the OpenAPI schema of every throttled operation.
RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    status.HTTP_429_TOO_MANY_REQUESTS: {
        "description": "Too many requests: wait the `Retry-After` seconds"
    }
}


async def get_rate_limiter(request: Request) -> RateLimiter:
    return cast(RateLimiter, request.app.state.rate_limiter)


RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def account_key(email: str) -> str:
    return email.strip().lower()


async def throttled_login_form(
    request: Request,
    limiter: RateLimiterDep,
    form_data: Annotated[LoginForm, Form()],
) -> LoginForm:
    """Every attempt counts against the IP; an account refuses once its failures pile up."""
    await limiter.hit(rate_limit.LOGIN_PER_IP, client_ip(request))
    await limiter.check(rate_limit.LOGIN_PER_ACCOUNT, account_key(form_data.username))
    return form_data


async def count_failed_login(limiter: RateLimiter, username: str) -> None:
    """A wrong password counts against the account; the refusal comes on the next try."""
    with suppress(RateLimitExceeded):
        await limiter.hit(rate_limit.LOGIN_PER_ACCOUNT, account_key(username))


async def throttled_password_recovery(
    request: Request, limiter: RateLimiterDep, body: PasswordRecovery
) -> PasswordRecovery:
    await limiter.hit(rate_limit.PASSWORD_RECOVERY_PER_IP, client_ip(request))
    await limiter.hit(rate_limit.PASSWORD_RECOVERY_PER_EMAIL, body.email)
    return body


async def throttled_verification_resend(
    request: Request, limiter: RateLimiterDep, body: VerificationResend
) -> VerificationResend:
    await limiter.hit(rate_limit.VERIFICATION_RESEND_PER_IP, client_ip(request))
    await limiter.hit(rate_limit.VERIFICATION_RESEND_PER_EMAIL, body.email)
    return body


async def throttle_signup(request: Request, limiter: RateLimiterDep) -> None:
    await limiter.hit(rate_limit.SIGNUP_PER_IP, client_ip(request))


async def throttle_refresh(request: Request, limiter: RateLimiterDep) -> None:
    await limiter.hit(rate_limit.REFRESH_PER_IP, client_ip(request))


ThrottledLoginForm = Annotated[LoginForm, Depends(throttled_login_form)]
ThrottledPasswordRecovery = Annotated[
    PasswordRecovery, Depends(throttled_password_recovery)
]
ThrottledVerificationResend = Annotated[
    VerificationResend, Depends(throttled_verification_resend)
]


async def check_two_factor_attempts(limiter: RateLimiter, user_id: object) -> None:
    """Refuse while the account's wrong codes fill the window."""
    await limiter.check(rate_limit.TWO_FACTOR_PER_ACCOUNT, str(user_id))


async def count_wrong_code(limiter: RateLimiter, user_id: object) -> None:
    with suppress(RateLimitExceeded):
        await limiter.hit(rate_limit.TWO_FACTOR_PER_ACCOUNT, str(user_id))


async def throttle_login_ip(request: Request, limiter: RateLimiterDep) -> None:
    """Counts against the same per-IP budget as password logins."""
    await limiter.hit(rate_limit.LOGIN_PER_IP, client_ip(request))
