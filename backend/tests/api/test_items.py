import uuid

import pytest
from fastapi.testclient import TestClient

from tests.utils.factories import (
    API,
    LoggedInUser,
    create_item,
    create_user,
    personal_team,
)

ITEMS = f"{API}/items"
NOT_FOUND = {"detail": "Item not found"}


@pytest.fixture
def owner(client: TestClient, superuser_headers: dict[str, str]) -> LoggedInUser:
    return create_user(client, superuser_headers)


@pytest.fixture
def stranger(client: TestClient, superuser_headers: dict[str, str]) -> LoggedInUser:
    return create_user(client, superuser_headers)


# GET /items/ ---------------------------------------------------------------------


def test_read_items_own_only_newest_first(
    client: TestClient,
    superuser_headers: dict[str, str],
    owner: LoggedInUser,
    stranger: LoggedInUser,
) -> None:
    mine = [create_item(client, owner.headers) for _ in range(3)]
    create_item(client, stranger.headers)
    create_item(client, superuser_headers)

    response = client.get(f"{ITEMS}/", headers=owner.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [item["id"] for item in body["data"]] == [
        item["id"] for item in reversed(mine)
    ]
    assert {item["owner_id"] for item in body["data"]} == {str(owner.id)}


def test_read_items_superuser_reads_any_team_and_it_is_audited(
    client: TestClient,
    superuser_headers: dict[str, str],
    owner: LoggedInUser,
    stranger: LoggedInUser,
) -> None:
    created = [create_item(client, owner.headers) for _ in range(2)]
    create_item(client, stranger.headers)
    create_item(client, superuser_headers)
    team_id = personal_team(client, owner.headers)

    response = client.get(
        f"{ITEMS}/", headers=superuser_headers, params={"team_id": team_id}
    )
    own = client.get(f"{ITEMS}/", headers=superuser_headers)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["data"]] == [
        item["id"] for item in reversed(created)
    ]
    assert own.json()["count"] == 1
    events = client.get(
        f"{API}/audit-events/",
        headers=superuser_headers,
        params={"event_type": "superuser_team_access"},
    ).json()["data"]
    assert [(e["target_id"], e["details"]) for e in events] == [
        (team_id, {"method": "GET", "path": f"{ITEMS}/"})
    ]


def test_read_items_paginates(client: TestClient, owner: LoggedInUser) -> None:
    created = [create_item(client, owner.headers) for _ in range(5)]
    newest_first = [item["id"] for item in reversed(created)]

    page = client.get(
        f"{ITEMS}/", headers=owner.headers, params={"skip": 1, "limit": 2}
    )
    rest = client.get(f"{ITEMS}/", headers=owner.headers, params={"skip": 3})

    assert page.status_code == 200
    assert page.json()["count"] == 5
    assert [item["id"] for item in page.json()["data"]] == newest_first[1:3]
    assert rest.json()["count"] == 5
    assert [item["id"] for item in rest.json()["data"]] == newest_first[3:]


def test_read_items_none(client: TestClient, owner: LoggedInUser) -> None:
    response = client.get(f"{ITEMS}/", headers=owner.headers)

    assert response.status_code == 200
    assert response.json() == {"data": [], "count": 0, "next_cursor": None}


# POST /items/ --------------------------------------------------------------------


def test_create_item(client: TestClient, owner: LoggedInUser) -> None:
    response = client.post(
        f"{ITEMS}/",
        headers=owner.headers,
        json={"title": "Groceries", "description": "Milk, eggs"},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "Groceries"
    assert body["description"] == "Milk, eggs"
    assert body["owner_id"] == str(owner.id)
    assert body["team_id"] == personal_team(client, owner.headers)
    assert set(body) == {
        "id",
        "title",
        "description",
        "team_id",
        "owner_id",
        "created_at",
    }
    fetched = client.get(f"{ITEMS}/{body['id']}", headers=owner.headers)
    assert fetched.json() == body


def test_create_item_without_description(
    client: TestClient, owner: LoggedInUser
) -> None:
    response = client.post(f"{ITEMS}/", headers=owner.headers, json={"title": "Bare"})

    assert response.status_code == 201
    assert response.json()["description"] is None


def test_create_item_ignores_a_given_owner(
    client: TestClient, owner: LoggedInUser, stranger: LoggedInUser
) -> None:
    response = client.post(
        f"{ITEMS}/",
        headers=owner.headers,
        json={"title": "Mine", "owner_id": str(stranger.id)},
    )

    assert response.status_code == 201
    assert response.json()["owner_id"] == str(owner.id)
    assert client.get(f"{ITEMS}/", headers=stranger.headers).json()["count"] == 0


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"title": None},
        {"title": ""},
        {"title": "x" * 256},
        {"title": "ok", "description": "x" * 256},
    ],
    ids=["missing", "null", "empty", "title-256", "description-256"],
)
def test_create_item_invalid(
    client: TestClient, owner: LoggedInUser, body: dict[str, object]
) -> None:
    response = client.post(f"{ITEMS}/", headers=owner.headers, json=body)

    assert response.status_code == 422
    assert client.get(f"{ITEMS}/", headers=owner.headers).json()["count"] == 0


def test_create_item_title_of_255_characters(
    client: TestClient, owner: LoggedInUser
) -> None:
    response = client.post(
        f"{ITEMS}/", headers=owner.headers, json={"title": "x" * 255}
    )

    assert response.status_code == 201
    assert response.json()["title"] == "x" * 255


# GET /items/{item_id} ------------------------------------------------------------


def test_read_item_as_owner(client: TestClient, owner: LoggedInUser) -> None:
    item = create_item(client, owner.headers, description="Details")

    response = client.get(f"{ITEMS}/{item['id']}", headers=owner.headers)

    assert response.status_code == 200
    assert response.json() == item


def test_read_item_unknown(client: TestClient, owner: LoggedInUser) -> None:
    response = client.get(f"{ITEMS}/{uuid.uuid4()}", headers=owner.headers)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_read_item_malformed_id(client: TestClient, owner: LoggedInUser) -> None:
    response = client.get(f"{ITEMS}/not-a-uuid", headers=owner.headers)

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "item_id"]


def test_someone_elses_item_looks_absent_and_stays_as_it_was(
    client: TestClient, owner: LoggedInUser, stranger: LoggedInUser
) -> None:
    """The authorization matrix checks every route's status; this, the answers' bodies
    and that the item is untouched."""
    item = create_item(client, owner.headers)
    url = f"{ITEMS}/{item['id']}"

    answers = [
        client.get(url, headers=stranger.headers),
        client.put(url, headers=stranger.headers, json={"title": "Hijacked"}),
        client.delete(url, headers=stranger.headers),
    ]

    assert [(a.status_code, a.json()) for a in answers] == 3 * [(404, NOT_FOUND)]
    assert client.get(url, headers=owner.headers).json() == item


# PUT /items/{item_id} ------------------------------------------------------------


def test_update_item(client: TestClient, owner: LoggedInUser) -> None:
    item = create_item(client, owner.headers, title="Old", description="Old text")

    response = client.put(
        f"{ITEMS}/{item['id']}",
        headers=owner.headers,
        json={"title": "New", "description": "New text"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "New"
    assert body["description"] == "New text"
    assert body["id"] == item["id"]
    assert body["owner_id"] == item["owner_id"]
    assert body["created_at"] == item["created_at"]
    assert client.get(f"{ITEMS}/{item['id']}", headers=owner.headers).json() == body


def test_update_item_keeps_fields_left_out(
    client: TestClient, owner: LoggedInUser
) -> None:
    item = create_item(client, owner.headers, title="Title", description="Kept")

    title_only = client.put(
        f"{ITEMS}/{item['id']}", headers=owner.headers, json={"title": "Renamed"}
    )
    description_only = client.put(
        f"{ITEMS}/{item['id']}", headers=owner.headers, json={"description": "Changed"}
    )

    assert title_only.status_code == 200
    assert title_only.json()["description"] == "Kept"
    assert description_only.status_code == 200
    assert description_only.json()["title"] == "Renamed"
    assert description_only.json()["description"] == "Changed"


def test_update_item_can_clear_description(
    client: TestClient, owner: LoggedInUser
) -> None:
    item = create_item(client, owner.headers, description="Going away")

    response = client.put(
        f"{ITEMS}/{item['id']}", headers=owner.headers, json={"description": None}
    )

    assert response.status_code == 200
    assert response.json()["description"] is None
    assert response.json()["title"] == item["title"]


@pytest.mark.parametrize(
    "body",
    [{"title": None}, {"title": ""}, {"title": "x" * 256}, {"description": "x" * 256}],
    ids=["null", "empty", "title-256", "description-256"],
)
def test_update_item_invalid(
    client: TestClient, owner: LoggedInUser, body: dict[str, object]
) -> None:
    item = create_item(client, owner.headers)

    response = client.put(f"{ITEMS}/{item['id']}", headers=owner.headers, json=body)

    assert response.status_code == 422
    assert client.get(f"{ITEMS}/{item['id']}", headers=owner.headers).json() == item


def test_update_item_as_superuser(
    client: TestClient, superuser_headers: dict[str, str], owner: LoggedInUser
) -> None:
    item = create_item(client, owner.headers)

    response = client.put(
        f"{ITEMS}/{item['id']}", headers=superuser_headers, json={"title": "Moderated"}
    )

    assert response.status_code == 200
    assert response.json()["title"] == "Moderated"
    assert response.json()["owner_id"] == str(owner.id)


def test_update_item_unknown(client: TestClient, owner: LoggedInUser) -> None:
    response = client.put(
        f"{ITEMS}/{uuid.uuid4()}", headers=owner.headers, json={"title": "Nothing"}
    )

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


# DELETE /items/{item_id} ---------------------------------------------------------


def test_delete_item(client: TestClient, owner: LoggedInUser) -> None:
    item = create_item(client, owner.headers)
    kept = create_item(client, owner.headers)

    response = client.delete(f"{ITEMS}/{item['id']}", headers=owner.headers)

    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"{ITEMS}/{item['id']}", headers=owner.headers).status_code == 404
    remaining = client.get(f"{ITEMS}/", headers=owner.headers).json()
    assert remaining["count"] == 1
    assert [i["id"] for i in remaining["data"]] == [kept["id"]]


def test_delete_item_unknown(client: TestClient, owner: LoggedInUser) -> None:
    response = client.delete(f"{ITEMS}/{uuid.uuid4()}", headers=owner.headers)

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_delete_item_twice(client: TestClient, owner: LoggedInUser) -> None:
    item = create_item(client, owner.headers)

    first = client.delete(f"{ITEMS}/{item['id']}", headers=owner.headers)
    second = client.delete(f"{ITEMS}/{item['id']}", headers=owner.headers)

    assert first.status_code == 204
    assert second.status_code == 404
