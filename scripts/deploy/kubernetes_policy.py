"""What the Kubernetes manifests promise, checked on what Kustomize renders.

    python kubernetes_policy.py RENDERED_YAML SECRETS_EXAMPLE_YAML SETTINGS_PY

RENDERED_YAML is `kubectl kustomize deploy/kubernetes/overlays/production`,
SECRETS_EXAMPLE_YAML deploy/kubernetes/secrets.example.yaml (the Secrets made out of
band), SETTINGS_PY backend/app/core/config.py (read, not imported). The schemas say the
objects are well formed; this says they are the deployment deployment.md describes:
every pod unprivileged and sized, the backend's probes and rollout, the prestart Job,
the worker, PgBouncer, the autoscaler, the disruption budgets, the NetworkPolicies, and
no secret in the repository. kubernetes_policy_selftest.py breaks the manifests one way
at a time and checks that each break is found. Prints one line per failed promise;
exits 1 if there is any.
"""

import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kubernetes_manifests import (
    Object,
    containers,
    find,
    image_tag,
    load,
    pod_labels,
    pod_spec,
    port_number,
    quantity,
    secret_value,
    selects,
)
from kubernetes_policy_wiring import API_PORT, METRICS_PORT, WiringChecks

READY_PATH = "/api/v1/utils/ready/"
LIVE_PATH = "/health"
# uvicorn's --timeout-graceful-shutdown in backend/Dockerfile.
GRACEFUL_SHUTDOWN_SECONDS = 25
# SHUTDOWN_DRAIN_SECONDS when empty (backend/app/core/config.py, outside local).
DEFAULT_DRAIN_SECONDS = 5.0
PRESTART_COMMAND = ["python", "-m", "app.prestart"]
WORKER_COMMAND = ["python", "-m", "app.worker"]
# Deployments that serve nothing to route to, and why they have no probes.
PROBE_EXEMPT = {
    "worker": "nothing routes to it; a crashed worker exits and is restarted"
}
PHASE_LABEL = "rollout-phase"


class Policy(WiringChecks):
    """Every promise: the pods and workloads here, the wiring in WiringChecks."""

    def run(self) -> list[str]:
        for workload in self.workloads():
            self.check_pod(workload)
        for deployment in find(self.m.objects, "Deployment"):
            self.check_rollout(deployment)
            self.check_probes(deployment)
        backend = self.deployment("backend")
        if backend:
            self.check_backend(backend)
            self.check_autoscaler(backend)
            self.check_exposure(backend)
        self.check_worker(backend)
        self.check_prestart_job(backend)
        self.check_disruption_budgets()
        self.check_network_policies()
        self.check_secrets()
        self.check_settings(backend)
        self.check_pgbouncer()
        return self.failures

    # Every pod --------------------------------------------------------------------

    def check_pod(self, workload: Object) -> None:
        where = f"{workload['kind']}/{workload['metadata']['name']}"
        pod = pod_spec(workload)
        self.check(
            pod.get("automountServiceAccountToken") is False,
            f"{where} mounts no API token (automountServiceAccountToken: false)",
        )
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            self.check(not pod.get(host), f"{where} does not share the node's {host}")
        self.check(
            not any("hostPath" in volume for volume in pod.get("volumes", [])),
            f"{where} mounts no folder of the node",
        )
        pod_context = pod.get("securityContext", {})
        for container in containers(pod):
            self.check_container(
                f"{where} container {container['name']}", container, pod_context
            )

    def check_container(self, at: str, container: Object, pod_context: Object) -> None:
        context = container.get("securityContext", {})

        def setting(name: str) -> Any:
            return context.get(name, pod_context.get(name))

        self.check(setting("runAsNonRoot") is True, f"{at}: runAsNonRoot")
        self.check(setting("runAsUser") != 0, f"{at}: runAsUser is not 0 (root)")
        self.check(
            (setting("seccompProfile") or {}).get("type")
            in {"RuntimeDefault", "Localhost"},
            f"{at}: a seccomp profile (RuntimeDefault)",
        )
        self.check(
            context.get("allowPrivilegeEscalation") is False,
            f"{at}: allowPrivilegeEscalation: false",
        )
        self.check(not context.get("privileged"), f"{at}: not privileged")
        self.check(
            context.get("readOnlyRootFilesystem") is True,
            f"{at}: readOnlyRootFilesystem: true",
        )
        capabilities = context.get("capabilities", {})
        self.check(
            "ALL" in capabilities.get("drop", []), f"{at}: capabilities drop ALL"
        )
        self.check(not capabilities.get("add"), f"{at}: adds no capability")
        resources = container.get("resources", {})
        for resource in ("cpu", "memory"):
            request = resources.get("requests", {}).get(resource)
            limit = resources.get("limits", {}).get(resource)
            self.check(request is not None, f"{at}: requests {resource}")
            self.check(limit is not None, f"{at}: limits {resource}")
            if request is not None and limit is not None:
                self.check(
                    quantity(request) <= quantity(limit),
                    f"{at}: its {resource} request fits its limit",
                )
        tag = image_tag(container["image"])
        self.check(
            tag is not None, f"{at}: the image names a tag ({container['image']})"
        )
        self.check(tag != "latest", f"{at}: the image's tag is not latest")

    # Deployments ------------------------------------------------------------------

    def check_rollout(self, deployment: Object) -> None:
        where = f"Deployment/{deployment['metadata']['name']}"
        strategy = deployment["spec"].get("strategy", {})
        rolling = strategy.get("rollingUpdate", {})
        self.check(
            strategy.get("type", "RollingUpdate") == "RollingUpdate"
            and str(rolling.get("maxUnavailable")) in {"0", "0%"},
            f"{where} rolls with maxUnavailable: 0 (no pod stops before its "
            "successor is ready)",
        )
        self.check(
            str(rolling.get("maxSurge", "25%")) not in {"0", "0%"},
            f"{where} rolls with maxSurge above 0",
        )

    def check_probes(self, deployment: Object) -> None:
        name = deployment["metadata"]["name"]
        for container in pod_spec(deployment)["containers"]:
            at = f"Deployment/{name} container {container['name']}"
            if name in PROBE_EXEMPT:
                self.check(
                    not any(
                        "httpGet" in container.get(probe, {})
                        for probe in ("readinessProbe", "livenessProbe", "startupProbe")
                    ),
                    f"{at} has no HTTP probe: it serves no HTTP, {PROBE_EXEMPT[name]}",
                )
                continue
            self.check("readinessProbe" in container, f"{at} has a readiness probe")
            self.check("livenessProbe" in container, f"{at} has a liveness probe")

    def check_backend(self, backend: Object) -> None:
        pod = pod_spec(backend)
        container = pod["containers"][0]
        at = "Deployment/backend"
        self.check(
            "replicas" not in backend["spec"],
            f"{at} sets no replicas: its HorizontalPodAutoscaler owns the count",
        )
        self.check(
            "command" not in container and "args" not in container,
            f"{at} runs the image's own command (uvicorn, backend/Dockerfile)",
        )
        for probe, path in (
            ("readinessProbe", READY_PATH),
            ("livenessProbe", LIVE_PATH),
        ):
            http = container.get(probe, {}).get("httpGet", {})
            self.check(
                http.get("path") == path
                and port_number(container, http.get("port", "")) == API_PORT,
                f"{at}'s {probe} asks GET {path} on port {API_PORT}",
            )
        ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
        self.check(ports.get("http") == API_PORT, f"{at} names port {API_PORT} http")
        self.check(
            ports.get("metrics") == METRICS_PORT,
            f"{at} names port {METRICS_PORT} metrics",
        )
        pre_stop = container.get("lifecycle", {}).get("preStop", {})
        pause = pre_stop.get("sleep", {}).get("seconds", 0)
        self.check(
            pause > 0,
            f"{at} pauses in preStop, so it leaves the Service before uvicorn "
            "stops accepting",
        )
        drain = self.drain_seconds(container)
        grace = pod.get("terminationGracePeriodSeconds", 30)
        self.check(
            grace > pause + drain + GRACEFUL_SHUTDOWN_SECONDS,
            f"{at}: terminationGracePeriodSeconds ({grace}) exceeds the preStop pause "
            f"({pause} s), the app's drain (SHUTDOWN_DRAIN_SECONDS, {drain:g} s) and "
            f"uvicorn's {GRACEFUL_SHUTDOWN_SECONDS} s for requests in flight",
        )

    def drain_seconds(self, container: Object) -> float:
        """SHUTDOWN_DRAIN_SECONDS as the container's ConfigMaps give it (empty: the
        app's default outside ENVIRONMENT=local)."""
        data: dict[str, str] = {}
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                for config_map in find(
                    self.m.objects, "ConfigMap", source["configMapRef"]["name"]
                ):
                    data |= config_map.get("data", {})
        value = data.get("SHUTDOWN_DRAIN_SECONDS", "")
        return float(value) if value else DEFAULT_DRAIN_SECONDS

    def check_autoscaler(self, backend: Object) -> None:
        autoscalers = [
            h
            for h in find(self.m.objects, "HorizontalPodAutoscaler")
            if h["spec"]["scaleTargetRef"].get("kind") == "Deployment"
            and h["spec"]["scaleTargetRef"].get("name") == "backend"
        ]
        self.check(autoscalers, "a HorizontalPodAutoscaler scales Deployment/backend")
        for autoscaler in autoscalers:
            low = autoscaler["spec"].get("minReplicas", 1)
            high = autoscaler["spec"]["maxReplicas"]
            self.check(low >= 2, "the backend's autoscaler keeps at least 2 pods")
            self.check(
                high >= low, "the backend's autoscaler's maximum is above its minimum"
            )

    def check_exposure(self, backend: Object) -> None:
        """The API through a Service and the Ingress; the metrics port never."""
        labels = pod_labels(backend)
        container = pod_spec(backend)["containers"][0]
        services = [
            s
            for s in find(self.m.objects, "Service")
            if s["spec"].get("selector")
            and selects({"matchLabels": s["spec"]["selector"]}, labels)
        ]
        self.check(services, "a Service selects the backend's pods")
        routable = set()
        for service in services:
            for port in service["spec"]["ports"]:
                target = port_number(container, port.get("targetPort", port["port"]))
                self.check(
                    target == API_PORT,
                    f"Service/{service['metadata']['name']} exposes port "
                    f"{API_PORT} only, never the metrics port",
                )
                routable |= {
                    (service["metadata"]["name"], port.get("name")),
                    (service["metadata"]["name"], port["port"]),
                }
        ingresses = find(self.m.objects, "Ingress")
        self.check(ingresses, "an Ingress routes to the backend")
        for ingress in ingresses:
            for rule in ingress["spec"].get("rules", []):
                for path in rule.get("http", {}).get("paths", []):
                    service = path["backend"]["service"]
                    port = service["port"].get("name", service["port"].get("number"))
                    self.check(
                        (service["name"], port) in routable,
                        f"Ingress/{ingress['metadata']['name']} routes to the "
                        f"backend's API port only, not {service['name']}:{port}",
                    )

    def check_worker(self, backend: Object | None) -> None:
        worker = self.deployment("worker")
        if not worker:
            return
        container = pod_spec(worker)["containers"][0]
        self.check(
            container.get("command") == WORKER_COMMAND,
            f"Deployment/worker runs {' '.join(WORKER_COMMAND)}",
        )
        if backend:
            self.check(
                container["image"] == pod_spec(backend)["containers"][0]["image"],
                "Deployment/worker runs the backend's image",
            )
        self.check(
            any(
                p.get("name") == "metrics" and p["containerPort"] == METRICS_PORT
                for p in container.get("ports", [])
            ),
            f"Deployment/worker names port {METRICS_PORT} metrics",
        )

    def check_prestart_job(self, backend: Object | None) -> None:
        jobs = [
            j
            for j in find(self.m.objects, "Job")
            if pod_spec(j)["containers"][0].get("command") == PRESTART_COMMAND
        ]
        self.check(jobs, f"a prestart Job runs {' '.join(PRESTART_COMMAND)}")
        for job in jobs:
            where = f"Job/{job['metadata']['name']}"
            pod = pod_spec(job)
            container = pod["containers"][0]
            if backend:
                self.check(
                    container["image"] == pod_spec(backend)["containers"][0]["image"],
                    f"{where} runs the backend's image",
                )
            self.check(
                pod.get("restartPolicy") in {"Never", "OnFailure"},
                f"{where} does not restart forever",
            )
            self.check("backoffLimit" in job["spec"], f"{where} sets a backoffLimit")
            direct = next(
                (e for e in container.get("env", []) if e["name"] == "DATABASE_URL"),
                None,
            )
            reference = ((direct or {}).get("valueFrom") or {}).get("secretKeyRef", {})
            url = secret_value(
                self.m.secrets, reference.get("name"), reference.get("key")
            )
            self.check(
                url is not None and urlsplit(url).hostname != "pgbouncer",
                f"{where} reaches PostgreSQL directly, past PgBouncer "
                "(DATABASE_URL from its own Secret)",
            )
            self.check_phase(job, pod)

    def check_phase(self, job: Object, pod: Object) -> None:
        """The Job and the ConfigMaps it reads are all the rollout's first step
        applies (`--selector rollout-phase=prestart`), and nothing else is."""
        read = {
            source["configMapRef"]["name"]
            for container in containers(pod)
            for source in container.get("envFrom", [])
            if "configMapRef" in source
        }
        labelled = {
            (o["kind"], o["metadata"]["name"])
            for o in self.m.objects
            if o["metadata"].get("labels", {}).get(PHASE_LABEL) == "prestart"
        }
        wanted = {("Job", job["metadata"]["name"])} | {
            ("ConfigMap", name) for name in read
        }
        self.check(
            labelled == wanted,
            f"{PHASE_LABEL}=prestart labels the prestart Job and the ConfigMaps it "
            f"reads, nothing else: {sorted(labelled)} against {sorted(wanted)}",
        )


def main() -> None:
    rendered, secrets, settings = (Path(arg) for arg in sys.argv[1:4])
    failures = Policy(load(rendered, secrets, settings)).run()
    for failure in failures:
        print(f"kubernetes policy FAILED: {failure}")
    if failures:
        sys.exit(1)
    print(f"kubernetes policy: every promise holds ({rendered.name})")


if __name__ == "__main__":
    main()
