#!/usr/bin/env bash
# A Deployment on one real node (`capstan up`): the time from `kubectl apply` of N replicas
# (100 by default; the image already on the node) to all pods bound and to all Ready, then a
# rolling update of the template to its end. The fake-node figures are
# bench/run_scheduling_bench.sh's. kube-scheduler and k3s are not in Debian's archive, so no
# ratio is printed. Needs root. Usage: bench/run_deployment_bench.sh BUILD_DIR [REPLICAS]
set -euo pipefail
build=$(cd "$1" && pwd)
replicas=${2:-100}
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../integration/fixtures
[[ $(id -u) == 0 ]] || { echo "needs root"; exit 1; }
tmp=$(mktemp -d /tmp/capstan-deploy-bench.XXXXXX)
data=$tmp/data
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cleanup() {
  "$build/bin/capstan" down --data-dir "$data" --run-dir "$tmp/run" >/dev/null 2>&1 || true
  bash "$fixtures/registry.sh" stop "$tmp/registry" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
cache=$build/fixture-cache/busybox
bash "$fixtures/build-busybox-image.sh" "$cache" >/dev/null
registry=$(CAPSTAN_REGISTRY_WATCH_PID=$$ bash "$fixtures/registry.sh" start "$tmp/registry" | head -1)
bash "$fixtures/registry.sh" push "$tmp/registry" "$cache/busybox-oci" busybox:latest >/dev/null
"$build/bin/capstan" up --data-dir "$data" --run-dir "$tmp/run" --port "$(free_port)" \
  --bind-address 127.0.0.1 --node-name bench-node --node-ip 127.0.0.1 \
  --manifests "$tmp/manifests" --kubelet-port "$(free_port)" \
  --kubelet-healthz-port "$(free_port)" --insecure-registry "$registry" >/dev/null
export KUBECONFIG=$data/server/admin.kubeconfig
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

# The image once, so that the figures measure the cluster, not the registry.
kubectl run warm --image="$registry/busybox:latest" --restart=Never -- sleep 3600 >/dev/null
kubectl wait --for=condition=Ready pod/warm --timeout=120s >/dev/null
kubectl delete pod warm --wait=false >/dev/null

cat >"$tmp/deploy.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: bench}
spec:
  replicas: $replicas
  selector: {matchLabels: {app: bench}}
  template:
    metadata: {labels: {app: bench}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: c, image: $registry/busybox:latest, imagePullPolicy: IfNotPresent, command: [sleep, '3600']}
YAML
count() {  # pods of the Deployment matching a jsonpath filter
  kubectl get pods -l app=bench -o jsonpath="$1" 2>/dev/null | wc -w
}
start=$(now)
kubectl apply -f "$tmp/deploy.yaml" >/dev/null
until [[ $(count '{.items[?(@.spec.nodeName)].metadata.name}') -ge $replicas ]]; do sleep 0.2; done
bound=$(since "$start")
until [[ $(kubectl get deploy bench -o jsonpath='{.status.readyReplicas}') == "$replicas" ]]; do
  sleep 0.2
done
ready=$(since "$start")
printf 'Deployment of %d on one real node: apply to all bound %.2f s, to all Ready %.2f s\n' \
  "$replicas" "$bound" "$ready"
start=$(now)
kubectl set env deploy/bench ROUND=2 >/dev/null
kubectl rollout status deploy/bench --timeout=600s >/dev/null
printf 'rolling update of the %d to its end: %.2f s\n' "$replicas" "$(since "$start")"
echo "peer: kube-scheduler and k3s are not installed here (not in Debian's archive)"
