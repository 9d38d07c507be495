"""Domain outcomes that crud and the dependencies raise, and the status code of each.

DomainError
├── NotFoundError                 -> 404 (absent, or not the caller's to see)
│   └── InvalidLinkError          (an emailed link that is unknown, expired or used)
├── ForbiddenError                -> 403
│   ├── InactiveUserError
│   ├── EmailNotVerifiedError
│   └── IncorrectPasswordError    (the password that confirms an account change)
├── EmailAlreadyRegisteredError   -> 409
├── InvalidRequestError           -> 400
└── UnauthorizedError             -> 401 (with `WWW-Authenticate: Bearer`)
    ├── InvalidCredentialsError
    └── SessionError
        └── RefreshTokenReuseError (and the whole session is revoked)

Routes raise these (or let them rise from crud); `app.edge.errors` turns each into
its answer through STATUS_CODES, in one place.
"""

import uuid

from fastapi import status


class DomainError(Exception):
    """Base of the outcomes a caller is expected to handle; the message is the
    answer's `detail`. `headers` go on the answer (a cookie to clear, say)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.headers: dict[str, str] = {}


class NotFoundError(DomainError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")


class InvalidLinkError(NotFoundError):
    """Nothing waits behind this link (a token well formed, but unknown, expired or
    already used): as absent as a row that is not there."""

    def __init__(self, message: str) -> None:
        DomainError.__init__(self, message)


class ForbiddenError(DomainError):
    def __init__(
        self, message: str = "The user doesn't have enough privileges"
    ) -> None:
        super().__init__(message)


class InactiveUserError(ForbiddenError):
    def __init__(self) -> None:
        super().__init__("Inactive user")


class EmailNotVerifiedError(ForbiddenError):
    def __init__(self) -> None:
        # The UI keys on this exact text to offer a new verification link.
        super().__init__("Email not verified")


class IncorrectPasswordError(ForbiddenError):
    def __init__(self) -> None:
        super().__init__("Incorrect password")


class EmailAlreadyRegisteredError(DomainError):
    def __init__(self) -> None:
        super().__init__("A user with this email already exists")


class InvalidRequestError(DomainError):
    """Well-formed, but not acceptable as it stands."""


def invalid_verification() -> InvalidLinkError:
    return InvalidLinkError("Invalid, expired or already used verification link")


def invalid_reset_token() -> InvalidLinkError:
    return InvalidLinkError("Invalid or expired reset token")


class UnauthorizedError(DomainError):
    def __init__(self, message: str = "Could not validate credentials") -> None:
        super().__init__(message)


class InvalidCredentialsError(UnauthorizedError):
    def __init__(self, user_id: uuid.UUID | None = None) -> None:
        super().__init__("Incorrect email or password")
        # The account whose password was wrong, for the audit log; never shown.
        self.user_id = user_id


class SessionError(UnauthorizedError):
    def __init__(self, message: str = "Invalid or expired refresh token") -> None:
        super().__init__(message)


class RefreshTokenReuseError(SessionError):
    def __init__(self) -> None:
        super().__init__("Refresh token was already used; the session is revoked")


# The most specific class listed wins (looked up along each error's class hierarchy).
STATUS_CODES: dict[type[DomainError], int] = {
    NotFoundError: status.HTTP_404_NOT_FOUND,
    ForbiddenError: status.HTTP_403_FORBIDDEN,
    EmailAlreadyRegisteredError: status.HTTP_409_CONFLICT,
    InvalidRequestError: status.HTTP_400_BAD_REQUEST,
    UnauthorizedError: status.HTTP_401_UNAUTHORIZED,
}


def status_code_of(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_CODES:
            return STATUS_CODES[cls]
    return status.HTTP_400_BAD_REQUEST
