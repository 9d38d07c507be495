"""Seed data: a handful of users and small data through the API, large tables by SQL.

Bulk users are named `owner-N@example.com`; they own the bulk items and cannot log in
(their stored hash is not a bcrypt hash). The benchmark's owner holds a tenth of every
table size: 1k of 10k, 10k of 100k, 100k of 1M.
"""

import contextlib
import time
import uuid
from dataclasses import dataclass, field

import httpx
import psycopg

API = "/api/v1"
OWNER_SHARE = 10  # the benchmark owner holds 1/OWNER_SHARE of the items
ITEMS_PER_BULK_OWNER = 100  # at size N there are N / 100 bulk owners
BATCH = 100_000
API_USERS = 4
API_ITEMS_OWNER = 200
API_ITEMS_OTHERS = 20
UNUSABLE_HASH = "!bench-seeded: no password"


@dataclass
class Account:
    email: str
    password: str
    id: uuid.UUID | None = None
    item_ids: list[str] = field(default_factory=list)


class Api:
    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url + API, timeout=60)

    def close(self) -> None:
        self.client.close()

    def login(self, account: Account) -> str:
        answer = self.client.post(
            "/login/access-token",
            data={"username": account.email, "password": account.password},
        )
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        return token

    def _auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def create_user(self, superuser_token: str, account: Account) -> None:
        answer = self.client.post(
            "/users/",
            headers=self._auth(superuser_token),
            json={"email": account.email, "password": account.password},
        )
        answer.raise_for_status()
        account.id = uuid.UUID(answer.json()["id"])

    def personal_team(self, token: str) -> tuple[str | None, int]:
        """The caller's personal team (None in an app from before teams), and how many
        items it has."""
        answer = self.client.get(
            "/items/", headers=self._auth(token), params={"limit": 1}
        )
        answer.raise_for_status()
        count = int(answer.json()["count"])
        teams = self.client.get("/teams/", headers=self._auth(token))
        if teams.status_code == 404:
            return None, count  # an app from before teams
        teams.raise_for_status()
        personal = next(team for team in teams.json()["data"] if team["is_personal"])
        return personal["id"], count

    def cursor_at(self, token: str, rows: int) -> str:
        """The cursor of the page that starts `rows` deep in the newest-first list."""
        answer = self.client.get(
            "/items/", headers=self._auth(token), params={"skip": rows - 1, "limit": 1}
        )
        answer.raise_for_status()
        cursor: str = answer.json()["next_cursor"]
        return cursor

    def create_items(self, token: str, account: Account, count: int) -> None:
        for number in range(count):
            answer = self.client.post(
                "/items/",
                headers=self._auth(token),
                json={"title": f"API item {number}", "description": "seeded via API"},
            )
            answer.raise_for_status()
            account.item_ids.append(answer.json()["id"])


def seed_through_api(
    api: Api, superuser: Account, password: str
) -> tuple[Account, list[Account]]:
    """The benchmark owner and a few more users, with their first items, via HTTP."""
    superuser_token = api.login(superuser)
    accounts = [
        Account(email=f"bench-user-{number}@example.com", password=password)
        for number in range(API_USERS)
    ]
    for account in accounts:
        api.create_user(superuser_token, account)
    owner, others = accounts[0], accounts[1:]
    api.create_items(api.login(owner), owner, API_ITEMS_OWNER)
    for account in others:
        api.create_items(api.login(account), account, API_ITEMS_OTHERS)
    return owner, others


def add_bulk_owners(database_url: str, total: int) -> int:
    """Make sure `total` bulk users exist; return how many were added."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM \"user\" WHERE email LIKE 'owner-%@example.com'"
        ).fetchone()
        existing = int(row[0]) if row else 0
        if existing >= total:
            return 0
        connection.execute(
            """
            INSERT INTO "user" (id, email, hashed_password, is_active, is_superuser,
                                full_name, created_at)
            SELECT gen_random_uuid(), 'owner-' || g || '@example.com', %(hash)s,
                   true, false, 'Bulk owner ' || g,
                   now() - interval '400 days' + g * interval '1 second'
            FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
            """,
            {"hash": UNUSABLE_HASH, "first": existing + 1, "last": total},
        )
        if not has_teams(connection):
            return total - existing
        # Each with the personal team the app gives every user.
        connection.execute(
            """
            WITH new_team AS (
                INSERT INTO team (id, name, personal_for_id, created_at)
                SELECT gen_random_uuid(), 'Personal', u.id, u.created_at FROM "user" u
                WHERE u.email LIKE 'owner-%%@example.com' AND NOT EXISTS (
                    SELECT 1 FROM team t WHERE t.personal_for_id = u.id)
                RETURNING id, personal_for_id, created_at
            )
            INSERT INTO team_member (team_id, user_id, role, created_at)
            SELECT id, personal_for_id, 'owner', created_at FROM new_team
            """
        )
    return total - existing


def grow_items(database_url: str, *, total: int, owner_id: uuid.UUID) -> dict[str, int]:
    """Bring the item table to exactly `total` rows, a tenth of them the owner's.

    Rows are written with INSERT ... SELECT generate_series, in batches, with random
    creation times over the past year; VACUUM ANALYZE afterwards.
    """
    started = time.monotonic()
    add_bulk_owners(database_url, max(total // ITEMS_PER_BULK_OWNER, 100))
    with psycopg.connect(database_url, autocommit=True) as connection:
        current_total, current_owner = _item_counts(connection, owner_id)
        owner_missing = max(total // OWNER_SHARE - current_owner, 0)
        others_missing = max(total - current_total - owner_missing, 0)
        _insert_owner_items(connection, owner_id, owner_missing)
        _insert_bulk_items(connection, others_missing, first=current_total + 1)
        connection.execute("VACUUM (ANALYZE) item")
        connection.execute('VACUUM (ANALYZE) "user"')
        # Write the bulk load out now: a checkpoint flushing it later would share
        # the disk and the cores with the measurements that follow. (A role that
        # may not checkpoint leaves it to the server.)
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            connection.execute("CHECKPOINT")
        final_total, final_owner = _item_counts(connection, owner_id)
    return {
        "items": final_total,
        "owner_items": final_owner,
        "inserted": owner_missing + others_missing,
        "seconds": round(time.monotonic() - started),
    }


def _item_counts(
    connection: psycopg.Connection, owner_id: uuid.UUID
) -> tuple[int, int]:
    row = connection.execute(
        "SELECT count(*), count(*) FILTER (WHERE owner_id = %s) FROM item", (owner_id,)
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def has_teams(connection: psycopg.Connection) -> bool:
    """Whether the app has teams (an app from before them is benchmarked too)."""
    row = connection.execute("SELECT to_regclass('team') IS NOT NULL").fetchone()
    return bool(row and row[0])


# An item's team is its owner's personal team; before teams, items had only an owner.
_TEAM_COLUMN = (", team_id", ", (SELECT id FROM team WHERE personal_for_id = {owner})")


def _insert_owner_items(
    connection: psycopg.Connection, owner_id: uuid.UUID, count: int
) -> None:
    column, value = _TEAM_COLUMN if has_teams(connection) else ("", "")
    value = value.format(owner="%(owner)s")
    for start in range(0, count, BATCH):
        connection.execute(
            f"""
            INSERT INTO item (id, title, description, owner_id, created_at{column})
            SELECT gen_random_uuid(), 'Owner item ' || g, 'bulk-seeded',
                   %(owner)s, now() - random() * interval '365 days'{value}
            FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
            """,
            {"owner": owner_id, "first": start + 1, "last": min(start + BATCH, count)},
        )


def _insert_bulk_items(connection: psycopg.Connection, count: int, first: int) -> None:
    column, value = _TEAM_COLUMN if has_teams(connection) else ("", "")
    value = value.format(owner="owners.ids[1 + g %% cardinality(owners.ids)]")
    for start in range(first, first + count, BATCH):
        connection.execute(
            f"""
            INSERT INTO item (id, title, description, owner_id, created_at{column})
            SELECT gen_random_uuid(), 'Item ' || g, 'bulk-seeded row ' || g,
                   owners.ids[1 + g %% cardinality(owners.ids)],
                   now() - random() * interval '365 days'{value}
            FROM (SELECT array_agg(u.id ORDER BY u.email) AS ids
                  FROM "user" u WHERE u.email LIKE 'owner-%%@example.com') AS owners,
                 generate_series(%(first)s::bigint, %(last)s::bigint) AS g
            """,
            {"first": start, "last": min(start + BATCH, first + count) - 1},
        )


def delete_posted_items(database_url: str, title: str) -> int:
    """Remove the rows a POST /items/ run added, so table sizes stay as labelled."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        cursor = connection.execute("DELETE FROM item WHERE title = %s", (title,))
        return cursor.rowcount
