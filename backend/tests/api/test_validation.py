"""Bad input is answered with 422 (a readable error), never with a 500."""

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.utils.factories import (
    API,
    LoggedInUser,
    create_item,
    create_user,
    random_email,
    random_password,
)

NUL = "\x00"
LONG_PASSWORD = "é" * 40  # 40 characters, 80 bytes: more than bcrypt's 72


@dataclass(frozen=True)
class World:
    """Who and what the requests below refer to."""

    superuser_headers: dict[str, str]
    user: LoggedInUser
    item_id: str


@pytest.fixture
def world(client: TestClient, superuser_headers: dict[str, str]) -> World:
    user = create_user(client, superuser_headers)
    item = create_item(client, user.headers)
    return World(superuser_headers, user, str(item["id"]))


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # `{user_id}` and `{item_id}` are filled in from the world
    auth: str  # "none", "user" or "superuser"
    body: dict[str, str]  # a valid body
    form: bool = False

    def send(self, client: TestClient, world: World, body: dict[str, Any]) -> Any:
        headers = {
            "none": {},
            "user": world.user.headers,
            "superuser": world.superuser_headers,
        }[self.auth]
        url = API + self.path.format(user_id=world.user.id, item_id=world.item_id)
        if self.form:
            return client.request(self.method, url, headers=headers, data=body)
        return client.request(self.method, url, headers=headers, json=body)


def valid_body() -> dict[str, str]:
    return {"email": random_email(), "password": random_password(), "full_name": "N"}


ENDPOINTS = {
    "signup": Endpoint("POST", "/users/signup", "none", valid_body()),
    "create-user": Endpoint("POST", "/users/", "superuser", valid_body()),
    "private-user": Endpoint("POST", "/private/users/", "none", valid_body()),
    "update-user": Endpoint("PATCH", "/users/{user_id}", "superuser", valid_body()),
    "update-me": Endpoint(
        "PATCH",
        "/users/me",
        "user",
        {"email": random_email(), "full_name": "N", "current_password": "x" * 8},
    ),
    "change-password": Endpoint(
        "PATCH",
        "/users/me/password",
        "user",
        {"current_password": "current-password", "new_password": "new-password"},
    ),
    "create-item": Endpoint(
        "POST", "/items/", "user", {"title": "T", "description": "D"}
    ),
    "update-item": Endpoint(
        "PUT", "/items/{item_id}", "user", {"title": "T", "description": "D"}
    ),
    "login": Endpoint(
        "POST",
        "/login/access-token",
        "none",
        {"username": "someone@example.com", "password": "some-password"},
        form=True,
    ),
    "password-recovery": Endpoint(
        "POST", "/password-recovery", "none", {"email": "someone@example.com"}
    ),
    "reset-password": Endpoint(
        "POST",
        "/reset-password",
        "none",
        {"token": "some.signed.token", "new_password": "new-password"},
    ),
}

STRING_FIELDS = [
    (name, field) for name, endpoint in ENDPOINTS.items() for field in endpoint.body
]


def with_nul(field: str, value: str) -> str:
    if field in {"email", "username"}:
        local, _, domain = value.partition("@")
        return f"{local}{NUL}@{domain}"
    return value[:1] + NUL + value[1:]


@pytest.mark.parametrize(
    ("endpoint", "field"), STRING_FIELDS, ids=[f"{e}-{f}" for e, f in STRING_FIELDS]
)
def test_nul_character_in_any_string_field(
    client: TestClient, world: World, endpoint: str, field: str
) -> None:
    spec = ENDPOINTS[endpoint]
    body = {**spec.body, field: with_nul(field, spec.body[field])}

    response = spec.send(client, world, body)

    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert [error["loc"] for error in errors] == [["body", field]]


OVERLONG = [
    ("signup", "email", f"{'a' * 60}@{'b' * 60}.{'c' * 60}.{'d' * 60}.{'e' * 10}.com"),
    ("signup", "full_name", "x" * 256),
    ("signup", "password", "x" * 129),
    ("create-user", "full_name", "x" * 256),
    ("create-user", "password", "x" * 129),
    ("update-user", "full_name", "x" * 256),
    ("update-me", "full_name", "x" * 256),
    ("change-password", "new_password", "x" * 129),
    ("change-password", "current_password", "x" * 129),
    ("create-item", "title", "x" * 256),
    ("create-item", "description", "x" * 256),
    ("update-item", "title", "x" * 256),
    ("update-item", "description", "x" * 256),
    ("login", "username", "x" * 256),
    ("login", "password", "x" * 129),
    ("reset-password", "token", "x" * 2049),
]


@pytest.mark.parametrize(
    ("endpoint", "field", "value"),
    OVERLONG,
    ids=[f"{e}-{f}" for e, f, _ in OVERLONG],
)
def test_overlong_field(
    client: TestClient, world: World, endpoint: str, field: str, value: str
) -> None:
    spec = ENDPOINTS[endpoint]

    response = spec.send(client, world, {**spec.body, field: value})

    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [["body", field]]


# Passwords longer than bcrypt reads ----------------------------------------------


PASSWORD_FIELDS = [
    ("signup", "password"),
    ("create-user", "password"),
    ("private-user", "password"),
    ("update-user", "password"),
    ("change-password", "new_password"),
    ("reset-password", "new_password"),
]


@pytest.mark.parametrize(
    ("endpoint", "field"), PASSWORD_FIELDS, ids=[e for e, _ in PASSWORD_FIELDS]
)
def test_a_password_of_129_characters_is_refused_without_echo(
    client: TestClient, world: World, endpoint: str, field: str
) -> None:
    spec = ENDPOINTS[endpoint]
    overlong = "é" * 129

    response = spec.send(client, world, {**spec.body, field: overlong})

    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", field], "string_too_long")
    # The rejected password is not echoed back.
    assert "input" not in error
    assert overlong not in response.text


def test_every_byte_of_a_long_password_counts(client: TestClient) -> None:
    """bcrypt reads 72 bytes; a longer password is hashed whole first."""
    email = random_email()
    password = LONG_PASSWORD + "-the rest counts too"

    signup = client.post(
        f"{API}/users/signup", json={"email": email, "password": password}
    )
    login = client.post(
        f"{API}/login/access-token", data={"username": email, "password": password}
    )
    prefix = client.post(
        f"{API}/login/access-token",
        data={"username": email, "password": password[:36]},  # its first 72 bytes
    )
    other_end = client.post(
        f"{API}/login/access-token",
        data={"username": email, "password": LONG_PASSWORD + "-another ending"},
    )

    assert signup.status_code == 201
    assert login.status_code == 200
    assert (prefix.status_code, other_end.status_code) == (401, 401)


def test_password_of_exactly_72_bytes_works(client: TestClient) -> None:
    email = random_email()
    password = "é" * 36

    signup = client.post(
        f"{API}/users/signup", json={"email": email, "password": password}
    )
    login = client.post(
        f"{API}/login/access-token", data={"username": email, "password": password}
    )
    wrong = client.post(
        f"{API}/login/access-token",
        data={"username": email, "password": password + "x"},
    )

    assert signup.status_code == 201
    assert login.status_code == 200
    assert wrong.status_code == 401


def test_login_with_a_password_over_72_bytes_is_just_wrong(
    client: TestClient, world: World
) -> None:
    response = client.post(
        f"{API}/login/access-token",
        data={"username": world.user.email, "password": LONG_PASSWORD},
    )

    assert response.status_code == 401
    assert response.json() == {"detail": "Incorrect email or password"}


def test_current_password_over_72_bytes_is_just_wrong(
    client: TestClient, world: World
) -> None:
    response = client.patch(
        f"{API}/users/me/password",
        headers=world.user.headers,
        json={"current_password": LONG_PASSWORD, "new_password": random_password()},
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Incorrect password"}


# Bodies that are not the JSON object expected ------------------------------------


NOT_JSON_OBJECTS = {
    "broken-json": ({"Content-Type": "application/json"}, b'{"title": '),
    "empty": ({"Content-Type": "application/json"}, b""),
    "array": ({"Content-Type": "application/json"}, b'["title"]'),
    "string": ({"Content-Type": "application/json"}, b'"title"'),
    "null": ({"Content-Type": "application/json"}, b"null"),
    "text": ({"Content-Type": "text/plain"}, b'{"title": "T"}'),
    "form": ({"Content-Type": "application/x-www-form-urlencoded"}, b"title=T"),
    "no-content-type": ({}, b'{"title": "T"}'),
    "invalid-utf8-text": ({"Content-Type": "text/plain"}, b"\xff\xfe title"),
    "invalid-utf8-untyped": ({}, b'{"title": "\xff"}'),
    "lone-surrogate": ({"Content-Type": "application/json"}, b'{"title": "\\ud800"}'),
}


@pytest.mark.parametrize(
    ("headers", "content"), NOT_JSON_OBJECTS.values(), ids=NOT_JSON_OBJECTS.keys()
)
@pytest.mark.parametrize("endpoint", ["create-item", "update-item", "signup"])
def test_body_that_is_not_a_json_object(
    client: TestClient,
    world: World,
    endpoint: str,
    headers: dict[str, str],
    content: bytes,
) -> None:
    spec = ENDPOINTS[endpoint]
    auth = world.user.headers if spec.auth == "user" else {}
    url = API + spec.path.format(item_id=world.item_id)

    response = client.request(
        spec.method, url, headers={**auth, **headers}, content=content
    )

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][0] == "body"


@pytest.mark.parametrize(
    "content",
    [b'{"title": "\xff"}', b"[" * 50_000 + b"]" * 50_000],
    ids=["invalid-utf8", "deeply-nested"],
)
def test_json_body_that_cannot_be_parsed(
    client: TestClient, world: World, content: bytes
) -> None:
    """FastAPI answers 400 when JSON parsing fails other than with a syntax error."""
    response = client.post(
        f"{API}/items/",
        headers={**world.user.headers, "Content-Type": "application/json"},
        content=content,
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "There was an error parsing the body"}


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", 5), ("title", ["T"]), ("title", {"a": 1}), ("description", True)],
)
def test_wrong_json_types(
    client: TestClient, world: World, field: str, value: object
) -> None:
    response = client.post(
        f"{API}/items/",
        headers=world.user.headers,
        json={"title": "T", field: value},
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", field]


# Malformed ids in paths ----------------------------------------------------------


MALFORMED_IDS = [
    "not-a-uuid",
    "123",
    f"{uuid.uuid4()}0",
    "%00",
    "x" * 2000,
    "00000000-0000-0000-0000-00000000000g",
]
ID_ROUTES = [
    ("GET", "/users/", "user_id", "superuser"),
    ("PATCH", "/users/", "user_id", "superuser"),
    ("DELETE", "/users/", "user_id", "superuser"),
    ("GET", "/items/", "item_id", "user"),
    ("PUT", "/items/", "item_id", "user"),
    ("DELETE", "/items/", "item_id", "user"),
]


@pytest.mark.parametrize("bad_id", MALFORMED_IDS, ids=range(len(MALFORMED_IDS)))
@pytest.mark.parametrize(
    ("method", "prefix", "parameter", "auth"),
    ID_ROUTES,
    ids=[f"{method}-{prefix}" for method, prefix, _, _ in ID_ROUTES],
)
def test_malformed_id_in_path(
    client: TestClient,
    world: World,
    method: str,
    prefix: str,
    parameter: str,
    auth: str,
    bad_id: str,
) -> None:
    headers = world.user.headers if auth == "user" else world.superuser_headers
    body = {"title": "T"} if method in {"PATCH", "PUT"} else None

    response = client.request(method, API + prefix + bad_id, headers=headers, json=body)

    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["path", parameter]


def test_bad_query_parameters(client: TestClient, world: World) -> None:
    for params in (
        {"skip": "ten"},
        {"skip": "1e3"},
        {"limit": "NaN"},
        {"skip": str(2**31)},
        {"limit": "\x00"},
    ):
        response = client.get(
            f"{API}/items/", headers=world.user.headers, params=params
        )
        assert response.status_code == 422, params
