"""Every list route answers its declared response model's own serialization of the rows
it read: the body and the OpenAPI schema cannot drift apart.

The list routes come from the app's route table (every route whose response model is
a `Page`), so a new resource's list is checked without a new test.
"""

from typing import Any

import psycopg
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import SQLModel
from sqlmodel.main import default_registry

from app.core.listing import Page
from tests.utils.factories import (
    API,
    LoggedInUser,
    create_team,
    create_user,
    random_email,
)
from tests.utils.resources import OWNED


def list_routes(app: FastAPI) -> dict[str, type[Page[Any]]]:
    routes = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        model = getattr(route, "response_model", None)
        if (
            isinstance(route, APIRoute)
            and "GET" in (context.methods or ())
            and isinstance(model, type)
            and issubclass(model, Page)
        ):
            routes[context.path] = model
    return routes


def table_of(row_schema: type[SQLModel]) -> str:
    """The table a row schema shows, by the naming convention: `AuditEventPublic`
    shows the table class `AuditEvent`."""
    name = row_schema.__name__.removesuffix("Public")
    tables = {m.class_.__name__: m.local_table for m in default_registry.mappers}
    assert name in tables, row_schema
    return str(tables[name].name)


def stored_rows(
    connection: psycopg.Connection, table: str, ids: list[str]
) -> list[dict[str, Any]]:
    cursor = connection.cursor(row_factory=psycopg.rows.dict_row)
    rows = cursor.execute(
        f'SELECT * FROM "{table}" WHERE id::text = ANY(%s)', ([str(i) for i in ids],)
    ).fetchall()
    by_id = {str(row["id"]): row for row in rows}
    return [by_id[str(i)] for i in ids]


# Lists whose rows join several tables (a team with the caller's role, a member with
# their account): their bodies are checked in tests/api/test_teams.py.
JOINED = {f"{API}/teams/", f"{API}/teams/{{team_id}}/members"}
# The rows a list shows, where that is less than its whole table.
SCOPES = {
    f"{API}/teams/{{team_id}}/invitations": "team_id = %(team_id)s",
}


def test_the_list_routes_are_found(app: FastAPI) -> None:
    assert set(list_routes(app)) >= {
        f"{API}/items/",
        f"{API}/users/",
        f"{API}/audit-events/",
        f"{API}/jobs/",
        *JOINED,
        *SCOPES,
    }


def test_each_list_body_is_its_response_model_of_the_stored_rows(
    app: FastAPI,
    client: TestClient,
    superuser: LoggedInUser,
    db_connection: psycopg.Connection,
) -> None:
    for _ in range(3):
        create_user(client, superuser.headers)
        for resource in OWNED.values():
            created = client.post(
                f"{resource.path}/", headers=superuser.headers, json=resource.create
            )
            assert created.status_code == 201, created.text
    team_id = create_team(client, superuser.headers)
    for _ in range(3):
        invited = client.post(
            f"{API}/teams/{team_id}/invitations",
            headers=superuser.headers,
            json={"email": random_email()},
        )
        assert invited.status_code == 201, invited.text

    for path, page_model in list_routes(app).items():
        if path in JOINED:
            continue
        url = path.replace("{team_id}", team_id)
        response = client.get(url, headers=superuser.headers, params={"limit": 2})
        assert response.status_code == 200, (path, response.text)
        body = response.json()
        assert len(body["data"]) == 2, path
        row_schema = page_model.model_fields["data"].annotation.__args__[0]  # type: ignore[union-attr]
        table = table_of(row_schema)
        rows = stored_rows(db_connection, table, [row["id"] for row in body["data"]])
        where = SCOPES.get(path, "true")
        total = db_connection.execute(
            f'SELECT count(*) FROM "{table}" WHERE {where}', {"team_id": team_id}
        ).fetchone()
        expected = page_model(
            data=[row_schema.model_validate(row) for row in rows],
            count=total[0] if total else 0,
            next_cursor=body["next_cursor"],
        )
        assert body == expected.model_dump(mode="json", by_alias=True), path
        assert body["next_cursor"] is not None, path
