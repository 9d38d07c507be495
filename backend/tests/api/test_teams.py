"""Teams: personal teams, shared ones, roles, invitations, and what each role may do."""

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.core import security
from tests.conftest import FIRST_SUPERUSER, make_settings
from tests.utils.factories import (
    API,
    LoggedInUser,
    create_item,
    create_team,
    create_user,
    login,
    personal_team,
    random_email,
    random_password,
)
from tests.utils.jobs import run_jobs
from tests.utils.smtp import Mailbox, free_port
from tests.utils.teams import accept, add_member, emailed_invitation_token, invite

TEAMS = f"{API}/teams"
ITEMS = f"{API}/items"


@pytest.fixture
def owner(client: TestClient, superuser_headers: dict[str, str]) -> LoggedInUser:
    return create_user(client, superuser_headers, full_name="Olive Owner")


@pytest.fixture
def team_id(client: TestClient, owner: LoggedInUser) -> str:
    return create_team(client, owner.headers, "Design crew")


def members(client: TestClient, headers: dict[str, str], team: str) -> list[Any]:
    response = client.get(f"{TEAMS}/{team}/members", headers=headers)
    assert response.status_code == 200, response.text
    return [(m["email"], m["role"]) for m in response.json()["data"]]


def team_events(
    client: TestClient, superuser_headers: dict[str, str]
) -> list[tuple[str, Any]]:
    response = client.get(
        f"{API}/audit-events/", headers=superuser_headers, params={"limit": 100}
    )
    assert response.status_code == 200, response.text
    return [
        (event["event_type"], event["details"])
        for event in reversed(response.json()["data"])
        if event["event_type"].startswith("team_")
    ]


# Personal and shared teams ----------------------------------------------------------


def test_every_account_has_a_personal_team_of_its_own(client: TestClient) -> None:
    email, password = random_email(), random_password()
    signed_up = client.post(
        f"{API}/users/signup", json={"email": email, "password": password}
    )
    assert signed_up.status_code == 201
    user = login(client, email, password)

    body = client.get(f"{TEAMS}/", headers=user.headers).json()

    assert body["count"] == 1
    assert body["next_cursor"] is None
    [team] = body["data"]
    assert {k: team[k] for k in ("name", "is_personal", "role")} == {
        "name": "Personal",
        "is_personal": True,
        "role": "owner",
    }
    assert set(team) == {"id", "name", "is_personal", "role", "created_at"}
    assert members(client, user.headers, team["id"]) == [(email, "owner")]


def test_a_new_team_is_owned_by_its_creator_and_listed_after_the_personal_one(
    client: TestClient, owner: LoggedInUser
) -> None:
    created = client.post(f"{TEAMS}/", headers=owner.headers, json={"name": "Crew"})

    assert created.status_code == 201
    team = created.json()
    assert (team["name"], team["is_personal"], team["role"]) == ("Crew", False, "owner")
    assert client.get(f"{TEAMS}/{team['id']}", headers=owner.headers).json() == team
    listed = client.get(f"{TEAMS}/", headers=owner.headers).json()
    assert [(t["name"], t["role"]) for t in listed["data"]] == [
        ("Personal", "owner"),
        ("Crew", "owner"),
    ]
    assert listed["count"] == 2


@pytest.mark.parametrize(
    "name", ["", "x" * 256, "two\nlines", "tab\there", "nul\x00", None]
)
def test_a_team_name_is_one_line_of_1_to_255_characters(
    client: TestClient, owner: LoggedInUser, name: str | None
) -> None:
    response = client.post(f"{TEAMS}/", headers=owner.headers, json={"name": name})

    assert response.status_code == 422
    assert client.get(f"{TEAMS}/", headers=owner.headers).json()["count"] == 1


def test_the_owner_renames_and_deletes_a_team_with_everything_in_it(
    client: TestClient, owner: LoggedInUser, team_id: str
) -> None:
    item = create_item(client, owner.headers, team_id=team_id)
    renamed = client.patch(
        f"{TEAMS}/{team_id}", headers=owner.headers, json={"name": "Renamed"}
    )
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Renamed")

    deleted = client.delete(f"{TEAMS}/{team_id}", headers=owner.headers)

    assert deleted.status_code == 204
    gone = client.get(f"{TEAMS}/{team_id}", headers=owner.headers)
    assert (gone.status_code, gone.json()) == (404, {"detail": "Team not found"})
    assert client.get(f"{ITEMS}/{item['id']}", headers=owner.headers).status_code == 404


def test_a_personal_team_cannot_be_deleted_or_shared(
    client: TestClient, owner: LoggedInUser
) -> None:
    personal = personal_team(client, owner.headers)

    deleted = client.delete(f"{TEAMS}/{personal}", headers=owner.headers)
    invited = client.post(
        f"{TEAMS}/{personal}/invitations",
        headers=owner.headers,
        json={"email": random_email()},
    )
    left = client.delete(
        f"{TEAMS}/{personal}/members/{owner.id}", headers=owner.headers
    )

    assert (deleted.status_code, deleted.json()) == (
        403,
        {"detail": "A personal team cannot be deleted"},
    )
    assert (invited.status_code, invited.json()) == (
        403,
        {"detail": "A personal team has no other members"},
    )
    assert (left.status_code, left.json()) == (
        409,
        {"detail": "A team must keep at least one owner"},
    )


# Invitations ----------------------------------------------------------------------


def test_an_invitation_is_emailed_listed_and_accepted_once_by_its_address(
    client: TestClient,
    owner: LoggedInUser,
    team_id: str,
    mailbox: Mailbox,
    superuser_headers: dict[str, str],
) -> None:
    email = random_email()
    mailbox.clear()
    created = client.post(
        f"{TEAMS}/{team_id}/invitations",
        headers=owner.headers,
        json={"email": email.upper(), "role": "admin"},
    )
    assert created.status_code == 201, created.text
    invitation = created.json()
    assert {
        k: invitation[k] for k in ("team_id", "email", "role", "invited_by_id")
    } == {
        "team_id": team_id,
        "email": email,
        "role": "admin",
        "invited_by_id": str(owner.id),
    }
    expires = datetime.fromisoformat(invitation["expires_at"])
    assert abs(expires - datetime.now(UTC) - timedelta(days=7)) < timedelta(minutes=1)
    token = emailed_invitation_token(mailbox, email)
    pending = client.get(f"{TEAMS}/{team_id}/invitations", headers=owner.headers)
    assert pending.json() == {"data": [invitation], "count": 1, "next_cursor": None}

    # The invitee signs up with the invited address, signs in and accepts.
    password = random_password()
    signup = client.post(
        f"{API}/users/signup", json={"email": email, "password": password}
    )
    assert signup.status_code == 201
    invitee = login(client, email, password)
    joined = accept(client, invitee, token)

    assert (joined["id"], joined["name"], joined["role"]) == (
        team_id,
        "Design crew",
        "admin",
    )
    assert members(client, invitee.headers, team_id) == [
        (owner.email, "owner"),
        (email, "admin"),
    ]
    again = client.post(
        f"{API}/invitations/accept", headers=invitee.headers, json={"token": token}
    )
    assert (again.status_code, again.json()) == (
        404,
        {"detail": "Invalid, expired or already used invitation"},
    )
    assert client.get(
        f"{TEAMS}/{team_id}/invitations", headers=owner.headers
    ).json() == {"data": [], "count": 0, "next_cursor": None}
    assert team_events(client, superuser_headers)[-3:] == [
        (
            "team_invitation_created",
            {"team_id": team_id, "email": email, "role": "admin"},
        ),
        ("team_invitation_accepted", {"team_id": team_id}),
        ("team_member_added", {"team_id": team_id, "role": "admin"}),
    ]


def invitation_jobs(connection: psycopg.Connection) -> list[tuple[int, str, Any]]:
    """(id, state, arguments) of every team invitation email job, oldest first."""
    rows = connection.execute(
        "SELECT id, status::text, args FROM procrastinate_jobs "
        "WHERE args->>'template' = 'team_invitation' ORDER BY id"
    ).fetchall()
    return [(job_id, state, args) for job_id, state, args in rows]


def token_hash_of(connection: psycopg.Connection, email: str) -> str | None:
    row = connection.execute(
        "SELECT token_hash FROM team_invitation WHERE email = %s", (email,)
    ).fetchone()
    assert row is not None
    return str(row[0]) if row[0] is not None else None


def test_an_invitations_job_names_it_and_its_token_is_made_when_the_email_goes(
    client: TestClient,
    owner: LoggedInUser,
    team_id: str,
    mailbox: Mailbox,
    superuser_headers: dict[str, str],
    database_url: str,
    db_connection: psycopg.Connection,
) -> None:
    email = random_email()
    mailbox.clear()
    created = client.post(
        f"{TEAMS}/{team_id}/invitations", headers=owner.headers, json={"email": email}
    )
    assert created.status_code == 201, created.text
    [(job_id, state, arguments)] = invitation_jobs(db_connection)
    assert (state, arguments) == (
        "todo",
        {
            "template": "team_invitation",
            "to": email,
            "user_id": None,
            "invitation_id": created.json()["id"],
        },
    )
    assert token_hash_of(db_connection, email) is None

    # The first try finds no SMTP server: the job fails, and no token is kept.
    run_jobs(make_settings(database_url, free_port()))
    assert invitation_jobs(db_connection) == [(job_id, "failed", arguments)]
    assert token_hash_of(db_connection, email) is None
    retried = client.post(f"{API}/jobs/{job_id}/retry", headers=superuser_headers)
    assert retried.status_code == 200, retried.text
    token = emailed_invitation_token(mailbox, email)

    assert invitation_jobs(db_connection) == [(job_id, "succeeded", arguments)]
    assert token_hash_of(db_connection, email) == security.hash_refresh_token(token)
    invitee = create_user(client, superuser_headers, email=email)
    assert accept(client, invitee, token)["id"] == team_id


def test_a_revoked_invitations_email_is_not_sent(
    client: TestClient,
    owner: LoggedInUser,
    team_id: str,
    mailbox: Mailbox,
    db_connection: psycopg.Connection,
) -> None:
    email = random_email()
    mailbox.clear()
    created = client.post(
        f"{TEAMS}/{team_id}/invitations", headers=owner.headers, json={"email": email}
    )
    assert created.status_code == 201, created.text
    revoked = client.delete(
        f"{TEAMS}/{team_id}/invitations/{created.json()['id']}", headers=owner.headers
    )
    assert revoked.status_code == 204

    assert mailbox.messages == []
    [(_, state, _)] = invitation_jobs(db_connection)
    assert state == "succeeded"


def test_an_invitation_works_only_for_the_invited_address(
    client: TestClient,
    owner: LoggedInUser,
    team_id: str,
    mailbox: Mailbox,
    superuser_headers: dict[str, str],
) -> None:
    invitee = create_user(client, superuser_headers)
    someone_else = create_user(client, superuser_headers)
    token = invite(client, owner.headers, team_id, invitee.email, mailbox)

    taken = client.post(
        f"{API}/invitations/accept", headers=someone_else.headers, json={"token": token}
    )

    assert (taken.status_code, taken.json()) == (
        403,
        {"detail": "This invitation is for another email address"},
    )
    assert (
        client.get(f"{TEAMS}/{team_id}", headers=someone_else.headers).status_code
        == 404
    )
    # Still waiting for the right person.
    assert accept(client, invitee, token)["role"] == "member"


def test_expired_revoked_and_replaced_invitations_no_longer_work(
    client: TestClient,
    owner: LoggedInUser,
    team_id: str,
    mailbox: Mailbox,
    superuser_headers: dict[str, str],
    db_connection: psycopg.Connection,
) -> None:
    expired_user, revoked_user, replaced_user = (
        create_user(client, superuser_headers) for _ in range(3)
    )
    expired = invite(client, owner.headers, team_id, expired_user.email, mailbox)
    db_connection.execute(
        "UPDATE team_invitation SET expires_at = now() - interval '1 second' "
        "WHERE email = %s",
        (expired_user.email,),
    )
    revoked = invite(client, owner.headers, team_id, revoked_user.email, mailbox)
    listed = client.get(f"{TEAMS}/{team_id}/invitations", headers=owner.headers).json()
    assert [i["email"] for i in listed["data"]] == [revoked_user.email]
    revoke = client.delete(
        f"{TEAMS}/{team_id}/invitations/{listed['data'][0]['id']}",
        headers=owner.headers,
    )
    assert revoke.status_code == 204
    first = invite(client, owner.headers, team_id, replaced_user.email, mailbox)
    second = invite(
        client, owner.headers, team_id, replaced_user.email, mailbox, "admin"
    )

    answers = [
        client.post(
            f"{API}/invitations/accept", headers=user.headers, json={"token": token}
        )
        for user, token in (
            (expired_user, expired),
            (revoked_user, revoked),
            (replaced_user, first),
        )
    ]

    assert [a.status_code for a in answers] == [404, 404, 404]
    assert accept(client, replaced_user, second)["role"] == "admin"
    again = client.delete(
        f"{TEAMS}/{team_id}/invitations/{listed['data'][0]['id']}",
        headers=owner.headers,
    )
    assert (again.status_code, again.json()) == (
        404,
        {"detail": "Invitation not found"},
    )


def test_a_members_address_is_not_invited_again(
    client: TestClient, owner: LoggedInUser, team_id: str
) -> None:
    response = client.post(
        f"{TEAMS}/{team_id}/invitations",
        headers=owner.headers,
        json={"email": owner.email},
    )

    assert (response.status_code, response.json()) == (
        409,
        {"detail": "This address belongs to a member of the team already"},
    )


def test_an_invitation_offers_admin_or_member_only(
    client: TestClient, owner: LoggedInUser, team_id: str
) -> None:
    response = client.post(
        f"{TEAMS}/{team_id}/invitations",
        headers=owner.headers,
        json={"email": random_email(), "role": "owner"},
    )

    assert response.status_code == 422


# Roles ----------------------------------------------------------------------------


@pytest.fixture
def crew(
    client: TestClient,
    superuser_headers: dict[str, str],
    owner: LoggedInUser,
    team_id: str,
    mailbox: Mailbox,
) -> dict[str, LoggedInUser]:
    """The team's owner, an admin and two members."""
    people = {"owner": owner}
    for name, role in (("admin", "admin"), ("member", "member"), ("other", "member")):
        people[name] = create_user(client, superuser_headers)
        add_member(client, owner.headers, team_id, people[name], mailbox, role)
    return people


def test_a_member_changes_their_own_items_and_an_admin_any(
    client: TestClient, crew: dict[str, LoggedInUser], team_id: str
) -> None:
    member, admin = crew["member"], crew["admin"]
    mine = create_item(client, member.headers, team_id=team_id)
    theirs = create_item(client, crew["other"].headers, team_id=team_id)

    def put(user: LoggedInUser, item: dict[str, Any]) -> int:
        url = f"{ITEMS}/{item['id']}"
        return client.put(url, headers=user.headers, json={"title": "x"}).status_code

    assert put(member, mine) == 200
    assert put(member, theirs) == 403
    assert client.delete(f"{ITEMS}/{theirs['id']}", headers=member.headers).json() == {
        "detail": "The user doesn't have enough privileges"
    }
    assert put(admin, theirs) == 200
    assert (
        client.delete(f"{ITEMS}/{mine['id']}", headers=admin.headers).status_code == 204
    )
    listed = client.get(ITEMS, headers=member.headers, params={"team_id": team_id})
    assert [i["id"] for i in listed.json()["data"]] == [theirs["id"]]
    assert listed.json()["count"] == 1


def test_admins_manage_members_but_only_owners_manage_owners(
    client: TestClient, crew: dict[str, LoggedInUser], team_id: str
) -> None:
    admin, member, owner = crew["admin"], crew["member"], crew["owner"]

    def patch(by: LoggedInUser, who: LoggedInUser, role: str) -> int:
        url = f"{TEAMS}/{team_id}/members/{who.id}"
        return client.patch(url, headers=by.headers, json={"role": role}).status_code

    assert patch(member, crew["other"], "admin") == 403
    assert patch(admin, member, "admin") == 200
    assert patch(admin, member, "member") == 200
    assert patch(admin, member, "owner") == 403
    assert patch(admin, owner, "member") == 403
    assert client.delete(
        f"{TEAMS}/{team_id}/members/{owner.id}", headers=admin.headers
    ).json() == {"detail": "Only an owner can remove an owner"}
    assert (
        client.delete(
            f"{TEAMS}/{team_id}/members/{crew['other'].id}", headers=member.headers
        ).status_code
        == 403
    )
    removed = client.delete(
        f"{TEAMS}/{team_id}/members/{crew['other'].id}", headers=admin.headers
    )
    assert removed.status_code == 204
    assert members(client, owner.headers, team_id) == [
        (owner.email, "owner"),
        (admin.email, "admin"),
        (member.email, "member"),
    ]


def test_ownership_is_handed_over_and_a_team_keeps_an_owner(
    client: TestClient,
    crew: dict[str, LoggedInUser],
    team_id: str,
    superuser_headers: dict[str, str],
) -> None:
    owner, admin = crew["owner"], crew["admin"]
    url = f"{TEAMS}/{team_id}/members"

    last = client.patch(
        f"{url}/{owner.id}", headers=owner.headers, json={"role": "admin"}
    )
    assert (last.status_code, last.json()) == (
        409,
        {"detail": "A team must keep at least one owner"},
    )
    promoted = client.patch(
        f"{url}/{admin.id}", headers=owner.headers, json={"role": "owner"}
    )
    assert promoted.status_code == 200
    assert {k: promoted.json()[k] for k in ("user_id", "email", "role")} == {
        "user_id": str(admin.id),
        "email": admin.email,
        "role": "owner",
    }
    stepped_down = client.patch(
        f"{url}/{owner.id}", headers=owner.headers, json={"role": "member"}
    )
    assert stepped_down.status_code == 200
    assert client.delete(f"{TEAMS}/{team_id}", headers=owner.headers).status_code == 403
    assert team_events(client, superuser_headers)[-4:] == [
        (
            "team_role_changed",
            {"team_id": team_id, "old_role": "admin", "new_role": "owner"},
        ),
        ("team_ownership_changed", {"team_id": team_id, "is_owner": True}),
        (
            "team_role_changed",
            {"team_id": team_id, "old_role": "owner", "new_role": "member"},
        ),
        ("team_ownership_changed", {"team_id": team_id, "is_owner": False}),
    ]


def test_a_member_who_leaves_loses_access_and_their_items_stay(
    client: TestClient, crew: dict[str, LoggedInUser], team_id: str
) -> None:
    member = crew["member"]
    item = create_item(client, member.headers, team_id=team_id)

    left = client.delete(
        f"{TEAMS}/{team_id}/members/{member.id}", headers=member.headers
    )

    assert left.status_code == 204
    answers = [
        client.get(f"{TEAMS}/{team_id}", headers=member.headers),
        client.get(ITEMS, headers=member.headers, params={"team_id": team_id}),
        client.get(f"{ITEMS}/{item['id']}", headers=member.headers),
        client.put(
            f"{ITEMS}/{item['id']}", headers=member.headers, json={"title": "x"}
        ),
    ]
    assert [(a.status_code, a.json()["detail"]) for a in answers] == [
        (404, "Team not found"),
        (404, "Team not found"),
        (404, "Item not found"),
        (404, "Item not found"),
    ]
    kept = client.get(f"{ITEMS}/{item['id']}", headers=crew["owner"].headers).json()
    assert kept == item


def test_a_deleted_sole_owner_hands_the_team_to_its_admin(
    client: TestClient,
    crew: dict[str, LoggedInUser],
    team_id: str,
    superuser_headers: dict[str, str],
) -> None:
    owner = crew["owner"]
    item = create_item(client, owner.headers, team_id=team_id)
    lonely = create_team(client, owner.headers, "Alone")

    deleted = client.delete(f"{API}/users/me", headers=owner.headers)

    assert deleted.status_code == 204
    assert members(client, crew["admin"].headers, team_id) == [
        (crew["admin"].email, "owner"),
        (crew["member"].email, "member"),
        (crew["other"].email, "member"),
    ]
    kept = client.get(f"{ITEMS}/{item['id']}", headers=crew["admin"].headers).json()
    assert kept == {**item, "owner_id": None}
    gone = client.get(f"{TEAMS}/{lonely}", headers=superuser_headers)
    assert gone.status_code == 404


# Isolation ------------------------------------------------------------------------


def test_another_teams_rows_and_settings_look_absent(
    client: TestClient,
    crew: dict[str, LoggedInUser],
    team_id: str,
    superuser_headers: dict[str, str],
) -> None:
    outsider = create_user(client, superuser_headers)
    create_item(client, outsider.headers)
    item = create_item(client, crew["owner"].headers, team_id=team_id)
    url = f"{ITEMS}/{item['id']}"

    answers = [
        client.get(url, headers=outsider.headers),
        client.put(url, headers=outsider.headers, json={"title": "Taken"}),
        client.delete(url, headers=outsider.headers),
        client.get(ITEMS, headers=outsider.headers, params={"team_id": team_id}),
        client.post(
            f"{ITEMS}/",
            headers=outsider.headers,
            params={"team_id": team_id},
            json={"title": "Sneaked in"},
        ),
        client.get(f"{TEAMS}/{team_id}/members", headers=outsider.headers),
        client.post(
            f"{TEAMS}/{team_id}/invitations",
            headers=outsider.headers,
            json={"email": outsider.email},
        ),
    ]

    assert [a.status_code for a in answers] == [404] * 7
    assert client.get(ITEMS, headers=outsider.headers).json()["count"] == 1
    assert client.get(
        ITEMS, headers=crew["member"].headers, params={"team_id": team_id}
    ).json()["data"] == [item]


def test_the_superusers_reach_into_a_team_is_audited(
    client: TestClient,
    owner: LoggedInUser,
    team_id: str,
    superuser: LoggedInUser,
) -> None:
    item = create_item(client, owner.headers, team_id=team_id)

    read = client.get(f"{TEAMS}/{team_id}", headers=superuser.headers)
    item_read = client.get(f"{ITEMS}/{item['id']}", headers=superuser.headers)

    assert (read.status_code, read.json()["role"]) == (200, None)
    assert item_read.json() == item
    events = client.get(
        f"{API}/audit-events/",
        headers=superuser.headers,
        params={"event_type": "superuser_team_access"},
    ).json()["data"]
    assert [(e["actor_id"], e["target_id"], e["details"]) for e in events] == [
        (
            str(superuser.id),
            team_id,
            {"method": "GET", "path": f"{ITEMS}/{item['id']}"},
        ),
        (str(superuser.id), team_id, {"method": "GET", "path": f"{TEAMS}/{team_id}"}),
    ]
    own = client.get(f"{TEAMS}/", headers=superuser.headers).json()
    assert [t["name"] for t in own["data"]] == ["Personal"]
    assert FIRST_SUPERUSER == superuser.email
