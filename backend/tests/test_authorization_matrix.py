"""Who may do what: every API operation, called as each kind of caller.

The operations come from the app's route table: a route added without an entry
in MATRIX fails `test_every_route_has_an_entry`. Each cell is its own test, on a
fresh database, with a body that would succeed for a caller allowed to act, so the
status says what authorization decided.

The world: a shared team whose owner, admin and members are callers, and which holds
a row of every team-owned resource (made by its owner) and a pending invitation.
Callers:
- anonymous: no token;
- member, admin, owner: of that team (the owner is also the account that
  `/users/{user_id}` names);
- outsider: a user in other teams only (one of their own, and their personal team);
- removed: a former member of the team, removed by its owner;
- inactive: a member whose account was switched off while its token was still live;
- superuser: in none of those teams; their reach is global (and audited).
A provider identity is linked to the owner and one to the inactive user: each caller
tries to unlink the owner's, but the inactive user their own.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
import pyotp
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from app.core import security, two_factor
from app.core.config import Settings
from tests.conftest import TEST_BCRYPT_ROUNDS, add_personal_team
from tests.utils.factories import (
    API,
    LoggedInUser,
    create_team,
    login,
    random_email,
    random_password,
)
from tests.utils.resources import OWNED, Owned
from tests.utils.smtp import Mailbox
from tests.utils.teams import invite

ROLES = (
    "anonymous",
    "member",
    "admin",
    "owner",
    "outsider",
    "removed",
    "inactive",
    "superuser",
)
# The world's users beyond the callers: a second member, whom the member routes act
# on, and the owner of a team no caller is in, who invites them to it.
TEAM_ROLES = {"member": "member", "admin": "admin", "owner": "owner"}


@dataclass
class World:
    settings: Settings
    client: TestClient
    mailbox: Mailbox
    users: dict[str, LoggedInUser]  # by role, and "member2" and "host"
    team_id: str
    host_team_id: str
    # Per resource, the id of a row the team's owner made in the team.
    rows: dict[str, str]
    invitation_id: str
    owner_password_fingerprint: str
    failed_job_id: int
    connection: psycopg.Connection
    # A provider identity linked to the owner, and one to the inactive user.
    identities: tuple[str, str]
    # A second live session of the owner's (another device).
    owner_other_session: str

    def caller(self, role: str) -> LoggedInUser | None:
        return None if role == "anonymous" else self.users[role]

    @property
    def owner(self) -> LoggedInUser:
        return self.users["owner"]

    def identity_id(self, role: str) -> str:
        return self.identities[1] if role == "inactive" else self.identities[0]

    def with_authenticator(self, user: LoggedInUser | None, *, confirmed: bool) -> str:
        """Give the user an authenticator (confirmed: two-factor on); its secret."""
        secret = two_factor.new_secret()
        if user is None:
            return secret
        sealed = two_factor.encrypt_secret(secret, secret_key=self.settings.SECRET_KEY)
        self.connection.execute(
            "INSERT INTO user_totp (id, user_id, secret, confirmed_at, created_at) "
            "VALUES (%s, %s, %s, CASE WHEN %s THEN now() END, now())",
            (uuid.uuid4(), user.id, sealed, confirmed),
        )
        self.connection.execute(
            'UPDATE "user" SET two_factor_enabled = %s WHERE id = %s',
            (confirmed, user.id),
        )
        return secret

    def token(self, token_type: security.TokenType, **claims: object) -> str:
        return security.create_token(
            subject=self.owner.id,
            token_type=token_type,
            expires_delta=timedelta(hours=1),
            secret_key=self.settings.SECRET_KEY,
            claims=claims,
        )


Body = Callable[[World, str], dict[str, Any]]


def json_body(make: Callable[[World, str], dict[str, Any]]) -> Body:
    return lambda world, role: {"json": make(world, role)}


def new_account(_world: World, _role: str) -> dict[str, Any]:
    return {"json": {"email": random_email(), "password": random_password()}}


def refresh_body(world: World, role: str) -> dict[str, Any]:
    caller = world.caller(role)
    return {"json": {"refresh_token": caller.refresh_token if caller else None}}


def new_password(world: World, role: str) -> dict[str, Any]:
    caller = world.caller(role)
    current = caller.password if caller else random_password()
    return {"json": {"current_password": current, "new_password": random_password()}}


def reset_password(world: World, _role: str) -> dict[str, Any]:
    token = world.token(
        security.TokenType.PASSWORD_RESET, pwd=world.owner_password_fingerprint
    )
    return {"json": {"token": token, "new_password": random_password()}}


def enable_code(world: World, role: str) -> dict[str, Any]:
    secret = world.with_authenticator(world.caller(role), confirmed=False)
    return {"json": {"code": pyotp.TOTP(secret).now()}}


def disable_body(world: World, role: str) -> dict[str, Any]:
    caller = world.caller(role)
    secret = world.with_authenticator(caller, confirmed=True)
    password = caller.password if caller else random_password()
    return {"json": {"password": password, "code": pyotp.TOTP(secret).now()}}


def second_step(world: World, _role: str) -> dict[str, Any]:
    """The owner's first step done; a code from their authenticator."""
    secret = world.with_authenticator(world.owner, confirmed=True)
    token = world.token(security.TokenType.TWO_FACTOR, method="password")
    return {"json": {"code": pyotp.TOTP(secret).now(), "two_factor_token": token}}


def pending_link(world: World, _role: str) -> dict[str, Any]:
    """A provider sign-in waiting for the owner's password (its cookie)."""
    token = world.token(
        security.TokenType.OIDC_LINK,
        provider="fake",
        subject=uuid.uuid4().hex,
        email=world.owner.email,
    )
    return {
        "json": {"password": world.owner.password},
        "headers": {"Cookie": f"oidc_link={token}"},
    }


def invitation_for_caller(world: World, role: str) -> dict[str, Any]:
    """An invitation to a team no caller is in, addressed to the caller."""
    caller = world.caller(role)
    email = caller.email if caller else random_email()
    host = world.users["host"]
    token = invite(world.client, host.headers, world.host_team_id, email, world.mailbox)
    return {"json": {"token": token}}


def in_team(make: Callable[[World, str], dict[str, Any]] | None = None) -> Body:
    """The world's team as `?team_id=`, and the body `make` gives, if any."""

    def body(world: World, role: str) -> dict[str, Any]:
        extra = {"json": make(world, role)} if make else {}
        return {"params": {"team_id": world.team_id}, **extra}

    return body


@dataclass(frozen=True)
class Entry:
    expected: tuple[int, int, int, int, int, int, int, int]  # in the order of ROLES
    body: Body | None = None


ONLY_SUPERUSER_200 = (401, 403, 403, 403, 403, 403, 403, 200)
AUTHENTICATED_200 = (401, 200, 200, 200, 200, 200, 403, 200)
PUBLIC_200 = (200, 200, 200, 200, 200, 200, 200, 200)
PUBLIC_302 = (302, 302, 302, 302, 302, 302, 302, 302)
CREATED_BY_ANYONE = (201, 201, 201, 201, 201, 201, 201, 201)
# The team's own: anyone in it, no one outside (absent to them), and a superuser.
IN_TEAM_200 = (401, 200, 200, 200, 404, 404, 403, 200)
ADMIN_200 = (401, 403, 200, 200, 404, 404, 403, 200)
ADMIN_201 = (401, 403, 201, 201, 404, 404, 403, 201)
ADMIN_204 = (401, 403, 204, 204, 404, 404, 403, 204)
OWNER_200 = (401, 403, 403, 200, 404, 404, 403, 200)
OWNER_204 = (401, 403, 403, 204, 404, 404, 403, 204)
TEAM = f"{API}/teams/{{team_id}}"

MATRIX: dict[str, Entry] = {
    "GET /health": Entry(PUBLIC_200),
    # Login and sessions
    f"POST {API}/login/access-token": Entry(
        PUBLIC_200,
        lambda world, _role: {
            "data": {"username": world.owner.email, "password": world.owner.password}
        },
    ),
    f"POST {API}/login/test-token": Entry(AUTHENTICATED_200),
    f"POST {API}/login/refresh": Entry(AUTHENTICATED_200, refresh_body),
    f"POST {API}/logout": Entry((401, 204, 204, 204, 204, 204, 403, 204)),
    f"POST {API}/password-recovery": Entry(
        PUBLIC_200, json_body(lambda world, _role: {"email": world.owner.email})
    ),
    f"POST {API}/reset-password": Entry(PUBLIC_200, reset_password),
    f"POST {API}/password-recovery-html-content": Entry(
        ONLY_SUPERUSER_200, json_body(lambda world, _role: {"email": world.owner.email})
    ),
    # Users
    f"GET {API}/users/": Entry(ONLY_SUPERUSER_200),
    f"POST {API}/users/": Entry((401, 403, 403, 403, 403, 403, 403, 201), new_account),
    f"GET {API}/users/me": Entry(AUTHENTICATED_200),
    f"PATCH {API}/users/me": Entry(
        AUTHENTICATED_200, json_body(lambda _world, _role: {"full_name": "Renamed"})
    ),
    f"PATCH {API}/users/me/password": Entry(AUTHENTICATED_200, new_password),
    # A superuser may not delete themselves.
    f"DELETE {API}/users/me": Entry((401, 204, 204, 204, 204, 204, 403, 403)),
    f"POST {API}/users/signup": Entry(CREATED_BY_ANYONE, new_account),
    f"POST {API}/users/verify-email": Entry(
        PUBLIC_200,
        json_body(
            lambda world, _role: {
                "token": world.token(
                    security.TokenType.EMAIL_VERIFICATION, email=world.owner.email
                )
            }
        ),
    ),
    f"POST {API}/users/verify-email/resend": Entry(
        PUBLIC_200, json_body(lambda world, _role: {"email": world.owner.email})
    ),
    # `{user_id}` is the team owner's account.
    f"GET {API}/users/{{user_id}}": Entry((401, 403, 403, 200, 403, 403, 403, 200)),
    f"PATCH {API}/users/{{user_id}}": Entry(
        ONLY_SUPERUSER_200, json_body(lambda _world, _role: {"full_name": "Renamed"})
    ),
    f"DELETE {API}/users/{{user_id}}": Entry((401, 403, 403, 403, 403, 403, 403, 204)),
    # Teams
    f"GET {API}/teams/": Entry(AUTHENTICATED_200),
    f"POST {API}/teams/": Entry(
        (401, 201, 201, 201, 201, 201, 403, 201),
        json_body(lambda _world, _role: {"name": "New team"}),
    ),
    f"GET {TEAM}": Entry(IN_TEAM_200),
    f"PATCH {TEAM}": Entry(
        OWNER_200, json_body(lambda _world, _role: {"name": "Renamed"})
    ),
    f"DELETE {TEAM}": Entry(OWNER_204),
    f"GET {TEAM}/members": Entry(IN_TEAM_200),
    # `{user_id}` is a second member of the team.
    f"PATCH {TEAM}/members/{{user_id}}": Entry(
        ADMIN_200, json_body(lambda _world, _role: {"role": "admin"})
    ),
    f"DELETE {TEAM}/members/{{user_id}}": Entry(ADMIN_204),
    f"GET {TEAM}/invitations": Entry(ADMIN_200),
    f"POST {TEAM}/invitations": Entry(
        ADMIN_201, json_body(lambda _world, _role: {"email": random_email()})
    ),
    f"DELETE {TEAM}/invitations/{{invitation_id}}": Entry(ADMIN_204),
    f"POST {API}/invitations/accept": Entry(
        (401, 200, 200, 200, 200, 200, 403, 200), invitation_for_caller
    ),
    # Utilities
    f"POST {API}/utils/test-email/": Entry(
        (401, 403, 403, 403, 403, 403, 403, 202),
        json_body(lambda _world, _role: {"email_to": random_email()}),
    ),
    f"GET {API}/utils/health-check/": Entry(PUBLIC_200),
    f"GET {API}/utils/ready/": Entry(PUBLIC_200),
    # Audit log
    f"GET {API}/audit-events/": Entry(ONLY_SUPERUSER_200),
    # Background jobs (`{job_id}`: a failed one)
    f"GET {API}/jobs/": Entry(ONLY_SUPERUSER_200),
    f"POST {API}/jobs/{{job_id}}/retry": Entry(ONLY_SUPERUSER_200),
    # Sign-in providers: starting and finishing a sign-in is anyone's; the callback
    # always redirects (here: to the login page, no flow being under way).
    f"GET {API}/login/providers": Entry(PUBLIC_200),
    f"GET {API}/login/oidc/{{provider}}/authorize": Entry(PUBLIC_302),
    f"GET {API}/login/oidc/{{provider}}/callback": Entry(PUBLIC_302),
    f"POST {API}/login/oidc/{{provider}}/link": Entry(AUTHENTICATED_200),
    f"POST {API}/login/oidc/confirm-link": Entry(PUBLIC_200, pending_link),
    f"GET {API}/users/me/identities/": Entry(AUTHENTICATED_200),
    # Only one's own identities: another's (even for a superuser) is absent.
    f"DELETE {API}/users/me/identities/{{identity_id}}": Entry(
        (401, 404, 404, 204, 404, 404, 403, 404)
    ),
    # One's own sessions (`{session_id}`: another of the owner's): another's is absent.
    f"GET {API}/users/me/sessions/": Entry(AUTHENTICATED_200),
    f"DELETE {API}/users/me/sessions/": Entry((401, 204, 204, 204, 204, 204, 403, 204)),
    f"DELETE {API}/users/me/sessions/{{session_id}}": Entry(
        (401, 404, 404, 204, 404, 404, 403, 404)
    ),
    # Two-factor authentication (`{user_id}`: the team owner's account)
    f"GET {API}/users/me/two-factor": Entry(AUTHENTICATED_200),
    f"POST {API}/users/me/two-factor/setup": Entry(AUTHENTICATED_200),
    f"POST {API}/users/me/two-factor/enable": Entry(AUTHENTICATED_200, enable_code),
    f"POST {API}/users/me/two-factor/disable": Entry(AUTHENTICATED_200, disable_body),
    f"POST {API}/users/me/two-factor/recovery-codes": Entry(
        AUTHENTICATED_200, disable_body
    ),
    f"DELETE {API}/users/{{user_id}}/two-factor": Entry(
        (401, 403, 403, 403, 403, 403, 403, 204)
    ),
    f"POST {API}/login/2fa": Entry(PUBLIC_200, second_step),
    # The built UI: every client-side route serves its index page.
    # The UI's catch-all (the test app always serves tests/fixtures/frontend-dist).
    "GET /{path:path}": Entry(PUBLIC_200),
    # Local only: the end-to-end tests' helper.
    f"POST {API}/private/users/": Entry(CREATED_BY_ANYONE, new_account),
}


def owned_entries(name: str, resource: Owned) -> dict[str, Entry]:
    """A team-owned resource: the row is the team owner's, so a member may read it
    but not change it."""
    one = f"{resource.path}/{{{name}_id}}"
    body = json_body(lambda _world, _role: resource.create)
    return {
        f"GET {resource.path}/": Entry(IN_TEAM_200, in_team()),
        f"POST {resource.path}/": Entry(
            (401, 201, 201, 201, 404, 404, 403, 201),
            in_team(lambda _world, _role: resource.create),
        ),
        f"GET {one}": Entry(IN_TEAM_200),
        f"PUT {one}": Entry(ADMIN_200, body),
        f"DELETE {one}": Entry(ADMIN_204),
    }


for _name, _resource in OWNED.items():
    MATRIX.update(owned_entries(_name, _resource))


def route_table(app: FastAPI) -> set[str]:
    """`METHOD path` of every API operation the app routes."""
    operations = set()
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue  # docs, schema and the UI's static files
        for method in context.methods or ():
            operations.add(f"{method} {context.path}")
    return operations


def test_every_route_has_an_entry(app: FastAPI) -> None:
    routes = route_table(app)
    missing = sorted(routes - set(MATRIX))
    assert not missing, f"Routes without an authorization matrix entry: {missing}"
    stale = sorted(operation for operation in MATRIX if operation not in routes)
    assert not stale, f"Matrix entries for routes that no longer exist: {stale}"


PASSWORD = "matrix-password"


@pytest.fixture(scope="module")
def password_hash() -> str:
    return security.hash_password(PASSWORD, rounds=TEST_BCRYPT_ROUNDS)


def insert_user(connection: psycopg.Connection, password_hash: str) -> str:
    """A plain unverified user with their personal team, written straight to the
    tables to keep each cell quick; their email."""
    email = random_email()
    connection.execute(
        'INSERT INTO "user" (id, email, hashed_password, is_active, is_superuser, '
        "is_verified, created_at) VALUES (%s, %s, %s, true, false, false, now())",
        (uuid.uuid4(), email, password_hash),
    )
    add_personal_team(connection, email)
    return email


def join(
    connection: psycopg.Connection, team_id: str, user_id: uuid.UUID, role: str
) -> None:
    connection.execute(
        "INSERT INTO team_member (team_id, user_id, role, created_at) "
        "VALUES (%s, %s, %s, now())",
        (team_id, user_id, role),
    )


def create_owned(
    client: TestClient, resource: Owned, headers: dict[str, str], team_id: str
) -> str:
    response = client.post(
        f"{resource.path}/",
        headers=headers,
        json=resource.create,
        params={"team_id": team_id},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def insert_failed_job(connection: psycopg.Connection) -> int:
    row = connection.execute(
        "INSERT INTO procrastinate_jobs (queue_name, task_name, args, status) "
        "VALUES ('email', 'send_email', '{}', 'failed') RETURNING id"
    ).fetchone()
    assert row is not None
    return int(row[0])


def insert_identity(connection: psycopg.Connection, user_id: uuid.UUID) -> str:
    identity_id = uuid.uuid4()
    connection.execute(
        "INSERT INTO user_identity (id, user_id, provider, subject, created_at) "
        "VALUES (%s, %s, 'fake', %s, now())",
        (identity_id, user_id, uuid.uuid4().hex),
    )
    return str(identity_id)


def insert_session(connection: psycopg.Connection, user_id: uuid.UUID) -> str:
    session_id = uuid.uuid4()
    connection.execute(
        "INSERT INTO user_session (id, user_id, created_at, expires_at, method) "
        "VALUES (%s, %s, now(), now() + interval '1 day', 'password')",
        (session_id, user_id),
    )
    return str(session_id)


@pytest.fixture
def world(
    client: TestClient,
    superuser: LoggedInUser,
    settings: Settings,
    db_connection: psycopg.Connection,
    password_hash: str,
    mailbox: Mailbox,
) -> World:
    names = ("owner", "admin", "member", "member2", "outsider", "removed", "inactive")
    users = {
        name: login(client, insert_user(db_connection, password_hash), PASSWORD)
        for name in (*names, "host")
    }
    users["superuser"] = superuser
    owner = users["owner"]
    team_id = create_team(client, owner.headers, "The team")
    for name in ("admin", "member", "member2", "removed", "inactive"):
        join(db_connection, team_id, users[name].id, TEAM_ROLES.get(name, "member"))
    create_team(client, users["outsider"].headers, "Another team")
    host_team_id = create_team(client, users["host"].headers, "Hosts")
    removed = client.delete(
        f"{API}/teams/{team_id}/members/{users['removed'].id}", headers=owner.headers
    )
    assert removed.status_code == 204, removed.text
    rows = {
        name: create_owned(client, resource, owner.headers, team_id)
        for name, resource in OWNED.items()
    }
    invitation = client.post(
        f"{API}/teams/{team_id}/invitations",
        headers=owner.headers,
        json={"email": random_email()},
    )
    assert invitation.status_code == 201, invitation.text
    # Switched off behind the API's back, so its session is still live.
    db_connection.execute(
        'UPDATE "user" SET is_active = false WHERE id = %s', (users["inactive"].id,)
    )
    return World(
        settings=settings,
        client=client,
        mailbox=mailbox,
        users=users,
        team_id=team_id,
        host_team_id=host_team_id,
        rows=rows,
        invitation_id=str(invitation.json()["id"]),
        owner_password_fingerprint=security.password_fingerprint(password_hash),
        failed_job_id=insert_failed_job(db_connection),
        connection=db_connection,
        identities=(
            insert_identity(db_connection, owner.id),
            insert_identity(db_connection, users["inactive"].id),
        ),
        owner_other_session=insert_session(db_connection, owner.id),
    )


CELLS = [(operation, role) for operation in sorted(MATRIX) for role in ROLES]


def url_for(world: World, path: str, role: str) -> str:
    """The path with a value for each of its parameters."""
    target = world.users["member2" if path.startswith(f"{API}/teams/") else "owner"]
    url = (
        path.replace("{team_id}", world.team_id)
        .replace("{user_id}", str(target.id))
        .replace("{invitation_id}", world.invitation_id)
        .replace("{path:path}", "items/some-page")
        .replace("{provider}", "fake")
        .replace("{job_id}", str(world.failed_job_id))
        .replace("{identity_id}", world.identity_id(role))
        .replace("{session_id}", world.owner_other_session)
    )
    for name in OWNED:
        url = url.replace(f"{{{name}_id}}", world.rows[name])
    assert "{" not in url, f"No value for the path parameter in {path}"
    return url


@pytest.mark.parametrize(("operation", "role"), CELLS)
def test_authorization(
    client: TestClient, world: World, operation: str, role: str
) -> None:
    entry = MATRIX[operation]
    method, path = operation.split(" ", 1)
    caller = world.caller(role)
    kwargs = entry.body(world, role) if entry.body else {}
    headers = {**(caller.headers if caller else {}), **kwargs.pop("headers", {})}
    url = url_for(world, path, role)
    # A redirect is the answer: not followed (it may lead to a provider).
    response = client.request(
        method, url, headers=headers, follow_redirects=False, **kwargs
    )
    expected = entry.expected[ROLES.index(role)]
    assert response.status_code == expected, (operation, role, response.text)
    if expected == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
