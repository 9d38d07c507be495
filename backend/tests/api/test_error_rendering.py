"""Every error answer renders, whatever the input was: non-finite numbers at any depth,
integers too long to print, undecodable bytes, deep nesting. The 422 handler quotes
rejected input back, and JSON has no NaN: each must be a clear 4xx, never a 500.

The routes come from the app's route table: every operation that takes a JSON body,
so a new route is covered without a new test.
"""

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from tests.utils.factories import LoggedInUser

# Python's JSON parser reads these as float('nan'), float('inf')...
NON_FINITE = (b"NaN", b"Infinity", b"-Infinity", b"1e400")


def json_body_operations(app: FastAPI) -> list[tuple[str, str, list[str]]]:
    """(method, path, the body's top-level field names) of each JSON-body operation."""
    operations = []
    schemas = app.openapi()["components"]["schemas"]
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or route.body_field is None:
            continue
        operation = app.openapi()["paths"][context.path]
        for method in context.methods or ():
            content = operation[method.lower()]["requestBody"]["content"]
            if "application/json" not in content:
                continue  # a form (the login)
            reference = content["application/json"]["schema"]
            reference = reference.get("$ref") or next(
                option["$ref"] for option in reference["anyOf"] if "$ref" in option
            )
            schema = schemas[reference.rsplit("/", 1)[1]]
            operations.append((method, context.path, sorted(schema["properties"])))
    return operations


def payloads(fields: list[str]) -> list[bytes]:
    bodies = list(NON_FINITE)
    bodies += [b"[" + value + b"]" for value in NON_FINITE]
    for name in fields:
        key = f'"{name}"'.encode()
        for value in NON_FINITE:
            bodies += [
                b"{" + key + b": " + value + b"}",
                b"{" + key + b': [1, {"deep": [' + value + b"]}]}",
            ]
        bodies += [
            b"{" + key + b": " + b"9" * 5000 + b"}",  # too long to print as an integer
            b"{" + key + b": " + b"9" * 100 + b"}",
            b"{" + key + b': "\xff\xfe not UTF-8"}',
            b"{" + key + b": " + b"[" * 500 + b"]" * 500 + b"}",
            b"{" + key + b": " + b"[" * 100_000 + b"]" * 100_000 + b"}",
        ]
    return bodies


def test_the_json_body_operations_are_found(app: FastAPI) -> None:
    found = {(method, path) for method, path, _ in json_body_operations(app)}
    assert ("POST", "/api/v1/items/") in found
    assert ("PATCH", "/api/v1/users/me") in found
    assert ("POST", "/api/v1/login/access-token") not in found  # a form


def test_every_json_body_route_answers_any_input_with_a_4xx(
    app: FastAPI, client: TestClient, superuser: LoggedInUser
) -> None:
    answers: dict[int, int] = {}
    for method, path, fields in json_body_operations(app):
        url = path.replace("{user_id}", str(superuser.id))
        url = url.replace("{item_id}", "00000000-0000-4000-8000-000000000000")
        for body in payloads(fields):
            response = client.request(
                method,
                url,
                content=body,
                headers={**superuser.headers, "Content-Type": "application/json"},
            )
            answers[response.status_code] = answers.get(response.status_code, 0) + 1
            assert 400 <= response.status_code < 500, (method, path, body[:80])
            detail: Any = response.json()["detail"]
            assert detail, (method, path, body[:80])
    assert set(answers) <= {400, 404, 409, 422}, answers
    assert answers[422] > answers.get(400, 0)


@pytest.mark.parametrize(
    ("body", "location", "kind", "quoted"),
    [
        (b"Infinity", ["body"], "model_attributes_type", "Infinity"),
        (b"NaN", ["body"], "model_attributes_type", "NaN"),
        (b"[Infinity]", ["body"], "model_attributes_type", ["Infinity"]),
        (b'{"title": NaN}', ["body", "title"], "string_type", "NaN"),
        (
            b'{"title": "a", "description": -Infinity}',
            ["body", "description"],
            "string_type",
            "-Infinity",
        ),
    ],
)
def test_non_finite_numbers_are_quoted_back_as_written(
    client: TestClient,
    superuser: LoggedInUser,
    body: bytes,
    location: list[str],
    kind: str,
    quoted: object,
) -> None:
    response = client.post(
        "/api/v1/items/",
        content=body,
        headers={**superuser.headers, "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert (error["loc"], error["type"], error["input"]) == (location, kind, quoted)
    assert client.get("/api/v1/items/", headers=superuser.headers).json()["count"] == 0
