"""What the Compose files promise, checked on `docker compose config --format json`.

    python compose_policy.py PRODUCTION_JSON LOCAL_JSON OBSERVABILITY_JSON

PRODUCTION_JSON is `docker compose -f docker-compose.yml config --format json`,
LOCAL_JSON the same with the override merged in (plain `docker compose config`),
OBSERVABILITY_JSON production with `--profile observability`.
The schema says the files are well formed; this says they are the stack the docs
describe. Prints one line per failed promise; exits 1 if there is any.
"""

import json
import sys
from pathlib import Path
from typing import Any

import yaml

PRODUCTION_SERVICES = {"db", "redis", "prestart", "backend", "worker", "proxy"}
# What the backend's environment has that prestart's has not: uvicorn's own, and the
# jobs that run in the `worker` service rather than in the backend's processes.
BACKEND_ONLY = {"WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS", "JOBS_WORKER_IN_PROCESS"}
LOCAL_ONLY_SERVICES = {"adminer", "mailpit"}
OBSERVABILITY_SERVICES = {"otel-collector", "prometheus", "grafana"}
OBSERVABILITY_PROFILE = "observability"
DOCKER_SOCKET = "/var/run/docker.sock"
COMPOSE_FILE = Path(__file__).resolve().parents[2] / "docker-compose.yml"

failures: list[str] = []


def check(condition: bool, promise: str) -> None:
    if not condition:
        failures.append(promise)


def published(service: dict[str, Any]) -> set[str]:
    return {str(port.get("published")) for port in service.get("ports", [])}


def mounts(service: dict[str, Any]) -> list[dict[str, Any]]:
    return list(service.get("volumes", []))


def check_production(config: dict[str, Any]) -> None:
    services = config["services"]
    check(
        set(services) == PRODUCTION_SERVICES,
        f"production runs exactly {sorted(PRODUCTION_SERVICES)}, not {sorted(services)}",
    )
    for name, service in services.items():
        if name != "proxy":
            check(not published(service), f"production: {name} publishes no port")
        check(
            all(
                mount["type"] != "bind" or mount["source"] == DOCKER_SOCKET
                for mount in mounts(service)
            ),
            f"production: {name} mounts no host folder",
        )
        if name != "proxy":
            check(
                all(mount.get("source") != DOCKER_SOCKET for mount in mounts(service)),
                f"production: only the proxy sees the Docker socket, not {name}",
            )

    db = services["db"]
    check(db["image"] == "postgres:18", "db runs postgres:18")
    check("test" in db.get("healthcheck", {}), "db has a healthcheck")
    check(
        any(
            m["type"] == "volume" and m["target"] == "/var/lib/postgresql"
            for m in mounts(db)
        ),
        "db keeps its data in a named volume at /var/lib/postgresql (PostgreSQL 18)",
    )

    prestart, backend = services["prestart"], services["backend"]
    check(
        prestart["command"] == ["bash", "scripts/prestart.sh"],
        "prestart runs prestart.sh",
    )
    check(prestart.get("restart") == "no", "prestart runs once")
    check(prestart["image"] == backend["image"], "prestart runs the backend's image")
    depends = backend.get("depends_on", {})
    check(
        depends.get("prestart", {}).get("condition")
        == "service_completed_successfully",
        "backend starts only after prestart succeeded",
    )
    check(
        depends.get("db", {}).get("condition") == "service_healthy",
        "backend waits for a healthy db",
    )
    check(
        backend["build"]["dockerfile"] == "backend/Dockerfile",
        "backend is built from backend/Dockerfile",
    )
    check(
        backend.get("command") is None,
        "production backend runs the image's own command",
    )
    check("stop_grace_period" in backend, "backend has a stop_grace_period")
    check(backend.get("restart") == "always", "backend restarts")
    environment = backend["environment"]
    check("WEB_CONCURRENCY" in environment, "backend's worker count comes from env")
    check(
        environment.get("FORWARDED_ALLOW_IPS")
        == config["networks"]["edge"]["ipam"]["config"][0]["subnet"],
        "backend believes proxy headers from the proxy's network only",
    )
    prestart_environment = prestart["environment"]
    check(
        {k: v for k, v in prestart_environment.items() if k not in BACKEND_ONLY}
        == {k: v for k, v in environment.items() if k not in BACKEND_ONLY},
        "prestart and backend see the same settings",
    )
    check(
        environment.get("JOBS_WORKER_IN_PROCESS") == "false",
        "the backend's processes leave the jobs to the worker service",
    )
    worker = services["worker"]
    check(
        worker["image"] == backend["image"]
        and worker.get("command") == ["python", "-m", "app.worker"],
        "worker runs python -m app.worker on the backend's image",
    )
    check(
        worker.get("depends_on", {}).get("prestart", {}).get("condition")
        == "service_completed_successfully",
        "worker starts only after prestart succeeded",
    )
    check(worker["environment"] == prestart_environment, "worker sees prestart's settings")
    check(
        set(backend["networks"]) == {"default", "edge"},
        "backend is on default and edge",
    )

    proxy = services["proxy"]
    check(proxy["image"].startswith("traefik:v3"), "proxy is Traefik v3")
    check(
        published(proxy) == {"80", "443"}, "production proxy publishes 80 and 443 only"
    )
    check(set(proxy["networks"]) == {"edge"}, "proxy is on the edge network only")
    command = " ".join(proxy["command"])
    for flag in (
        "--providers.docker.exposedbydefault=false",
        "--entrypoints.web.http.redirections.entrypoint.to=websecure",
        "--entrypoints.websecure.http.tls.certresolver=letsencrypt",
        "--certificatesresolvers.letsencrypt.acme.tlschallenge=true",
    ):
        check(flag in command, f"production proxy sets {flag}")
    check("--api.insecure" not in command, "production proxy has no open dashboard")
    labels = backend.get("labels", {})
    check(labels.get("traefik.enable") == "true", "the proxy routes to the backend")
    check(
        any(
            key.endswith(".rule") and value.startswith("Host(")
            for key, value in labels.items()
        ),
        "the backend is routed by host name",
    )


def check_local(config: dict[str, Any]) -> None:
    services = config["services"]
    check(
        set(services) == PRODUCTION_SERVICES | LOCAL_ONLY_SERVICES,
        f"local adds {sorted(LOCAL_ONLY_SERVICES)}",
    )
    backend = services["backend"]
    environment = backend["environment"]
    check(
        (environment["SMTP_HOST"], environment["SMTP_PORT"]) == ("mailpit", "1025"),
        "local backend sends mail to Mailpit",
    )
    check("8000" in published(backend), "local backend is on localhost:8000")
    check("--reload" in backend.get("command", []), "local backend reloads on changes")
    check(
        any(
            m["type"] == "bind" and m["target"] == "/app/backend"
            for m in mounts(backend)
        ),
        "local backend runs the working copy",
    )
    check("8080" in published(services["adminer"]), "Adminer is on localhost:8080")
    check("8025" in published(services["mailpit"]), "Mailpit's UI is on localhost:8025")
    check("5432" in published(services["db"]), "local db is on localhost:5432")


def pinned(image: str) -> bool:
    """A tag that names a release: not missing, not `latest`."""
    name, _, tag = image.rpartition(":")
    return bool(name) and "/" not in tag and tag not in {"", "latest"}


def check_observability(production: dict[str, Any], config: dict[str, Any]) -> None:
    services = config["services"]
    check(
        set(services) == PRODUCTION_SERVICES | OBSERVABILITY_SERVICES,
        f"the profile adds exactly {sorted(OBSERVABILITY_SERVICES)}, "
        f"not {sorted(set(services) - PRODUCTION_SERVICES)}",
    )
    for name in PRODUCTION_SERVICES & set(services):
        check(
            services[name] == production["services"][name],
            f"the profile leaves {name} as production has it",
        )
    for name in OBSERVABILITY_SERVICES & set(services):
        service = services[name]
        check(
            service.get("profiles") == [OBSERVABILITY_PROFILE],
            f"{name} starts only with --profile {OBSERVABILITY_PROFILE}",
        )
        check(pinned(service["image"]), f"{name}'s image is pinned by tag")
        check(
            all(mount["type"] == "volume" for mount in mounts(service)),
            f"{name} mounts no host folder (its files come as configs)",
        )
        check(
            bool(service.get("configs"))
            and all(
                "/deploy/observability/" in config["configs"][item["source"]]["file"]
                for item in service["configs"]
            ),
            f"{name}'s configuration comes from deploy/observability",
        )
        if name != "grafana":
            check(not published(service), f"{name} publishes no port")
    grafana = services.get("grafana", {})
    check(
        {(p.get("host_ip"), str(p.get("published"))) for p in grafana.get("ports", [])}
        == {("127.0.0.1", "3000")},
        "Grafana is published on the server's 127.0.0.1:3000 only",
    )
    environment = grafana.get("environment") or {}
    check(
        not any("PASSWORD" in key for key in environment),
        "Grafana's admin password is not written in docker-compose.yml",
    )
    # The env file is optional, so `config` leaves it out where it does not exist
    # (as in CI): the file as written says where the password comes from.
    written = yaml.safe_load(COMPOSE_FILE.read_text())["services"]["grafana"]
    check(
        written.get("env_file")
        == [{"path": "deploy/observability/grafana.env", "required": False}],
        "Grafana reads its admin password from deploy/observability/grafana.env",
    )
    check(
        "GF_SECURITY_ADMIN_PASSWORD" in " ".join(grafana.get("entrypoint") or []),
        "Grafana refuses to start without an admin password",
    )
    check(
        environment.get("GF_AUTH_ANONYMOUS_ENABLED") == "false",
        "Grafana has no anonymous access",
    )


def main() -> None:
    production_file, local_file, observability_file = sys.argv[1:4]
    with (
        open(production_file) as production_json,
        open(local_file) as local_json,
        open(observability_file) as observability_json,
    ):
        production = json.load(production_json)
        check_production(production)
        check_local(json.load(local_json))
        check_observability(production, json.load(observability_json))
    for failure in failures:
        print(f"compose policy FAILED: {failure}")
    if failures:
        sys.exit(1)
    print("compose policy: every promise holds")


if __name__ == "__main__":
    main()
