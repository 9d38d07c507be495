"""List counts come from trigger-kept counters, per team: they must match the rows,
whoever writes them."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from tests.utils.factories import (
    API,
    create_item,
    create_user,
    personal_team,
)

WHOLE_TABLE = uuid.UUID(int=0)


def item_count(
    client: TestClient, headers: dict[str, str], team_id: str | None = None
) -> int:
    params: dict[str, str | int] = {"limit": 1}
    if team_id is not None:
        params["team_id"] = team_id
    response = client.get(f"{API}/items/", headers=headers, params=params)
    assert response.status_code == 200, response.text
    count: int = response.json()["count"]
    return count


def stored_count(db_connection: psycopg.Connection, scope_id: object) -> int:
    row = db_connection.execute(
        "SELECT coalesce(sum(count), 0) FROM row_count "
        "WHERE table_name = 'item' AND scope_id = %s",
        (scope_id,),
    ).fetchone()
    assert row is not None
    return int(row[0])


def bulk_insert(db_connection: psycopg.Connection, team_id: str, rows: int) -> None:
    db_connection.execute(
        "INSERT INTO item (id, title, team_id, created_at) "
        "SELECT gen_random_uuid(), 'bulk ' || n, %s, now() FROM generate_series(1, %s) n",
        (team_id, rows),
    )


def test_counts_follow_api_writes(
    client: TestClient, superuser_headers: dict[str, str]
) -> None:
    alice = create_user(client, superuser_headers)
    bob = create_user(client, superuser_headers)
    items = [create_item(client, alice.headers) for _ in range(3)]
    create_item(client, bob.headers)
    alice_team = personal_team(client, alice.headers)

    assert item_count(client, alice.headers) == 3
    assert item_count(client, bob.headers) == 1
    assert item_count(client, superuser_headers) == 0
    assert item_count(client, superuser_headers, alice_team) == 3

    deleted = client.delete(f"{API}/items/{items[0]['id']}", headers=alice.headers)
    assert deleted.status_code == 204
    updated = client.put(
        f"{API}/items/{items[1]['id']}", headers=alice.headers, json={"title": "new"}
    )
    assert updated.status_code == 200

    assert item_count(client, alice.headers) == 2
    assert item_count(client, superuser_headers, alice_team) == 2


def test_counts_follow_bulk_sql_and_cascades(
    client: TestClient,
    superuser_headers: dict[str, str],
    db_connection: psycopg.Connection,
) -> None:
    alice = create_user(client, superuser_headers)
    bob = create_user(client, superuser_headers)
    alice_team = personal_team(client, alice.headers)
    bob_team = personal_team(client, bob.headers)
    own_team = personal_team(client, superuser_headers)
    bulk_insert(db_connection, alice_team, 250)
    bulk_insert(db_connection, bob_team, 40)

    assert item_count(client, alice.headers) == 250
    assert stored_count(db_connection, WHOLE_TABLE) == 290

    # Deleting a user removes their personal team, and its items by cascade.
    assert (
        client.delete(f"{API}/users/{alice.id}", headers=superuser_headers).status_code
        == 204
    )
    assert stored_count(db_connection, WHOLE_TABLE) == 40
    assert stored_count(db_connection, alice_team) == 0

    # A team change made outside the API moves the count between teams.
    db_connection.execute(
        "UPDATE item SET team_id = %s WHERE id IN "
        "(SELECT id FROM item WHERE team_id = %s LIMIT 15)",
        (own_team, bob_team),
    )
    assert item_count(client, bob.headers) == 25
    assert item_count(client, superuser_headers) == 15
    assert stored_count(db_connection, own_team) == 15
    assert stored_count(db_connection, WHOLE_TABLE) == 40


def test_counts_stay_exact_under_concurrent_writers(
    client: TestClient,
    superuser_headers: dict[str, str],
    database_url: str,
    db_connection: psycopg.Connection,
) -> None:
    """Writers on many connections land on different counter shards; the sums match."""
    alice = create_user(client, superuser_headers)
    bob = create_user(client, superuser_headers)
    alice_team = personal_team(client, alice.headers)
    bob_team = personal_team(client, bob.headers)
    url = make_url(database_url).render_as_string(hide_password=False)

    def write(writer: int) -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            for round_ in range(20):
                team = alice_team if (writer + round_) % 2 else bob_team
                connection.execute(
                    "INSERT INTO item (id, title, team_id, created_at) "
                    "VALUES (gen_random_uuid(), 'concurrent', %s, now())",
                    (team,),
                )
            connection.execute(
                "DELETE FROM item WHERE id IN (SELECT id FROM item "
                "WHERE team_id = %s LIMIT 3 FOR UPDATE SKIP LOCKED)",
                (alice_team,),
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(8)))

    actual = dict(
        db_connection.execute(
            "SELECT team_id::text, count(*) FROM item GROUP BY team_id"
        ).fetchall()
    )
    shards = db_connection.execute(
        "SELECT count(DISTINCT shard) FROM row_count "
        "WHERE table_name = 'item' AND scope_id = %s",
        (bob_team,),
    ).fetchone()
    assert actual == {alice_team: 80 - 24, bob_team: 80}
    assert item_count(client, alice.headers) == 56
    assert item_count(client, bob.headers) == 80
    assert stored_count(db_connection, WHOLE_TABLE) == 136
    assert shards is not None and shards[0] > 1
