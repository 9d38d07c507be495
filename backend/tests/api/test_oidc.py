"""Signing in at a provider, through the HTTP boundary, against fake providers that
speak the protocol on real local ports (`tests/utils/fake_provider.py`)."""

import time
import uuid
from datetime import timedelta
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import psycopg
import pyotp
import pytest
from fastapi.testclient import TestClient

from app.core import security
from app.core.config import Settings
from app.main import create_app
from tests.conftest import make_settings, provider_settings
from tests.utils.factories import (
    API,
    LoggedInUser,
    create_user,
    random_email,
    random_password,
)
from tests.utils.fake_provider import (
    CLIENT_ID,
    FakeGitHub,
    FakeOpenIDProvider,
    Login,
    at_provider,
    sign_in,
)
from tests.utils.smtp import Mailbox

FRONTEND = "http://frontend.test"
CALLBACK = f"{FRONTEND}{API}/login/oidc/fake/callback"


def new_login(**fields: object) -> Login:
    values: dict[str, object] = {"subject": uuid.uuid4().hex, "email": random_email()}
    values.update(fields)
    return Login(**values)  # type: ignore[arg-type]


def set_cookies(response: object) -> dict[str, SimpleCookie]:
    cookies = {}
    for header in response.headers.get_list("set-cookie"):  # type: ignore[attr-defined]
        cookie = SimpleCookie(header)
        for name in cookie:
            cookies[name] = cookie
    return cookies


def me_after_refresh(client: TestClient) -> dict[str, object]:
    """The UI's next step after the redirect: the refresh cookie buys tokens."""
    tokens = client.post(f"{API}/login/refresh")
    assert tokens.status_code == 200, tokens.text
    headers = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    me = client.get(f"{API}/users/me", headers=headers)
    assert me.status_code == 200
    body: dict[str, object] = me.json()
    body["_headers"] = headers
    return body


def audit_events(connection: psycopg.Connection) -> list[tuple[str, dict[str, object]]]:
    rows = connection.execute(
        "SELECT event_type, details FROM audit_event ORDER BY created_at, id"
    ).fetchall()
    return [(event, details) for event, details in rows]


def user_count(connection: psycopg.Connection) -> int:
    row = connection.execute('SELECT count(*) FROM "user"').fetchone()
    assert row is not None
    return int(row[0])


def test_the_login_page_lists_the_providers(client: TestClient) -> None:
    response = client.get(f"{API}/login/providers")
    assert response.status_code == 200
    assert response.json() == [
        {"name": "fake", "display": "Fake ID"},
        {"name": "github", "display": "GitHub"},
        {"name": "down", "display": "Down"},
    ]


def test_authorize_sends_the_browser_to_the_provider_with_pkce_state_and_nonce(
    client: TestClient, oidc_provider: FakeOpenIDProvider
) -> None:
    response = client.get(f"{API}/login/oidc/fake/authorize", follow_redirects=False)

    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{oidc_provider.url}/authorize"
    )
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert set(query) == {
        "response_type",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
    }
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == CALLBACK
    assert query["scope"] == "openid email profile"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert len(query["state"]) == 32 and len(query["nonce"]) == 32
    cookie = set_cookies(response)["oidc_state"]["oidc_state"]
    assert cookie["path"] == f"{API}/login/oidc"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "lax"
    assert cookie["max-age"] == "600"
    # The cookie is signed and holds what the callback checks; nothing to read.
    claims = security.decode_token(
        cookie.value,
        token_type=security.TokenType.OIDC_STATE,
        secret_key=client.app.state.settings.SECRET_KEY,  # type: ignore[attr-defined]
    )
    assert claims["state"] == query["state"]
    assert claims["nonce"] == query["nonce"]
    assert claims["next"] == "/"


def test_a_new_user_signs_up_at_the_provider_and_gets_a_session(
    client: TestClient,
    oidc_provider: FakeOpenIDProvider,
    db_connection: psycopg.Connection,
) -> None:
    login = new_login(name="Pat Provider")
    oidc_provider.sign_in_as(login)

    answer = sign_in(client, next="/items?page=2")

    assert answer.status_code == 302
    assert answer.headers["location"] == f"{FRONTEND}/items?page=2"
    cookies = set_cookies(answer)
    assert cookies["oidc_state"]["oidc_state"]["max-age"] == "0"
    refresh = cookies["refresh_token"]["refresh_token"]
    assert refresh["path"] == f"{API}/login/refresh"
    assert refresh["httponly"] is True
    assert refresh["samesite"] == "strict"
    me = me_after_refresh(client)
    assert me["email"] == login.email
    assert me["full_name"] == "Pat Provider"
    assert me["is_verified"] is True
    assert me["has_password"] is False
    assert me["two_factor_enabled"] is False
    identities = client.get(f"{API}/users/me/identities/", headers=me["_headers"])  # type: ignore[arg-type]
    assert [(i["provider"], i["email"]) for i in identities.json()] == [
        ("fake", login.email)
    ]
    row = db_connection.execute(
        "SELECT provider, subject FROM user_identity WHERE user_id = %s", (me["id"],)
    ).fetchall()
    assert row == [("fake", login.subject)]
    # Like every account, it has a personal team, and its items go there.
    teams = client.get(f"{API}/teams/", headers=me["_headers"])  # type: ignore[arg-type]
    assert [(t["name"], t["is_personal"], t["role"]) for t in teams.json()["data"]] == [
        ("Personal", True, "owner")
    ]
    item = client.post(f"{API}/items/", headers=me["_headers"], json={"title": "A"})  # type: ignore[arg-type]
    assert item.status_code == 201, item.text
    assert item.json()["team_id"] == teams.json()["data"][0]["id"]
    events = audit_events(db_connection)
    assert [event for event, _ in events] == [
        "user_created",
        "identity_linked",
        "login_succeeded",
    ]
    assert events[0][1] == {"email": login.email, "provider": "fake"}
    assert events[2][1]["method"] == "oidc:fake"
    # The provider saw the PKCE verifier, the client's credentials and one code.
    assert oidc_provider.requests("/token") == 1


def test_a_linked_identity_signs_in_to_the_same_account(
    client: TestClient,
    oidc_provider: FakeOpenIDProvider,
    db_connection: psycopg.Connection,
) -> None:
    oidc_provider.sign_in_as(new_login())
    assert sign_in(client).status_code == 302
    first = me_after_refresh(client)["id"]
    client.cookies.clear()

    answer = sign_in(client)

    assert answer.headers["location"] == f"{FRONTEND}/"
    assert me_after_refresh(client)["id"] == first
    assert user_count(db_connection) == 2  # the first superuser and this one


def test_a_user_without_a_password_cannot_log_in_with_one(
    client: TestClient, oidc_provider: FakeOpenIDProvider
) -> None:
    login = new_login()
    oidc_provider.sign_in_as(login)
    sign_in(client)
    response = client.post(
        f"{API}/login/access-token",
        data={"username": login.email, "password": "any-password-at-all"},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "tamper", ["other state", "no state", "no cookie", "another provider's cookie"]
)
def test_a_callback_whose_state_does_not_match_is_refused(
    client: TestClient,
    oidc_provider: FakeOpenIDProvider,
    db_connection: psycopg.Connection,
    tamper: str,
) -> None:
    oidc_provider.sign_in_as(new_login())
    start = client.get(f"{API}/login/oidc/fake/authorize", follow_redirects=False)
    back = at_provider(start.headers["location"])
    path, _, query = back.partition("?")
    params = {k: v[0] for k, v in parse_qs(query).items()}
    if tamper == "other state":
        params["state"] = "x" * 32
    elif tamper == "no state":
        del params["state"]
    elif tamper == "no cookie":
        client.cookies.clear()
    else:  # a flow started for GitHub, answered at the fake provider's callback
        client.get(f"{API}/login/oidc/github/authorize", follow_redirects=False)

    answer = client.get(path, params=params, follow_redirects=False)

    assert answer.status_code == 302
    assert answer.headers["location"] == f"{FRONTEND}/login?error=invalid_state"
    assert "refresh_token" not in set_cookies(answer)
    assert oidc_provider.requests("/token") == 0
    assert user_count(db_connection) == 1


def test_a_replayed_code_is_refused(
    client: TestClient, oidc_provider: FakeOpenIDProvider
) -> None:
    oidc_provider.sign_in_as(new_login())
    start = client.get(f"{API}/login/oidc/fake/authorize", follow_redirects=False)
    state_cookie = client.cookies["oidc_state"]
    back = at_provider(start.headers["location"])
    assert client.get(back, follow_redirects=False).headers["location"] == (
        f"{FRONTEND}/"
    )
    client.cookies.clear()
    # Everything the first callback had, the cookie included: the code is spent.
    client.cookies.set("oidc_state", state_cookie, path=f"{API}/login/oidc")

    answer = client.get(back, follow_redirects=False)

    assert answer.headers["location"] == f"{FRONTEND}/login?error=provider_refused"
    assert "refresh_token" not in set_cookies(answer)
    assert oidc_provider.requests("/token") == 2


@pytest.mark.parametrize(
    ("spoiled", "why"),
    [
        ({"nonce": "not-the-nonce-that-was-sent"}, "wrong nonce"),
        ({"aud": "another-client"}, "wrong audience"),
        ({"aud": ["another-client", "a-third"]}, "wrong audiences"),
        ({"iss": "http://127.0.0.1:1"}, "wrong issuer"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "expired"),
        ({"sub": ""}, "empty subject"),
    ],
)
def test_an_id_token_with_wrong_claims_is_refused(
    client: TestClient,
    oidc_provider: FakeOpenIDProvider,
    db_connection: psycopg.Connection,
    spoiled: dict[str, object],
    why: str,
) -> None:
    oidc_provider.sign_in_as(new_login())
    oidc_provider.spoil(**spoiled)

    answer = sign_in(client)

    assert answer.headers["location"] == f"{FRONTEND}/login?error=invalid_id_token", why
    assert "refresh_token" not in set_cookies(answer)
    assert user_count(db_connection) == 1


def test_an_unsigned_id_token_is_refused(
    client: TestClient,
    oidc_provider: FakeOpenIDProvider,
    db_connection: psycopg.Connection,
) -> None:
    oidc_provider.sign_in_as(new_login())
    oidc_provider.unsigned = True

    answer = sign_in(client)

    assert answer.headers["location"] == f"{FRONTEND}/login?error=invalid_id_token"
    assert user_count(db_connection) == 1


def test_an_id_token_signed_by_a_key_the_provider_does_not_publish_is_refused(
    client: TestClient,
    oidc_provider: FakeOpenIDProvider,
    db_connection: psycopg.Connection,
) -> None:
    oidc_provider.sign_in_as(new_login())
    sign_in(client)  # the app now holds the provider's keys
    client.cookies.clear()
    published = oidc_provider.signing_key
    # A forger's key under the published key id.
    forged = oidc_provider._new_key()
    forged = type(forged).import_key(
        {**forged.as_dict(private=True), "kid": published.kid}
    )
    oidc_provider.signing_key = forged

    answer = sign_in(client)

    oidc_provider.signing_key = published
    assert answer.headers["location"] == f"{FRONTEND}/login?error=invalid_id_token"
    assert user_count(db_connection) == 2


def test_keys_rotated_at_the_provider_are_fetched_again(
    client: TestClient,
    oidc_provider: FakeOpenIDProvider,
) -> None:
    login = new_login()
    oidc_provider.sign_in_as(login)
    assert sign_in(client).headers["location"] == f"{FRONTEND}/"
    client.cookies.clear()
    fetched = oidc_provider.requests("/jwks")
    old_kid = oidc_provider.signing_key.kid

    oidc_provider.rotate_keys()
    answer = sign_in(client)

    assert oidc_provider.signing_key.kid != old_kid
    assert answer.headers["location"] == f"{FRONTEND}/"
    assert me_after_refresh(client)["email"] == login.email
    # Exactly one more fetch: the new key id was unknown, and then it was known.
    assert oidc_provider.requests("/jwks") == fetched + 1
    client.cookies.clear()
    sign_in(client)
    assert oidc_provider.requests("/jwks") == fetched + 1


def test_an_unverified_email_cannot_take_over_an_existing_account(
    client: TestClient,
    superuser: LoggedInUser,
    oidc_provider: FakeOpenIDProvider,
    db_connection: psycopg.Connection,
) -> None:
    victim = create_user(client, superuser.headers)
    oidc_provider.sign_in_as(new_login(email=victim.email, email_verified=False))

    answer = sign_in(client)

    assert answer.headers["location"] == f"{FRONTEND}/login?error=account_exists"
    assert set(set_cookies(answer)) == {"oidc_state"}
    linked = db_connection.execute("SELECT count(*) FROM user_identity").fetchone()
    assert linked == (0,)
    event, details = audit_events(db_connection)[-1]
    assert (event, details) == (
        "login_failed",
        {"email": victim.email, "reason": "account_exists", "method": "oidc:fake"},
    )


def test_a_verified_email_links_to_the_existing_account_with_its_password(
    client: TestClient,
    superuser: LoggedInUser,
    oidc_provider: FakeOpenIDProvider,
    db_connection: psycopg.Connection,
) -> None:
    owner = create_user(client, superuser.headers)
    login = new_login(email=owner.email.upper(), email_verified=True)
    oidc_provider.sign_in_as(login)

    answer = sign_in(client)

    assert answer.headers["location"] == (
        f"{FRONTEND}/login/link?provider=fake&email={owner.email.replace('@', '%40')}"
    )
    link_cookie = set_cookies(answer)["oidc_link"]["oidc_link"]
    assert link_cookie["path"] == f"{API}/login/oidc"
    assert link_cookie["samesite"] == "strict"
    assert "refresh_token" not in set_cookies(answer)
    confirm = f"{API}/login/oidc/confirm-link"
    wrong = client.post(confirm, json={"password": "not-the-password"})
    assert wrong.status_code == 401
    assert db_connection.execute("SELECT count(*) FROM user_identity").fetchone() == (
        0,
    )

    right = client.post(confirm, json={"password": owner.password})

    assert right.status_code == 200, right.text
    assert set(right.json()) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
    }
    assert set_cookies(right)["oidc_link"]["oidc_link"]["max-age"] == "0"
    rows = db_connection.execute(
        "SELECT user_id, provider, subject FROM user_identity"
    ).fetchall()
    assert rows == [(owner.id, "fake", login.subject)]
    client.cookies.clear()
    # From now on the provider signs in to that account directly.
    assert sign_in(client).headers["location"] == f"{FRONTEND}/"
    assert me_after_refresh(client)["id"] == str(owner.id)
    assert [e for e, _ in audit_events(db_connection)][-4:] == [
        "login_failed",
        "identity_linked",
        "login_succeeded",
        "login_succeeded",
    ]


def test_confirming_a_link_needs_the_cookie_of_a_provider_sign_in(
    client: TestClient,
) -> None:
    response = client.post(
        f"{API}/login/oidc/confirm-link", json={"password": "whatever-it-is"}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "The provider sign-in expired: start again"}


def test_an_unverified_email_does_not_open_an_account(
    client: TestClient,
    oidc_provider: FakeOpenIDProvider,
    db_connection: psycopg.Connection,
) -> None:
    oidc_provider.sign_in_as(new_login(email_verified=False))
    answer = sign_in(client)
    assert answer.headers["location"] == f"{FRONTEND}/login?error=email_not_verified"
    assert user_count(db_connection) == 1


def test_a_provider_without_an_email_is_refused(
    client: TestClient, oidc_provider: FakeOpenIDProvider
) -> None:
    oidc_provider.sign_in_as(new_login(email=None))
    assert sign_in(client).headers["location"] == f"{FRONTEND}/login?error=no_email"


def test_a_switched_off_account_is_not_signed_in(
    client: TestClient,
    oidc_provider: FakeOpenIDProvider,
    db_connection: psycopg.Connection,
) -> None:
    login = new_login()
    oidc_provider.sign_in_as(login)
    sign_in(client)
    client.cookies.clear()
    db_connection.execute(
        'UPDATE "user" SET is_active = false WHERE email = %s', (login.email,)
    )
    assert sign_in(client).headers["location"] == f"{FRONTEND}/login?error=inactive"


def test_the_user_cancelling_at_the_provider_returns_to_the_login_page(
    client: TestClient, oidc_provider: FakeOpenIDProvider
) -> None:
    start = client.get(f"{API}/login/oidc/fake/authorize", follow_redirects=False)
    state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
    answer = client.get(
        f"{API}/login/oidc/fake/callback",
        params={"error": "access_denied", "state": state},
        follow_redirects=False,
    )
    assert answer.headers["location"] == f"{FRONTEND}/login?error=access_denied"
    assert oidc_provider.requests("/token") == 0


def test_a_provider_that_cannot_be_reached_answers_a_clear_error(
    client: TestClient,
) -> None:
    started = time.monotonic()
    answer = client.get(f"{API}/login/oidc/down/authorize", follow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["location"] == (
        f"{FRONTEND}/login?error=provider_unavailable"
    )
    assert time.monotonic() - started < 5


def test_an_unknown_provider_is_404(client: TestClient) -> None:
    for path in ("authorize", "callback"):
        response = client.get(f"{API}/login/oidc/nobody/{path}", follow_redirects=False)
        assert response.status_code == 404
        assert response.json() == {"detail": "Provider not found"}


def test_a_provider_slower_than_the_timeout_answers_a_clear_error(
    database_url: str,
    smtp: tuple[int, Mailbox],
    oidc_provider: FakeOpenIDProvider,
    github_server: FakeGitHub,
) -> None:
    settings = make_settings(
        database_url,
        smtp[0],
        OIDC_HTTP_TIMEOUT_SECONDS=0.5,
        OIDC_PROVIDERS=provider_settings(oidc_provider, github_server),
    )
    oidc_provider.sign_in_as(new_login())
    oidc_provider.stall["/token"] = 3.0
    with TestClient(create_app(settings)) as client:
        started = time.monotonic()
        answer = sign_in(client)
        waited = time.monotonic() - started

    assert answer.headers["location"] == (
        f"{FRONTEND}/login?error=provider_unavailable"
    )
    assert waited < 2.5


def test_a_provider_sign_in_takes_the_second_step_when_two_factor_is_on(
    client: TestClient,
    oidc_provider: FakeOpenIDProvider,
    db_connection: psycopg.Connection,
) -> None:
    oidc_provider.sign_in_as(new_login())
    sign_in(client)
    headers: dict[str, str] = me_after_refresh(client)["_headers"]  # type: ignore[assignment]
    secret = client.post(f"{API}/users/me/two-factor/setup", headers=headers).json()[
        "secret"
    ]
    enabled = client.post(
        f"{API}/users/me/two-factor/enable",
        headers=headers,
        json={"code": pyotp.TOTP(secret).at(time.time() - 30)},
    )
    assert enabled.status_code == 200
    client.cookies.clear()

    answer = sign_in(client)

    assert answer.headers["location"] == f"{FRONTEND}/login/two-factor"
    cookies = set_cookies(answer)
    assert "refresh_token" not in cookies
    assert cookies["two_factor_token"]["two_factor_token"]["path"] == f"{API}/login/2fa"
    # No session yet: the refresh cookie was never set.
    assert client.post(f"{API}/login/refresh").status_code == 401
    done = client.post(f"{API}/login/2fa", json={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200, done.text
    assert audit_events(db_connection)[-1][1]["method"] == "oidc:fake+totp"


@pytest.fixture
def closed_signup_client(
    database_url: str,
    smtp: tuple[int, Mailbox],
    oidc_server: FakeOpenIDProvider,
    github_server: FakeGitHub,
) -> TestClient:
    settings: Settings = make_settings(
        database_url,
        smtp[0],
        USERS_OPEN_REGISTRATION=False,
        OIDC_PROVIDERS=provider_settings(oidc_server, github_server),
    )
    with TestClient(create_app(settings)) as client:
        yield client  # type: ignore[misc]


def test_no_account_is_opened_where_signup_is_closed(
    closed_signup_client: TestClient,
    oidc_provider: FakeOpenIDProvider,
    db_connection: psycopg.Connection,
) -> None:
    oidc_provider.sign_in_as(new_login())
    answer = sign_in(closed_signup_client)
    assert answer.headers["location"] == f"{FRONTEND}/login?error=signup_closed"
    assert user_count(db_connection) == 1


# Linking from Settings --------------------------------------------------------------


def start_link(client: TestClient, user: LoggedInUser, provider: str = "fake") -> str:
    response = client.post(f"{API}/login/oidc/{provider}/link", headers=user.headers)
    assert response.status_code == 200, response.text
    return at_provider(response.json()["authorization_url"])


def test_a_signed_in_user_links_a_provider_from_settings(
    client: TestClient,
    superuser: LoggedInUser,
    oidc_provider: FakeOpenIDProvider,
    db_connection: psycopg.Connection,
) -> None:
    user = create_user(client, superuser.headers)
    # Another address at the provider, not even verified: the user is signed in here.
    login = new_login(email_verified=False)
    oidc_provider.sign_in_as(login)

    answer = client.get(start_link(client, user), follow_redirects=False)

    assert answer.headers["location"] == (
        f"{FRONTEND}/settings?tab=sign-in&linked=fake"
    )
    assert "refresh_token" not in set_cookies(answer)
    identities = client.get(f"{API}/users/me/identities/", headers=user.headers)
    assert [i["provider"] for i in identities.json()] == ["fake"]
    assert audit_events(db_connection)[-1] == (
        "identity_linked",
        {"provider": "fake", "email": login.email},
    )
    client.cookies.clear()
    assert sign_in(client).headers["location"] == f"{FRONTEND}/"
    assert me_after_refresh(client)["id"] == str(user.id)


def test_a_link_whose_session_ended_meanwhile_is_refused(
    client: TestClient,
    superuser: LoggedInUser,
    oidc_provider: FakeOpenIDProvider,
) -> None:
    user = create_user(client, superuser.headers)
    oidc_provider.sign_in_as(new_login())
    back = start_link(client, user)
    assert client.post(f"{API}/logout", headers=user.headers).status_code == 204

    answer = client.get(back, follow_redirects=False)

    assert answer.headers["location"] == f"{FRONTEND}/login?error=session_ended"


def test_a_provider_account_linked_to_someone_else_is_not_linked_again(
    client: TestClient,
    superuser: LoggedInUser,
    oidc_provider: FakeOpenIDProvider,
) -> None:
    login = new_login()
    oidc_provider.sign_in_as(login)
    sign_in(client)
    client.cookies.clear()
    user = create_user(client, superuser.headers)

    answer = client.get(start_link(client, user), follow_redirects=False)

    assert answer.headers["location"] == (
        f"{FRONTEND}/settings?tab=sign-in&error=identity_in_use"
    )


def test_unlinking_keeps_the_last_way_to_sign_in(
    client: TestClient,
    oidc_provider: FakeOpenIDProvider,
    github: FakeGitHub,
    db_connection: psycopg.Connection,
) -> None:
    login = new_login()
    oidc_provider.sign_in_as(login)
    sign_in(client)
    me = me_after_refresh(client)
    headers: dict[str, str] = me["_headers"]  # type: ignore[assignment]
    user = LoggedInUser(uuid.UUID(str(me["id"])), login.email or "", "", headers, "")
    github.sign_in_as(Login(subject="4242", email=random_email()))
    client.get(start_link(client, user, "github"), follow_redirects=False)
    fake_id, github_id = (
        i["id"]
        for i in client.get(f"{API}/users/me/identities/", headers=headers).json()
    )

    assert (
        client.delete(
            f"{API}/users/me/identities/{fake_id}", headers=headers
        ).status_code
        == 204
    )
    last = client.delete(f"{API}/users/me/identities/{github_id}", headers=headers)

    assert last.status_code == 403
    assert last.json()["detail"].startswith("This is the account's last way to sign in")
    assert (
        client.delete(
            f"{API}/users/me/identities/{fake_id}", headers=headers
        ).status_code
        == 404
    )
    # A password set through recovery is another way in: then the provider may go.
    token = security.create_token(
        subject=user.id,
        token_type=security.TokenType.PASSWORD_RESET,
        expires_delta=timedelta(hours=1),
        secret_key=client.app.state.settings.SECRET_KEY,  # type: ignore[attr-defined]
        claims={"pwd": security.password_fingerprint(_hash_of(db_connection, user.id))},
    )
    password = random_password()
    reset = client.post(
        f"{API}/reset-password", json={"token": token, "new_password": password}
    )
    assert reset.status_code == 200, reset.text
    fresh = client.post(
        f"{API}/login/access-token",
        data={"username": login.email, "password": password},
    )
    headers = {"Authorization": f"Bearer {fresh.json()['access_token']}"}
    assert client.get(f"{API}/users/me", headers=headers).json()["has_password"] is True
    gone = client.delete(f"{API}/users/me/identities/{github_id}", headers=headers)
    assert gone.status_code == 204
    events = [e for e, _ in audit_events(db_connection)]
    assert events.count("identity_unlinked") == 2


def _hash_of(connection: psycopg.Connection, user_id: uuid.UUID) -> str:
    row = connection.execute(
        'SELECT hashed_password FROM "user" WHERE id = %s', (user_id,)
    ).fetchone()
    assert row is not None
    return str(row[0])


def test_someone_elses_identity_cannot_be_unlinked(
    client: TestClient,
    superuser: LoggedInUser,
    oidc_provider: FakeOpenIDProvider,
) -> None:
    oidc_provider.sign_in_as(new_login())
    sign_in(client)
    owner_headers: dict[str, str] = me_after_refresh(client)["_headers"]  # type: ignore[assignment]
    identity = client.get(f"{API}/users/me/identities/", headers=owner_headers).json()[
        0
    ]
    response = client.delete(
        f"{API}/users/me/identities/{identity['id']}", headers=superuser.headers
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Identity not found"}


# GitHub ------------------------------------------------------------------------------


def test_github_signs_up_a_new_user_with_its_verified_primary_email(
    client: TestClient, github: FakeGitHub, db_connection: psycopg.Connection
) -> None:
    email = random_email()
    github.sign_in_as(Login(subject="987654", email=email, name="Octo Cat"))

    answer = sign_in(client, "github")

    assert answer.headers["location"] == f"{FRONTEND}/"
    me = me_after_refresh(client)
    assert (me["email"], me["full_name"], me["has_password"]) == (
        email,
        "Octo Cat",
        False,
    )
    row = db_connection.execute(
        "SELECT provider, subject FROM user_identity"
    ).fetchall()
    assert row == [("github", "987654")]
    assert github.requests("/api/user") == 1
    assert github.requests("/api/user/emails") == 1


def test_github_with_an_unverified_primary_email_opens_no_account(
    client: TestClient, github: FakeGitHub, db_connection: psycopg.Connection
) -> None:
    github.sign_in_as(Login(subject="1", email=random_email(), email_verified=False))
    answer = sign_in(client, "github")
    assert answer.headers["location"] == f"{FRONTEND}/login?error=email_not_verified"
    assert user_count(db_connection) == 1


def test_github_refuses_a_replayed_code(client: TestClient, github: FakeGitHub) -> None:
    github.sign_in_as(Login(subject="2", email=random_email()))
    start = client.get(f"{API}/login/oidc/github/authorize", follow_redirects=False)
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert query["scope"] == ["read:user user:email"]
    state_cookie = client.cookies["oidc_state"]
    back = at_provider(start.headers["location"])
    assert client.get(back, follow_redirects=False).headers["location"] == (
        f"{FRONTEND}/"
    )
    client.cookies.clear()
    client.cookies.set("oidc_state", state_cookie, path=f"{API}/login/oidc")

    answer = client.get(back, follow_redirects=False)

    assert answer.headers["location"] == f"{FRONTEND}/login?error=provider_refused"
