"""Security primitives: password hashing, signed tokens and opaque refresh tokens."""

import base64
import functools
import hashlib
import hmac
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import bcrypt
import jwt
from anyio import to_thread

ALGORITHM = "HS256"
# bcrypt reads only this many bytes of a password.
BCRYPT_MAX_PASSWORD_BYTES = 72


class TokenType(StrEnum):
    ACCESS = "access"
    PASSWORD_RESET = "password_reset"
    EMAIL_VERIFICATION = "email_verification"
    # A login's first step done; the second factor completes it (`/login/2fa`).
    TWO_FACTOR = "two_factor"
    # A sign-in at a provider in progress: its state, nonce and PKCE verifier.
    OIDC_STATE = "oidc_state"
    # A provider identity waiting for the password of the account it will join.
    OIDC_LINK = "oidc_link"


class InvalidTokenError(Exception):
    """The token is malformed, expired, of another type or signed with another key."""


def _bcrypt_input(password: str) -> bytes:
    """What bcrypt hashes: the password, or, past the 72 bytes bcrypt reads, its
    SHA-256 digest (as 44 base64 characters), so that every byte of it counts."""
    encoded = password.encode()
    if len(encoded) <= BCRYPT_MAX_PASSWORD_BYTES:
        return encoded
    return base64.b64encode(hashlib.sha256(encoded).digest())


def hash_password(password: str, *, rounds: int) -> str:
    salt = bcrypt.gensalt(rounds=rounds)
    return bcrypt.hashpw(_bcrypt_input(password), salt).decode()


def verify_password(password: str, hashed_password: str) -> bool:
    return bcrypt.checkpw(_bcrypt_input(password), hashed_password.encode())


async def hash_password_async(password: str, *, rounds: int) -> str:
    """Hash in a worker thread: a bcrypt hash would block the event loop."""
    return await to_thread.run_sync(lambda: hash_password(password, rounds=rounds))


async def verify_password_async(password: str, hashed_password: str) -> bool:
    return await to_thread.run_sync(verify_password, password, hashed_password)


def password_fingerprint(hashed_password: str) -> str:
    """A short digest of the stored hash: it changes whenever the password does."""
    return hashlib.sha256(hashed_password.encode()).hexdigest()[:16]


def create_token(
    *,
    subject: uuid.UUID,
    token_type: TokenType,
    expires_delta: timedelta,
    secret_key: str,
    claims: dict[str, Any] | None = None,
) -> str:
    now = datetime.now(UTC)
    payload: dict[str, Any] = {
        **(claims or {}),
        "sub": str(subject),
        "type": token_type.value,
        "iat": now,
        "exp": now + expires_delta,
    }
    return jwt.encode(payload, secret_key, algorithm=ALGORITHM)


# Checking a signature is most of an authenticated request's own work, and a client
# sends the same access token many times: the claims of tokens verified lately are
# kept per worker (a token string cannot change its signature), and expiry, which
# time changes, is checked again on every use. Bad tokens raise, so none is kept.
@functools.lru_cache(maxsize=4096)
def _verified_claims(token: str, secret_key: str) -> dict[str, Any]:
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            secret_key,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "iat", "type"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidTokenError(str(exc)) from exc
    try:
        payload["sub"] = uuid.UUID(payload["sub"])
    except (TypeError, ValueError, AttributeError) as exc:
        raise InvalidTokenError("malformed subject") from exc
    return payload


def decode_token(
    token: str, *, token_type: TokenType, secret_key: str
) -> dict[str, Any]:
    """Verify signature, expiry and type; return the claims."""
    payload = _verified_claims(token, secret_key)
    if payload["exp"] <= time.time():
        raise InvalidTokenError("Signature has expired")
    if payload["type"] != token_type.value:
        raise InvalidTokenError("wrong token type")
    return dict(payload)


def unusable_password() -> str:
    """A password nobody knows: what an account made through a provider is hashed with."""
    return secrets.token_urlsafe(32)


def generate_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    """Refresh tokens are stored as digests: a database leak yields no usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


def fingerprints_match(expected: str, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(expected, given)
