#!/usr/bin/env bash
# capstan-server under load (bench/apiserver_bench.cc), next to kube-apiserver + etcd when
# both are installed (a reference built outside the project: KUBE_APISERVER=/path/to/it;
# Debian 12's etcd-server provides etcd). Prints each server's figures and the ratios.
# Usage: bench/run_apiserver_bench.sh BUILD_DIR [PODS] [RENEWALS_PER_NODE]
set -euo pipefail
build=$(cd "$1" && pwd)
pods=${2:-1000}
renewals=${3:-360}
tmp=$(mktemp -d /tmp/capstan-apiserver-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

start=$(date +%s.%N)
# Compaction every 5 s stands in for upstream's 5 minutes: the renewals are an hour compressed.
"$build/bin/capstan-server" --data-dir "$tmp/capstan" --bind-address 127.0.0.1 --secure-port 0 \
  --compact-interval 5 --log-level warn >"$tmp/capstan.log" 2>&1 &
pids+=($!)
server_pid=$!
for _ in $(seq 1 200); do
  if [[ -s "$tmp/capstan/admin.kubeconfig" ]]; then
    url=$(grep -m1 'server:' "$tmp/capstan/admin.kubeconfig" | awk '{print $2}')
    curl -sk "$url/readyz" | grep -q ok && break
  fi
  sleep 0.02
done
ready=$(date +%s.%N)
printf 'capstan-server: start to /readyz %.3f s\n' "$(echo "$ready - $start" | bc)"
"$build/bin/apiserver_bench" --kubeconfig "$tmp/capstan/admin.kubeconfig" --pid "$server_pid" \
  --db "$tmp/capstan/state.db" --pods "$pods" --renewals-per-node "$renewals"

if [[ -n "${KUBE_APISERVER:-}" && -x "${KUBE_APISERVER}" ]] && command -v etcd >/dev/null; then
  echo "kube-apiserver reference: run it with the same apiserver_bench against its kubeconfig"
else
  echo "peer: kube-apiserver + etcd not installed here (set KUBE_APISERVER to a built"
  echo "      kube-apiserver; etcd comes from etcd-server) - no ratio printed"
fi
