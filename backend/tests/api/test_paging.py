"""Cursor paging on the item and user lists: `next_cursor` leads through every row
exactly once, in order, even where rows share a timestamp; bad cursors are a 422."""

import base64

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.conftest import FIRST_SUPERUSER
from tests.utils.factories import (
    API,
    LoggedInUser,
    create_item,
    create_user,
    personal_team,
)

ITEMS = f"{API}/items/"
USERS = f"{API}/users/"


def walk(
    client: TestClient,
    url: str,
    headers: dict[str, str],
    limit: int,
    query: dict[str, str] | None = None,
) -> list[dict[str, object]]:
    """Every page from the first, following `next_cursor` until it is null."""
    pages = []
    params: dict[str, str | int] = {"limit": limit, **(query or {})}
    while True:
        response = client.get(url, headers=headers, params=params)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return pages
        params = {"limit": limit, "cursor": cursor, **(query or {})}


def ids(pages: list[dict[str, object]]) -> list[list[str]]:
    return [[row["id"] for row in page["data"]] for page in pages]  # type: ignore[attr-defined, index]


@pytest.fixture
def owner(client: TestClient, superuser_headers: dict[str, str]) -> LoggedInUser:
    return create_user(client, superuser_headers)


def test_cursor_walks_an_owners_items_newest_first(
    client: TestClient, superuser_headers: dict[str, str], owner: LoggedInUser
) -> None:
    created = [create_item(client, owner.headers)["id"] for _ in range(5)]
    create_item(client, superuser_headers)
    newest_first = list(reversed(created))

    pages = walk(client, ITEMS, owner.headers, limit=2)

    assert ids(pages) == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]
    assert [page["count"] for page in pages] == [5, 5, 5]


def test_a_full_last_page_has_no_next_cursor(
    client: TestClient, owner: LoggedInUser
) -> None:
    created = [create_item(client, owner.headers)["id"] for _ in range(4)]

    pages = walk(client, ITEMS, owner.headers, limit=2)

    assert ids(pages) == [created[3:1:-1], created[1::-1]]
    assert pages[-1]["next_cursor"] is None


def test_an_offset_page_hands_on_to_cursors(
    client: TestClient, owner: LoggedInUser
) -> None:
    created = [create_item(client, owner.headers)["id"] for _ in range(5)]
    newest_first = list(reversed(created))

    by_offset = client.get(
        ITEMS, headers=owner.headers, params={"skip": 1, "limit": 2}
    ).json()
    after = client.get(
        ITEMS,
        headers=owner.headers,
        params={"limit": 2, "cursor": by_offset["next_cursor"]},
    ).json()

    assert [row["id"] for row in by_offset["data"]] == newest_first[1:3]
    assert [row["id"] for row in after["data"]] == newest_first[3:5]
    assert after["next_cursor"] is None


def test_rows_sharing_a_timestamp_are_each_listed_once(
    client: TestClient,
    superuser_headers: dict[str, str],
    owner: LoggedInUser,
    db_connection: psycopg.Connection,
) -> None:
    created = {create_item(client, owner.headers)["id"] for _ in range(7)}
    db_connection.execute("UPDATE item SET created_at = '2026-01-01T00:00:00Z'")
    team = personal_team(client, owner.headers)

    for headers, query in ((owner.headers, {}), (superuser_headers, {"team_id": team})):
        pages = walk(client, ITEMS, headers, limit=3, query=query)
        listed = [row for page in ids(pages) for row in page]
        assert len(listed) == 7
        assert set(listed) == created
        # Ties are ordered by id, newest-first lists by id descending.
        assert listed == sorted(created, reverse=True)


def test_cursor_walks_users_oldest_first(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    users = [create_user(client, superuser_headers) for _ in range(4)]

    pages = walk(client, USERS, superuser_headers, limit=2)

    emails = [[row["email"] for row in page["data"]] for page in pages]  # type: ignore[attr-defined]
    assert emails == [
        [FIRST_SUPERUSER, users[0].email],
        [users[1].email, users[2].email],
        [users[3].email],
    ]
    assert [page["count"] for page in pages] == [5, 5, 5]


def test_a_cursor_reveals_nothing_of_other_owners(
    client: TestClient, superuser_headers: dict[str, str], owner: LoggedInUser
) -> None:
    create_item(client, owner.headers)
    create_item(client, owner.headers)
    others = create_user(client, superuser_headers)
    everyone = client.get(ITEMS, headers=owner.headers, params={"limit": 1}).json()

    # A cursor taken from one team's list pages the stranger's own list only.
    response = client.get(
        ITEMS, headers=others.headers, params={"cursor": everyone["next_cursor"]}
    )

    assert response.status_code == 200
    assert response.json() == {"data": [], "count": 0, "next_cursor": None}


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "%" * 32,
        "A" * 31,
        "A" * 33,
        base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00/not-a-uuid").decode(),
    ],
)
@pytest.mark.parametrize("url", [ITEMS, USERS])
def test_a_cursor_of_another_shape_is_a_422(
    client: TestClient, superuser_headers: dict[str, str], url: str, cursor: str
) -> None:
    response = client.get(url, headers=superuser_headers, params={"cursor": cursor})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (
        ["query", "cursor"],
        "string_pattern_mismatch",
    )


def test_any_well_formed_cursor_is_a_position(
    client: TestClient, owner: LoggedInUser
) -> None:
    """32 URL-safe characters always name a position (a time and an id): made up
    ones read from there, within the caller's own rows."""
    created = [create_item(client, owner.headers)["id"] for _ in range(3)]
    before_1970 = "A" * 32  # the epoch, id 0: every row is newer
    past_9999 = "f" * 32  # the far future: every row is older

    empty = client.get(ITEMS, headers=owner.headers, params={"cursor": before_1970})
    everything = client.get(ITEMS, headers=owner.headers, params={"cursor": past_9999})

    assert (empty.status_code, empty.json()["data"], empty.json()["count"]) == (
        200,
        [],
        3,
    )
    assert [row["id"] for row in everything.json()["data"]] == created[::-1]


def test_skip_after_a_cursor_skips_from_there(
    client: TestClient, owner: LoggedInUser
) -> None:
    newest_first = [create_item(client, owner.headers)["id"] for _ in range(5)][::-1]
    first = client.get(ITEMS, headers=owner.headers, params={"limit": 1}).json()

    response = client.get(
        ITEMS,
        headers=owner.headers,
        params={"cursor": first["next_cursor"], "skip": 2, "limit": 2},
    )

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["data"]] == newest_first[3:5]
    assert response.json()["next_cursor"] is None


def test_an_overlong_cursor_is_a_422(client: TestClient, owner: LoggedInUser) -> None:
    response = client.get(ITEMS, headers=owner.headers, params={"cursor": "a" * 201})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "cursor"]
    assert response.json()["detail"][0]["type"] == "string_pattern_mismatch"
