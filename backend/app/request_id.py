"""Every request carries an id: taken from `X-Request-ID` when sane, made up otherwise."""

import re
import uuid
from collections.abc import Iterable
from contextvars import ContextVar, Token

HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode()
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def start_request(
    headers: Iterable[tuple[bytes, bytes]],
) -> tuple[str, Token[str | None]]:
    """The request's id (the client's, when sane), now current; and the token to reset."""
    given = next((value for name, value in headers if name == _HEADER_KEY), b"")
    text = given.decode("latin-1")
    request_id = text if _VALID.match(text) else uuid.uuid4().hex
    return request_id, _request_id.set(request_id)


def end_request(token: Token[str | None]) -> None:
    _request_id.reset(token)
