"""Unit tests for the security primitives: signed tokens, password hashes, refresh tokens."""

import asyncio
import base64
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from app.core import security
from app.core.security import InvalidTokenError, TokenType

SECRET = "unit-test-secret-key-that-is-long-enough"
OTHER_SECRET = "another-secret-key-that-is-long-enough!"
ROUNDS = 4


def make_token(token_type: TokenType = TokenType.ACCESS, **overrides: Any) -> str:
    defaults: dict[str, Any] = {
        "subject": uuid.uuid4(),
        "token_type": token_type,
        "expires_delta": timedelta(minutes=5),
        "secret_key": SECRET,
    }
    return security.create_token(**{**defaults, **overrides})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unverified_claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def encode_raw(payload: dict[str, Any], *, key: str = SECRET) -> str:
    """Sign an arbitrary payload the way `create_token` would, with no checks."""
    return jwt.encode(payload, key, algorithm=security.ALGORITHM)


def valid_payload(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "sub": str(uuid.uuid4()),
        "type": TokenType.ACCESS.value,
        "iat": now,
        "exp": now + timedelta(minutes=5),
        **overrides,
    }


# Tokens --------------------------------------------------------------------------


def test_token_round_trip_returns_subject_type_and_extra_claims() -> None:
    subject = uuid.uuid4()
    token = make_token(subject=subject, claims={"sid": "session-1"})

    claims = security.decode_token(
        token, token_type=TokenType.ACCESS, secret_key=SECRET
    )

    assert claims["sub"] == subject
    assert claims["type"] == "access"
    assert claims["sid"] == "session-1"
    assert claims["exp"] - claims["iat"] == 300


def test_extra_claims_cannot_override_subject_or_type() -> None:
    subject = uuid.uuid4()
    token = make_token(
        subject=subject,
        claims={"sub": str(uuid.uuid4()), "type": TokenType.PASSWORD_RESET.value},
    )

    claims = security.decode_token(
        token, token_type=TokenType.ACCESS, secret_key=SECRET
    )

    assert claims["sub"] == subject
    assert claims["type"] == "access"


def test_password_reset_token_is_refused_as_access_token() -> None:
    token = make_token(TokenType.PASSWORD_RESET)

    with pytest.raises(InvalidTokenError, match="wrong token type"):
        security.decode_token(token, token_type=TokenType.ACCESS, secret_key=SECRET)


def test_access_token_is_refused_as_password_reset_token() -> None:
    token = make_token(TokenType.ACCESS)

    with pytest.raises(InvalidTokenError, match="wrong token type"):
        security.decode_token(
            token, token_type=TokenType.PASSWORD_RESET, secret_key=SECRET
        )


def test_tampered_signature_is_refused() -> None:
    header, payload, signature = make_token().split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    tampered = (
        f"{header}.{payload}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"
    )

    with pytest.raises(InvalidTokenError):
        security.decode_token(tampered, token_type=TokenType.ACCESS, secret_key=SECRET)


def test_tampered_payload_is_refused() -> None:
    header, _, signature = make_token().split(".")
    forged_claims = valid_payload()
    forged_claims["iat"] = int(forged_claims["iat"].timestamp())
    forged_claims["exp"] = int(forged_claims["exp"].timestamp())
    forged_payload = b64url(json.dumps(forged_claims).encode())

    with pytest.raises(InvalidTokenError):
        security.decode_token(
            f"{header}.{forged_payload}.{signature}",
            token_type=TokenType.ACCESS,
            secret_key=SECRET,
        )


def test_token_signed_with_another_key_is_refused() -> None:
    token = make_token(secret_key=OTHER_SECRET)

    with pytest.raises(InvalidTokenError):
        security.decode_token(token, token_type=TokenType.ACCESS, secret_key=SECRET)


def test_unsigned_alg_none_token_is_refused() -> None:
    claims = valid_payload()
    claims["iat"] = int(claims["iat"].timestamp())
    claims["exp"] = int(claims["exp"].timestamp())
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims).encode())

    for token in (f"{header}.{payload}.", f"{header}.{payload}"):
        with pytest.raises(InvalidTokenError):
            security.decode_token(token, token_type=TokenType.ACCESS, secret_key=SECRET)


def test_token_signed_with_another_algorithm_is_refused() -> None:
    key = SECRET * 2  # long enough for HS512
    token = jwt.encode(valid_payload(), key, algorithm="HS512")

    with pytest.raises(InvalidTokenError):
        security.decode_token(token, token_type=TokenType.ACCESS, secret_key=key)


def test_expired_token_is_refused() -> None:
    token = make_token(expires_delta=timedelta(seconds=-1))

    with pytest.raises(InvalidTokenError, match="expired"):
        security.decode_token(token, token_type=TokenType.ACCESS, secret_key=SECRET)


def test_a_token_verified_before_is_refused_once_it_expires() -> None:
    token = make_token(expires_delta=timedelta(seconds=1))
    security.decode_token(token, token_type=TokenType.ACCESS, secret_key=SECRET)

    time.sleep(1.1)

    with pytest.raises(InvalidTokenError, match="expired"):
        security.decode_token(token, token_type=TokenType.ACCESS, secret_key=SECRET)


def test_a_token_verified_before_is_still_refused_under_another_key() -> None:
    token = make_token()
    security.decode_token(token, token_type=TokenType.ACCESS, secret_key=SECRET)

    with pytest.raises(InvalidTokenError, match="Signature verification failed"):
        security.decode_token(
            token, token_type=TokenType.ACCESS, secret_key=OTHER_SECRET
        )


def test_a_token_verified_before_is_still_refused_as_another_type() -> None:
    token = make_token(TokenType.ACCESS)
    security.decode_token(token, token_type=TokenType.ACCESS, secret_key=SECRET)

    with pytest.raises(InvalidTokenError, match="wrong token type"):
        security.decode_token(
            token, token_type=TokenType.PASSWORD_RESET, secret_key=SECRET
        )


def test_claims_handed_out_are_the_callers_to_change() -> None:
    subject = uuid.uuid4()
    token = make_token(subject=subject)
    first = security.decode_token(token, token_type=TokenType.ACCESS, secret_key=SECRET)
    first["sub"] = "changed"

    again = security.decode_token(token, token_type=TokenType.ACCESS, secret_key=SECRET)

    assert again["sub"] == subject


@pytest.mark.parametrize("missing", ["sub", "exp", "iat", "type"])
def test_token_missing_a_required_claim_is_refused(missing: str) -> None:
    payload = valid_payload()
    del payload[missing]
    token = encode_raw(payload)

    with pytest.raises(InvalidTokenError):
        security.decode_token(token, token_type=TokenType.ACCESS, secret_key=SECRET)


@pytest.mark.parametrize("subject", ["not-a-uuid", "", 42])
def test_token_with_malformed_subject_is_refused(subject: object) -> None:
    token = encode_raw(valid_payload(sub=subject))

    with pytest.raises(InvalidTokenError):
        security.decode_token(token, token_type=TokenType.ACCESS, secret_key=SECRET)


@pytest.mark.parametrize("garbage", ["", "garbage", "a.b.c", "Bearer x.y.z"])
def test_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(InvalidTokenError):
        security.decode_token(garbage, token_type=TokenType.ACCESS, secret_key=SECRET)


def test_create_token_uses_hs256_and_never_embeds_the_key() -> None:
    token = make_token()

    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    assert SECRET not in json.dumps(unverified_claims(token))


# Passwords -----------------------------------------------------------------------


def test_hash_round_trip() -> None:
    hashed = security.hash_password("correct horse battery", rounds=ROUNDS)

    assert hashed.startswith("$2b$04$")
    assert "correct horse battery" not in hashed
    assert security.verify_password("correct horse battery", hashed) is True
    assert security.verify_password("correct horse battery!", hashed) is False
    assert security.verify_password("", hashed) is False


def test_hashes_of_the_same_password_are_salted() -> None:
    first = security.hash_password("same-password", rounds=ROUNDS)
    second = security.hash_password("same-password", rounds=ROUNDS)

    assert first != second
    assert security.verify_password("same-password", first) is True
    assert security.verify_password("same-password", second) is True


def test_non_ascii_password_round_trip() -> None:
    password = "pässwörd-密码-🔑"
    hashed = security.hash_password(password, rounds=ROUNDS)

    assert security.verify_password(password, hashed) is True
    assert security.verify_password("passwoerd-密码-🔑", hashed) is False


def test_password_of_exactly_72_bytes_verifies() -> None:
    password = "p" * 72
    hashed = security.hash_password(password, rounds=ROUNDS)

    assert security.verify_password(password, hashed) is True


def test_verify_password_over_72_bytes_is_false_not_an_error() -> None:
    # bcrypt only reads 72 bytes: a longer attempt must not match by its prefix.
    password = "p" * 72
    hashed = security.hash_password(password, rounds=ROUNDS)

    assert security.verify_password(password + "extra", hashed) is False
    assert security.verify_password("é" * 37, hashed) is False  # 74 bytes
    assert security.verify_password("x" * 10_000, hashed) is False


def test_a_password_past_72_bytes_counts_whole() -> None:
    password = "p" * 72 + "-and more"
    hashed = security.hash_password(password, rounds=ROUNDS)

    assert security.verify_password(password, hashed) is True
    assert security.verify_password("p" * 72, hashed) is False
    assert security.verify_password("p" * 72 + "-and less", hashed) is False


def test_async_variants_agree_with_the_sync_ones() -> None:
    async def round_trip() -> tuple[bool, bool, bool]:
        hashed = await security.hash_password_async("async-password", rounds=ROUNDS)
        return (
            await security.verify_password_async("async-password", hashed),
            await security.verify_password_async("wrong-password", hashed),
            await security.verify_password_async("a" * 73, hashed),
        )

    assert asyncio.run(round_trip()) == (True, False, False)


def test_password_fingerprint_changes_with_the_hash() -> None:
    first = security.hash_password("same-password", rounds=ROUNDS)
    second = security.hash_password("same-password", rounds=ROUNDS)

    fingerprint = security.password_fingerprint(first)

    assert fingerprint == security.password_fingerprint(first)
    assert fingerprint != security.password_fingerprint(second)
    assert len(fingerprint) == 16
    assert first not in fingerprint


def test_fingerprints_match_only_equal_strings() -> None:
    assert security.fingerprints_match("abc123", "abc123") is True
    assert security.fingerprints_match("abc123", "abc124") is False
    assert security.fingerprints_match("abc123", None) is False
    assert security.fingerprints_match("abc123", 123) is False


# Refresh tokens ------------------------------------------------------------------


def test_refresh_tokens_are_unique_and_stored_as_digests() -> None:
    tokens = {security.generate_refresh_token() for _ in range(100)}

    assert len(tokens) == 100
    token = tokens.pop()
    digest = security.hash_refresh_token(token)
    assert digest == security.hash_refresh_token(token)
    assert len(digest) == 64
    assert token not in digest
    assert digest != security.hash_refresh_token(tokens.pop())
