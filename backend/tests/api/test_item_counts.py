"""List counts come from trigger-kept counters: they must match the rows, whoever writes them."""

from concurrent.futures import ThreadPoolExecutor

import psycopg
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from tests.utils.factories import API, LoggedInUser, create_item, create_user


def item_count(client: TestClient, headers: dict[str, str]) -> int:
    response = client.get(f"{API}/items/", headers=headers, params={"limit": 1})
    assert response.status_code == 200, response.text
    count: int = response.json()["count"]
    return count


def bulk_insert(
    db_connection: psycopg.Connection, owner: LoggedInUser, rows: int
) -> None:
    db_connection.execute(
        "INSERT INTO item (id, title, owner_id, created_at) "
        "SELECT gen_random_uuid(), 'bulk ' || n, %s, now() FROM generate_series(1, %s) n",
        (owner.id, rows),
    )


def test_counts_follow_api_writes(client: TestClient, superuser: LoggedInUser) -> None:
    alice = create_user(client, superuser.headers)
    bob = create_user(client, superuser.headers)
    items = [create_item(client, alice.headers) for _ in range(3)]
    create_item(client, bob.headers)

    assert item_count(client, alice.headers) == 3
    assert item_count(client, bob.headers) == 1
    assert item_count(client, superuser.headers) == 4

    deleted = client.delete(f"{API}/items/{items[0]['id']}", headers=alice.headers)
    assert deleted.status_code == 204
    updated = client.put(
        f"{API}/items/{items[1]['id']}", headers=alice.headers, json={"title": "new"}
    )
    assert updated.status_code == 200

    assert item_count(client, alice.headers) == 2
    assert item_count(client, superuser.headers) == 3


def test_counts_follow_bulk_sql_and_cascades(
    client: TestClient, superuser: LoggedInUser, db_connection: psycopg.Connection
) -> None:
    alice = create_user(client, superuser.headers)
    bob = create_user(client, superuser.headers)
    bulk_insert(db_connection, alice, 250)
    bulk_insert(db_connection, bob, 40)

    assert item_count(client, alice.headers) == 250
    assert item_count(client, superuser.headers) == 290

    # Deleting a user removes its items by cascade; the counters follow.
    assert (
        client.delete(f"{API}/users/{alice.id}", headers=superuser.headers).status_code
        == 204
    )
    assert item_count(client, superuser.headers) == 40

    # An owner change made outside the API moves the count between owners.
    db_connection.execute(
        "UPDATE item SET owner_id = %s WHERE id IN "
        "(SELECT id FROM item WHERE owner_id = %s LIMIT 15)",
        (superuser.id, bob.id),
    )
    assert item_count(client, bob.headers) == 25
    assert item_count(client, superuser.headers) == 40
    stored = db_connection.execute(
        "SELECT sum(count) FROM row_count WHERE table_name = 'item' AND scope_id = %s",
        (superuser.id,),
    ).fetchone()
    assert stored == (15,)


def test_counts_stay_exact_under_concurrent_writers(
    client: TestClient,
    superuser: LoggedInUser,
    database_url: str,
    db_connection: psycopg.Connection,
) -> None:
    """Writers on many connections land on different counter shards; the sums match."""
    alice = create_user(client, superuser.headers)
    bob = create_user(client, superuser.headers)
    url = make_url(database_url).render_as_string(hide_password=False)

    def write(writer: int) -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            for round_ in range(20):
                owner = alice if (writer + round_) % 2 else bob
                connection.execute(
                    "INSERT INTO item (id, title, owner_id, created_at) "
                    "VALUES (gen_random_uuid(), 'concurrent', %s, now())",
                    (owner.id,),
                )
            connection.execute(
                "DELETE FROM item WHERE id IN (SELECT id FROM item "
                "WHERE owner_id = %s LIMIT 3 FOR UPDATE SKIP LOCKED)",
                (alice.id,),
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(8)))

    actual = dict(
        db_connection.execute(
            "SELECT owner_id, count(*) FROM item GROUP BY owner_id"
        ).fetchall()
    )
    shards = db_connection.execute(
        "SELECT count(DISTINCT shard) FROM row_count "
        "WHERE table_name = 'item' AND scope_id = %s",
        (bob.id,),
    ).fetchone()
    assert actual == {alice.id: 80 - 24, bob.id: 80}
    assert item_count(client, alice.headers) == 56
    assert item_count(client, bob.headers) == 80
    assert item_count(client, superuser.headers) == 136
    assert shards is not None and shards[0] > 1
