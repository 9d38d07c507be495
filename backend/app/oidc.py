"""Signing in at other services: OpenID Connect providers, and GitHub.

Authlib speaks OAuth 2.0 here: it builds the authorization URL (with `state`, `nonce`
and a PKCE challenge, S256) and redeems the code at the token endpoint
(`AsyncOAuth2Client`, on httpx2, with a timeout on every request). ID tokens are
verified with joserfc, the JOSE library Authlib builds on, against the provider's
JWKS: an asymmetric signature (never `none`, never a shared-secret algorithm),
then issuer, audience, expiry and nonce, with Authlib's OpenID claim rules.

- An OpenID provider is described by `{issuer}/.well-known/openid-configuration`,
  fetched once per process and kept; so are its keys, fetched again when an ID token
  names a key id they do not have (the provider rotated its keys).
- GitHub has no ID token: the user comes from its API (`/user`), and the address
  from `/user/emails`, whose `verified` flag says whether GitHub checked it.

What the app does with the identity (link, sign up, refuse) is `app.crud`'s business;
anything that goes wrong here is a `ProviderError` with a code the UI can show.
"""

import logging
import secrets
from dataclasses import dataclass
from typing import Any

import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from app.core.config import OIDCProviderSettings, Settings

logger = logging.getLogger(__name__)

# Algorithms an ID token may be signed with: public-key ones only.
ASYMMETRIC = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
# Clock difference tolerated on `exp` and `iat`.
LEEWAY_SECONDS = 60


class ProviderError(Exception):
    """Sign-in at a provider failed; `code` names why, for the login page."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


# The codes, as the UI shows them (`frontend/src/lib/sign-in-errors.ts`).
UNAVAILABLE = "provider_unavailable"  # unreachable, timed out, or answered garbage
REFUSED = "provider_refused"  # the code was refused (used twice, expired)
INVALID_TOKEN = "invalid_id_token"  # signature, issuer, audience, expiry or nonce
NO_EMAIL = "no_email"


@dataclass(frozen=True, slots=True)
class ProviderIdentity:
    """Who the provider says signed in."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None


@dataclass(frozen=True, slots=True)
class Authorization:
    """Where to send the browser, and what to check when it comes back."""

    url: str
    state: str
    nonce: str
    code_verifier: str


class Provider:
    """One configured provider; subclasses know how to learn who signed in."""

    def __init__(
        self, config: OIDCProviderSettings, *, redirect_uri: str, timeout: float
    ) -> None:
        self.config = config
        self.redirect_uri = redirect_uri
        self.timeout = timeout

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def display(self) -> str:
        return self.config.display or self.config.name

    def _client(self, auth_method: str = "client_secret_post") -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret or None,
            token_endpoint_auth_method=auth_method
            if self.config.client_secret
            else "none",
            scope=" ".join(self.config.scopes or ()),
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            timeout=httpx2.Timeout(self.timeout),
        )

    async def _authorization_endpoint(self) -> str:
        raise NotImplementedError

    async def authorization(self) -> Authorization:
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        code_verifier = secrets.token_urlsafe(48)
        endpoint = await self._authorization_endpoint()
        async with self._client() as client:
            url, _ = client.create_authorization_url(
                endpoint, state=state, code_verifier=code_verifier, nonce=nonce
            )
        return Authorization(str(url), state, nonce, code_verifier)

    async def identity(
        self, *, code: str, code_verifier: str, nonce: str
    ) -> ProviderIdentity:
        """Redeem the code, and say who signed in."""
        try:
            return await self._identity(code, code_verifier, nonce)
        except OAuthError as exc:
            raise ProviderError(
                REFUSED, f"{self.name} refused the code: {exc}"
            ) from exc
        except (httpx2.HTTPError, ValueError, KeyError, TypeError) as exc:
            logger.warning("Sign-in at %s failed: %r", self.name, exc)
            raise ProviderError(UNAVAILABLE, f"{self.name} failed: {exc}") from exc

    async def _identity(
        self, code: str, code_verifier: str, nonce: str
    ) -> ProviderIdentity:
        raise NotImplementedError

    async def _redeem(
        self, client: AsyncOAuth2Client, endpoint: str, code: str, code_verifier: str
    ) -> dict[str, Any]:
        token: dict[str, Any] = await client.fetch_token(
            endpoint,
            grant_type="authorization_code",
            code=code,
            code_verifier=code_verifier,
            redirect_uri=self.redirect_uri,
        )
        return token


def _json_object(response: httpx2.Response) -> dict[str, Any]:
    response.raise_for_status()
    found = response.json()
    if not isinstance(found, dict):
        raise ValueError(f"{response.url} did not answer a JSON object")
    return found


class OpenIDProvider(Provider):
    """A provider that publishes its metadata and keys (Google, Microsoft, Keycloak...)."""

    def __init__(
        self, config: OIDCProviderSettings, *, redirect_uri: str, timeout: float
    ) -> None:
        super().__init__(config, redirect_uri=redirect_uri, timeout=timeout)
        self.issuer = config.issuer or ""
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None

    async def _get(self, url: str) -> dict[str, Any]:
        async with httpx2.AsyncClient(timeout=httpx2.Timeout(self.timeout)) as client:
            return _json_object(await client.get(url))

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document, fetched once and kept."""
        if self._metadata is None:
            url = f"{self.issuer}/.well-known/openid-configuration"
            try:
                found = await self._get(url)
            except (httpx2.HTTPError, ValueError) as exc:
                logger.warning("Discovery at %s failed: %r", url, exc)
                raise ProviderError(UNAVAILABLE, f"{url}: {exc}") from exc
            # OpenID Connect Discovery 1.0, section 4.3: the document names its issuer.
            if found.get("issuer") != self.issuer:
                raise ProviderError(UNAVAILABLE, f"{url} names another issuer")
            self._metadata = found
        return self._metadata

    async def _authorization_endpoint(self) -> str:
        return str((await self.metadata())["authorization_endpoint"])

    async def _key_set(self, *, refresh: bool) -> KeySet:
        """The provider's keys, kept; fetched again when `refresh` (two sign-ins that
        both find a new key id may both fetch: no harm done)."""
        if self._keys is None or refresh:
            jwks = await self._get(str((await self.metadata())["jwks_uri"]))
            self._keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        return self._keys

    async def _identity(
        self, code: str, code_verifier: str, nonce: str
    ) -> ProviderIdentity:
        metadata = await self.metadata()
        methods = metadata.get("token_endpoint_auth_methods_supported", [])
        basic = not methods or "client_secret_basic" in methods
        async with self._client(
            "client_secret_basic" if basic else "client_secret_post"
        ) as client:
            token = await self._redeem(
                client, str(metadata["token_endpoint"]), code, code_verifier
            )
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise ProviderError(INVALID_TOKEN, f"{self.name} sent no ID token")
        claims = await self.verify_id_token(
            id_token, nonce=nonce, access_token=token.get("access_token")
        )
        email = claims.get("email")
        return ProviderIdentity(
            provider=self.name,
            subject=str(claims["sub"]),
            email=email.lower() if isinstance(email, str) else None,
            email_verified=claims.get("email_verified") is True,
            name=claims.get("name") if isinstance(claims.get("name"), str) else None,
        )

    async def verify_id_token(
        self, id_token: str, *, nonce: str, access_token: object
    ) -> dict[str, Any]:
        """The ID token's claims, once its signature and claims hold."""
        metadata = await self.metadata()
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [alg for alg in offered if alg in ASYMMETRIC]
        registry = JWSRegistry(algorithms=algorithms)
        try:
            try:
                keys = await self._key_set(refresh=False)
                token = jwt.decode(id_token, keys, registry=registry)
            except InvalidKeyIdError:
                # A key id we do not know: the provider may have rotated its keys.
                keys = await self._key_set(refresh=True)
                token = jwt.decode(id_token, keys, registry=registry)
            params: dict[str, Any] = {
                "nonce": nonce,
                "client_id": self.config.client_id,
            }
            if isinstance(access_token, str):
                params["access_token"] = access_token
            options: dict[str, Any] = {
                "iss": {"essential": True, "value": self.issuer},
                "aud": {"essential": True, "value": self.config.client_id},
                "sub": {"essential": True},
                "nonce": {"essential": True, "value": nonce},
            }
            claims = CodeIDToken(token.claims, token.header, options, params)
            claims.validate(leeway=LEEWAY_SECONDS)
        except JoseError as exc:
            raise ProviderError(INVALID_TOKEN, f"{self.name}: {exc}") from exc
        return dict(claims)


class GitHubProvider(Provider):
    """GitHub: OAuth 2.0, then the user API for who signed in and their address."""

    async def _authorization_endpoint(self) -> str:
        return str(self.config.authorization_endpoint)

    async def _identity(
        self, code: str, code_verifier: str, nonce: str
    ) -> ProviderIdentity:
        del nonce  # no ID token to carry it
        async with self._client() as client:
            token = await self._redeem(
                client, str(self.config.token_endpoint), code, code_verifier
            )
            headers = {
                "Authorization": f"Bearer {token['access_token']}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            }
            api = self.config.api_base_url
            user = _json_object(
                await client.request(
                    "GET", f"{api}/user", headers=headers, withhold_token=True
                )
            )
            response = await client.request(
                "GET", f"{api}/user/emails", headers=headers, withhold_token=True
            )
            response.raise_for_status()
            emails = response.json()
        if not isinstance(emails, list):
            raise ValueError("GitHub's /user/emails did not answer a list")
        primary = next(
            (e for e in emails if isinstance(e, dict) and e.get("primary")), None
        )
        email = primary.get("email") if primary else None
        return ProviderIdentity(
            provider=self.name,
            subject=str(user["id"]),
            email=email.lower() if isinstance(email, str) else None,
            email_verified=bool(primary and primary.get("verified") is True),
            name=user.get("name") if isinstance(user.get("name"), str) else None,
        )


class Providers:
    """The configured providers by name, each keeping what it fetched; one per app."""

    def __init__(self, settings: Settings) -> None:
        self._providers: dict[str, Provider] = {}
        for config in settings.OIDC_PROVIDERS:
            redirect_uri = (
                f"{settings.FRONTEND_HOST.rstrip('/')}/api/v1/login/oidc/"
                f"{config.name}/callback"
            )
            kind = OpenIDProvider if config.kind == "oidc" else GitHubProvider
            self._providers[config.name] = kind(
                config,
                redirect_uri=redirect_uri,
                timeout=settings.OIDC_HTTP_TIMEOUT_SECONDS,
            )

    def get(self, name: str) -> Provider | None:
        return self._providers.get(name)

    def __iter__(self) -> Any:
        return iter(self._providers.values())
