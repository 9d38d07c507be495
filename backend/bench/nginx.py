"""Debian's nginx as the balancer in front of app servers, for the scale-out run."""

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.servers import HOST, STARTUP_TIMEOUT_SECONDS, Server, free_port

NGINX = Path("/usr/sbin/nginx")
NGINX_INSTALL_HINT = (
    "nginx is missing: install Debian's with `apt-get install -y nginx`; "
    "run as root, the benchmark installs it itself."
)


def ensure_nginx() -> None:
    if NGINX.exists():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("nginx is missing: installing it with apt-get (we are root)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "nginx"], check=True, env=env
        )
    if not NGINX.exists():
        raise SystemExit(NGINX_INSTALL_HINT)


def nginx_version() -> str:
    finished = subprocess.run(
        [str(NGINX), "-v"], capture_output=True, text=True, check=False
    )
    return (finished.stderr or finished.stdout).strip().removeprefix("nginx version: ")


def nginx_config(folder: Path, port: int, upstreams: list[str]) -> str:
    """A production-like balancer: a worker per core, kept-alive upstream connections
    and round robin; no access log, so that the figures are the app's."""
    servers = "".join(f"        server {address};\n" for address in upstreams)
    return f"""\
worker_processes auto;
pid {folder}/nginx.pid;
error_log stderr warn;
events {{
    worker_connections 1024;
}}
http {{
    access_log off;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    upstream app {{
{servers}        keepalive 64;
    }}
    server {{
        listen {HOST}:{port};
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
        }}
    }}
}}
"""


@contextmanager
def nginx_in_front(servers: list[Server], log_path: Path) -> Iterator[tuple[str, int]]:
    """Nginx balancing over `servers` until the block ends: its URL and its pid."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-nginx-") as folder:
        config = Path(folder) / "nginx.conf"
        upstreams = [f"{HOST}:{server.port}" for server in servers]
        config.write_text(nginx_config(Path(folder), port, upstreams))
        command = [str(NGINX), "-p", folder, "-c", str(config), "-e", "stderr"]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [*command, "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT
            )
        try:
            url = f"http://{HOST}:{port}"
            wait_for(f"{url}/health", process, log_path)
            yield url, process.pid
        finally:
            process.terminate()
            process.wait(timeout=20)


def wait_for(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited; see {log_path}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nginx did not answer {url}; see {log_path}")
