#!/usr/bin/env bash
# ADD+DEL latency of capstan's bridge + host-local against the reference plugins
# (containernetworking-plugins, /usr/lib/cni) on the same config, in the same run: median and
# p90 of N pods each, and the ratios capstan/reference. Needs root.
#   bench/run_cni_bench.sh [BUILD_DIR] [PODS] [--ip-masq]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
pods=${2:-50}
extra=()
if [[ "${3:-}" == "--ip-masq" ]]; then
  extra+=(--ip-masq)
fi
if [[ ! -x "$build/bin/cni/bridge" || ! -x "$build/bin/cni_bench" ]]; then
  echo "build capstan-cni and cni_bench first: ninja -C $build capstan-cni cni_bench" >&2
  exit 2
fi
ref=()
if [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local ]]; then
  ref=(--reference /usr/lib/cni)
else
  echo "the reference plugins are not installed: no peer figures (apt install containernetworking-plugins)"
fi
exec "$build/bin/cni_bench" --capstan "$build/bin/cni" "${ref[@]}" --runs "$pods" "${extra[@]}"
