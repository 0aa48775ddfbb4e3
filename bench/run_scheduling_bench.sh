#!/usr/bin/env bash
# The scheduler and the controllers of capstan-server on fake nodes (bench/scheduling_bench.cc):
#   1. a Deployment of REPLICAS pods on 10 fake nodes: create -> all bound -> all Ready, then
#      a rolling update to the end;
#   2. scheduler throughput: PODS bare pods over 100 and over 1,000 fake nodes.
# Each run has a fresh server. kube-scheduler is the outside reference: with
# KUBE_SCHEDULER=/path/to/kube-scheduler and KUBE_APISERVER set (a build outside the project,
# see bench/run_apiserver_bench.sh) it would run the same pods; neither is in Debian's
# archive, so without them no ratio is printed. No root needed.
# Usage: bench/run_scheduling_bench.sh BUILD_DIR [REPLICAS] [PODS]
set -euo pipefail
build=$(cd "$1" && pwd)
replicas=${2:-100}
pods=${3:-1000}
tmp=$(mktemp -d /tmp/capstan-scheduling-bench.XXXXXX)
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}
trap 'stop_all; rm -rf "$tmp"' EXIT

# start_cluster NAME NODES: a fresh capstan-server and NODES fake nodes; sets $kubeconfig.
start_cluster() {
  local dir=$tmp/$1
  "$build/bin/capstan-server" --data-dir "$dir" --bind-address 127.0.0.1 --secure-port 0 \
    --log-level warn >"$tmp/$1-server.log" 2>&1 &
  pids+=($!)
  kubeconfig=$dir/admin.kubeconfig
  for _ in $(seq 1 200); do
    if [[ -s "$kubeconfig" ]]; then
      url=$(grep -m1 'server:' "$kubeconfig" | awk '{print $2}')
      curl -sk "$url/readyz" | grep -q ok && break
    fi
    sleep 0.05
  done
  # Room for every pod of the run on any node count: 110 pods and 32 cores a node.
  "$build/bin/capstan-fake-nodes" --kubeconfig "$kubeconfig" --count "$2" --cpu 32 \
    --memory 128Gi --pods 110 --lease-seconds 10 >"$tmp/$1-nodes.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 600); do
    grep -q '^ready' "$tmp/$1-nodes.log" && return 0
    sleep 0.1
  done
  echo "fake nodes did not come up:"; cat "$tmp/$1-nodes.log"; return 1
}

echo "== Deployment of $replicas replicas, 10 fake nodes"
start_cluster deploy 10
"$build/bin/scheduling_bench" --kubeconfig "$kubeconfig" --mode deployment --replicas "$replicas"
stop_all

for nodes in 100 1000; do
  echo "== scheduler throughput: $pods pods over $nodes fake nodes"
  start_cluster "nodes$nodes" "$nodes"
  "$build/bin/scheduling_bench" --kubeconfig "$kubeconfig" --mode throughput --pods "$pods"
  stop_all
done

if [[ -n "${KUBE_SCHEDULER:-}" && -x "${KUBE_SCHEDULER}" ]]; then
  echo "kube-scheduler reference: run it against a kube-apiserver with the same fake nodes"
else
  echo "peer: kube-scheduler is not installed here (set KUBE_SCHEDULER to one built outside"
  echo "      the project) - no ratio printed"
fi
