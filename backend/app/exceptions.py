"""Domain outcomes that `crud` reports and the routes turn into status codes.

DomainError
├── EmailAlreadyRegisteredError   -> 409
├── InvalidCredentialsError       -> 401
├── InactiveUserError             -> 403
└── SessionError                  -> 401
    └── RefreshTokenReuseError    -> 401 (and the whole session is revoked)
"""


class DomainError(Exception):
    """Base of the outcomes a caller is expected to handle."""


class EmailAlreadyRegisteredError(DomainError):
    def __init__(self) -> None:
        super().__init__("A user with this email already exists")


class InvalidCredentialsError(DomainError):
    def __init__(self) -> None:
        super().__init__("Incorrect email or password")


class InactiveUserError(DomainError):
    def __init__(self) -> None:
        super().__init__("Inactive user")


class SessionError(DomainError):
    def __init__(self, message: str = "Invalid or expired refresh token") -> None:
        super().__init__(message)


class RefreshTokenReuseError(SessionError):
    def __init__(self) -> None:
        super().__init__("Refresh token was already used; the session is revoked")
