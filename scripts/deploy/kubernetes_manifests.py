"""Reading the rendered Kubernetes manifests: the helpers kubernetes_policy.py and its
self-test share. Nothing here judges; it finds objects, their pods and their values.
"""

import ast
import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

Object = dict[str, Any]

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}


@dataclass
class Manifests:
    objects: list[Object]  # what Kustomize renders
    secrets: list[Object]  # the example Secrets
    settings: set[str]  # the Settings fields of backend/app/core/config.py


def load(rendered: Path, secrets: Path, settings: Path) -> Manifests:
    return Manifests(
        objects=[o for o in yaml.safe_load_all(rendered.read_text()) if o],
        secrets=[o for o in yaml.safe_load_all(secrets.read_text()) if o],
        settings=settings_fields(settings.read_text()),
    )


def settings_fields(source: str) -> set[str]:
    """The fields of `class Settings` in config.py."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name == "Settings":
            return {
                item.target.id
                for item in node.body
                if isinstance(item, ast.AnnAssign)
                and isinstance(item.target, ast.Name)
                and item.target.id.isupper()
            }
    raise SystemExit("no class Settings in the settings file")


# Reading the objects ----------------------------------------------------------------


def find(objects: list[Object], kind: str, name: str | None = None) -> list[Object]:
    return [
        o
        for o in objects
        if o.get("kind") == kind and (name is None or o["metadata"]["name"] == name)
    ]


def pod_spec(workload: Object) -> Object:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    pod: Object = spec["template"]["spec"]
    return pod


def pod_labels(workload: Object) -> dict[str, str]:
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return dict(spec["template"].get("metadata", {}).get("labels", {}))


def containers(pod: Object) -> list[Object]:
    return list(pod.get("initContainers", [])) + list(pod.get("containers", []))


def selects(selector: Object | None, labels: dict[str, str]) -> bool:
    """Whether a label selector matches these labels (an empty one matches all)."""
    selector = selector or {}
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def port_number(container: Object, port: int | str) -> int | None:
    """A container port given by number or by name, as a number."""
    if isinstance(port, int):
        return port
    for item in container.get("ports", []):
        if item.get("name") == port:
            return int(item["containerPort"])
    return None


def quantity(value: str | int | float) -> float:
    """A CPU or memory quantity ("250m", "1", "512Mi") as a number."""
    text = str(value)
    units = {
        "m": 1e-3,
        "Ki": 2**10,
        "Mi": 2**20,
        "Gi": 2**30,
        "Ti": 2**40,
        "k": 1e3,
        "M": 1e6,
        "G": 1e9,
        "T": 1e12,
    }
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * units[unit]
    return float(text)


def image_tag(image: str) -> str | None:
    """The tag an image reference names, a digest as `@...`, or None."""
    if "@" in image:
        return "@" + image.split("@", 1)[1]
    name = image.rsplit("/", 1)[-1]
    return name.split(":", 1)[1] if ":" in name else None


def secret_values(secret: Object) -> dict[str, str]:
    values = dict(secret.get("stringData") or {})
    for key, encoded in (secret.get("data") or {}).items():
        values[key] = base64.b64decode(encoded).decode(errors="replace")
    return {key: str(value) for key, value in values.items()}


def ini_settings(text: str) -> dict[str, str]:
    """`key = value` lines of an ini file, whatever their section."""
    found = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith((";", "#", "[", "%")) and "=" in line:
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def secret_value(
    secrets: list[Object], name: str | None, key: str | None
) -> str | None:
    """A value of one of the example Secrets, or None."""
    for secret in find(secrets, "Secret", name):
        return secret_values(secret).get(key or "")
    return None


class Checks:
    """Collects the promises that do not hold."""

    def __init__(self, manifests: Manifests) -> None:
        self.m = manifests
        self.failures: list[str] = []

    def check(self, condition: object, promise: str) -> None:
        if not condition:
            self.failures.append(promise)

    def deployment(self, name: str) -> Object | None:
        found = find(self.m.objects, "Deployment", name)
        self.check(found, f"a Deployment named {name} exists")
        return found[0] if found else None

    def workloads(self) -> list[Object]:
        return [o for o in self.m.objects if o.get("kind") in WORKLOAD_KINDS]
