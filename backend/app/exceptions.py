"""Domain outcomes that crud and the dependencies raise, and the status code of each.

DomainError
├── NotFoundError                 -> 404 (absent, or not the caller's to see)
│   └── InvalidLinkError          (an emailed link that is unknown, expired or used)
├── ForbiddenError                -> 403
│   ├── InactiveUserError, EmailNotVerifiedError, SuperuserNeedsTwoFactorError
│   ├── SignInRefusedError        (a provider sign-in this server will not accept)
│   ├── IncorrectPasswordError    (the password that confirms an account change)
│   ├── IncorrectCodeError        (the authentication code that confirms one)
│   └── LastSignInMethodError     (removing it would lock the account out)
├── ConflictError                 -> 409 (the state of a thing forbids the change)
│   ├── EmailAlreadyRegisteredError
│   ├── IdentityInUseError        (a provider account linked to another user)
│   ├── TwoFactorAlreadyOnError   (one authenticator per user)
│   └── LastOwnerError, AlreadyMemberError
├── InvalidRequestError           -> 400
└── UnauthorizedError             -> 401 (with `WWW-Authenticate: Bearer`)
    ├── InvalidCredentialsError
    ├── InvalidSecondFactorError  (a wrong code at a login's second step)
    ├── SecondStepError           (that step's token missing, expired or stale)
    └── SessionError
        └── RefreshTokenReuseError (and the whole session is revoked)

Routes raise these (or let them rise from crud); `app.edge.errors` answers each with
its STATUS_CODES entry, in one place. The message is the answer's `detail`.
"""

import uuid

from fastapi import status


class DomainError(Exception):
    """Base of the outcomes a caller is expected to handle. `headers` go on the
    answer (a cookie to clear, say)."""

    message = "The request could not be carried out"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.headers: dict[str, str] = {}


class NotFoundError(DomainError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")


class InvalidLinkError(NotFoundError):
    """Nothing waits behind this link: as absent as a row that is not there."""

    def __init__(self, message: str) -> None:
        DomainError.__init__(self, message)


class ForbiddenError(DomainError):
    message = "The user doesn't have enough privileges"


class InactiveUserError(ForbiddenError):
    message = "Inactive user"


class EmailNotVerifiedError(ForbiddenError):
    message = "Email not verified"  # the UI offers a new link on this exact text


class IncorrectPasswordError(ForbiddenError):
    message = "Incorrect password"


class IncorrectCodeError(ForbiddenError):
    message = "Invalid authentication code"


class LastSignInMethodError(ForbiddenError):
    message = (
        "This is the account's last way to sign in: set a password "
        "(through password recovery) or link another provider first"
    )


class SuperuserNeedsTwoFactorError(ForbiddenError):
    message = "Turn on two-factor authentication to use superuser rights"


class SignInRefusedError(ForbiddenError):
    """A provider vouched for someone this server will not sign in; `code` says why
    (the login page words it)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ConflictError(DomainError):
    message = "The change conflicts with the current state"


class EmailAlreadyRegisteredError(ConflictError):
    message = "A user with this email already exists"


class IdentityInUseError(ConflictError):
    message = "This provider account is already linked to another user"


class TwoFactorAlreadyOnError(ConflictError):
    message = "Two-factor authentication is already on: turn it off first"


class LastOwnerError(ConflictError):
    message = "A team must keep at least one owner"


class AlreadyMemberError(ConflictError):
    message = "This address belongs to a member of the team already"


class InvalidRequestError(DomainError):
    """Well-formed, but not acceptable as it stands."""


class UnauthorizedError(DomainError):
    message = "Could not validate credentials"


class InvalidCredentialsError(UnauthorizedError):
    message = "Incorrect email or password"

    def __init__(self, user_id: uuid.UUID | None = None) -> None:
        super().__init__()
        self.user_id = user_id  # whose password was wrong, for the audit log


class InvalidSecondFactorError(UnauthorizedError):
    message = "Invalid authentication code"

    def __init__(self, user_id: uuid.UUID) -> None:
        super().__init__()
        self.user_id = user_id


class SecondStepError(UnauthorizedError):
    message = "The login's second step expired or is unknown: log in again"


class SessionError(UnauthorizedError):
    message = "Invalid or expired refresh token"


class RefreshTokenReuseError(SessionError):
    message = "Refresh token was already used; the session is revoked"


def invalid_verification() -> InvalidLinkError:
    return InvalidLinkError("Invalid, expired or already used verification link")


def invalid_invitation() -> InvalidLinkError:
    return InvalidLinkError("Invalid, expired or already used invitation")


def invalid_reset_token() -> InvalidLinkError:
    return InvalidLinkError("Invalid or expired reset token")


# The most specific class listed wins (looked up along each error's class hierarchy).
STATUS_CODES: dict[type[DomainError], int] = {
    NotFoundError: status.HTTP_404_NOT_FOUND,
    ForbiddenError: status.HTTP_403_FORBIDDEN,
    ConflictError: status.HTTP_409_CONFLICT,
    InvalidRequestError: status.HTTP_400_BAD_REQUEST,
    UnauthorizedError: status.HTTP_401_UNAUTHORIZED,
    DomainError: status.HTTP_400_BAD_REQUEST,
}


def status_code_of(error: DomainError) -> int:
    return next(STATUS_CODES[c] for c in type(error).__mro__ if c in STATUS_CODES)
