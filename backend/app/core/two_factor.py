"""Time-based one-time passwords (RFC 6238) and recovery codes.

- Authenticator secrets are stored encrypted (AES-256-GCM) under a key derived from
  SECRET_KEY (HKDF-SHA256), so a copy of the database alone yields no secret.
  Changing SECRET_KEY makes the stored secrets unreadable: authenticator codes stop
  working (recovery codes, stored as digests, keep working) until the user enrols again.
- A code is accepted for the current 30-second step and one step either side (clock
  skew), and only for a step after the last one accepted: no code works twice.
- Recovery codes are 16 random base32 characters (80 bits): a SHA-256 digest is
  enough to store them, unlike passwords, which need a slow hash.
"""

import base64
import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

STEP_SECONDS = 30
DIGITS = 6
# Steps accepted either side of the current one.
WINDOW = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_ENCRYPTION_INFO = b"app: authenticator secrets v1"
_ASSOCIATED_DATA = b"totp-secret"
_PREFIX = "v1."


def new_secret() -> str:
    """160 random bits, in base32 as authenticator apps take them."""
    return pyotp.random_base32(length=32)


def _key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_ENCRYPTION_INFO)
    return hkdf.derive(secret_key.encode())


def encrypt_secret(secret: str, *, secret_key: str) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_key(secret_key)).encrypt(nonce, secret.encode(), _ASSOCIATED_DATA)
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt_secret(stored: str, *, secret_key: str) -> str | None:
    """The secret, or None when it was sealed under another SECRET_KEY."""
    try:
        raw = base64.urlsafe_b64decode(stored.removeprefix(_PREFIX))
        opened = AESGCM(_key(secret_key)).decrypt(raw[:12], raw[12:], _ASSOCIATED_DATA)
    except (InvalidTag, ValueError):
        return None
    return opened.decode()


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(secret: str, code: str, *, after: int | None) -> int | None:
    """The step whose code this is, within the window around now and after `after`
    (the last step used); None if there is none."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    now = current_step()
    for step in range(now - WINDOW, now + WINDOW + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The `otpauth://` URI authenticator apps read from the QR code."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    return totp.provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The URI as a QR code: an SVG data URI, drawn here (no outside service)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def new_recovery_codes() -> list[str]:
    """Ten codes shown as `abcd-efgh-ijkl-mnop`."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i : i + 4] for i in range(0, 16, 4)))
    return codes


def is_recovery_code(code: str) -> bool:
    return len(code) != DIGITS


def hash_recovery_code(code: str) -> str:
    """The digest stored: case, spaces and dashes do not count."""
    normalized = code.lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalized.encode()).hexdigest()
