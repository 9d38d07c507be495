#!/usr/bin/env bash
# Roll the app out to Kubernetes in the order that keeps it serving (deployment.md,
# "Kubernetes"):
#  1. the prestart Job and the ConfigMap it reads, alone (the objects labelled
#     rollout-phase=prestart), after deleting the last rollout's Job: a Job's pod
#     cannot be changed, only made anew;
#  2. wait until the Job has completed: the migrations are applied. If it failed,
#     print its log and stop: nothing else has changed;
#  3. everything, then wait for PgBouncer, the backend and the worker to roll.
# The namespace and the three Secrets must exist (deploy/kubernetes/secrets.example.yaml).
#
#     scripts/deploy/kubernetes-rollout.sh [OVERLAY]
#
# OVERLAY: a folder of deploy/kubernetes/overlays (default: production). kubectl's
# current context is the cluster; KUBECTL may name another kubectl.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
overlay="${1:-$ROOT/deploy/kubernetes/overlays/production}"
kubectl="${KUBECTL:-kubectl}"
job=backend-prestart

namespace="$(sed -n 's/^namespace: *//p' "$overlay/kustomization.yaml")"
if [ -z "$namespace" ]; then
  echo "$overlay/kustomization.yaml names no namespace" >&2
  exit 1
fi
in_namespace() { "$kubectl" --namespace "$namespace" "$@"; }

if ! in_namespace get secret backend-secrets backend-migration-database pgbouncer-auth >/dev/null; then
  echo "Create the namespace $namespace and its Secrets first: deploy/kubernetes/secrets.example.yaml" >&2
  exit 1
fi

echo "=== 1. The prestart Job, alone"
in_namespace delete job "$job" --ignore-not-found --wait=true
in_namespace apply -k "$overlay" --selector rollout-phase=prestart

echo "=== 2. Waiting for it to complete (migrations)"
# The Job gives up by itself after its activeDeadlineSeconds (15 minutes).
while :; do
  conditions="$(in_namespace get job "$job" \
    -o 'jsonpath={range .status.conditions[?(@.status=="True")]}{.type} {end}')"
  case " $conditions " in
    *" Complete "*)
      break
      ;;
    *" Failed "*)
      in_namespace logs "job/$job" --tail=100 >&2 || true
      echo "The prestart Job failed: nothing else was changed." >&2
      exit 1
      ;;
  esac
  sleep 5
done
echo "The prestart Job completed"

echo "=== 3. Everything else"
in_namespace apply -k "$overlay"
for deployment in pgbouncer backend worker; do
  in_namespace rollout status "deployment/$deployment" --timeout=10m
done
