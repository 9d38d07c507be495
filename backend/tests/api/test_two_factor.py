"""Two-factor authentication through the HTTP boundary: enrolling, the login's second
step, replays, recovery codes (and replacing them), clock skew, rate limits, turning
it off and a superuser's reset.

Codes come from pyotp for chosen times around the real clock: the server reads the
real clock too, and nothing of the app's is patched.
"""

import re
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import quote

import psycopg
import pyotp
import pytest
from fastapi.testclient import TestClient

from app.core import security, two_factor
from app.main import create_app
from tests.api.test_rate_limits import assert_throttled, random_ip
from tests.conftest import (
    FIRST_SUPERUSER,
    FIRST_SUPERUSER_PASSWORD,
    make_settings,
)
from tests.utils.factories import API, LoggedInUser, create_user, login, personal_team
from tests.utils.smtp import free_port

LOGIN = f"{API}/login/access-token"
SECOND_STEP = f"{API}/login/2fa"
STATUS = f"{API}/users/me/two-factor"
RECOVERY_CODE = re.compile(r"^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$")


def steady_now() -> float:
    """Now, at least 4 seconds before the next 30-second step begins, so that the
    codes computed here still name the same steps when the server checks them."""
    now = time.time()
    if now % 30 > 26:
        time.sleep(30 - now % 30 + 0.1)
        now = time.time()
    return now


def code_at(secret: str, moment: float) -> str:
    return pyotp.TOTP(secret).at(moment)


def enrol(client: TestClient, user: LoggedInUser) -> tuple[str, list[str]]:
    """Turn two-factor authentication on; the secret and the recovery codes."""
    setup = client.post(f"{STATUS}/setup", headers=user.headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    enabled = client.post(
        f"{STATUS}/enable",
        headers=user.headers,
        json={"code": code_at(secret, steady_now() - 30)},
    )
    assert enabled.status_code == 200, enabled.text
    return secret, enabled.json()["recovery_codes"]


def first_step(client: TestClient, user: LoggedInUser) -> str:
    response = client.post(
        LOGIN, data={"username": user.email, "password": user.password}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"two_factor_required", "two_factor_token", "expires_in"}
    assert body["two_factor_required"] is True
    assert body["expires_in"] == 300
    return str(body["two_factor_token"])


def second_step(client: TestClient, token: str, code: str) -> object:
    return client.post(SECOND_STEP, json={"code": code, "two_factor_token": token})


def events(connection: psycopg.Connection, event_type: str) -> list[dict[str, object]]:
    rows = connection.execute(
        "SELECT details FROM audit_event WHERE event_type = %s ORDER BY created_at",
        (event_type,),
    ).fetchall()
    return [details for (details,) in rows]


@pytest.fixture
def user(client: TestClient, superuser: LoggedInUser) -> LoggedInUser:
    return create_user(client, superuser.headers)


def test_enrolling_shows_a_qr_code_and_needs_a_first_code(
    client: TestClient, user: LoggedInUser, db_connection: psycopg.Connection
) -> None:
    setup = client.post(f"{STATUS}/setup", headers=user.headers)

    assert setup.status_code == 200
    body = setup.json()
    secret = body["secret"]
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert body["otpauth_uri"] == (
        f"otpauth://totp/Test%20Project:{quote(user.email)}"
        f"?secret={secret}&issuer=Test%20Project"
    )
    assert body["qr_svg"].startswith("data:image/svg+xml")
    stored = db_connection.execute(
        "SELECT secret, confirmed_at FROM user_totp WHERE user_id = %s", (user.id,)
    ).fetchone()
    assert stored is not None and stored[1] is None
    # Sealed under SECRET_KEY: the database alone holds no usable secret.
    assert secret not in stored[0]
    assert two_factor.decrypt_secret(stored[0], secret_key="another key") is None
    # Nothing changes for logins until a first code confirms it.
    assert client.get(STATUS, headers=user.headers).json() == {
        "enabled": False,
        "recovery_codes_left": 0,
        "required": False,
    }
    wrong = client.post(
        f"{STATUS}/enable", headers=user.headers, json={"code": "000000"}
    )
    assert wrong.status_code == 403
    assert wrong.json() == {"detail": "Invalid authentication code"}

    enabled = client.post(
        f"{STATUS}/enable",
        headers=user.headers,
        json={"code": code_at(secret, steady_now())},
    )

    assert enabled.status_code == 200
    codes = enabled.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(RECOVERY_CODE.fullmatch(code) for code in codes)
    hashes = {
        row[0]
        for row in db_connection.execute(
            "SELECT code_hash FROM recovery_code WHERE user_id = %s", (user.id,)
        ).fetchall()
    }
    assert hashes == {two_factor.hash_recovery_code(code) for code in codes}
    assert client.get(STATUS, headers=user.headers).json() == {
        "enabled": True,
        "recovery_codes_left": 10,
        "required": False,
    }
    me = client.get(f"{API}/users/me", headers=user.headers).json()
    assert me["two_factor_enabled"] is True
    assert events(db_connection, "two_factor_enabled") == [{}]
    assert events(db_connection, "two_factor_failed") == [{"step": "enable"}]


def test_setup_states(client: TestClient, user: LoggedInUser) -> None:
    no_setup = client.post(
        f"{STATUS}/enable", headers=user.headers, json={"code": "123456"}
    )
    assert no_setup.status_code == 404
    assert no_setup.json() == {"detail": "Two-factor setup not found"}
    first = client.post(f"{STATUS}/setup", headers=user.headers).json()["secret"]
    second = client.post(f"{STATUS}/setup", headers=user.headers).json()["secret"]
    assert first != second
    # The first, replaced, secret no longer confirms anything.
    stale = client.post(
        f"{STATUS}/enable",
        headers=user.headers,
        json={"code": code_at(first, steady_now())},
    )
    assert stale.status_code == 403
    enrol_again = client.post(
        f"{STATUS}/enable",
        headers=user.headers,
        json={"code": code_at(second, steady_now())},
    )
    assert enrol_again.status_code == 200
    again = client.post(f"{STATUS}/setup", headers=user.headers)
    assert again.status_code == 409
    assert again.json() == {
        "detail": "Two-factor authentication is already on: turn it off first"
    }


def test_a_login_takes_a_code_as_second_step_and_a_code_works_once(
    client: TestClient, user: LoggedInUser, db_connection: psycopg.Connection
) -> None:
    secret, _codes = enrol(client, user)
    client.cookies.clear()

    response = client.post(
        LOGIN, data={"username": user.email, "password": user.password}
    )

    assert response.status_code == 200
    token = response.json()["two_factor_token"]
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"two_factor_token={token};")
    assert f"Path={API}/login/2fa" in cookie and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "refresh_token" not in response.cookies
    # The token stands for no session: it opens nothing but the second step.
    me = client.get(f"{API}/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401

    code = code_at(secret, steady_now())
    # The browser's way: the token from its cookie, only the code in the body.
    done = client.post(SECOND_STEP, json={"code": code})

    assert done.status_code == 200, done.text
    tokens = done.json()
    assert set(tokens) == {"access_token", "token_type", "expires_in", "refresh_token"}
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get(f"{API}/users/me", headers=headers).json()["id"] == str(user.id)
    assert client.cookies.get("refresh_token") == tokens["refresh_token"]
    client.cookies.clear()
    # The same code again, in a new login: refused.
    replay = second_step(client, first_step(client, user), code)
    assert replay.status_code == 401  # type: ignore[attr-defined]
    assert replay.json() == {"detail": "Invalid authentication code"}  # type: ignore[attr-defined]
    assert events(db_connection, "login_succeeded")[-1]["method"] == "password+totp"
    assert events(db_connection, "two_factor_failed") == [{"step": "login"}]


def test_codes_one_step_off_are_accepted_and_two_steps_off_refused(
    client: TestClient, user: LoggedInUser
) -> None:
    secret = client.post(f"{STATUS}/setup", headers=user.headers).json()["secret"]
    now = steady_now()
    for off_by_two in (now - 60, now + 60):
        refused = client.post(
            f"{STATUS}/enable",
            headers=user.headers,
            json={"code": code_at(secret, off_by_two)},
        )
        assert refused.status_code == 403, off_by_two - now
    # One step behind: accepted (and that step is now used).
    behind = client.post(
        f"{STATUS}/enable",
        headers=user.headers,
        json={"code": code_at(secret, now - 30)},
    )
    assert behind.status_code == 200
    client.cookies.clear()
    # Two steps ahead of the last one used, at login: refused.
    token = first_step(client, user)
    assert second_step(client, token, code_at(secret, now + 60)).status_code == 401  # type: ignore[attr-defined]
    # One step ahead: accepted.
    ahead = second_step(client, token, code_at(secret, now + 30))
    assert ahead.status_code == 200, ahead.text  # type: ignore[attr-defined]
    client.cookies.clear()
    # The current step is now behind the last one used: refused as a replay would be.
    late = second_step(client, first_step(client, user), code_at(secret, now))
    assert late.status_code == 401  # type: ignore[attr-defined]


def test_a_recovery_code_works_once(
    client: TestClient, user: LoggedInUser, db_connection: psycopg.Connection
) -> None:
    _secret, codes = enrol(client, user)
    client.cookies.clear()

    # Typed in capitals and without dashes: the same code.
    used = second_step(
        client, first_step(client, user), codes[3].upper().replace("-", "")
    )

    assert used.status_code == 200, used.text  # type: ignore[attr-defined]
    client.cookies.clear()
    again = second_step(client, first_step(client, user), codes[3])
    assert again.status_code == 401  # type: ignore[attr-defined]
    headers = {"Authorization": f"Bearer {used.json()['access_token']}"}  # type: ignore[attr-defined]
    assert client.get(STATUS, headers=headers).json()["recovery_codes_left"] == 9
    assert events(db_connection, "recovery_code_used") == [{"codes_left": 9}]
    assert events(db_connection, "login_succeeded")[-1]["method"] == (
        "password+recovery_code"
    )


def test_the_second_step_needs_its_token(
    client: TestClient, user: LoggedInUser, settings: object
) -> None:
    secret, _ = enrol(client, user)
    client.cookies.clear()
    code = code_at(secret, steady_now())
    expected = {"detail": "The login's second step expired or is unknown: log in again"}

    missing = client.post(SECOND_STEP, json={"code": code})
    access = second_step(client, user.headers["Authorization"][7:], code)
    key = settings.SECRET_KEY  # type: ignore[attr-defined]
    expired = security.create_token(
        subject=user.id,
        token_type=security.TokenType.TWO_FACTOR,
        expires_delta=timedelta(seconds=-1),
        secret_key=key,
    )
    for response in (missing, access, second_step(client, expired, code)):
        assert response.status_code == 401  # type: ignore[attr-defined]
        assert response.json() == expected  # type: ignore[attr-defined]
    # Turned off after the first step: that step no longer leads anywhere.
    token = first_step(client, user)
    off = client.post(
        f"{STATUS}/disable",
        headers=user.headers,
        json={"password": user.password, "code": code},
    )
    assert off.status_code == 200
    stale = second_step(client, token, code_at(secret, time.time() + 30))
    assert stale.status_code == 401  # type: ignore[attr-defined]
    assert stale.json() == expected  # type: ignore[attr-defined]


def test_turning_it_off_needs_the_password_and_a_code(
    client: TestClient, user: LoggedInUser, db_connection: psycopg.Connection
) -> None:
    secret, _codes = enrol(client, user)
    code = code_at(secret, steady_now())
    disable = f"{STATUS}/disable"

    wrong_password = client.post(
        disable, headers=user.headers, json={"password": "wrong-one", "code": code}
    )
    no_password = client.post(disable, headers=user.headers, json={"code": code})
    wrong_code = client.post(
        disable,
        headers=user.headers,
        json={"password": user.password, "code": "abcd-efgh-ijkl-mnop"},
    )

    assert wrong_password.status_code == 403
    assert wrong_password.json() == {"detail": "Incorrect password"}
    assert no_password.status_code == 403
    assert wrong_code.status_code == 403
    assert wrong_code.json() == {"detail": "Invalid authentication code"}
    right = client.post(
        disable, headers=user.headers, json={"password": user.password, "code": code}
    )
    assert right.status_code == 200
    assert right.json() == {"message": "Two-factor authentication is off"}
    assert client.get(STATUS, headers=user.headers).json()["enabled"] is False
    for table in ("user_totp", "recovery_code"):
        count = db_connection.execute(
            f"SELECT count(*) FROM {table} WHERE user_id = %s", (user.id,)
        ).fetchone()
        assert count == (0,)
    client.cookies.clear()
    login(client, user.email, user.password)  # one step again: tokens at once
    assert events(db_connection, "two_factor_disabled") == [{}]
    off_again = client.post(
        disable, headers=user.headers, json={"password": user.password, "code": code}
    )
    assert off_again.status_code == 404


def test_recovery_codes_are_replaced_with_the_password_and_a_code(
    client: TestClient, user: LoggedInUser, db_connection: psycopg.Connection
) -> None:
    secret, old_codes = enrol(client, user)
    replace = f"{STATUS}/recovery-codes"
    code = code_at(secret, steady_now())

    wrong_password = client.post(
        replace, headers=user.headers, json={"password": "wrong-one", "code": code}
    )
    wrong_code = client.post(
        replace,
        headers=user.headers,
        json={"password": user.password, "code": "abcd-efgh-ijkl-mnop"},
    )
    assert wrong_password.status_code == 403
    assert wrong_password.json() == {"detail": "Incorrect password"}
    assert wrong_code.status_code == 403
    assert wrong_code.json() == {"detail": "Invalid authentication code"}
    assert events(db_connection, "two_factor_failed") == [{"step": "recovery_codes"}]
    assert events(db_connection, "recovery_codes_replaced") == []

    # A recovery code proves it too: it is used up with the others.
    replaced = client.post(
        replace,
        headers=user.headers,
        json={"password": user.password, "code": old_codes[0]},
    )

    assert replaced.status_code == 200, replaced.text
    new_codes = replaced.json()["recovery_codes"]
    assert len(new_codes) == 10 == len(set(new_codes))
    assert all(RECOVERY_CODE.fullmatch(new) for new in new_codes)
    assert not set(new_codes) & set(old_codes)
    assert client.get(STATUS, headers=user.headers).json() == {
        "enabled": True,
        "recovery_codes_left": 10,
        "required": False,
    }
    assert events(db_connection, "recovery_code_used") == [{"codes_left": 9}]
    assert events(db_connection, "recovery_codes_replaced") == [{}]
    # The earlier codes no longer log in; a new one does.
    client.cookies.clear()
    old = second_step(client, first_step(client, user), old_codes[1])
    assert old.status_code == 401  # type: ignore[attr-defined]
    new = second_step(client, first_step(client, user), new_codes[0])
    assert new.status_code == 200  # type: ignore[attr-defined]
    # The authenticator's code was not used above: it still proves the next request.
    headers = {"Authorization": f"Bearer {new.json()['access_token']}"}  # type: ignore[attr-defined]
    again = client.post(
        replace, headers=headers, json={"password": user.password, "code": code}
    )
    assert again.status_code == 200
    assert not set(again.json()["recovery_codes"]) & set(new_codes)
    # With two-factor authentication off there are no codes to replace.
    off = client.post(
        f"{STATUS}/disable",
        headers=headers,
        json={"password": user.password, "code": again.json()["recovery_codes"][0]},
    )
    assert off.status_code == 200
    none = client.post(
        replace,
        headers=headers,
        json={"password": user.password, "code": code_at(secret, time.time() + 30)},
    )
    assert none.status_code == 404
    assert none.json() == {"detail": "Two-factor authentication not found"}


def test_a_superuser_resets_a_users_second_factor(
    client: TestClient,
    superuser: LoggedInUser,
    user: LoggedInUser,
    db_connection: psycopg.Connection,
) -> None:
    enrol(client, user)
    path = f"{API}/users/{user.id}/two-factor"

    assert client.delete(path, headers=user.headers).status_code == 403
    reset = client.delete(path, headers=superuser.headers)

    assert reset.status_code == 204
    client.cookies.clear()
    login(client, user.email, user.password)  # one step again
    row = db_connection.execute(
        "SELECT actor_id, target_id FROM audit_event WHERE event_type = 'two_factor_reset'"
    ).fetchall()
    assert row == [(superuser.id, user.id)]
    # Nothing to reset: the same answer, nothing recorded.
    assert client.delete(path, headers=superuser.headers).status_code == 204
    assert events(db_connection, "two_factor_reset") == [{}]
    missing = client.delete(
        f"{API}/users/{uuid.uuid4()}/two-factor", headers=superuser.headers
    )
    assert missing.status_code == 404


@pytest.fixture
def limited(database_url: str) -> Iterator[TestClient]:
    settings = make_settings(
        database_url,
        free_port(),
        RATE_LIMIT_ENABLED=True,
        PROJECT_NAME=f"two-factor-limits-{uuid.uuid4().hex}",
    )
    with TestClient(create_app(settings), client=(random_ip(), 50000)) as client:
        yield client


def test_wrong_codes_are_rate_limited_per_account(
    limited: TestClient, db_connection: psycopg.Connection
) -> None:
    admin = login(limited, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
    user = create_user(limited, admin.headers)
    secret, _ = enrol(limited, user)
    limited.cookies.clear()
    token = first_step(limited, user)
    for _ in range(5):
        assert second_step(limited, token, "000000").status_code == 401  # type: ignore[attr-defined]

    # The right code too, now: the account waits.
    blocked = second_step(limited, token, code_at(secret, steady_now()))

    assert_throttled(blocked, "wrong authentication codes")  # type: ignore[arg-type]
    disable = limited.post(
        f"{STATUS}/disable",
        headers=user.headers,
        json={"password": user.password, "code": code_at(secret, time.time())},
    )
    assert_throttled(disable, "wrong authentication codes")
    assert len(events(db_connection, "two_factor_failed")) == 5
    # Another account is not affected.
    other = create_user(limited, admin.headers)
    other_secret, _ = enrol(limited, other)
    limited.cookies.clear()
    fine = second_step(
        limited, first_step(limited, other), code_at(other_secret, steady_now() + 30)
    )
    assert fine.status_code == 200  # type: ignore[attr-defined]


@pytest.fixture
def strict(database_url: str) -> Iterator[TestClient]:
    settings = make_settings(database_url, free_port(), REQUIRE_2FA_FOR_SUPERUSERS=True)
    with TestClient(create_app(settings)) as client:
        yield client


def test_superusers_without_a_second_factor_act_as_users_where_it_is_required(
    strict: TestClient, user: LoggedInUser, client: TestClient
) -> None:
    admin = login(strict, FIRST_SUPERUSER, FIRST_SUPERUSER_PASSWORD)
    item = client.post(f"{API}/items/", headers=user.headers, json={"title": "Mine"})
    assert item.status_code == 201

    their_item = f"{API}/items/{item.json()['id']}"
    their_team = {"team_id": personal_team(client, user.headers)}
    users = strict.get(f"{API}/users/", headers=admin.headers)
    someone = strict.get(f"{API}/users/{user.id}", headers=admin.headers)
    item_read = strict.get(their_item, headers=admin.headers)
    items = strict.get(f"{API}/items/", headers=admin.headers, params=their_team)

    assert users.status_code == 403
    assert users.json() == {
        "detail": "Turn on two-factor authentication to use superuser rights"
    }
    assert someone.status_code == 403
    assert item_read.status_code == 404
    assert (items.status_code, items.json()) == (404, {"detail": "Team not found"})
    assert strict.get(f"{API}/items/", headers=admin.headers).json()["count"] == 0
    assert strict.get(STATUS, headers=admin.headers).json() == {
        "enabled": False,
        "recovery_codes_left": 0,
        "required": True,
    }
    enrol(strict, admin)

    assert strict.get(f"{API}/users/", headers=admin.headers).status_code == 200
    assert strict.get(their_item, headers=admin.headers).status_code == 200
    listed = strict.get(f"{API}/items/", headers=admin.headers, params=their_team)
    assert listed.json()["count"] == 1
