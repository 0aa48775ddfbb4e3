#!/usr/bin/env bash
# Dynamic provisioning on one real node (`capstan up`): for each of N rounds, a claim and a
# pod using it are applied together; the time to the claim Bound (CreateVolume, the PV, the
# binder) and to the pod Running (NodeStage, NodePublish, the container) is measured, and
# the median printed: first for the default local-path class on capstan-csi-hostpath
# (WaitForFirstConsumer: the scheduler's node first), then for capstan-csi-nfs against
# nfs-ganesha on 127.0.0.1 through capstan-nfs-fuse. k3s's local-path-provisioner and
# csi-driver-nfs are not in Debian's archive: no ratio.
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
  [[ -f "$tmp/nfs.pid" ]] && kill "$(cat "$tmp/nfs.pid")" 2>/dev/null || true
  "$build/bin/capstan" down --data-dir "$data" --run-dir "$tmp/run" >/dev/null 2>&1 || true
  bash "$fixtures/registry.sh" stop "$tmp/registry" >/dev/null 2>&1 || true
  bash "$fixtures/ganesha.sh" stop "$tmp/ganesha" >/dev/null 2>&1 || true
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

# rounds CLASS PREFIX: N claims of CLASS with their pods; fills `bound` and `running`.
rounds() {
  bound=()
  running=()
  for i in $(seq 1 "$rounds"); do
    cat >"$tmp/$2r$i.yaml" <<YAML
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: $2c$i}
spec:
  storageClassName: $1
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 10Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: $2p$i}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: c, image: $registry/busybox:latest, command: [sleep, "3600"], volumeMounts: [{name: d, mountPath: /data}]}
  volumes: [{name: d, persistentVolumeClaim: {claimName: $2c$i}}]
YAML
    t0=$(now)
    kubectl apply -f "$tmp/$2r$i.yaml" >/dev/null
    tb=""
    while :; do
      [[ -z "$tb" && $(kubectl get pvc "$2c$i" -o jsonpath='{.status.phase}') == Bound ]] && tb=$(now)
      if [[ $(kubectl get pod "$2p$i" -o jsonpath='{.status.phase}') == Running ]]; then
        tr=$(now)
        [[ -n "$tb" ]] || tb=$tr
        break
      fi
      sleep 0.05
    done
    bound+=("$(echo "$tb - $t0" | bc)")
    running+=("$(echo "$tr - $t0" | bc)")
    kubectl delete -f "$tmp/$2r$i.yaml" --wait=false >/dev/null
  done
}
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
report() {
  echo "$1, $rounds rounds (claim and pod applied together):"
  printf '  claim to Bound:   median %.2f s\n' "$(median "${bound[@]}")"
  printf '  claim to Running: median %.2f s\n' "$(median "${running[@]}")"
}
rounds local-path hp
report "hostPath CSI driver (local-path)"

options=$(CAPSTAN_GANESHA_WATCH_PID=$$ bash "$fixtures/ganesha.sh" start "$tmp/ganesha")
"$build/bin/capstan-csi-nfs" --endpoint "unix://$data/kubelet/plugins/nfs.csi.capstan.io/csi.sock" \
  --state-dir "$data/storage/nfs" --node-id bench-node --mount fuse \
  --registration-dir "$data/kubelet/plugins_registry" --kubeconfig "$KUBECONFIG" \
  >"$tmp/nfs.log" 2>&1 &
echo $! >"$tmp/nfs.pid"
kubectl apply -f - >/dev/null <<YAML
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: nfs}
provisioner: nfs.csi.capstan.io
parameters: {server: 127.0.0.1, share: $tmp/ganesha/export}
mountOptions: [$options]
YAML
for _ in $(seq 100); do
  kubectl get csinode bench-node -o jsonpath='{.spec.drivers[*].name}' | grep -q nfs && break
  sleep 0.1
done
rounds nfs nfs
report "NFS CSI driver (ganesha, FUSE)"
