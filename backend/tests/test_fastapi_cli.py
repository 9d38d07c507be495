"""FastAPI's own CLI serves the app: `fastapi run app/main.py` (and `fastapi dev`)."""

import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.core.config import Settings
from tests.utils.balancer import instance_environment
from tests.utils.smtp import free_port

BACKEND_DIR = Path(__file__).resolve().parents[1]
FASTAPI = Path(sys.executable).with_name("fastapi")


def test_fastapi_run_serves_the_app(settings: Settings) -> None:
    port = free_port()
    server = subprocess.Popen(
        [
            str(FASTAPI),
            "run",
            "app/main.py",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=BACKEND_DIR,
        env=instance_environment(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read().decode()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "fastapi run did not start"
                time.sleep(0.2)
        ready = httpx.get(f"{base}/api/v1/utils/ready/", timeout=5)
        docs = httpx.get(f"{base}/api/v1/openapi.json", timeout=5)
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode()

    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"message": "ready"})
    assert docs.json()["info"]["title"] == settings.PROJECT_NAME
    assert "Using import string: app.main:app" in output
