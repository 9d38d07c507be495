"""The built admin UI served from the API's port, without shadowing the API."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from tests.conftest import make_settings

INDEX = "<!doctype html><title>Admin</title><div id=root></div>"
SCRIPT = "console.log('app')"
SECRET = "outside the dist folder"
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("ui")
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "assets" / "app.js").write_text(SCRIPT)
    (dist / "favicon.ico").write_bytes(b"icon")
    (tmp_path / "secret.txt").write_text(SECRET)
    (dist / "leak.txt").symlink_to(tmp_path / "secret.txt")
    return dist


@pytest.fixture(scope="module")
def ui_client(
    database_url: str, settings: Settings, dist: Path
) -> Iterator[TestClient]:
    with_ui = make_settings(database_url, settings.SMTP_PORT, FRONTEND_DIST=dist)
    with TestClient(create_app(with_ui)) as client:
        yield client


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/items",
        "/admin",
        "/items/42/edit",
        "/login?next=/",
        # Client routes that merely start like a reserved path.
        "/docsearch",
        "/healthy-habits",
        "/api/v10",
    ],
)
def test_client_routes_get_the_index(ui_client: TestClient, path: str) -> None:
    response = ui_client.get(path)

    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"


def test_assets_are_cached_for_good(ui_client: TestClient) -> None:
    response = ui_client.get("/assets/app.js")

    assert response.status_code == 200
    assert response.text == SCRIPT
    assert response.headers["cache-control"] == IMMUTABLE


def test_a_missing_asset_is_not_found_rather_than_the_index(
    ui_client: TestClient,
) -> None:
    response = ui_client.get("/assets/old-bundle-1234.js")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_other_files_are_revalidated(ui_client: TestClient) -> None:
    response = ui_client.get("/favicon.ico")

    assert response.status_code == 200
    assert response.content == b"icon"
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nonexistent", "/api/v1", "/api/v1/", "/docs/nonexistent", "/health/x"],
)
def test_unknown_api_paths_are_not_shadowed(ui_client: TestClient, path: str) -> None:
    response = ui_client.get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_unknown_api_paths_are_not_found_for_every_method(
    ui_client: TestClient, method: str
) -> None:
    response = ui_client.request(method, "/api/v1/nonexistent")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_wrong_method_on_an_api_path_is_still_405(ui_client: TestClient) -> None:
    response = ui_client.post("/api/v1/users/me")

    assert response.status_code == 405


def test_api_trailing_slash_redirect_survives(ui_client: TestClient) -> None:
    response = ui_client.get("/api/v1/items", follow_redirects=False)

    assert response.status_code == 307
    assert response.headers["location"] == "http://testserver/api/v1/items/"


def test_api_still_answers(ui_client: TestClient) -> None:
    assert ui_client.get("/api/v1/utils/health-check/").json() is True
    assert ui_client.get("/health").json() == {"status": "ok"}
    assert ui_client.get("/api/v1/users/me").status_code == 401


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/api/v1/openapi.json"])
def test_documentation_is_not_shadowed(ui_client: TestClient, path: str) -> None:
    response = ui_client.get(path)

    assert response.status_code == 200
    assert response.text != INDEX


@pytest.mark.parametrize(
    "path",
    [
        "/..%2fsecret.txt",
        "/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/leak.txt",
    ],
)
def test_no_file_outside_dist(ui_client: TestClient, path: str) -> None:
    response = ui_client.get(path)

    assert SECRET not in response.text
    assert response.status_code in {200, 404}
    if response.status_code == 200:
        assert response.text == INDEX


def test_absolute_path_outside_dist(ui_client: TestClient, dist: Path) -> None:
    response = ui_client.get("/" + str(dist.parent / "secret.txt"))

    assert response.status_code == 200
    assert response.text == INDEX


def test_without_a_build_nothing_is_mounted(
    database_url: str, settings: Settings, tmp_path: Path
) -> None:
    without_ui = make_settings(database_url, settings.SMTP_PORT, FRONTEND_DIST=tmp_path)
    with TestClient(create_app(without_ui)) as client:
        response = client.get("/items")

    assert response.status_code == 404
