"""The Kubernetes policy's own test: each promise, broken on purpose, must be caught.

    python kubernetes_policy_selftest.py RENDERED_YAML SECRETS_EXAMPLE_YAML SETTINGS_PY

The same arguments as kubernetes_policy.py. The manifests as they are must pass; then
each break below is made on a fresh copy of them, and the policy must report it (a
finding containing the given words). Prints what it broke and what was found; exits 1
if any break went unnoticed or the unbroken manifests fail.
"""

import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubernetes_manifests import Manifests, Object, find, load, pod_spec
from kubernetes_policy import Policy


def workload(m: Manifests, kind: str, name: str) -> Object:
    return find(m.objects, kind, name)[0]


def container(m: Manifests, kind: str, name: str) -> Object:
    found: Object = pod_spec(workload(m, kind, name))["containers"][0]
    return found


def backend(m: Manifests) -> Object:
    return container(m, "Deployment", "backend")


def drop(m: Manifests, kind: str, name: str | None = None) -> None:
    m.objects = [o for o in m.objects if o not in find(m.objects, kind, name)]


def network_policy(m: Manifests, name: str) -> Object:
    return workload(m, "NetworkPolicy", name)


def config_map(m: Manifests, prefix: str) -> Object:
    return next(
        o
        for o in find(m.objects, "ConfigMap")
        if o["metadata"]["name"].startswith(prefix)
    )


def set_in(mapping: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for key in parents:
        mapping = mapping.setdefault(key, {})
    mapping[last] = value


# (what is broken, words the finding must contain, how to break it)
BREAKS: list[tuple[str, str, Callable[[Manifests], None]]] = [
    (
        "the backend's readiness probe removed",
        "readiness probe",
        lambda m: backend(m).pop("readinessProbe"),
    ),
    (
        "the backend's readiness probe on /health",
        "readinessProbe asks GET /api/v1/utils/ready/",
        lambda m: set_in(backend(m), "readinessProbe.httpGet.path", "/health"),
    ),
    (
        "the backend's liveness probe on the readiness path",
        "livenessProbe asks GET /health",
        lambda m: set_in(
            backend(m), "livenessProbe.httpGet.path", "/api/v1/utils/ready/"
        ),
    ),
    (
        "PgBouncer's liveness probe removed",
        "pgbouncer has a liveness probe",
        lambda m: container(m, "Deployment", "pgbouncer").pop("livenessProbe"),
    ),
    (
        "the backend's pod may run as root",
        "runAsNonRoot",
        lambda m: set_in(
            pod_spec(workload(m, "Deployment", "backend")),
            "securityContext.runAsNonRoot",
            False,
        ),
    ),
    (
        "the Job runs as uid 0",
        "runAsUser is not 0",
        lambda m: set_in(
            container(m, "Job", "backend-prestart"), "securityContext.runAsUser", 0
        ),
    ),
    (
        "the worker may escalate privileges",
        "allowPrivilegeEscalation: false",
        lambda m: set_in(
            container(m, "Deployment", "worker"),
            "securityContext.allowPrivilegeEscalation",
            True,
        ),
    ),
    (
        "PgBouncer's root filesystem writable",
        "readOnlyRootFilesystem: true",
        lambda m: container(m, "Deployment", "pgbouncer")["securityContext"].pop(
            "readOnlyRootFilesystem"
        ),
    ),
    (
        "the backend keeps its capabilities",
        "capabilities drop ALL",
        lambda m: backend(m)["securityContext"].pop("capabilities"),
    ),
    (
        "the backend adds NET_ADMIN",
        "adds no capability",
        lambda m: set_in(backend(m), "securityContext.capabilities.add", ["NET_ADMIN"]),
    ),
    (
        "no seccomp profile on the worker",
        "seccomp profile",
        lambda m: pod_spec(workload(m, "Deployment", "worker"))["securityContext"].pop(
            "seccompProfile"
        ),
    ),
    (
        "the Job without a memory limit",
        "limits memory",
        lambda m: container(m, "Job", "backend-prestart")["resources"]["limits"].pop(
            "memory"
        ),
    ),
    (
        "the worker without a CPU request",
        "requests cpu",
        lambda m: container(m, "Deployment", "worker")["resources"]["requests"].pop(
            "cpu"
        ),
    ),
    (
        "a request above its limit",
        "request fits its limit",
        lambda m: set_in(backend(m), "resources.requests.memory", "4Gi"),
    ),
    (
        "the backend's image at latest",
        "is not latest",
        lambda m: set_in(
            backend(m), "image", "registry.example.com/team/backend:latest"
        ),
    ),
    (
        "PgBouncer's image without a tag",
        "names a tag",
        lambda m: set_in(
            container(m, "Deployment", "pgbouncer"), "image", "edoburu/pgbouncer"
        ),
    ),
    (
        "an API token mounted into the backend",
        "automountServiceAccountToken",
        lambda m: set_in(
            pod_spec(workload(m, "Deployment", "backend")),
            "automountServiceAccountToken",
            True,
        ),
    ),
    (
        "a node folder mounted into the worker",
        "no folder of the node",
        lambda m: pod_spec(workload(m, "Deployment", "worker"))["volumes"].append(
            {"name": "host", "hostPath": {"path": "/"}}
        ),
    ),
    ("the prestart Job removed", "prestart Job", lambda m: drop(m, "Job")),
    (
        "the prestart Job through PgBouncer",
        "directly, past PgBouncer",
        lambda m: container(m, "Job", "backend-prestart").pop("env"),
    ),
    (
        "the prestart Job restarting forever",
        "does not restart forever",
        lambda m: set_in(
            pod_spec(workload(m, "Job", "backend-prestart")), "restartPolicy", "Always"
        ),
    ),
    (
        "the phase label on the Service too",
        "rollout-phase=prestart",
        lambda m: set_in(
            workload(m, "Service", "backend"),
            "metadata.labels.rollout-phase",
            "prestart",
        ),
    ),
    (
        "the worker removed",
        "Deployment named worker",
        lambda m: drop(m, "Deployment", "worker"),
    ),
    (
        "the worker with an HTTP probe",
        "no HTTP probe",
        lambda m: set_in(
            container(m, "Deployment", "worker"),
            "livenessProbe.httpGet",
            {"path": "/health", "port": 9100},
        ),
    ),
    (
        "the backend's PodDisruptionBudget removed",
        "PodDisruptionBudget covers Deployment/backend",
        lambda m: drop(m, "PodDisruptionBudget", "backend"),
    ),
    (
        "a budget that blocks every drain",
        "lets a drain proceed",
        lambda m: set_in(
            workload(m, "PodDisruptionBudget", "worker"), "spec.maxUnavailable", 0
        ),
    ),
    (
        "the autoscaler aimed at another Deployment",
        "HorizontalPodAutoscaler scales",
        lambda m: set_in(
            workload(m, "HorizontalPodAutoscaler", "backend"),
            "spec.scaleTargetRef.name",
            "worker",
        ),
    ),
    (
        "the autoscaler down to one pod",
        "at least 2 pods",
        lambda m: set_in(
            workload(m, "HorizontalPodAutoscaler", "backend"), "spec.minReplicas", 1
        ),
    ),
    (
        "a replica count beside the autoscaler",
        "sets no replicas",
        lambda m: set_in(workload(m, "Deployment", "backend"), "spec.replicas", 3),
    ),
    (
        "a rollout that stops pods first",
        "maxUnavailable: 0",
        lambda m: set_in(
            workload(m, "Deployment", "backend"),
            "spec.strategy.rollingUpdate.maxUnavailable",
            1,
        ),
    ),
    (
        "a grace period shorter than the shutdown",
        "terminationGracePeriodSeconds",
        lambda m: set_in(
            pod_spec(workload(m, "Deployment", "backend")),
            "terminationGracePeriodSeconds",
            20,
        ),
    ),
    ("no preStop pause", "pauses in preStop", lambda m: backend(m).pop("lifecycle")),
    (
        "a drain longer than the grace period allows",
        "terminationGracePeriodSeconds",
        lambda m: config_map(m, "backend-config")["data"].update(
            SHUTDOWN_DRAIN_SECONDS="20"
        ),
    ),
    (
        "the metrics port in the Service",
        "never the metrics port",
        lambda m: workload(m, "Service", "backend")["spec"]["ports"].append(
            {"name": "metrics", "port": 9100, "targetPort": "metrics"}
        ),
    ),
    (
        "the Ingress routing to the metrics port",
        "API port only",
        lambda m: set_in(
            workload(m, "Ingress", "backend")["spec"]["rules"][0]["http"]["paths"][0],
            "backend.service.port",
            {"number": 9100},
        ),
    ),
    (
        "every NetworkPolicy removed",
        "NetworkPolicy",
        lambda m: drop(m, "NetworkPolicy"),
    ),
    (
        "the metrics port open to any pod of the cluster",
        "admits port 9100 of backend only from Prometheus",
        lambda m: network_policy(m, "backend")["spec"]["ingress"][1].update(
            {"from": [{"namespaceSelector": {}}]}
        ),
    ),
    (
        "the API port open to everyone",
        "names the ports and peers",
        lambda m: network_policy(m, "backend")["spec"]["ingress"][0].pop("from"),
    ),
    (
        "the API port open to an address range",
        "admits port 8000 of backend only from the ingress",
        lambda m: network_policy(m, "backend")["spec"]["ingress"][0].update(
            {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}
        ),
    ),
    (
        "PgBouncer open to other namespaces",
        "admits port 5432 of pgbouncer only from the backend",
        lambda m: network_policy(m, "pgbouncer")["spec"]["ingress"][0]["from"][
            0
        ].update({"namespaceSelector": {}}),
    ),
    (
        "a Secret rendered by Kustomize",
        "is not rendered",
        lambda m: m.objects.append(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "backend-secrets"},
                "stringData": {"SECRET_KEY": "changethis"},
            }
        ),
    ),
    (
        "a real-looking secret in the example",
        "placeholders only",
        lambda m: find(m.secrets, "Secret", "backend-secrets")[0]["stringData"].update(
            {"SECRET_KEY": "hG3k9vQ2xLmN7pRt"}
        ),
    ),
    (
        "a base64 secret in the example",
        "placeholders only",
        lambda m: find(m.secrets, "Secret", "pgbouncer-auth")[0].update(
            {"data": {"extra": "c2VjcmV0LXZhbHVl"}}
        ),
    ),
    (
        "a Secret key the example lacks",
        "in the example",
        lambda m: find(m.secrets, "Secret", "pgbouncer-auth")[0]["stringData"].pop(
            "userlist.txt"
        ),
    ),
    (
        "a setting missing from ConfigMap and Secret",
        "gets setting BCRYPT_ROUNDS",
        lambda m: config_map(m, "backend-config")["data"].pop("BCRYPT_ROUNDS"),
    ),
    (
        "a new setting in config.py the ConfigMap lacks",
        "gets setting NEW_SETTING",
        lambda m: m.settings.add("NEW_SETTING"),
    ),
    (
        "a password in the ConfigMap",
        "is not a secret",
        lambda m: config_map(m, "backend-config")["data"].update(
            {"SMTP_PASSWORD": "x"}
        ),
    ),
    (
        "the app's DATABASE_URL straight to PostgreSQL",
        "names the PgBouncer Service",
        lambda m: find(m.secrets, "Secret", "backend-secrets")[0]["stringData"].update(
            {
                "DATABASE_URL": "postgresql://app:changethis@postgres.example.internal:5432/app"
            }
        ),
    ),
    (
        "PgBouncer in session mode",
        "pools by transaction",
        lambda m: config_map(m, "pgbouncer-config")["data"].update(
            {
                "pgbouncer.ini": config_map(m, "pgbouncer-config")["data"][
                    "pgbouncer.ini"
                ].replace("pool_mode = transaction", "pool_mode = session")
            }
        ),
    ),
    (
        "PgBouncer without prepared statements",
        "max_prepared_statements",
        lambda m: config_map(m, "pgbouncer-config")["data"].update(
            {
                "pgbouncer.ini": config_map(m, "pgbouncer-config")["data"][
                    "pgbouncer.ini"
                ].replace(
                    "max_prepared_statements = 200", "max_prepared_statements = 0"
                )
            }
        ),
    ),
    (
        "PgBouncer older than 1.21",
        "1.21 or newer",
        lambda m: set_in(
            container(m, "Deployment", "pgbouncer"),
            "image",
            "edoburu/pgbouncer:v1.20.1-p0",
        ),
    ),
]


def main() -> None:
    rendered, secrets, settings = (Path(arg) for arg in sys.argv[1:4])
    pristine = load(rendered, secrets, settings)
    unbroken = Policy(copy.deepcopy(pristine)).run()
    missed = []
    for failure in unbroken:
        print(f"self-test FAILED: the manifests as they are: {failure}")
    for what, words, breaking in BREAKS:
        manifests = copy.deepcopy(pristine)
        breaking(manifests)
        found = [f for f in Policy(manifests).run() if words in f]
        if found:
            print(f"caught: {what}: {found[0]}")
        else:
            missed.append(what)
            print(f"self-test FAILED: not caught: {what} (no finding with {words!r})")
    if unbroken or missed:
        sys.exit(1)
    print(f"policy-self-test: {len(BREAKS)} passed, 0 failed")


if __name__ == "__main__":
    main()
