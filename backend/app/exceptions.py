"""Domain outcomes that `crud` reports and the routes turn into status codes.

DomainError
├── EmailAlreadyRegisteredError   -> 409
├── InvalidCredentialsError       -> 401
├── InactiveUserError             -> 403
├── EmailNotVerifiedError         -> 403
├── InvalidVerificationError      -> 400
└── SessionError                  -> 401
    └── RefreshTokenReuseError    -> 401 (and the whole session is revoked)
"""

import uuid


class DomainError(Exception):
    """Base of the outcomes a caller is expected to handle."""


class EmailAlreadyRegisteredError(DomainError):
    def __init__(self) -> None:
        super().__init__("A user with this email already exists")


class InvalidCredentialsError(DomainError):
    def __init__(self, user_id: uuid.UUID | None = None) -> None:
        super().__init__("Incorrect email or password")
        # The account whose password was wrong, for the audit log; never shown.
        self.user_id = user_id


class InactiveUserError(DomainError):
    def __init__(self) -> None:
        super().__init__("Inactive user")


class EmailNotVerifiedError(DomainError):
    def __init__(self) -> None:
        # The UI keys on this exact text to offer a new verification link.
        super().__init__("Email not verified")


class InvalidVerificationError(DomainError):
    def __init__(self) -> None:
        super().__init__("Invalid, expired or already used verification link")


class SessionError(DomainError):
    def __init__(self, message: str = "Invalid or expired refresh token") -> None:
        super().__init__(message)


class RefreshTokenReuseError(SessionError):
    def __init__(self) -> None:
        super().__init__("Refresh token was already used; the session is revoked")
