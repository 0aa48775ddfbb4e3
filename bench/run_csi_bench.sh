#!/usr/bin/env bash
# Dynamic provisioning on one real node (`capstan up`, the default local-path class on
# capstan-csi-hostpath): for each of N rounds, a claim and a pod using it are applied
# together; the time to the claim Bound (the scheduler's node, CreateVolume, the PV, the
# binder) and to the pod Running (NodeStage, NodePublish, the container) is measured, and
# the median printed. k3s's local-path-provisioner is not in Debian's archive: no ratio.
# Needs root. Usage: bench/run_csi_bench.sh BUILD_DIR [ROUNDS]
set -euo pipefail
build=$(cd "$1" && pwd)
rounds=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../integration/fixtures
[[ $(id -u) == 0 ]] || { echo "needs root"; exit 1; }
tmp=$(mktemp -d /tmp/capstan-csi-bench.XXXXXX)
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
kubectl run warm --image="$registry/busybox:latest" --restart=Never -- sleep 3600 >/dev/null
kubectl wait --for=condition=Ready pod/warm --timeout=120s >/dev/null
kubectl delete pod warm --wait=false >/dev/null
# The driver registered (CSINode) before the first round.
for _ in $(seq 100); do kubectl get csinode bench-node -o name >/dev/null 2>&1 && break; sleep 0.1; done

bound=()
running=()
for i in $(seq 1 "$rounds"); do
  cat >"$tmp/r$i.yaml" <<YAML
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: c$i}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 10Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: p$i}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: $registry/busybox:latest, command: [sleep, "3600"], volumeMounts: [{name: d, mountPath: /data}]}
  volumes: [{name: d, persistentVolumeClaim: {claimName: c$i}}]
YAML
  t0=$(now)
  kubectl apply -f "$tmp/r$i.yaml" >/dev/null
  tb=""
  while :; do
    [[ -z "$tb" && $(kubectl get pvc "c$i" -o jsonpath='{.status.phase}') == Bound ]] && tb=$(now)
    if [[ $(kubectl get pod "p$i" -o jsonpath='{.status.phase}') == Running ]]; then
      tr=$(now)
      [[ -n "$tb" ]] || tb=$tr
      break
    fi
    sleep 0.05
  done
  bound+=("$(echo "$tb - $t0" | bc)")
  running+=("$(echo "$tr - $t0" | bc)")
  kubectl delete -f "$tmp/r$i.yaml" --wait=false >/dev/null
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "hostPath CSI driver, $rounds rounds (claim and pod applied together):"
printf '  claim to Bound:   median %.2f s\n' "$(median "${bound[@]}")"
printf '  claim to Running: median %.2f s\n' "$(median "${running[@]}")"
