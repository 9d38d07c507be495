"""The wiring part of kubernetes_policy.py: disruption budgets, NetworkPolicies, the
Secrets and settings the pods read, and PgBouncer's configuration.
"""

import re
from urllib.parse import urlsplit

from kubernetes_manifests import (
    Checks,
    Object,
    containers,
    find,
    image_tag,
    ini_settings,
    pod_labels,
    pod_spec,
    port_number,
    secret_value,
    secret_values,
    selects,
)

API_PORT = 8000
METRICS_PORT = 9100
POSTGRES_PORT = 5432
# Who may connect to which port (network-policies.yaml).
INGRESS_CONTROLLER = "the ingress controller's namespace"
PROMETHEUS = "Prometheus's pods in the monitoring namespace"
APP_PODS = "the backend's and the worker's pods"
# Settings the ConfigMap leaves out: the image puts the UI where the app looks.
IMAGE_FIXED = {"FRONTEND_DIST"}
# Read by uvicorn in the backend's container, not by the app.
SERVER_ENVIRONMENT = {"WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS"}
PLACEHOLDER = "changethis"
# Names that hold a credential: passwords, keys, and URLs (which may carry one).
SECRET_LOOKING = re.compile(r"PASSWORD$|SECRET|_DSN$|_TOKEN$|_URL$")
# psycopg keeps up to 100 prepared statements per connection (prepared_max).
PSYCOPG_PREPARED_MAX = 100
PGBOUNCER_MIN_VERSION = (1, 21)


class WiringChecks(Checks):
    # Disruptions, network ---------------------------------------------------------

    def check_disruption_budgets(self) -> None:
        budgets = find(self.m.objects, "PodDisruptionBudget")
        for name in ("backend", "worker", "pgbouncer"):
            deployment = find(self.m.objects, "Deployment", name)
            if not deployment:
                continue
            labels = pod_labels(deployment[0])
            covering = [
                b for b in budgets if selects(b["spec"].get("selector"), labels)
            ]
            self.check(covering, f"a PodDisruptionBudget covers Deployment/{name}")
            for budget in covering:
                self.check(
                    str(budget["spec"].get("maxUnavailable", 1)) not in {"0", "0%"},
                    f"PodDisruptionBudget/{budget['metadata']['name']} lets a drain "
                    "proceed",
                )

    def check_network_policies(self) -> None:
        policies = find(self.m.objects, "NetworkPolicy")
        self.check(
            any(
                not p["spec"]["podSelector"]
                and "Ingress" in p["spec"].get("policyTypes", [])
                and not p["spec"].get("ingress")
                for p in policies
            ),
            "a NetworkPolicy denies all incoming connections but those allowed",
        )
        for name, allowed in (
            ("backend", {API_PORT: INGRESS_CONTROLLER, METRICS_PORT: PROMETHEUS}),
            ("worker", {METRICS_PORT: PROMETHEUS}),
            ("pgbouncer", {POSTGRES_PORT: APP_PODS}),
        ):
            deployment = find(self.m.objects, "Deployment", name)
            if deployment:
                self.check_admitted(deployment[0], allowed, policies)

    def check_admitted(
        self, deployment: Object, allowed: dict[int, str], policies: list[Object]
    ) -> None:
        name = deployment["metadata"]["name"]
        labels = pod_labels(deployment)
        container = pod_spec(deployment)["containers"][0]
        admitted: set[int] = set()
        for policy in policies:
            if not policy["spec"]["podSelector"] or not selects(
                policy["spec"]["podSelector"], labels
            ):
                continue
            where = f"NetworkPolicy/{policy['metadata']['name']}"
            for rule in policy["spec"].get("ingress", []):
                ports = [
                    port_number(container, p.get("port", ""))
                    for p in rule.get("ports", [])
                ]
                peers = rule.get("from", [])
                self.check(
                    ports and peers, f"{where} names the ports and peers of each rule"
                )
                for port in ports:
                    self.check(
                        port in allowed,
                        f"{where} admits no port of {name} but "
                        f"{sorted(allowed)}, not {port}",
                    )
                    if port not in allowed:
                        continue
                    admitted.add(port)
                    for peer in peers:
                        self.check(
                            self.peer_fits(peer, allowed[port]),
                            f"{where} admits port {port} of {name} only from "
                            f"{allowed[port]}",
                        )
        for port, peer in allowed.items():
            self.check(
                port in admitted,
                f"a NetworkPolicy admits {peer} to port {port} of {name}",
            )

    def peer_fits(self, peer: Object, kind: str) -> bool:
        namespaces = peer.get("namespaceSelector")
        pods = peer.get("podSelector")
        if "ipBlock" in peer:
            return False
        if kind == INGRESS_CONTROLLER:  # a named namespace
            return bool(namespaces)
        if kind == PROMETHEUS:  # named pods of a named namespace
            return bool(namespaces) and bool(pods)
        # The app's own pods: this namespace, the backend's and the worker's.
        return (
            namespaces is None
            and bool(pods)
            and all(
                selects(pods, pod_labels(d))
                for d in find(self.m.objects, "Deployment")
                if d["metadata"]["name"] in {"backend", "worker"}
            )
        )

    # Secrets and settings ---------------------------------------------------------

    def check_secrets(self) -> None:
        for secret in find(self.m.objects, "Secret"):
            self.failures.append(
                f"Secret/{secret['metadata']['name']} is not rendered: Secrets are "
                "made out of band, so `kubectl apply -k` never overwrites the real ones"
            )
        examples = {
            s["metadata"]["name"]: secret_values(s)
            for s in find(self.m.secrets, "Secret")
        }
        for name, values in examples.items():
            for key, value in values.items():
                self.check(
                    value == "" or PLACEHOLDER in value,
                    f"the example Secret {name} holds placeholders only ({key})",
                )
        for workload in self.workloads():
            where = f"{workload['kind']}/{workload['metadata']['name']}"
            for secret_name, wanted in self.secret_references(pod_spec(workload)):
                self.check(
                    secret_name in examples,
                    f"{where} reads Secret {secret_name}, in the example",
                )
                if secret_name in examples and wanted is not None:
                    self.check(
                        wanted in examples[secret_name],
                        f"{where} reads {secret_name}'s key {wanted}, in the example",
                    )

    @staticmethod
    def secret_references(pod: Object) -> list[tuple[str, str | None]]:
        found: list[tuple[str, str | None]] = []
        for container in containers(pod):
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    found.append((source["secretRef"]["name"], None))
            for entry in container.get("env", []):
                reference = (entry.get("valueFrom") or {}).get("secretKeyRef")
                if reference:
                    found.append((reference["name"], reference["key"]))
        for volume in pod.get("volumes", []):
            sources = [volume, *volume.get("projected", {}).get("sources", [])]
            for source in sources:
                secret = source.get("secret")
                if secret:
                    name = secret.get("secretName", secret.get("name"))
                    items = secret.get("items") or [{"key": None}]
                    found += [(name, item["key"]) for item in items]
        return found

    def check_settings(self, backend: Object | None) -> None:
        if not backend:
            return
        container = pod_spec(backend)["containers"][0]
        config_names = [
            s["configMapRef"]["name"]
            for s in container.get("envFrom", [])
            if "configMapRef" in s
        ]
        secret_names = [
            s["secretRef"]["name"]
            for s in container.get("envFrom", [])
            if "secretRef" in s
        ]
        config: set[str] = set()
        for name in config_names:
            for config_map in find(self.m.objects, "ConfigMap", name):
                config |= set(config_map.get("data", {}))
        secret: set[str] = set()
        for example in find(self.m.secrets, "Secret"):
            if example["metadata"]["name"] in secret_names:
                secret |= set(secret_values(example))
        settings = self.m.settings - IMAGE_FIXED
        for name in sorted(settings - config - secret):
            self.failures.append(
                f"the backend gets setting {name} (ConfigMap or Secret)"
            )
        for name in sorted(config - settings - SERVER_ENVIRONMENT):
            self.failures.append(f"ConfigMap key {name} is a setting of config.py")
        for name in sorted(secret - settings):
            self.failures.append(f"Secret key {name} is a setting of config.py")
        for name in sorted(config & secret):
            self.failures.append(
                f"{name} comes from the ConfigMap or the Secret, not both"
            )
        for name in sorted(config):
            self.check(
                not SECRET_LOOKING.search(name),
                f"ConfigMap key {name} is not a secret (it belongs in the Secret)",
            )
        url = secret_value(self.m.secrets, "backend-secrets", "DATABASE_URL")
        self.check(
            url is not None and urlsplit(url).hostname == "pgbouncer",
            "the app's DATABASE_URL names the PgBouncer Service",
        )

    def check_pgbouncer(self) -> None:
        deployment = self.deployment("pgbouncer")
        if not deployment:
            return
        self.check(
            find(self.m.objects, "Service", "pgbouncer"),
            "a Service named pgbouncer exists",
        )
        pod = pod_spec(deployment)
        tag = image_tag(pod["containers"][0]["image"]) or ""
        version = re.search(r"(\d+)\.(\d+)", tag)
        self.check(
            version is not None
            and (int(version[1]), int(version[2])) >= PGBOUNCER_MIN_VERSION,
            "PgBouncer is 1.21 or newer (prepared statements in transaction mode)",
        )
        files: dict[str, str] = {}
        for volume in pod.get("volumes", []):
            for source in [volume, *volume.get("projected", {}).get("sources", [])]:
                name = (source.get("configMap") or {}).get("name")
                for config_map in find(self.m.objects, "ConfigMap", name):
                    files.update(config_map.get("data", {}))
        ini = ini_settings(files.get("pgbouncer.ini", ""))
        self.check(
            ini.get("pool_mode") == "transaction", "PgBouncer pools by transaction"
        )
        self.check(
            int(ini.get("max_prepared_statements", "0")) >= PSYCOPG_PREPARED_MAX,
            f"PgBouncer keeps at least psycopg's {PSYCOPG_PREPARED_MAX} prepared "
            "statements per connection (max_prepared_statements)",
        )
        for line in files.get("pgbouncer.ini", "").splitlines():
            if line.startswith("%include "):
                included = line.split()[1].rsplit("/", 1)[-1]
                self.check(
                    included in files, f"PgBouncer's {included} is in its ConfigMap"
                )
        self.check(
            "[databases]" in "".join(files.values()), "PgBouncer names its database"
        )
