#!/usr/bin/env bash
# `capstan up` on this machine: the time from the command to a Ready node, then 30 pods
# created at once (image present) until all run, and the memory (RSS) of every daemon with
# them running: the node agent (kubelet + runtime + container monitors) and the control
# plane. Next to k3s when it is installed (K3S=/path/to/k3s; not in Debian's archive).
# Needs root. Usage: bench/run_capstan_up_bench.sh BUILD_DIR [PODS]
set -euo pipefail
build=$(cd "$1" && pwd)
pods=${2:-30}
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../integration/fixtures
[[ $(id -u) == 0 ]] || { echo "needs root"; exit 1; }
tmp=$(mktemp -d /tmp/capstan-up-bench.XXXXXX)
data=$tmp/data
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cleanup() {
  "$build/bin/capstan" down --data-dir "$data" --run-dir "$tmp/run" >/dev/null 2>&1 || true
  bash "$fixtures/registry.sh" stop "$tmp/registry" >/dev/null 2>&1 || true
  [[ -n "${KEEP:-}" ]] && cp -r "$data/logs" "$KEEP" 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
cache=$build/fixture-cache/busybox
bash "$fixtures/build-busybox-image.sh" "$cache" >/dev/null
registry=$(CAPSTAN_REGISTRY_WATCH_PID=$$ bash "$fixtures/registry.sh" start "$tmp/registry" | head -1)
bash "$fixtures/registry.sh" push "$tmp/registry" "$cache/busybox-oci" busybox:latest >/dev/null

start=$(date +%s.%N)
"$build/bin/capstan" up --data-dir "$data" --run-dir "$tmp/run" --port "$(free_port)" \
  --bind-address 127.0.0.1 --node-name bench-node --node-ip 127.0.0.1 \
  --manifests "$tmp/manifests" --kubelet-port "$(free_port)" \
  --kubelet-healthz-port "$(free_port)" --insecure-registry "$registry" >/dev/null
ready=$(date +%s.%N)
printf 'capstan up to node Ready: %.2f s (target <= 10 s; k3s about 30 s)\n' "$(echo "$ready - $start" | bc)"
export KUBECONFIG=$data/server/admin.kubeconfig

# The image once, so that pod starts measure the node, not the registry.
pod() {
  cat <<POD
apiVersion: v1
kind: Pod
metadata: {name: $1, namespace: default}
spec:
  nodeName: bench-node
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: $registry/busybox:latest, imagePullPolicy: IfNotPresent, command: [sleep, '3600']}
---
POD
}
pod warm | kubectl apply -f - >/dev/null
until kubectl get pod warm 2>/dev/null | grep -q Running; do sleep 0.1; done
for i in $(seq 1 "$pods"); do pod "p$i"; done >"$tmp/pods.yaml"
start=$(date +%s.%N)
kubectl apply -f "$tmp/pods.yaml" >/dev/null
until [[ $(kubectl get pods --no-headers 2>/dev/null | grep -c ' Running ') -ge $((pods + 1)) ]]; do
  sleep 0.1
done
running=$(date +%s.%N)
printf '%d pods created to all Running (through the API server): %.2f s\n' "$pods" \
  "$(echo "$running - $start" | bc)"
sleep 2
rss() {  # KiB of the processes matching $1 that use this data dir (or their monitors)
  local total=0
  for pid in $(pgrep -f -- "$1"); do
    kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}
# PSS: each shared page divided among the processes that map it, so a sum over many
# processes (31 monitors share one binary and libc) counts memory once.
pss() {
  local total=0
  for pid in $(pgrep -f -- "$1"); do
    kb=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}
server=$(rss "capstan-server --data-dir $data")
kubelet=$(rss "capstan-kubelet --config $data")
cri=$(rss "capstan-cri --config $data")
monitors=$(rss "capstan-monitor run .*$tmp/run")
agent=$((kubelet + cri + monitors))
printf 'node agent RSS with %d pods: %.1f MB (kubelet %.1f, runtime %.1f, monitors %.1f; target <= 50 MB; k3s agent 275 MB)\n' \
  "$((pods + 1))" "$(echo "$agent / 1024" | bc -l)" "$(echo "$kubelet / 1024" | bc -l)" \
  "$(echo "$cri / 1024" | bc -l)" "$(echo "$monitors / 1024" | bc -l)"
kubelet_pss=$(pss "capstan-kubelet --config $data")
cri_pss=$(pss "capstan-cri --config $data")
monitors_pss=$(pss "capstan-monitor run .*$tmp/run")
printf 'node agent PSS with %d pods: %.1f MB (kubelet %.1f, runtime %.1f, monitors %.1f)\n' \
  "$((pods + 1))" "$(echo "($kubelet_pss + $cri_pss + $monitors_pss) / 1024" | bc -l)" \
  "$(echo "$kubelet_pss / 1024" | bc -l)" "$(echo "$cri_pss / 1024" | bc -l)" \
  "$(echo "$monitors_pss / 1024" | bc -l)"
printf 'control plane RSS (capstan-server) with them: %.1f MB (target <= 150 MB)\n' \
  "$(echo "$server / 1024" | bc -l)"
if [[ -n "${K3S:-}" && -x "${K3S}" ]]; then
  echo "k3s: run it the same way for the ratio (not automated here)"
else
  echo "peer: k3s is not installed here (it is not in Debian's archive); figures above are capstan's alone"
fi
