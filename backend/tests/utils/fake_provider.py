"""Sign-in providers for the tests, at the protocol level: real HTTP servers on local
ports, in threads.

- `FakeOpenIDProvider`: discovery, authorization (PKCE S256), token and JWKS
  endpoints, issuing RS256 ID tokens signed with keys made here. A test says who
  signs in (`login`) and how the next ID token should be spoiled (`spoil`).
- `FakeGitHub`: GitHub's OAuth 2.0 endpoints and its `/user` and `/user/emails` API.

Codes work once: a second redemption answers `invalid_grant` (GitHub:
`bad_verification_code`, with status 200, as GitHub does).
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tests.utils.factories import API

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-client-secret"


@dataclass
class Login:
    """Who signs in at the provider next."""

    subject: str
    email: str | None
    email_verified: bool = True
    name: str | None = "Pat Provider"


@dataclass
class Grant:
    code: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    login: Login
    used: bool = False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def s256(verifier: str) -> str:
    return _b64(hashlib.sha256(verifier.encode()).digest())


@dataclass
class _State:
    login: Login | None = None
    grants: dict[str, Grant] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)


class _Server:
    """A threaded HTTP server whose handler calls `self.handle(method, path, query,
    form, headers)` and answers its (status, headers, body)."""

    def __init__(self) -> None:
        self.state = _State()
        self.lock = threading.Lock()
        # Seconds a path waits before it answers (a provider that is slow today).
        self.stall: dict[str, float] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode() if length else ""
                form = {k: v[0] for k, v in parse_qs(raw).items()}
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                time.sleep(server.stall.get(url.path, 0.0))
                with server.lock:
                    server.state.requests.append(f"{method} {url.path}")
                    status, headers, body = server.handle(
                        method, url.path, query, form, dict(self.headers)
                    )
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:  # noqa: N802
                self._answer("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._answer("POST")

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        form: dict[str, str],
        headers: dict[str, str],
    ) -> tuple[int, dict[str, str], Any]:
        raise NotImplementedError

    def requests(self, path: str) -> int:
        with self.lock:
            return sum(1 for r in self.state.requests if r.endswith(f" {path}"))

    def _authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """The user approves at once: back to `redirect_uri` with a new code."""
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return 400, {}, {"error": "invalid_request"}
        if query.get("code_challenge_method") != "S256" or not query.get(
            "code_challenge"
        ):
            return 400, {}, {"error": "invalid_request"}
        assert self.state.login is not None, "no login set for the provider"
        code = secrets.token_urlsafe(16)
        self.state.grants[code] = Grant(
            code=code,
            redirect_uri=query["redirect_uri"],
            code_challenge=query["code_challenge"],
            nonce=query.get("nonce"),
            login=self.state.login,
        )
        back = {"code": code, "state": query.get("state", "")}
        return 302, {"Location": f"{query['redirect_uri']}?{urlencode(back)}"}, None

    def _redeem(
        self, form: dict[str, str], headers: dict[str, str]
    ) -> Grant | tuple[str, str]:
        """The grant the form redeems, or (error, description)."""
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        if client_id != CLIENT_ID or secret != CLIENT_SECRET:
            return "invalid_client", "bad client credentials"
        grant = self.state.grants.get(form.get("code", ""))
        if grant is None or grant.used:
            return "invalid_grant", "unknown or used code"
        grant.used = True
        if form.get("grant_type") != "authorization_code":
            return "unsupported_grant_type", form.get("grant_type", "")
        if form.get("redirect_uri") != grant.redirect_uri:
            return "invalid_grant", "redirect_uri differs"
        if s256(form.get("code_verifier", "")) != grant.code_challenge:
            return "invalid_grant", "PKCE verification failed"
        return grant


class FakeOpenIDProvider(_Server):
    def __init__(self) -> None:
        super().__init__()
        self.issuer = self.url
        self.signing_key = self._new_key()
        self.published = [self.signing_key]
        self.spoiled: dict[str, Any] = {}
        self.unsigned = False

    @staticmethod
    def _new_key() -> RSAKey:
        return RSAKey.generate_key(
            2048, parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"}
        )

    def reset(self, login: Login | None = None) -> None:
        with self.lock:
            self.state = _State(login=login)
            self.spoiled, self.unsigned, self.stall = {}, False, {}

    def sign_in_as(self, login: Login) -> None:
        with self.lock:
            self.state.login = login

    def spoil(self, **claims: Any) -> None:
        """Claims the next ID tokens carry instead of the right ones."""
        with self.lock:
            self.spoiled = claims

    def rotate_keys(self) -> None:
        """Sign with a new key (a new `kid`), and publish only that one."""
        with self.lock:
            self.signing_key = self._new_key()
            self.published = [self.signing_key]

    def config(self, name: str = "fake") -> dict[str, Any]:
        return {
            "name": name,
            "display": "Fake ID",
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        }

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": grant.login.subject,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.nonce,
        }
        if grant.login.email is not None:
            claims["email"] = grant.login.email
            claims["email_verified"] = grant.login.email_verified
        if grant.login.name is not None:
            claims["name"] = grant.login.name
        claims.update(self.spoiled)
        if self.unsigned:
            header = {"alg": "none", "typ": "JWT", "kid": self.signing_key.kid}
            parts = [json.dumps(header).encode(), json.dumps(claims).encode()]
            return ".".join(_b64(part) for part in parts) + "."
        header = {"alg": "RS256", "kid": self.signing_key.kid}
        return jwt.encode(header, claims, self.signing_key)

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        form: dict[str, str],
        headers: dict[str, str],
    ) -> tuple[int, dict[str, str], Any]:
        if method == "GET" and path == "/.well-known/openid-configuration":
            return (
                200,
                {},
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.url}/authorize",
                    "token_endpoint": f"{self.url}/token",
                    "jwks_uri": f"{self.url}/jwks",
                    "response_types_supported": ["code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                    "code_challenge_methods_supported": ["S256"],
                },
            )
        if method == "GET" and path == "/jwks":
            keys = KeySet(list(self.published))
            return 200, {}, keys.as_dict(private=False)
        if method == "GET" and path == "/authorize":
            return self._authorize(query)
        if method == "POST" and path == "/token":
            grant = self._redeem(form, headers)
            if isinstance(grant, tuple):
                return 400, {}, {"error": grant[0], "error_description": grant[1]}
            return (
                200,
                {},
                {
                    "access_token": secrets.token_urlsafe(16),
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "id_token": self.id_token(grant),
                },
            )
        return 404, {}, {"error": "not_found"}


class FakeGitHub(_Server):
    def __init__(self) -> None:
        super().__init__()
        self.tokens: dict[str, Login] = {}

    def reset(self, login: Login | None = None) -> None:
        with self.lock:
            self.state = _State(login=login)
            self.tokens = {}

    def sign_in_as(self, login: Login) -> None:
        with self.lock:
            self.state.login = login

    def config(self, name: str = "github") -> dict[str, Any]:
        return {
            "name": name,
            "kind": "github",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "authorization_endpoint": f"{self.url}/login/oauth/authorize",
            "token_endpoint": f"{self.url}/login/oauth/access_token",
            "api_base_url": f"{self.url}/api",
        }

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        form: dict[str, str],
        headers: dict[str, str],
    ) -> tuple[int, dict[str, str], Any]:
        if method == "GET" and path == "/login/oauth/authorize":
            return self._authorize(query)
        if method == "POST" and path == "/login/oauth/access_token":
            grant = self._redeem(form, headers)
            if isinstance(grant, tuple):
                return 200, {}, {"error": "bad_verification_code"}
            token = secrets.token_urlsafe(16)
            self.tokens[token] = grant.login
            return 200, {}, {"access_token": token, "token_type": "bearer"}
        login = self.tokens.get(
            headers.get("Authorization", "").removeprefix("Bearer ")
        )
        if login is None:
            return 401, {}, {"message": "Bad credentials"}
        if method == "GET" and path == "/api/user":
            return (
                200,
                {},
                {"id": int(login.subject), "login": "pat", "name": login.name},
            )
        if method == "GET" and path == "/api/user/emails":
            return (
                200,
                {},
                [
                    {"email": "old@example.net", "primary": False, "verified": True},
                    {
                        "email": login.email,
                        "primary": True,
                        "verified": login.email_verified,
                    },
                ],
            )
        return 404, {}, {"message": "Not Found"}


@contextmanager
def running(server: _Server) -> Iterator[Any]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


def at_provider(url: str) -> str:
    """The browser at the provider: where its authorization endpoint sends it back
    (the app's callback, as a path and query for the test client)."""
    answer = httpx2.get(url, follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    return f"{back.path}?{back.query}"


def sign_in(
    client: TestClient, provider: str = "fake", **query: str
) -> httpx2.Response:
    """The whole round trip a browser makes; the callback's answer."""
    start = client.get(
        f"{API}/login/oidc/{provider}/authorize", params=query, follow_redirects=False
    )
    assert start.status_code == 302, start.text
    return client.get(at_provider(start.headers["location"]), follow_redirects=False)
